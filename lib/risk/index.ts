/**
 * How risky is it to grant one cloud permission? A coarse, offline, three-level answer shown
 * next to each action in the extension's banner and the CLI, so a requester (and an approver)
 * sees at a glance whether a request reads, changes, or controls access/secrets.
 *
 * Pure and light on purpose (no zod, only the contract's constants): this module is bundled into
 * the banner chunk.
 *
 * Levels:
 * - `read`  — looks at resources or data without changing them.
 * - `write` — creates, changes, deletes, starts or runs something.
 * - `admin` — changes who can do what (IAM, role assignments, policies), reads secrets or
 *             credentials, uses encryption keys, or is a wildcard. Always worth a second look.
 *
 * Borderline choices (deliberate, tested in tests/unit/risk.test.ts):
 * - Reading *data* is `read` (`s3:GetObject`, blob `…/read`, `storage.objects.get`,
 *   `bigquery.tables.getData`): the data may be sensitive, but that is what the resource's own
 *   access control is for, and these are the most common just-in-time requests.
 * - Reading *secrets or credentials* is `admin` (`secretsmanager:GetSecretValue`,
 *   `ssm:GetParameter(s)` — we cannot tell whether `WithDecryption` was set, so we assume it was —,
 *   `ec2:GetPasswordData`, Key Vault `getSecret`, storage `listKeys`, `secretmanager.versions.access`):
 *   a secret is usually a key to something else.
 * - Identity and key services are `admin` whatever the verb — even `iam:GetRole` or
 *   `Microsoft.Authorization/roleAssignments/read` — because they map or change who can do what
 *   (AWS iam, sts, kms, organizations, sso…; Azure Microsoft.Authorization; GCP iam, cloudkms,
 *   orgpolicy…). Exception: `sts:GetCallerIdentity` (who am I) is `read`.
 * - GCP `getIamPolicy` is `read`; `setIamPolicy` on anything is `admin`.
 * - `bigquery.jobs.create` is `write`: it is how you run a query, but it runs (and bills) a job
 *   and can write tables.
 * - Unknown or malformed strings fall back to `write`, never to `read`.
 */
import type { Cloud } from '../clouds';
import type { Risk } from '../contract/constants';

// The levels are part of the contract (an action view carries one); declared there without zod.
export { RISKS, type Risk } from '../contract/constants';

/** One word per level, for badges. */
export const RISK_LABEL: Readonly<Record<Risk, string>> = {
  read: 'Read',
  write: 'Write',
  admin: 'Admin',
};

/** One short phrase per level, for tooltips and the CLI. */
export const RISK_DESCRIPTION: Readonly<Record<Risk, string>> = {
  read: 'reads resources or data, changes nothing',
  write: 'creates, changes, deletes or runs resources',
  admin: 'controls access, secrets or keys',
};

const RANK: Readonly<Record<Risk, number>> = { read: 0, write: 1, admin: 2 };

// ---------------------------------------------------------------------------------------------
// AWS: `service:Action`, case-insensitive.

/** Services where every action is `admin`: identity, federation, keys, organisation. */
const AWS_ADMIN_SERVICES = new Set([
  'iam',
  'sts',
  'kms',
  'organizations',
  'account',
  'sso',
  'sso-admin',
  'sso-directory',
  'sso-oauth',
  'identitystore',
  'identitystore-auth',
  'identity-sync',
  'access-analyzer', // reads and archives findings about who can access what
  'ram', // shares resources with other accounts
  'iamrolesanywhere',
  'cloudhsm',
]);

