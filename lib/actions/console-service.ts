/**
 * Which service a console page (or a denial's resource) is about, in the cloud's own action
 * namespace: the AWS IAM service prefix (`s3`, `ec2`), the Azure resource provider
 * (`Microsoft.Compute`), the GCP permission service (`compute`), as docs/cloud-mechanics.md §6
 * describes the consoles' URLs. The banner uses it to offer the service's actions when a denial
 * names none (docs/extension.md, "The permission picker"); the action catalogue
 * (public/actions/*.json, scripts/make-action-catalog.ts) is keyed by it.
 *
 * Pure: URL parsing only, no browser or Node API. Small on purpose: it ships in the lazy banner
 * chunk, the catalogue does not.
 */
import type { Cloud } from '../clouds';

/** A service name as the catalogue keys it; anything else is never sent or looked up. */
export const SERVICE_NAME: Readonly<Record<Cloud, RegExp>> = {
  aws: /^[a-z0-9][a-z0-9-]{0,62}$/,
  azure: /^[A-Za-z][A-Za-z0-9]{0,62}(?:\.[A-Za-z0-9]{1,62}){1,3}$/,
  gcp: /^[a-z][a-z0-9]{0,62}$/,
};

/**
 * AWS console paths (first segment) and the IAM service prefix of their actions. Where the
 * segment is the prefix itself (`lambda`, `sqs`) it is listed too, so the table is also the list
 * of services the catalogue carries for AWS.
 */
export const AWS_CONSOLE_SERVICES: Readonly<Record<string, string>> = {
  acm: 'acm',
  apigateway: 'apigateway',
  athena: 'athena',
  backup: 'backup',
  cloudformation: 'cloudformation',
  cloudfront: 'cloudfront',
  cloudtrail: 'cloudtrail',
  cloudwatch: 'cloudwatch',
  codebuild: 'codebuild',
  codepipeline: 'codepipeline',
  config: 'config',
  dynamodb: 'dynamodb',
  dynamodbv2: 'dynamodb',
  ec2: 'ec2',
  ecr: 'ecr',
  ecs: 'ecs',
  efs: 'elasticfilesystem',
  eks: 'eks',
  elasticache: 'elasticache',
  elasticbeanstalk: 'elasticbeanstalk',
  events: 'events',
  firehose: 'firehose',
  glue: 'glue',
  guardduty: 'guardduty',
  iam: 'iam',
  iamv2: 'iam',
  kinesis: 'kinesis',
  kms: 'kms',
  lambda: 'lambda',
  logs: 'logs',
  organizations: 'organizations',
  rds: 'rds',
  redshiftv2: 'redshift',
  route53: 'route53',
  s3: 's3',
  sagemaker: 'sagemaker',
  secretsmanager: 'secretsmanager',
  sns: 'sns',
  sqs: 'sqs',
  states: 'states',
  'systems-manager': 'ssm',
  vpc: 'ec2',
  vpcconsole: 'ec2',
};

/**
 * GCP console product paths (first one or two segments) and the service their permissions start
 * with (`/kubernetes/…` → `container.clusters.get`).
 */
export const GCP_CONSOLE_SERVICES: Readonly<Record<string, string>> = {
  artifacts: 'artifactregistry',
  bigquery: 'bigquery',
  'cloud-build': 'cloudbuild',
  cloudpubsub: 'pubsub',
  compute: 'compute',
  dataflow: 'dataflow',
  functions: 'cloudfunctions',
  'iam-admin': 'iam',
  kubernetes: 'container',
  logs: 'logging',
  monitoring: 'monitoring',
  networking: 'compute',
  run: 'run',
  'security/secret-manager': 'secretmanager',
  spanner: 'spanner',
  sql: 'cloudsql',
  storage: 'storage',
};

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

function awsConsoleService(u: URL): string | null {
  if (u.hostname.startsWith('s3.console.')) return 's3';
  const first = u.pathname.split('/').find(Boolean)?.toLowerCase();
  return first && Object.hasOwn(AWS_CONSOLE_SERVICES, first) ? AWS_CONSOLE_SERVICES[first]! : null;
}

// `…/providers/Microsoft.Compute/virtualMachines/…` (blades), `#browse/Microsoft.Storage%2F…` (lists).
const AZURE_PROVIDER = /\/providers\/([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+){1,3})(?:\/|$)/gi;
const AZURE_BROWSE = /^#browse\/([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+){1,3})\//i;

/** The last resource provider an Azure scope names (a scope may nest, e.g. a VM's extension). */
export function azureProvider(scope: string): string | null {
  let last: string | null = null;
  for (const m of scope.slice(0, 4096).matchAll(AZURE_PROVIDER)) last = m[1]!;
  // `providers/Microsoft.Authorization/roleAssignments` names the provider even at the scope's end.
  return last && SERVICE_NAME.azure.test(last) ? last : null;
}

function azureConsoleService(u: URL): string | null {
  let fragment = u.hash.slice(0, 4096);
  try {
    fragment = decodeURIComponent(fragment);
  } catch {
    // keep it encoded
  }
  return azureProvider(fragment) ?? AZURE_BROWSE.exec(fragment)?.[1] ?? null;
}

function gcpConsoleService(u: URL): string | null {
  const parts = u.pathname.split('/').filter(Boolean).slice(0, 2);
  const two = parts.join('/').toLowerCase();
  if (Object.hasOwn(GCP_CONSOLE_SERVICES, two)) return GCP_CONSOLE_SERVICES[two]!;
  const one = parts[0]?.toLowerCase();
  return one && Object.hasOwn(GCP_CONSOLE_SERVICES, one) ? GCP_CONSOLE_SERVICES[one]! : null;
}

/** The service a console page is about, from its URL; null when the URL does not say. */
export function consoleService(cloud: Cloud, pageUrl: string): string | null {
  const u = parseUrl(pageUrl);
  if (!u) return null;
  switch (cloud) {
    case 'aws':
      return awsConsoleService(u);
    case 'azure':
      return azureConsoleService(u);
    case 'gcp':
      return gcpConsoleService(u);
    default:
      return null;
  }
}

/**
 * The service a denied resource belongs to: an ARN's service (`arn:aws:s3:::bucket` → `s3`), an
 * Azure scope's provider, a GCP full resource name's API (`//compute.googleapis.com/…`).
 */
export function resourceService(cloud: Cloud, resource: string | null): string | null {
  if (!resource) return null;
  const head = resource.slice(0, 4096);
  let service: string | null = null;
  if (cloud === 'aws') service = /^arn:[a-z-]+:([a-z0-9-]+):/.exec(head)?.[1] ?? null;
  else if (cloud === 'azure') service = azureProvider(head);
  else if (cloud === 'gcp') service = /^\/\/([a-z0-9]+)\.googleapis\.com\//.exec(head)?.[1] ?? null;
  return service && SERVICE_NAME[cloud].test(service) ? service : null;
}
