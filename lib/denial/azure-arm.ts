/**
 * Azure Resource Manager wordings (docs/denial-formats.md §3.1–§3.4, §3.6): `AuthorizationFailed`
 * (runtime and template preflight), `LinkedAuthorizationFailed` (one denial per linked scope, only
 * the *missing* actions), deny assignments, the cross-tenant linked subscription, and Azure Policy.
 */
import type { Candidate } from './candidate';
import { candidate } from './candidate';
import { kindOf } from './classify';
import type { Doc } from './context';
import { firstIn, lastIn } from './context';
import { clientBefore, GUID_FULL, subscriptionOf } from './azure-common';
import type { Token } from './normalise';
import { isMasked, readQuoted, readToken, skipSpace, trimToken } from './normalise';
import { onlyMasks } from './values';

/** `does not have authorization|permission … to perform action|actions|action(s) '`. */
const ACTION_RE =
  /does\s+not\s+have\s+(?:authorization|permission)(?:\s+or\s+an\s+ABAC\s+condition\s+not\s+fulfilled)?\s+to\s+perform\s+actions?(?:\s*\(s\))?\s*/gi;
/** `over scope '`, `at scope '`, `on the linked scope(s) '`, `on the '0' linked scope(s) '`. */
const SCOPE_RE = /(?:over|at|on)\s+(?:the\s+)?(?:'\d{1,4}'\s+)?(linked\s+)?scope(?:\(s\))?\s*:?\s*/iy;
const RESPECTIVELY_RE = /\s*\(respectively\)/iy;
/** Deny-assignment tail of a linked failure: "… and is blocked by deny assignments on the 'n' linked scope(s) '…'". */
const BLOCKED_RE =
  /^[^.;]{0,200}?blocked\s+by\s+deny\s+assignments?(?:\s+on\s+the\s+'\d{1,4}'\s+linked\s+scope\(s\)\s*)?/i;
const HAS_PERMISSION_RE = /has\s+permission\s+to\s+perform\s+action\s+'([^'\n]{1,512})'\s+on\s+scope\s+'/gi;

/** An operation string as ARM writes it (`Microsoft.Compute/virtualMachines/start/action`). */
const ACTION_SHAPE = /^[A-Za-z][A-Za-z0-9.]*\/[A-Za-z0-9/._*-]+$/;

/**
 * The value at `i`: quoted as ARM writes it, or a bare token when a tool dropped the quotes (then
 * only a value of the expected shape counts, so that prose after the phrase is not read as one).
 */
function readValue(s: string, i: number, max: number, bare: RegExp): Token | null {
  const q = readQuoted(s, i, max);
  if (q) return q;
  const t = readToken(s, i, max);
  if (!t) return null;
  const value = trimToken(t.value);
  return bare.test(value) ? { value, end: t.end } : null;
}

/** A comma-separated list in one quoted value, each item trimmed; `''` and masks stay as written. */
function splitList(v: string): string[] {
  return v
    .split(',')
    .map((x) => trimToken(x))
    .filter((x) => x.length > 0);
}

interface Pair {
  actions: string[];
  scope: string | null;
}

/**
 * Which actions go with which linked scope. ARM lists them in parallel (`action(s) 'A,B' on the
 * linked scope(s) 'S1,S2' (respectively)`); when the counts differ, every scope misses every action.
 */
function pairs(actions: string[], scopes: string[]): Pair[] {
  if (scopes.length === 0) return [{ actions, scope: null }];
  if (actions.length > 1 && actions.length === scopes.length)
    return scopes.map((scope, i) => ({ actions: [actions[i] as string], scope }));
  return scopes.map((scope) => ({ actions, scope }));
}

