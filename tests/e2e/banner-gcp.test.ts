import { describeCloudBanners } from './banner-content.ts';

describeCloudBanners('gcp', 'GCP');
