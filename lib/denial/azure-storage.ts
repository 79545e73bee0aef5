/**
 * Storage data plane (docs/denial-formats.md §3.5): `AuthorizationPermissionMismatch` (an RBAC data
 * action is missing) and the Azure CLI's hint that a storage data role is needed. The service never
 * names the action, so it is read from the failed request when the text shows one: a request line
 * (`PUT https://<account>.blob.core.<cloud suffix>/…`, any cloud), a JavaScript SDK error's `url` and
 * `method`, or the operation or step an older or newer Terraform provider prints
 * (./azure-storage-ops.ts). A newer Terraform error's account coordinates give the scope.
 */
import type { Candidate } from './candidate';
import { candidate } from './candidate';
import { kindOf } from './classify';
import type { Doc, Hit } from './context';
import { firstIn, lastIn } from './context';
import { GUID, subscriptionOf } from './azure-common';
import type { StorageRequest, StorageService } from './azure-storage-ops';
import { storageRequestAction, TERRAFORM_CLIENT_OPS, TERRAFORM_STEPS } from './azure-storage-ops';
import { safeDecode } from './normalise';

const ANCHOR_RE =
  /AuthorizationPermissionMismatch|not\s+authori[sz]ed\s+to\s+perform\s+this\s+operation\s+using\s+this\s+permission|You\s+do\s+not\s+have\s+the\s+required\s+permissions\s+needed\s+to\s+perform\s+this\s+operation\.?\s+Depending\s+on\s+your\s+operation,?\s+you\s+may\s+need\s+to\s+be\s+assigned\s+one\s+of\s+the\s+following\s+roles/gi;

