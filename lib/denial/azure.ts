/**
 * Azure phrase families (docs/denial-formats.md §3): ARM `AuthorizationFailed` (both wordings and
 * the template-preflight variant), `LinkedAuthorizationFailed` (only the *missing* action on the
 * linked scope), deny assignments, Key Vault RBAC and access-policy wordings, storage
 * `AuthorizationPermissionMismatch`, Azure Policy, the portal's permission list and Entra's
 * directory-role denial.
 */
import type { Candidate } from './candidate';
import { candidate } from './candidate';
import { kindOf } from './classify';
import type { Doc } from './context';
import { firstIn, lastIn } from './context';
import { isMasked, joinWrapped, readQuoted, skipSpace, trimToken } from './normalise';

const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const SUBSCRIPTION_RE = new RegExp(`/subscriptions/(${GUID})(?![0-9a-fA-F-])`, 'i');

/** Subscription id of a scope, only when it is a real GUID (masked ids are not names). */
export function subscriptionOf(scope: string | null | undefined): string | null {
  if (!scope) return null;
  return SUBSCRIPTION_RE.exec(scope)?.[1] ?? null;
}

const ACTION_RE =
  /does\s+not\s+have\s+(?:authorization|permission)(?:\s+or\s+an\s+ABAC\s+condition\s+not\s+fulfilled)?\s+to\s+perform\s+action\s*/gi;
const SCOPE_RE = /(?:over|at|on)\s+(?:the\s+)?(linked\s+)?scope(?:\(s\))?\s*:?\s*/iy;
const CLIENT_RE = /The\s+client\s+(?:'([^'\n]{0,256})'\s+)?with\s+object\s+id\s+'([^'\n]{0,128})'/gi;
const HAS_PERMISSION_RE = /has\s+permission\s+to\s+perform\s+action\s+'([^'\n]{1,512})'\s+on\s+scope\s+'/gi;

const GUID_FULL = new RegExp(`^${GUID}$`);

/** A client name is a UPN or an app id; anything else (`SERVICEACCOUNT`, `xxx`) is a mask. */
function clientPrincipal(name: string | undefined, oid: string | undefined): string | null {
  const n = name?.trim();
  if (n && !isMasked(n) && (/^[^@\s]{1,256}@[^@\s]{1,256}$/.test(n) || GUID_FULL.test(n))) return n;
  const o = oid?.trim();
  if (o && !isMasked(o) && GUID_FULL.test(o)) return o;
  return null;
}

/** Principal from the nearest preceding "The client '<name>' with object id '<oid>'". */
function principalBefore(doc: Doc, pos: number, from: number): string | null {
  const h = lastIn(doc.hits('az-client', CLIENT_RE), Math.max(from, pos - 6000), pos);
  if (!h) return null;
  return clientPrincipal(h.groups[1], h.groups[2]);
}

function firstScope(v: string): string | null {
  const first = (v.split(',')[0] ?? '').trim();
  const t = trimToken(first);
  return t ? t : null;
}

