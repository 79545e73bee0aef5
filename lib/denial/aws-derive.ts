/**
 * Errors that name the API operation but not the permission (docs/denial-formats.md §2.6): the
 * wrapper a tool prints around the message names the operation, and the service is named by the
 * same wrapper or by the frame around it. Where the operation maps to one IAM action
 * (./aws-operation.ts), a denial that names no action gets that action, marked as derived, with low
 * confidence.
 *
 * Each signal is a global scan indexed once per document (context.ts); the regexes are literal-led
 * with bounded token classes, so adversarial input stays linear.
 */
import type { Candidate } from './candidate';
import type { Doc, Hit } from './context';
import { firstIn, lastIn } from './context';
import { actionForOperation, prefixOfService } from './aws-operation';

/** How far before the denial a wrapper may name the operation, and after it the frame. */
const BEFORE = 3000;
const AFTER = 4000;

interface Signal {
  key: string;
  re: RegExp;
  /** Capture groups holding the service name and the operation (0 = none). */
  service: number;
  operation: number;
  /** The operation is spelt as a method (`getObject`, `executeRunInstances`) or a CLI verb. */
  spelling?: 'method' | 'kebab';
  /** Where the signal stands relative to the message: the wrapper before it, the frame after it. */
  side: 'before' | 'after' | 'both';
}

