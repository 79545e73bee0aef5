import { describeCloudBanners } from './banner-content.ts';

describeCloudBanners('aws', 'AWS');