/** Exact actions whose level differs from what the rules below would say (lower case). */
const AWS_OVERRIDES: ReadonlyMap<string, Risk> = new Map<string, Risk>([
  // Who-am-I is harmless (and never actually denied).
  ['sts:getcalleridentity', 'read'],
  // Secret and credential reads.
  ['secretsmanager:getsecretvalue', 'admin'],
  ['secretsmanager:batchgetsecretvalue', 'admin'],
  ['ssm:getparameter', 'admin'],
  ['ssm:getparameters', 'admin'],
  ['ssm:getparametersbypath', 'admin'],
  ['ssm:getparameterhistory', 'admin'],
  ['ec2:getpassworddata', 'admin'],
  ['redshift:getclustercredentials', 'admin'],
  ['redshift:getclustercredentialswithiam', 'admin'],
  ['redshift-serverless:getcredentials', 'admin'],
  ['lightsail:getinstanceaccessdetails', 'admin'],
  ['ecr:getauthorizationtoken', 'read'], // short-lived pull token, gated by repository policies
  // Turning off the audit trail or threat detection.
  ['cloudtrail:stoplogging', 'admin'],
  ['cloudtrail:deletetrail', 'admin'],
  ['cloudtrail:updatetrail', 'admin'],
  ['cloudtrail:puteventselectors', 'admin'],
  ['guardduty:deletedetector', 'admin'],
  ['guardduty:updatedetector', 'admin'],
  ['config:stopconfigurationrecorder', 'admin'],
  ['config:deleteconfigurationrecorder', 'admin'],
  // License check-out is a write despite the `Check` prefix.
  ['license-manager:checkoutlicense', 'write'],
  ['license-manager:checkoutborrowlicense', 'write'],
  ['license-manager:checkinlicense', 'write'],
]);

/** Verb prefixes that only read (lower case, matched at the start of the action name). */
const AWS_READ_PREFIXES = [
  'get',
  'list',
  'describe',
  'head',
  'lookup',
  'search',
  'query',
  'scan',
  'select',
  'batchget',
  'batchdescribe',
  'view',
  'check',
  'validate',
  'filter',
  'download',
  'read',
  'preview',
];

/**
 * Actions that edit a resource's access policy, ACL or sharing (`s3:PutBucketPolicy`,
 * `lambda:AddPermission`, `ecr:SetRepositoryPolicy`, `s3:PutBucketPublicAccessBlock`) or hand a
 * role to a service (`iam:PassRole`, also under other services' names).
 */
const AWS_ADMIN_VERB =
  /^(?:put|delete|set|update|attach|detach|add|remove|create|replace|grant|revoke|modify)\w*(?:polic(?:y|ies)|acl|permissions?|publicaccessblock|grants?)$|passrole/;

/** …except policies and ACLs that are not about access (`autoscaling:PutScalingPolicy`, network ACLs). */
const AWS_NOT_ACCESS_POLICY =
  /(?:scaling|lifecycle|retention|loadbalancer|stickiness|backup|cache|originrequest|responseheaders|continuousdeployment|traffic|placement|routing|patchbaseline)polic(?:y|ies)$|(?:network|web)acl$/;

function awsRisk(action: string): Risk {
  const a = action.trim().toLowerCase();
  if (a === '' || a.includes('*')) return a === '' ? 'write' : 'admin';
  const override = AWS_OVERRIDES.get(a);
  if (override) return override;
  const colon = a.indexOf(':');
  const service = colon >= 0 ? a.slice(0, colon) : '';
  const verb = colon >= 0 ? a.slice(colon + 1) : a;
  if (AWS_ADMIN_SERVICES.has(service)) return 'admin';
  if (AWS_ADMIN_VERB.test(verb) && !AWS_NOT_ACCESS_POLICY.test(verb)) return 'admin';
  if (AWS_READ_PREFIXES.some((p) => verb.startsWith(p))) return 'read';
  return 'write';
}

// ---------------------------------------------------------------------------------------------
// Azure: `Microsoft.Provider/type[/subtype…]/operation`, case-insensitive.

/** Provider namespaces where every operation is `admin` (lower case, with trailing slash). */
const AZURE_ADMIN_PREFIXES = [
  'microsoft.authorization/', // role assignments and definitions, policy, locks, deny assignments
  'microsoft.directory/', // Entra ID role actions
  'microsoft.aad/',
  'microsoft.managedidentity/userassignedidentities/assign/action', // Azure's PassRole
  'microsoft.keyvault/vaults/accesspolicies/', // grants in the access-policy model
];

/**
 * Operations that reveal secrets, keys or credentials, or use a key (matched against the last
 * path segments, lower case). Storage `listKeys`, Cosmos `listKeys`, AKS `listClusterAdminCredential`,
 * Web Apps `config/list` (publishing credentials), Key Vault data actions…
 */
