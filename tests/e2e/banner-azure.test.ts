import { describeCloudBanners } from './banner-content.ts';

describeCloudBanners('azure', 'Azure');