/** Most specific first: a signal that names both the service and the operation wins. */
const SIGNALS: Signal[] = [
  // Go SDK v2 / Terraform: `operation error EC2: RunInstances, https response error …`
  {
    key: 'op-go',
    re: /operation\s+error\s+([A-Za-z0-9][A-Za-z0-9 ._-]{0,40}?):\s*([A-Za-z0-9]{1,64}),/g,
    service: 1,
    operation: 2,
    side: 'before',
  },
  // CloudFormation's older events: `API: autoscaling:CreateAutoScalingGroup <message>`
  {
    key: 'op-cfn',
    re: /\bAPI:\s*([a-z0-9-]{1,64}):([A-Za-z0-9]{1,128})\s/g,
    service: 1,
    operation: 2,
    side: 'before',
  },
  // Go SDK v1 debug logs (Terraform's TF_LOG): `DEBUG: Validate Response ec2/DescribeImages failed`
  {
    key: 'op-go1-debug',
    re: /\b(?:Request|Response)\s+([a-z0-9-]{2,40})\/([A-Z][A-Za-z0-9]{1,63})\s+(?:Details|failed)\b/g,
    service: 1,
    operation: 2,
    side: 'before',
  },
  // JavaScript SDK v3 middleware logs: `clientName: 'S3Client', commandName: 'GetObjectCommand'`
  {
    key: 'op-js3',
    re: /clientName\W{1,4}([A-Za-z0-9]{1,60})Client\W{1,8}commandName\W{1,4}([A-Za-z0-9]{1,64})Command\b/g,
    service: 1,
    operation: 2,
    side: 'both',
  },
  // AWS CLI user agent in --debug logs: `command/ec2.describe-instances`
  {
    key: 'op-cli-ua',
    re: /\bcommand\/([a-z0-9-]{2,40})\.([a-z0-9-]{2,80})\b/g,
    service: 1,
    operation: 2,
    spelling: 'kebab',
    side: 'before',
  },
  // Java SDK v1/v2 stack frames of a service client: `…services.s3.AmazonS3Client.getObject(`
  {
    key: 'op-java',
    re: /\b(?:com\.amazonaws\.services|software\.amazon\.awssdk\.services)\.([a-z0-9]{1,40})\.(?:[A-Za-z0-9_$]{1,60}\.){0,3}?([A-Za-z0-9_$]{0,60}Client)\.([a-z][A-Za-z0-9]{1,80})\(/g,
    service: 1,
    operation: 3,
    spelling: 'method',
    side: 'after',
  },
  // .NET SDK stack frames: `Amazon.S3.AmazonS3Client.GetObjectAsync(`
  {
    key: 'op-dotnet',
    re: /\bAmazon\.(?!Runtime\b)([A-Za-z0-9]{1,40})\.(?:[A-Za-z0-9_]{1,60}\.){0,3}Amazon[A-Za-z0-9]{0,60}Client\.([A-Z][A-Za-z0-9]{1,80}?)(?:Async)?\(/g,
    service: 1,
    operation: 2,
    side: 'after',
  },
  // botocore / AWS CLI: `An error occurred (AccessDenied) when calling the GetObject operation`
  {
    key: 'op-boto',
    re: /when\s+calling\s+the\s+([A-Za-z0-9]{1,64})\s+operation\b/g,
    service: 0,
    operation: 1,
    side: 'before',
  },
  // Query-protocol request bodies in debug logs: `Action=DescribeInstances&Version=2016-11-15`. The
  // delimiter before it is looked behind, not matched: a hit starts at `Action=`, so a body that
  // opens a paragraph (a wire trace's blank line before it) is inside that paragraph.
  {
    key: 'op-query-body',
    re: /(?<![^\s>&])Action=([A-Z][A-Za-z0-9]{1,63})&(?:[^\s&]{0,200}&){0,40}?Version=\d{4}-\d{2}-\d{2}\b/g,
    service: 0,
    operation: 1,
    side: 'before',
  },
  // Query-protocol request URLs: `https://ec2.eu-west-1.amazonaws.com/?Action=RunInstances&…`
  {
    key: 'op-query',
    re: /\.amazonaws\.com(?:\.cn)?(?::\d{2,5})?\/?\?(?:[^\s&#]{0,200}&){0,20}Action=([A-Z][A-Za-z0-9]{1,63})\b/g,
    service: 0,
    operation: 1,
    side: 'both',
  },
];

/** Names of the service without the operation, nearest first. */
const SERVICE_SIGNALS: { key: string; re: RegExp }[] = [
  // Java SDK suffix: `(Service: Amazon S3; Status Code: 403; …)`, `(Service: Ec2, Status Code: 403, …)`
  { key: 'svc-java', re: /\(Service:\s*([A-Za-z0-9][A-Za-z0-9 ._-]{0,60}?)\s*[;,]\s*Status\s+Code:/g },
  // AWS CLI command line: `$ aws s3api get-object …`, `aws --region x lambda list-functions`
  {
    key: 'svc-cli',
    re: /(?:^|\n|[$>#]\s)\s*aws(?:\s+--?[a-z][a-z-]{0,30}(?:[ =](?!-)[^\s]{1,100})?){0,6}\s+([a-z][a-z0-9-]{1,40})\s+[a-z]/g,
  },
  // The high-level `aws s3` commands: `fatal error: An error occurred (…)`, `upload failed: … to
  // s3://…`, and S3 URLs (the value is the literal `s3` after the prefix)
  {
    key: 'svc-s3-cli',
    re: /fatal\s+error:\s*An\s+error\s+occurred|\b(?:upload|download|copy|move|delete)\s+failed:|\b(s3):\/\/[a-z0-9]/g,
  },
  // boto3: `boto3.client('lambda')`, `session.resource("s3")`
  { key: 'svc-boto', re: /\.(?:client|resource)\(\s*(?:service_name\s*=\s*)?['"]([a-z0-9-]{2,40})['"]/g },
  // Endpoint hosts in a URL, a Host header or a logged field: `https://ec2.us-east-1.amazonaws.com/`,
  // `Host: my-bucket.s3.amazonaws.com`, `net.peer.name=sts.amazonaws.com.cn`. A bare host is more
  // often a service principal (`events.amazonaws.com` in a role path), which names no endpoint.
  {
    key: 'svc-host',
    re: /(?:https?:\/\/|\bHost:\s{0,4}|=)(?:[a-z0-9-]{1,63}\.){0,4}?([a-z0-9-]{2,63})(?:[.-](?:[a-z]{2}-(?:gov-|iso[a-z]?-)?[a-z]{4,12}-\d))?\.amazonaws\.com\b/g,
  },
  // SigV4 credential scope: `…/20201012/ap-south-1/ec2/aws4_request`
  { key: 'svc-scope', re: /\/\d{8}\/[a-z0-9-]{2,30}\/([a-z0-9-]{2,40})\/aws4_request\b/g },
];

/** The high-level `aws s3` commands name no API operation (`ls`, `cp`, `sync`, …). */
const CLI_HIGH_LEVEL = new Set(['s3', 'deploy', 'configure', 'emr', 'history']);

function pascal(op: string, spelling: Signal['spelling']): string {
  if (spelling === 'kebab') {
    return op
      .split('-')
      .map((w) => (w ? (w[0] as string).toUpperCase() + w.slice(1) : ''))
      .join('');
  }
  if (spelling === 'method') {
    // Java v1 clients route `getObject` through `executeGetObject`.
    const m = /^execute([A-Z][A-Za-z0-9]+)$/.exec(op);
    const base = m?.[1] ?? op;
    return (base[0] as string).toUpperCase() + base.slice(1);
  }
  return op;
}

/**
 * The signal hit nearest the message: the last one before it (or inside it), else the first one
 * after it; for stack frames the last one after it (the outermost client frame is the call the
 * program made, the frames before it are the SDK's internals). `[lo, hi)` bounds the search.
 */
function nearest(
  doc: Doc,
  key: string,
  re: RegExp,
  side: Signal['side'],
  span: { start: number; end: number; lo: number; hi: number },
): Hit | undefined {
  const hits = doc.hits(key, re);
  const before = side !== 'after' ? lastIn(hits, span.lo, span.end) : undefined;
  if (before) return before;
  if (side === 'before') return undefined;
  const first = firstIn(hits, span.end, span.hi);
  if (!first || (key !== 'op-java' && key !== 'op-dotnet')) return first;
  let last = first;
  for (let h: Hit | undefined = first; h; h = firstIn(hits, h.pos + 1, span.hi)) {
    // Generated clients name the operation exactly in their implementation frames (Java v2
    // `DefaultS3Client.getObject`, v1 `AmazonEC2Client.executeRunInstances`); the outer frames may
    // be convenience methods (`getObjectAsBytes`).
    if (
      key === 'op-java' &&
      (/^Default/.test(h.groups[2] ?? '') || /^execute[A-Z]/.test(h.groups[3] ?? ''))
    ) {
      return h;
    }
    last = h;
  }
  return last;
}

/**
 * The Java SDK v1 S3 client is written by hand: some of its methods are not named after the
 * operation they call (AmazonS3 interface of aws-sdk-java; docs/denial-formats.md §2.6).
 */
const JAVA_V1_S3_METHODS: Record<string, string> = {
  GetObjectMetadata: 'HeadObject',
  DoesObjectExist: 'HeadObject',
  DoesBucketExist: 'HeadBucket',
  DoesBucketExistV2: 'HeadBucket',
  GetObjectAsString: 'GetObject',
  InitiateMultipartUpload: 'CreateMultipartUpload',
  ListVersions: 'ListObjectVersions',
  ListNextBatchOfVersions: 'ListObjectVersions',
  ListNextBatchOfObjects: 'ListObjects',
  GetS3AccountOwner: 'ListBuckets',
};

export interface OperationContext {
  operation: string;
  service: string | null;
  /** Where the wrapper naming the operation starts. */
  pos: number;
}

/** The operation (and the service, when named) that the frame around [start, end) names. */
export function operationNear(doc: Doc, start: number, end: number): OperationContext | null {
  // The operation must be named in the message's own paragraph (a log holds many errors).
  const [bs, be] = doc.block(start);
  const span = { start, end, lo: Math.max(bs, start - BEFORE), hi: Math.min(be, end + AFTER) };
  for (const sig of SIGNALS) {
    const h = nearest(doc, sig.key, sig.re, sig.side, span);
    const rawOp = h?.groups[sig.operation];
    if (!h || !rawOp) continue;
    const service = sig.service ? (h.groups[sig.service] ?? null) : serviceNear(doc, start, end);
    if (sig.key === 'op-cli-ua' && service && CLI_HIGH_LEVEL.has(service)) continue;
    let operation = pascal(rawOp, sig.spelling);
    if (sig.key === 'op-java' && service === 's3') operation = JAVA_V1_S3_METHODS[operation] ?? operation;
    return { operation, service, pos: h.pos };
  }
  return null;
}

/** A region suffix of a legacy endpoint label (`s3-us-west-2`) or FIPS marker is not the service. */
const LABEL_SUFFIX_RE = /-(?:fips|(?:[a-z]{2}-(?:gov-|iso[a-z]?-)?[a-z]{4,12}-\d))$/;

/** The service named near the message (a command line may stand in an earlier paragraph). */
function serviceNear(doc: Doc, start: number, end: number): string | null {
  const span = { start, end, lo: Math.max(0, start - BEFORE), hi: end + AFTER };
  for (const sig of SERVICE_SIGNALS) {
    const h = nearest(doc, sig.key, sig.re, 'both', span);
    if (h) return sig.key === 'svc-s3-cli' ? 's3' : h.value.replace(LABEL_SUFFIX_RE, '');
  }
  return null;
}

/**
 * Fills the operation of AWS candidates that name no action and, where the operation maps to one
 * IAM action, derives it (marked, low confidence). Candidates from `from` on are this family's.
 */
export function deriveFromOperations(doc: Doc, out: Candidate[], from: number): void {
  for (let i = from; i < out.length; i++) {
    const c = out[i] as Candidate;
    if (c.cloud !== 'aws' || c.actions.length > 0) continue;
    const ctx = operationNear(doc, c.start, c.end);
    if (!ctx) continue;
    c.operation ??= ctx.operation;
    const prefix = ctx.service ? prefixOfService(ctx.service) : null;
    const action = prefix ? actionForOperation(prefix, ctx.operation) : null;
    if (!action) continue;
    c.actions = [action];
    c.derivedFrom = 'operation';
    c.confidence = 'low';
    // The excerpt starts at the wrapper when it is part of the same line of text.
    if (ctx.pos < c.start && c.start - ctx.pos < 400 && !doc.text.slice(ctx.pos, c.start).includes('\n')) {
      c.start = ctx.pos;
    }
  }
}

/** An ARN with an account, in any partition (`arn:aws:`, `arn:aws-us-gov:`, `arn:aws-cn:`). */
const ARN_ACCOUNT_RE = /\barn:aws[a-z-]{0,20}:[a-z0-9-]{1,64}:[a-z0-9-]{0,32}:(\d{12}):/g;

function lineBounds(s: string, start: number, end: number): [number, number] {
  const a = s.lastIndexOf('\n', Math.max(0, start - 1));
  const b = s.indexOf('\n', end);
  return [Math.max(a + 1, start - 2000), b < 0 ? Math.min(s.length, end + 2000) : Math.min(b, end + 2000)];
}

/**
 * AWS candidates that read no account from a principal or resource take the account of an ARN on
 * the message's own lines (a wrapper's resource ARN, a role ARN in the error): the text's account
 * wins over the caller's hint (docs/denial-formats.md §2.6).
 */
export function accountsFromMessages(doc: Doc, out: Candidate[], from: number): void {
  const hits = doc.hits('aws-arn-account', ARN_ACCOUNT_RE);
  if (hits.length === 0) return;
  for (let i = from; i < out.length; i++) {
    const c = out[i] as Candidate;
    if (c.cloud !== 'aws' || c.account) continue;
    const [a, b] = lineBounds(doc.text, c.start, c.end);
    const h = firstIn(hits, a, b);
    if (h) c.account = h.value;
  }
}