/** `METHOD https://<account>.[privatelink.]<blob|queue|table>.<suffix>/<path>`; suffixes differ per cloud. */
const REQUEST_RE =
  /\b(GET|HEAD|PUT|POST|DELETE|MERGE|PATCH)\s+(https?:\/\/[A-Za-z0-9-]{1,63}\.(?:privatelink\.)?(?:blob|queue|table)\.[A-Za-z0-9.-]{3,100}(?::\d{1,5})?(?:[/?][^\s"'<>]{0,2000})?)/g;
/** A raw HTTP request in debug logs: `GET /<path> HTTP/1.1` with its `Host:` header next. */
const RAW_REQUEST_RE =
  /\b(GET|HEAD|PUT|POST|DELETE|MERGE|PATCH)\s+(\/[^\s"'<>]{0,2000})\s+HTTP\/\d(?:\.\d)?\s*\n\s*Host:\s*([A-Za-z0-9-]{1,63}\.(?:privatelink\.)?(?:blob|queue|table)\.[A-Za-z0-9.-]{3,100})/gi;
/** A JavaScript SDK `RestError` (Storage Explorer): `"url": "…", "method": "GET"`. */
const SDK_REQUEST_RE = /"url"\s*:\s*"(https?:\/\/[^"\s]{1,2000})"\s*,\s*"method"\s*:\s*"([A-Z]{3,6})"/g;
const CLIENT_OP_RE = /\b([a-z]{4,12}\.Client#[A-Za-z]{2,40})/g;
const ACCOUNT_RE = new RegExp(
  `Subscription:\\s*"(${GUID})"\\s*Resource\\s+Group\\s+Name:\\s*"([^"\\n]{1,90})"\\s*Storage\\s+Account\\s+Name:\\s*"([a-z0-9]{3,24})"(?:\\s*Container\\s+Name:\\s*"([a-z0-9-]{3,63})")?`,
  'g',
);

/** How far from the error an operation may be named and still describe it. */
const REACH = 2500;

/** A storage URL as a request, or null when its host is not a blob, queue or table endpoint. */
function requestOf(method: string, url: string): StorageRequest | null {
  const rest = url.replace(/^https?:\/\//i, '');
  const cut = rest.search(/[/?#]/);
  const host = (cut < 0 ? rest : rest.slice(0, cut)).toLowerCase();
  const labels = host.split('.');
  const service = (labels[1] === 'privatelink' ? labels[2] : labels[1]) as StorageService | undefined;
  if (service !== 'blob' && service !== 'queue' && service !== 'table') return null;
  const after = cut < 0 ? '' : rest.slice(cut);
  const q = after.indexOf('?');
  const path = (q < 0 ? after : after.slice(0, q)).split('#')[0] ?? '';
  const query = new Map<string, string>();
  for (const kv of (q < 0 ? '' : after.slice(q + 1)).split('#')[0]?.split('&') ?? []) {
    const eq = kv.indexOf('=');
    if (!kv) continue;
    const k = safeDecode(eq < 0 ? kv : kv.slice(0, eq)).toLowerCase();
    query.set(k, safeDecode(eq < 0 ? '' : kv.slice(eq + 1)).toLowerCase());
  }
  const segments = path
    .split('/')
    .filter((x) => x.length > 0)
    .map(safeDecode);
  return { method: method.toUpperCase(), service, segments, query };
}

interface Operation {
  pos: number;
  action: string;
}

/** Every place the text names a storage operation that maps to a data action, in order. */
function operations(doc: Doc): Operation[] {
  const ops: Operation[] = [];
  for (const h of doc.hits('az-st-request', REQUEST_RE)) {
    const r = requestOf(h.value, h.value2 ?? '');
    const action = r ? storageRequestAction(r) : null;
    if (action) ops.push({ pos: h.pos, action });
  }
  for (const h of doc.hits('az-st-raw-request', RAW_REQUEST_RE)) {
    const r = requestOf(h.value, `https://${h.groups[3] ?? ''}${h.value2 ?? ''}`);
    const action = r ? storageRequestAction(r) : null;
    if (action) ops.push({ pos: h.pos, action });
  }
  for (const h of doc.hits('az-st-sdk-request', SDK_REQUEST_RE)) {
    const r = requestOf(h.value2 ?? '', h.value);
    const action = r ? storageRequestAction(r) : null;
    if (action) ops.push({ pos: h.pos, action });
  }
  for (const h of doc.hits('az-st-client-op', CLIENT_OP_RE)) {
    const action = TERRAFORM_CLIENT_OPS[h.value.toLowerCase()];
    if (action) ops.push({ pos: h.pos, action });
  }
  TERRAFORM_STEPS.forEach(([re, action], i) => {
    for (const h of doc.hits(`az-st-step-${i}`, re)) ops.push({ pos: h.pos, action });
  });
  return ops.sort((a, b) => a.pos - b.pos);
}

/** The operation nearest to the error within its paragraph, preferring one named before it. */
function nearestOperation(doc: Doc, ops: Operation[], pos: number): Operation | null {
  const [bs, be] = doc.block(pos);
  let before: Operation | null = null;
  let after: Operation | null = null;
  for (const o of ops) {
    if (o.pos < Math.max(bs, pos - REACH) || o.pos >= Math.min(be, pos + REACH)) continue;
    if (o.pos <= pos) before = o;
    else if (!after) after = o;
  }
  return before ?? after;
}

/** The storage account (or container) scope a newer Terraform error spells out field by field. */
function accountScope(doc: Doc, pos: number): string | null {
  const [bs] = doc.block(pos);
  const h: Hit | undefined =
    lastIn(doc.hits('az-st-account', ACCOUNT_RE), Math.max(bs, pos - REACH), pos) ??
    firstIn(doc.hits('az-st-account', ACCOUNT_RE), pos, pos + 400);
  if (!h) return null;
  const [, sub, rg, account, container] = h.groups;
  const id = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${account}`;
  return container ? `${id}/blobServices/default/containers/${container}` : id;
}

export function parseStorage(doc: Doc, out: Candidate[]): void {
  const anchors = doc.hits('az-storage', ANCHOR_RE);
  if (anchors.length === 0) return;
  const ops = operations(doc);
  for (const h of anchors) {
    const op = nearestOperation(doc, ops, h.pos);
    const resource = accountScope(doc, h.pos);
    out.push(
      candidate({
        start: h.pos,
        end: h.end,
        cloud: 'azure',
        actions: op ? [op.action] : [],
        resource,
        account: subscriptionOf(resource),
        ...kindOf('azure-rbac'),
        confidence: 'medium',
        family: 'az-storage',
      }),
    );
  }
}
