/**
 * Short forms for the card's one-line headline. Everything here works on page-derived text, so the
 * results still go through `safeText` before they are rendered.
 */
import { CLOUD_FACTS } from '@/lib/clouds';
import { consoleService, resourceService } from '@/lib/actions/console-service';
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

/** The AWS service the denial is about, when the message or the page says so. */
export function awsService(denial: Denial, pageUrl: string): string | null {
  const text = denial.excerpt.slice(0, 4000);
  // `UnauthorizedOperation` (with or without an encoded message) is EC2's error code.
  if (/\bUnauthorizedOperation\b|\bec2:|\bEC2\b/.test(text)) return 'ec2';
  if (/\bAmazon S3\b|\bs3:/.test(text)) return 's3';
  return consoleService('aws', pageUrl);
}

/**
 * The service whose actions the denial is about, in the cloud's action namespace: from the denied
 * resource, else (AWS) the message's wording, else the console page's URL.
 */
export function deniedService(denial: Denial, pageUrl: string): string | null {
  const fromResource = resourceService(denial.cloud, denial.resource);
  if (fromResource) return fromResource;
  return denial.cloud === 'aws' ? awsService(denial, pageUrl) : consoleService(denial.cloud, pageUrl);
}

/**
 * Placeholder for the "Permission to request" field: the permission this denial most likely needs
 * when the page says enough (`ec2:StopInstances`), otherwise the cloud's neutral grammar.
 */
export function permissionPlaceholder(denial: Denial, pageUrl: string): string {
  const cloud: Cloud = denial.cloud;
  const op =
    denial.operation && /^[A-Za-z][A-Za-z0-9]{1,80}$/.test(denial.operation) ? denial.operation : null;
  const service = deniedService(denial, pageUrl);
  if (service && cloud === 'aws') return `${service}:${op ?? 'Action'}`;
  if (service && cloud === 'azure') return `${service}/resourceType/action`;
  if (service && cloud === 'gcp') return `${service}.resource.verb`;
  return CLOUD_FACTS[cloud].actionShape;
}