/** `does not have authorization|permission to perform action '<a>' over|at|on [the linked] scope '<s>'`. */
function authorizationFailed(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  ACTION_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ACTION_RE.exec(s)) !== null) {
    const q = readQuoted(s, m.index + m[0].length, 1024);
    if (!q) continue;
    const action = trimToken(q.value);
    if (!action || /\s/.test(action)) continue;
    let end = q.end;
    let resource: string | null = null;
    SCOPE_RE.lastIndex = skipSpace(s, end);
    const sc = SCOPE_RE.exec(s);
    if (sc) {
      const sq = readQuoted(s, SCOPE_RE.lastIndex, 16384);
      if (sq) {
        resource = sc[1] ? firstScope(sq.value) : trimToken(sq.value) || null;
        end = sq.end;
      }
    }
    const lead = s.slice(Math.max(0, m.index - 40), m.index);
    const linked = /however,?\s+it\s+$/i.test(lead);
    // Deny-assignment tail of a linked failure: "… and is blocked by deny assignments …".
    const tail = s.slice(end, end + 400);
    const blocked = /^[^.;]{0,200}?blocked\s+by\s+deny\s+assignments?/i.exec(tail);
    if (blocked) end += blocked[0].length;
    const start =
      lastIn(doc.hits('az-client', CLIENT_RE), Math.max(0, m.index - 6000), m.index)?.pos ?? m.index;
    out.push(
      candidate({
        start,
        end,
        cloud: 'azure',
        actions: [action],
        resource,
        principal: principalBefore(doc, m.index, 0),
        account: subscriptionOf(resource),
        ...kindOf(blocked ? 'azure-policy' : 'azure-rbac'),
        confidence: 'high',
        family: linked ? 'az-linked' : 'az-authz',
      }),
    );
    ACTION_RE.lastIndex = Math.max(ACTION_RE.lastIndex, end);
  }
}

/** Linked failures that are not a missing role: cross-tenant, and deny assignments (§3.3, §3.4). */
function governance(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits(
    'az-cross-tenant',
    /however,?\s+the\s+current\s+tenant\s+'([^'\n]{0,128})'\s+is\s+not\s+authori[sz]ed\s+to\s+access\s+linked\s+subscription\s+'([^'\n]{0,128})'/gi,
  )) {
    const start = lastIn(doc.hits('az-client', CLIENT_RE), Math.max(0, h.pos - 6000), h.pos)?.pos ?? h.pos;
    const sub = h.value2 && !isMasked(h.value2) ? h.value2 : null;
    out.push(
      candidate({
        start,
        end: h.end,
        cloud: 'azure',
        actions: [],
        resource: null,
        principal: principalBefore(doc, h.pos, 0),
        account: sub && new RegExp(`^${GUID}$`).test(sub) ? sub : null,
        ...kindOf('azure-policy'),
        reason:
          'The linked subscription belongs to another tenant that does not trust yours; a role assignment cannot help.',
        confidence: 'high',
        family: 'az-cross-tenant',
      }),
    );
  }
  for (const h of doc.hits(
    'az-deny-assignment',
    /the\s+access\s+is\s+denied\s+because\s+of\s+the\s+deny\s+assignment\s+with\s+name\s+'([^'\n]{0,512})'(?:\s+and\s+Id\s+'([^'\n]{0,512})')?/gi,
  )) {
    const has = lastIn(doc.hits('az-has-permission', HAS_PERMISSION_RE), Math.max(0, h.pos - 6000), h.pos);
    let action: string | null = null;
    let resource: string | null = null;
    if (has) {
      action = trimToken(has.value) || null;
      const sq = readQuoted(s, has.end - 1, 16384);
      resource = sq ? trimToken(sq.value) || null : null;
    }
    const start = lastIn(doc.hits('az-client', CLIENT_RE), Math.max(0, h.pos - 6000), h.pos)?.pos ?? h.pos;
    out.push(
      candidate({
        start,
        end: h.end,
        cloud: 'azure',
        actions: action ? [action] : [],
        resource,
        principal: principalBefore(doc, h.pos, 0),
        account: subscriptionOf(resource),
        ...kindOf('azure-policy'),
        reason: 'A deny assignment blocks this action; a role assignment cannot override it.',
        policyId: (h.value2 && !isMasked(h.value2) ? h.value2 : h.value) || null,
        confidence: 'high',
        family: 'az-deny-assignment',
      }),
    );
  }
}

/** Parses `appid=…;oid=…;upn=…` caller strings (Key Vault). */
function callerPrincipal(caller: string): string | null {
  const get = (k: string): string | undefined =>
    new RegExp(`(?:^|[;\\s])${k}=([^;\\s']{1,256})`, 'i').exec(caller)?.[1];
  for (const v of [get('name'), get('upn'), get('oid'), get('appid')]) if (v && !isMasked(v)) return v;
  const t = trimToken(caller);
  return t && !t.includes('=') && !isMasked(t) ? t : null;
}

