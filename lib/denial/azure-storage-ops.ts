/**
 * Which Azure RBAC data action a storage data-plane request needs, from the request itself
 * (docs/denial-formats.md §3.5). Storage's `AuthorizationPermissionMismatch` never names the
 * action, but Microsoft documents one action per REST operation ("Permissions for calling data
 * operations"); where it lists two alternatives, the first listed is used. Operations the table
 * marks as not available with Microsoft Entra authorization (container / queue / table ACLs) and
 * services it does not cover (Data Lake `dfs`, Files) give no action.
 * Pure data and string matching: no regex with nested quantifiers.
 */

const SA = 'Microsoft.Storage/storageAccounts';
const BLOB_SVC = `${SA}/blobServices`;
const CONTAINERS = `${BLOB_SVC}/containers`;
const BLOBS = `${CONTAINERS}/blobs`;
const QUEUE_SVC = `${SA}/queueServices`;
const QUEUES = `${QUEUE_SVC}/queues`;
const MESSAGES = `${QUEUES}/messages`;
const TABLE_SVC = `${SA}/tableServices`;
const TABLES = `${TABLE_SVC}/tables`;
const ENTITIES = `${TABLES}/entities`;

export type StorageService = 'blob' | 'queue' | 'table';

/** A request as the text shows it: method, service, path (decoded, no query) and query keys. */
export interface StorageRequest {
  method: string;
  service: StorageService;
  /** Path segments after the host, e.g. `['c1', 'dir', 'b.txt']`. */
  segments: string[];
  /** Query parameters, lower-cased names and values. */
  query: Map<string, string>;
}

function blobAction(r: StorageRequest): string | null {
  const comp = r.query.get('comp');
  const restype = r.query.get('restype');
  const m = r.method;
  if (r.segments.length === 0) {
    if (restype === 'service') {
      if (comp === 'userdelegationkey') return `${BLOB_SVC}/generateUserDelegationKey/action`;
      if (comp === 'properties' && m === 'PUT') return `${BLOB_SVC}/write`;
      if (comp === 'properties' || comp === 'stats') return `${BLOB_SVC}/read`;
      return null;
    }
    if (comp === 'list') return `${CONTAINERS}/read`; // List Containers
    if (comp === 'blobs') return `${BLOBS}/filter/action`; // Find Blobs by Tags
    return null;
  }
  if (r.segments.length === 1) {
    if (restype !== 'container') return null;
    if (comp === 'acl') return null; // not available with Microsoft Entra authorization
    if (comp === 'list') return `${BLOBS}/read`; // List Blobs
    if (comp === 'blobs') return `${BLOBS}/filter/action`;
    if (comp === 'lease' || comp === 'undelete' || comp === 'batch') return `${CONTAINERS}/write`;
    if (m === 'DELETE') return `${CONTAINERS}/delete`;
    if (m === 'PUT') return `${CONTAINERS}/write`; // Create Container, Set Container Metadata
    if (m === 'GET' || m === 'HEAD') return `${CONTAINERS}/read`; // properties, metadata
    return null;
  }
  if (comp === 'tags') return m === 'PUT' ? `${BLOBS}/tags/write` : `${BLOBS}/tags/read`;
  if (comp === 'immutabilitypolicies' || comp === 'legalhold') return `${CONTAINERS}/write`;
  if (comp === 'query') return `${BLOBS}/read`; // Query Blob Contents (POST)
  if (m === 'GET' || m === 'HEAD') return `${BLOBS}/read`;
  if (m === 'PUT') return `${BLOBS}/write`; // Put Blob/Block/Block List/Page, metadata, lease, tier, copy
  if (m === 'DELETE') return `${BLOBS}/delete`;
  return null;
}

function queueAction(r: StorageRequest): string | null {
  const comp = r.query.get('comp');
  const m = r.method;
  const [, second] = r.segments;
  if (r.segments.length === 0) {
    if (r.query.get('restype') === 'service')
      return comp === 'properties' || comp === 'stats' ? `${QUEUE_SVC}/read` : null;
    return comp === 'list' ? `${QUEUES}/read` : null; // List Queues
  }
  if (comp === 'acl') return null;
  if (r.segments.length === 1) {
    if (m === 'DELETE') return `${QUEUES}/delete`;
    if (m === 'PUT') return `${QUEUES}/write`; // Create Queue, Set Queue Metadata
    if (m === 'GET' || m === 'HEAD') return `${QUEUES}/read`;
    return null;
  }
  if (second?.toLowerCase() !== 'messages') return null;
  if (r.segments.length === 2) {
    if (m === 'POST') return `${MESSAGES}/add/action`; // Put Message
    if (m === 'DELETE') return `${MESSAGES}/delete`; // Clear Messages
    if (m === 'GET')
      return r.query.get('peekonly') === 'true' ? `${MESSAGES}/read` : `${MESSAGES}/process/action`;
    return null;
  }
  if (m === 'DELETE') return `${MESSAGES}/process/action`; // Delete Message
  if (m === 'PUT') return `${MESSAGES}/write`; // Update Message
  return null;
}

