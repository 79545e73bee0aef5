/**
 * The IAM action an AWS API operation needs (docs/denial-formats.md §2.6): `<prefix>:<Operation>`,
 * where the prefix is the IAM service prefix of the service name an SDK, CLI or endpoint prints,
 * except for the operations the generated table lists. Also the AWS action grammar the loose
 * wordings are checked against (known prefix, action shape), so that an ARN's region or an e-mail
 * address is never read as `service:Action`.
 */
import { CLOUD_FACTS } from '../clouds';
import { IAM_PREFIXES, OPERATION_EXCEPTIONS, SERVICE_ALIASES } from './aws-operations.data';

interface Tables {
  prefixes: Set<string>;
  /** Normalised service name → IAM prefix ('' = no action follows from an operation). */
  byKey: Map<string, string>;
  /** prefix → operation → action name ('' = not one to one). */
  exceptions: Map<string, Map<string, string>>;
}

let tables: Tables | undefined;

/** Lower-case letters and digits, without a leading `amazon` / `aws` (`AmazonS3`, `Amazon S3`, `s3`). */
export function serviceKey(name: string): string {
  const k = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  const stripped = k.replace(/^(?:amazon|aws)/, '');
  return stripped || k;
}

/** Parsed on first use: the strings cost nothing until a text names an operation. */
function load(): Tables {
  if (tables) return tables;
  const prefixes = new Set(IAM_PREFIXES.split(','));
  const byKey = new Map<string, string>();
  for (const p of prefixes) if (!byKey.has(serviceKey(p))) byKey.set(serviceKey(p), p);
  for (const pair of SERVICE_ALIASES.split(',')) {
    const eq = pair.indexOf('=');
    byKey.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const exceptions = new Map<string, Map<string, string>>();
  for (const group of OPERATION_EXCEPTIONS.split(';')) {
    const colon = group.indexOf(':');
    const ops = new Map<string, string>();
    for (const pair of group.slice(colon + 1).split(',')) {
      const eq = pair.indexOf('=');
      ops.set(pair.slice(0, eq).toLowerCase(), pair.slice(eq + 1));
    }
    exceptions.set(group.slice(0, colon), ops);
  }
  tables = { prefixes, byKey, exceptions };
  return tables;
}

/** Whether `p` is an IAM service prefix (exactly, lower case). */
export function isIamPrefix(p: string): boolean {
  return load().prefixes.has(p);
}

/** The IAM prefix of a service name as a tool prints it; null when none or not derivable. */
export function prefixOfService(name: string): string | null {
  return load().byKey.get(serviceKey(name)) || null;
}

/**
 * The one IAM action `operation` of the service with prefix `prefix` needs, or null when the
 * operation needs several (or the table knows no single one).
 */
export function actionForOperation(prefix: string, operation: string): string | null {
  if (!/^[A-Z][A-Za-z0-9]{1,127}$/.test(operation)) return null;
  const special = load().exceptions.get(prefix)?.get(operation.toLowerCase());
  if (special === '') return null;
  const action = `${prefix}:${special ?? operation}`;
  return CLOUD_FACTS.aws.actionGrammar.test(action) ? action : null;
}

/**
 * A `service:Action` token as the loose wordings write it (console lists, display-case services
 * such as `CloudWatch:DescribeAlarms`), normalised to the IAM spelling, or null when the service is
 * not an IAM prefix or the action is not PascalCase (an ARN's `wafv2:us-east-1`, `mailto:alice`).
 */
export function normaliseLooseAction(service: string, action: string): string | null {
  const prefix = service.toLowerCase();
  if (!isIamPrefix(prefix) || !/^[A-Z][A-Za-z0-9]{1,127}$/.test(action)) return null;
  return `${prefix}:${action}`;
}