/** Key Vault data plane: RBAC (`ForbiddenByRbac`) and the access-policy wording (§3.5). */
function keyVault(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  const kvHits = doc.hits(
    'az-kv-rbac',
    /Caller\s+is\s+not\s+authori[sz]ed\s+to\s+perform\s+action\s+on\s+resource/gi,
  );
  kvHits.forEach((h, i) => {
    // The labelled lines follow the sentence, up to the next Key Vault message.
    const win = s.slice(h.end, Math.min(h.end + 4000, kvHits[i + 1]?.pos ?? Infinity));
    const caller = /Caller\s*:\s*([^\n]{1,1024})/i.exec(win);
    const action = /Action\s*:\s*'([^'\n]{1,512})'/i.exec(win);
    const res = /Resource\s*:\s*'([^']{1,4096})'/i.exec(win);
    const resource = res?.[1] ? joinWrapped(res[1]) || null : null;
    const endRel = Math.max(
      caller ? caller.index + caller[0].length : 0,
      action ? action.index + action[0].length : 0,
      res ? res.index + res[0].length : 0,
    );
    out.push(
      candidate({
        start: h.pos,
        end: h.end + endRel,
        cloud: 'azure',
        actions: action?.[1] ? [action[1].trim()] : [],
        resource,
        principal: caller?.[1] ? callerPrincipal(caller[1]) : null,
        account: subscriptionOf(resource),
        ...kindOf('azure-rbac'),
        confidence: action ? 'high' : 'medium',
        family: 'az-kv-rbac',
      }),
    );
  });
  for (const h of doc.hits(
    'az-kv-policy',
    /does\s+not\s+have\s+((?:secrets|keys|certificates|storage)\s+[a-z]{2,32}(?:\s*,\s*[a-z]{2,32}){0,16})\s+permission\s+on\s+key\s+vault\s+'([^'\n]{1,512})'/gi,
  )) {
    const lead = s.slice(Math.max(0, h.pos - 1200), h.pos);
    const who = /The\s+user,\s+group\s+or\s+application\s+'([^'\n]{1,1024})'\s*$/i.exec(lead);
    const vault = trimToken((h.value2 ?? '').split(';')[0] ?? '') || null;
    out.push(
      candidate({
        start: who ? h.pos - (lead.length - who.index) : h.pos,
        end: h.end,
        cloud: 'azure',
        actions: [],
        resource: vault,
        principal: who?.[1] ? callerPrincipal(who[1]) : null,
        ...kindOf('azure-policy'),
        reason:
          "The key vault uses access policies; the vault's access policy must be changed, a role assignment cannot help.",
        confidence: 'high',
        family: 'az-kv-policy',
      }),
    );
  }
}

/** Storage data plane: RBAC data action missing, none named (§3.5). */
function storage(doc: Doc, out: Candidate[]): void {
  const re =
    /AuthorizationPermissionMismatch|not\s+authori[sz]ed\s+to\s+perform\s+this\s+operation\s+using\s+this\s+permission/gi;
  for (const h of doc.hits('az-storage', re)) {
    out.push(
      candidate({
        start: h.pos,
        end: h.end,
        cloud: 'azure',
        actions: [],
        ...kindOf('azure-rbac'),
        confidence: 'medium',
        family: 'az-storage',
      }),
    );
  }
}