const AZURE_SECRET_OPS =
  /\/(?:listkeys|regeneratekey|listaccountsas|listservicesas|listconnectionstrings|listcredentials?|listclusteradmincredential|listclusterusercredential|listclustermonitoringusercredential|listsecrets|listadminkeys|listquerykeys|listauthkeys|getaccesstoken)\/action$|^microsoft\.web\/sites(?:\/slots)?\/config\/list\/action$|^microsoft\.keyvault\/vaults\/(?:secrets\/getsecret|keys\/(?:decrypt|unwrap|sign)|certificates\/(?:getsecret|export))\/action$/;

function azureRisk(operation: string): Risk {
  const op = operation.trim().toLowerCase();
  if (op === '') return 'write';
  if (op.includes('*')) return 'admin';
  if (AZURE_ADMIN_PREFIXES.some((p) => op.startsWith(p))) return 'admin';
  if (AZURE_SECRET_OPS.test(op)) return 'admin';
  if (op.endsWith('/read') || op.endsWith('/readmetadata/action')) return 'read';
  return 'write'; // `/write`, `/delete`, any other `/action`, and anything unrecognised
}

// ---------------------------------------------------------------------------------------------
// GCP: `service.resource.verb` (lower-camel verbs; compared in lower case).

/** Services where every permission is `admin`. */
const GCP_ADMIN_SERVICES = new Set([
  'iam', // roles, service accounts, keys, actAs, getAccessToken, signBlob, signJwt, deny policies
  'orgpolicy',
  'accesscontextmanager', // VPC Service Controls
  'cloudkms',
  'privilegedaccessmanager',
  'securitycenter',
]);

const GCP_OVERRIDES: ReadonlyMap<string, Risk> = new Map<string, Risk>([
  ['secretmanager.versions.access', 'admin'],
  ['storage.hmackeys.create', 'admin'],
  ['storage.hmackeys.get', 'admin'],
  ['compute.projects.setcommoninstancemetadata', 'admin'], // project-wide SSH keys
  ['compute.instances.osadminlogin', 'admin'],
  ['compute.instances.setserviceaccount', 'admin'], // attaches an identity, like actAs
  ['container.clusters.getcredentials', 'admin'],
  ['resourcemanager.projects.delete', 'admin'],
  ['resourcemanager.projects.move', 'admin'],
  ['bigquery.jobs.create', 'write'], // runs queries, but runs (and bills) a job that can write
]);

const GCP_READ_PREFIXES = ['get', 'list', 'search', 'query', 'lookup', 'batchget', 'read', 'select', 'view'];

function gcpRisk(permission: string): Risk {
  let p = permission.trim().toLowerCase();
  // `iam.googleapis.com/denypolicies.create` → `iam.denypolicies.create`
  p = p.replace(/^([a-z0-9-]+)\.googleapis\.com\//, '$1.');
  if (p === '') return 'write';
  if (p.includes('*')) return 'admin';
  const override = GCP_OVERRIDES.get(p);
  if (override) return override;
  const parts = p.split('.');
  const service = parts[0] ?? '';
  const verb = parts[parts.length - 1] ?? '';
  if (GCP_ADMIN_SERVICES.has(service)) return 'admin';
  if (/^set\w*iampolicy$/.test(verb)) return 'admin'; // setIamPolicy on any resource
  if (GCP_READ_PREFIXES.some((r) => verb.startsWith(r)) || verb === 'analyzeiampolicy') return 'read';
  return 'write';
}

// ---------------------------------------------------------------------------------------------

/** The risk of granting one action (AWS action, Azure operation, GCP permission). */
export function actionRisk(cloud: Cloud, action: string): Risk {
  switch (cloud) {
    case 'aws':
      return awsRisk(action);
    case 'azure':
      return azureRisk(action);
    case 'gcp':
      return gcpRisk(action);
    default:
      return 'admin'; // unreachable for a valid Cloud; be conservative if the union grows
  }
}

/**
 * The highest risk among `actions`, or `null` when there are none (a bare "Access Denied" names
 * no action, so its risk is unknown — do not show it as `read`).
 */
export function highestRisk(cloud: Cloud, actions: readonly string[]): Risk | null {
  let best: Risk | null = null;
  for (const action of actions) {
    const r = actionRisk(cloud, action);
    if (best === null || RANK[r] > RANK[best]) best = r;
    if (best === 'admin') break;
  }
  return best;
}

/** Orders risks (`read` < `write` < `admin`), for sorting. */
export function compareRisk(a: Risk, b: Risk): number {
  return RANK[a] - RANK[b];
}
