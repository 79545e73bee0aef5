/**
 * Which regions' CloudTrail event history can hold a grant's activity (docs/cloud-mechanics.md
 * §1.6). LookupEvents searches one region; work happens in any region the session may act in, and
 * global services (IAM, STS's global endpoint, console sign-in) log in the partition's
 * global-events region. So: the target's configured regions, else the partition's regions that
 * every account has enabled, plus the global-events region and the region the grant's resource
 * names.
 */
import type { AwsTargetConfig } from './config';

/** Regions enabled in every account (those launched before 20 March 2019), by partition. */
const DEFAULT_REGIONS: Readonly<Record<'aws' | 'aws-us-gov' | 'aws-cn', readonly string[]>> = {
  aws: [
    'us-east-1',
    'us-east-2',
    'us-west-1',
    'us-west-2',
    'ca-central-1',
    'sa-east-1',
    'eu-west-1',
    'eu-west-2',
    'eu-west-3',
    'eu-central-1',
    'eu-north-1',
    'ap-south-1',
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-northeast-3',
    'ap-southeast-1',
    'ap-southeast-2',
  ],
  'aws-us-gov': ['us-gov-west-1', 'us-gov-east-1'],
  'aws-cn': ['cn-north-1', 'cn-northwest-1'],
};

const partitionOf = (region: string) =>
  region.startsWith('us-gov-') ? 'aws-us-gov' : region.startsWith('cn-') ? 'aws-cn' : 'aws';

/** Where the partition of `region` logs its global services' events. */
export const globalEventsRegion = (region: string): string => DEFAULT_REGIONS[partitionOf(region)][0]!;

/** The region an ARN names (`arn:aws:ec2:eu-west-1:…`), or null (S3, IAM and other regionless ARNs). */
export const regionOfArn = (arn: string | null): string | null =>
  arn?.startsWith('arn:') ? arn.split(':')[3] || null : null;

/**
 * The regions to read a grant's activity from: `targets[].aws.regions` (the operator knows where
 * work happens), else the partition's default regions; always with the global-events region and
 * the resource's region. `brokerRegion` (`clouds.aws.region`) names the partition.
 */
export function activityRegions(
  brokerRegion: string,
  target: AwsTargetConfig,
  resource: string | null,
): readonly string[] {
  const listed = target.regions ?? DEFAULT_REGIONS[partitionOf(brokerRegion)];
  const resourceRegion = regionOfArn(resource);
  return [
    ...new Set([globalEventsRegion(brokerRegion), ...listed, ...(resourceRegion ? [resourceRegion] : [])]),
  ];
}