/** `does not have authorization|permission to perform action '<a>' over|at|on [the linked] scope '<s>'`. */
function authorizationFailed(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  ACTION_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ACTION_RE.exec(s)) !== null) {
    const q = readValue(s, m.index + m[0].length, 1024, ACTION_SHAPE);
    if (!q) continue;
    const actions = splitList(q.value);
    if (actions.length === 0 || actions.some((a) => /\s/.test(a))) continue;
    let end = q.end;
    let scopes: string[] = [];
    let linked = false;
    SCOPE_RE.lastIndex = skipSpace(s, end);
    const sc = SCOPE_RE.exec(s);
    if (sc) {
      const sq = readValue(s, SCOPE_RE.lastIndex, 16384, /^\//);
      if (sq) {
        linked = sc[1] !== undefined;
        scopes = linked ? splitList(sq.value) : [trimToken(sq.value)].filter((x) => x);
        end = sq.end;
      }
    }
    RESPECTIVELY_RE.lastIndex = end;
    if (RESPECTIVELY_RE.test(s)) end = RESPECTIVELY_RE.lastIndex;
    // A deny-assignment tail names the linked scopes that are blocked rather than missing a role.
    const blocked = BLOCKED_RE.exec(s.slice(end, end + 400));
    let blockedScopes: string[] = [];
    if (blocked) {
      end += blocked[0].length;
      const bq = readQuoted(s, skipSpace(s, end), 16384);
      if (bq && /linked\s+scope\(s\)\s*$/i.test(blocked[0])) {
        blockedScopes = splitList(bq.value);
        end = bq.end;
      }
    }
    const at = m.index;
    const client = clientBefore(doc, at);
    const lead = s.slice(Math.max(0, m.index - 40), m.index);
    const family = linked || /however,?\s+it\s+$/i.test(lead) ? 'az-linked' : 'az-authz';
    const blockedSet = new Set(blockedScopes.map((x) => x.toLowerCase()));
    const emitted = new Set<string>();
    const emit = (p: Pair, isBlocked: boolean): void => {
      // A wholly masked scope (`'***'`) or words in its place name nothing; a partly masked or
      // elided path (`'.../storageAccounts/<acct>'`) is kept as written.
      const named = p.scope && (p.scope.startsWith('/') || (!onlyMasks(p.scope) && !/\s/.test(p.scope)));
      const resource = named ? p.scope : null;
      emitted.add((resource ?? '').toLowerCase());
      out.push(
        candidate({
          start: client?.pos ?? at,
          end,
          cloud: 'azure',
          actions: p.actions,
          resource,
          principal: client?.principal ?? null,
          account: subscriptionOf(resource),
          ...kindOf(isBlocked ? 'azure-policy' : 'azure-rbac'),
          confidence: 'high',
          family,
        }),
      );
    };
    for (const p of pairs(actions, scopes)) {
      // `on the '0' linked scope(s) ''` with a deny tail: nothing is missing but the blocked scopes.
      if (p.scope === null && blockedScopes.length > 0) continue;
      const isBlocked = !!blocked && (blockedSet.size === 0 || blockedSet.has((p.scope ?? '').toLowerCase()));
      emit(p, isBlocked);
    }
    for (const b of blockedScopes) if (!emitted.has(b.toLowerCase())) emit({ actions, scope: b }, true);
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
    const client = clientBefore(doc, h.pos);
    const sub = h.value2 && !isMasked(h.value2) ? h.value2 : null;
    out.push(
      candidate({
        start: client?.pos ?? h.pos,
        end: h.end,
        cloud: 'azure',
        actions: [],
        principal: client?.principal ?? null,
        account: sub && GUID_FULL.test(sub) ? sub : null,
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
    const client = clientBefore(doc, h.pos);
    out.push(
      candidate({
        start: client?.pos ?? h.pos,
        end: h.end,
        cloud: 'azure',
        actions: action ? [action] : [],
        resource,
        principal: client?.principal ?? null,
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

export function parseArm(doc: Doc, out: Candidate[]): void {
  authorizationFailed(doc, out);
  governance(doc, out);
  policy(doc, out);
}
