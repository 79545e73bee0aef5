/**
 * Short forms for the card's one-line headline. Everything here works on page-derived text, so the
 * results still go through `safeText` before they are rendered.
 */
import { CLOUD_FACTS } from '@/lib/clouds';
import type { Cloud, Denial } from '@/lib/contract/denial';

/**
 * The part of a resource a person recognises: the ARN's resource part, or the last two segments
 * of an Azure scope / GCP resource name (`virtualMachines/vm1`, `instances/web-1`). Null when the
 * resource is absent, a wildcard, or just the account the headline already names.
 */
export function shortResource(resource: string | null, account: string | null): string | null {
  if (!resource) return null;
  const res = resource.length > 2048 ? resource.slice(0, 2048) : resource;
  if (res.trim() === '*') return null;
  let short = res;
  const arn = /^arn:[^:]*:[^:]*:[^:]*:[^:]*:(.+)$/.exec(res);
  if (arn) short = arn[1]!;
  else if (res.includes('/')) {
    const parts = res.split('/').filter(Boolean);
    short = parts.slice(-2).join('/');
    // `projects/acme-prod` or `subscriptions/<id>`: that is the account itself.
    if (parts.length >= 2 && account && parts[parts.length - 1] === account) return null;
  }
  if (account && short === account) return null;
  return short;
}

/** AWS console paths (first segment) and the IAM service prefix of their actions. */
const AWS_CONSOLE_SERVICE: Record<string, string> = {
  ec2: 'ec2',
  s3: 's3',
  lambda: 'lambda',
  iam: 'iam',
  rds: 'rds',
  dynamodbv2: 'dynamodb',
  cloudformation: 'cloudformation',
  kms: 'kms',
  sns: 'sns',
  sqs: 'sqs',
  ecs: 'ecs',
  eks: 'eks',
  cloudwatch: 'cloudwatch',
  secretsmanager: 'secretsmanager',
};

/** The AWS service the denial is about, when the message or the page says so. */
export function awsService(denial: Denial, pageUrl: string): string | null {
  const text = denial.excerpt.slice(0, 4000);
  // `UnauthorizedOperation` (with or without an encoded message) is EC2's error code.
  if (/\bUnauthorizedOperation\b|\bec2:|\bEC2\b/.test(text)) return 'ec2';
  if (/\bAmazon S3\b|\bs3:/.test(text)) return 's3';
  try {
    const u = new URL(pageUrl);
    if (u.hostname.startsWith('s3.console.')) return 's3';
    const first = u.pathname.split('/').filter(Boolean)[0]?.toLowerCase();
    if (first && first in AWS_CONSOLE_SERVICE) return AWS_CONSOLE_SERVICE[first]!;
  } catch {
    // not a URL: no hint
  }
  return null;
}

/**
 * Placeholder for the "Permission to request" field: the permission this denial most likely needs
 * when the page says enough (`ec2:StopInstances`), otherwise the cloud's neutral grammar.
 */
export function permissionPlaceholder(denial: Denial, pageUrl: string): string {
  const cloud: Cloud = denial.cloud;
  const op =
    denial.operation && /^[A-Za-z][A-Za-z0-9]{1,80}$/.test(denial.operation) ? denial.operation : null;
  if (cloud === 'aws') {
    const service = awsService(denial, pageUrl);
    if (service) return `${service}:${op ?? 'Action'}`;
  }
  return CLOUD_FACTS[cloud].actionShape;
}