const CODE_FIELD_BEFORE = /(?:code|error\s*type)["']?\s*[:=]\s*["']?$/i;

/** Azure Policy: `RequestDisallowedByPolicy` / `… was disallowed by policy` (§3.6). */
function policy(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  const phrases = doc.hits('az-policy-phrase', /was\s+disallowed\s+by\s+policy/gi);
  const policyHits = doc.hits('az-policy', /RequestDisallowedByPolicy|was\s+disallowed\s+by\s+policy/gi);
  policyHits.forEach((h, i) => {
    const isCode = /^RequestDisallowedByPolicy$/i.test(h.value);
    // The code and the phrase usually come together: keep the phrase, which names the resource.
    if (isCode && firstIn(phrases, h.pos + 1, h.pos + 1500)) return;
    // Without the sentence, the bare code is only an error when it stands in an error-code field
    // (`"code": "…"`, `Code="…"`, `ErrorCode: …`); docs and help text name it in prose.
    if (isCode && !CODE_FIELD_BEFORE.test(s.slice(Math.max(0, h.pos - 40), h.pos))) return;
    let resource: string | null = null;
    let start = h.pos;
    if (!isCode) {
      const lead = s.slice(Math.max(0, h.pos - 1200), h.pos);
      const r = /Resource\s+'([^'\n]{0,1024})'\s*$/i.exec(lead);
      if (r) {
        resource = trimToken(r[1] ?? '') || null;
        start = h.pos - (lead.length - r.index);
      }
    }
    const win = s.slice(h.end, Math.min(h.end + 4000, policyHits[i + 1]?.pos ?? Infinity));
    let policyId: string | null;
    const pa = /"?policyAssignment"?\s*:\s*\{([^{}]{0,2000})\}/i.exec(win);
    if (pa?.[1]) {
      const name = /"name"\s*:\s*"([^"]{1,512})"/.exec(pa[1])?.[1];
      const id = /"id"\s*:\s*"([^"]{1,1024})"/.exec(pa[1])?.[1];
      policyId = id ?? name ?? null;
    } else {
      const named = /Policy\s+assignment\s*(?:name)?\s*[:=]?\s*'([^'\n]{1,512})'/i.exec(win);
      policyId = named?.[1] ?? null;
    }
    out.push(
      candidate({
        start,
        end: h.end,
        cloud: 'azure',
        actions: [],
        resource,
        account: subscriptionOf(resource),
        ...kindOf('azure-policy'),
        reason:
          'Azure Policy disallows this request; it needs a policy exemption or a compliant request, not a role.',
        policyId,
        confidence: 'high',
        family: 'az-policy',
      }),
    );
  });
}

/** Portal create/assign validation and Entra directory-role denial (§3.5, §3.7). */
function portal(doc: Doc, out: Candidate[]): void {
  for (const h of doc.hits(
    'az-portal-perms',
    /without\s+the\s+following\s+permissions?\s+over\s+(?:the\s+)?selected\s+scope\s*:?\s*\(([^()]{1,2048})\)/gi,
  )) {
    const actions = h.value
      .split(/[,\s]+/)
      .map((a) => trimToken(a))
      .filter((a) => /^[A-Za-z][A-Za-z0-9.]*\/[A-Za-z0-9/._*-]+$/.test(a));
    if (!actions.length) continue;
    out.push(
      candidate({
        start: h.pos,
        end: h.end,
        cloud: 'azure',
        actions,
        ...kindOf('azure-rbac'),
        confidence: 'medium',
        source: 'console',
        family: 'az-portal',
      }),
    );
  }
  for (const h of doc.hits(
    'az-entra',
    /Authorization_RequestDenied|Insufficient\s+privileges\s+to\s+complete\s+the\s+operation/g,
  )) {
    out.push(
      candidate({
        start: h.pos,
        end: h.end,
        cloud: 'azure',
        actions: [],
        // Not a cloud permission at all: the broker's grants cannot activate a directory role.
        denyKind: 'unknown',
        requestable: false,
        reason:
          'A Microsoft Entra directory role is missing; this is handled by directory-role activation, not an Azure role assignment.',
        confidence: 'medium',
        family: 'az-entra',
      }),
    );
  }
}

export function parseAzure(doc: Doc, out: Candidate[]): void {
  authorizationFailed(doc, out);
  governance(doc, out);
  keyVault(doc, out);
  storage(doc, out);
  policy(doc, out);
  portal(doc, out);
}