function tableAction(r: StorageRequest): string | null {
  const m = r.method;
  const first = r.segments[0] ?? '';
  if (r.segments.length === 0) {
    if (r.query.get('restype') !== 'service') return null;
    const comp = r.query.get('comp');
    if (comp === 'properties') return m === 'PUT' ? `${TABLE_SVC}/write` : `${TABLE_SVC}/read`;
    return comp === 'stats' ? `${TABLE_SVC}/read` : null;
  }
  if (r.query.get('comp') === 'acl') return null;
  if (/^tables(?:\(|$)/i.test(first)) {
    if (m === 'GET') return `${TABLES}/read`; // Query Tables
    if (m === 'POST') return `${TABLES}/write`; // Create Table
    if (m === 'DELETE') return `${TABLES}/delete`;
    return null;
  }
  if (m === 'GET') return `${ENTITIES}/read`; // Query Entities
  if (m === 'DELETE') return `${ENTITIES}/delete`;
  if (m === 'POST' || m === 'PUT' || m === 'MERGE' || m === 'PATCH') return `${ENTITIES}/write`;
  return null;
}

/** The data action a storage REST request needs, or null when the table does not say. */
export function storageRequestAction(r: StorageRequest): string | null {
  if (r.service === 'blob') return blobAction(r);
  if (r.service === 'queue') return queueAction(r);
  return tableAction(r);
}

/**
 * Operations named by the storage clients older Terraform AzureRM providers print
 * (`containers.Client#GetProperties`), and the REST operation each one calls.
 */
export const TERRAFORM_CLIENT_OPS: Readonly<Record<string, string>> = {
  'containers.client#getproperties': `${CONTAINERS}/read`,
  'containers.client#create': `${CONTAINERS}/write`,
  'containers.client#delete': `${CONTAINERS}/delete`,
  'containers.client#setmetadata': `${CONTAINERS}/write`,
  'containers.client#listblobs': `${BLOBS}/read`,
  'containers.client#acquirelease': `${CONTAINERS}/write`,
  'blobs.client#get': `${BLOBS}/read`,
  'blobs.client#getproperties': `${BLOBS}/read`,
  'blobs.client#getblocklist': `${BLOBS}/read`,
  'blobs.client#putblockblob': `${BLOBS}/write`,
  'blobs.client#putblock': `${BLOBS}/write`,
  'blobs.client#putblocklist': `${BLOBS}/write`,
  'blobs.client#putpageblob': `${BLOBS}/write`,
  'blobs.client#putappendblob': `${BLOBS}/write`,
  'blobs.client#appendblock': `${BLOBS}/write`,
  'blobs.client#setproperties': `${BLOBS}/write`,
  'blobs.client#setmetadata': `${BLOBS}/write`,
  'blobs.client#acquirelease': `${BLOBS}/write`,
  'blobs.client#breaklease': `${BLOBS}/write`,
  'blobs.client#releaselease': `${BLOBS}/write`,
  'blobs.client#delete': `${BLOBS}/delete`,
  'accounts.client#getserviceproperties': `${BLOB_SVC}/read`,
  'accounts.client#setserviceproperties': `${BLOB_SVC}/write`,
  'queues.client#getserviceproperties': `${QUEUE_SVC}/read`,
  'queues.client#setserviceproperties': `${QUEUE_SVC}/read`,
  'queues.client#create': `${QUEUES}/write`,
  'queues.client#delete': `${QUEUES}/delete`,
  'queues.client#getmetadata': `${QUEUES}/read`,
  'queues.client#setmetadata': `${QUEUES}/write`,
  'tables.client#create': `${TABLES}/write`,
  'tables.client#delete': `${TABLES}/delete`,
  'tables.client#exists': `${TABLES}/read`,
  'tables.client#query': `${TABLES}/read`,
  'entities.client#get': `${ENTITIES}/read`,
  'entities.client#query': `${ENTITIES}/read`,
  'entities.client#insert': `${ENTITIES}/write`,
  'entities.client#insertorreplace': `${ENTITIES}/write`,
  'entities.client#insertormerge': `${ENTITIES}/write`,
  'entities.client#delete': `${ENTITIES}/delete`,
};

/**
 * What newer Terraform AzureRM providers (and the azurerm state backend) write before a storage
 * error instead of a client operation, and the REST operation that step calls.
 */
export const TERRAFORM_STEPS: readonly (readonly [RegExp, string])[] = [
  [/\blisting\s+blobs\b/i, `${BLOBS}/read`],
  [/\bretrieving\s+queue\s+properties\b/i, `${QUEUE_SVC}/read`],
  [/\b(?:retrieving|updating)\s+static\s+website\s+(?:properties|settings)\b/i, `${BLOB_SVC}/read`],
  [
    /\b(?:checking\s+for\s+(?:the\s+presence\s+of\s+)?existing|retrieving)\s+Container\b/,
    `${CONTAINERS}/read`,
  ],
  [/\bcreating\s+Container\b/, `${CONTAINERS}/write`],
  [/\bdeleting\s+Container\b/, `${CONTAINERS}/delete`],
  [/\b(?:checking\s+for\s+(?:the\s+presence\s+of\s+)?existing|retrieving)\s+Queue\b/, `${QUEUES}/read`],
  [/\bcreating\s+Queue\b/, `${QUEUES}/write`],
];
