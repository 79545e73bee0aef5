/**
 * The AWS IAM sentence (docs/denial-formats.md §2.1), modern and older forms: `[User: <arn>] is not
 * authorized to perform: <svc:Action> [on resource: <arn>] [because no <type> allows… | with an
 * explicit deny in <type>[: <policy arn>]]`, and the short form without a principal.
 *
 * Every regex here is either a literal-led global scan or a sticky (`y`) match at a known
 * position, with bounded token classes, so a long adversarial input stays linear.
 */
import type { Candidate } from './candidate';
import { candidate } from './candidate';
import { awsExplicit, awsImplicit, UNKNOWN } from './classify';
import type { Kind } from './classify';
import type { Doc } from './context';
import { isIamPrefix } from './aws-operation';
import {
  isMasked,
  isSpace,
  isTokenStop,
  isWrapInside,
  readQuoted,
  readToken,
  skipSpace,
  trimToken,
} from './normalise';

const SENTENCE_RE = /not\s+authori[sz]ed\s+to\s+perform\b/gi;
/** `service:Action`; the negative look-ahead rejects template text such as `service:action-name`. */
const ACTION_RE = /([A-Za-z0-9-]{1,64}):([A-Za-z][A-Za-z0-9*]{0,127})(?![A-Za-z0-9_*:/-])/y;
const ON_RESOURCE_RE = /on\s+resource(?:\(s\))?\s*:?/iy;
const TYPED_NAME_RE =
  /(?:policy|user|group|instance-profile)\s+[^\s'"]{1,256}(?:\s+(?!because\b|with\b)[^\s'"]{1,64}){0,3}?(?=\s+(?:because|with)\b|[^\S\n]*['"\x60.,;)\]]{0,4}[^\S\n]*$)/imy;
const ROLE_NAME_RE = /role\s+([A-Za-z0-9+=,.@_-]{1,128})(?![A-Za-z0-9+=,.@_:/-])/y;
const BECAUSE_RE =
  /because\s+no\s+(identity-based|resource-based|sessions?|permissions\s+boundary|service\s+control|resource\s+control|VPC\s+endpoint)(?:\s+polic(?:y|ies))?\s+allows?\b(?:\s+the\s+[A-Za-z0-9-]{1,64}:[A-Za-z0-9*]{1,128}\s+action)?/iy;
const EXPLICIT_RE =
  /with\s+an?\s+explicit\s+deny(?:\s+in\s+(?:an?\s+)?(identity-based\s+policy|resource-based\s+policy|sessions?\s+policy|permissions\s+boundary(?:\s+policy)?|service\s+control\s+policy|resource\s+control\s+policy|VPC\s+endpoint\s+policy))?/iy;
const POLICY_ARN_RE = /\s*:\s*(?=arn:)/y;

/** Account of an ARN (`arn:<partition>:<service>:<region>:<account>:…`), any partition (§2.1). */
function arnAccount(arn: string | null): string | null {
  if (!arn) return null;
  const m = /^arn:[^:\s]*:[^:\s]*:[^:\s]*:(\d{12})(?::|$)/.exec(arn);
  return m?.[1] ?? null;
}

/** Partition of an ARN (`aws`, `aws-us-gov`, `aws-cn`), `aws` when none is named. */
function arnPartition(arn: string | null): string {
  return (arn && /^arn:(aws[a-z-]{0,20}):/.exec(arn)?.[1]) || 'aws';
}

/**
 * The action token as IAM spells it, or null when it is not one: an address (`mailto:alice@…`) or
 * a host (`svc:name.example`) continues after it, or the service is not in the grammar. A known
 * prefix written in display case (`CloudWatch:DescribeAlarms`) is lower-cased.
 */
function actionToken(s: string, service: string, action: string, end: number): string | null {
  if (s[end] === '@' || /^\.[A-Za-z0-9]/.test(s.slice(end, end + 2))) return null;
  const lower = service.toLowerCase();
  const prefix = lower !== service && isIamPrefix(lower) ? lower : service;
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(prefix) || prefix === 'mailto' || prefix === 'arn') return null;
  return `${prefix}:${action}`;
}

/** Reads the token that ends right before `end` (skipping whitespace), joining a hard wrap. */
function tokenBefore(s: string, end: number): string | null {
  let j = end;
  while (j > 0 && end - j < 200 && isSpace(s[j - 1])) j--;
  let b = j;
  while (b > 0 && j - b < 2048 && !isTokenStop(s, b - 1)) b--;
  let tok = s.slice(b, j);
  // An ARN wrapped across lines: join the previous piece when the break is inside the token.
  for (let n = 0; n < 4 && tok && !/^arn:/i.test(tok); n++) {
    let k = b;
    while (k > 0 && b - k < 200 && isSpace(s[k - 1])) k--;
    if (k === b) break;
    let pb = k;
    while (pb > 0 && k - pb < 2048 && !isTokenStop(s, pb - 1)) pb--;
    const prev = s.slice(pb, k);
    if (!prev.includes('arn:') && !/[:/]$/.test(prev)) break;
    if (!isWrapInside(s, k, b)) break;
    tok = prev + tok;
    b = pb;
  }
  return tok || null;
}

function principalBefore(s: string, anchor: number): string | null {
  // "<principal> is not authorized": the word before the anchor must be "is".
  let j = anchor;
  while (j > 0 && anchor - j < 200 && isSpace(s[j - 1])) j--;
  if (!/(?:^|[^A-Za-z])is$/i.test(s.slice(Math.max(0, j - 3), j))) return null;
  const tok = tokenBefore(s, j - 2);
  if (!tok) return null;
  const t = trimToken(tok.replace(/^(?:User|Principal):/i, ''));
  const at = t.indexOf('arn:');
  return at >= 0 ? t.slice(at) : null;
}

interface Resource {
  value: string | null;
  roleName?: string;
  end: number;
}

function readResource(s: string, i: number): Resource | null {
  ON_RESOURCE_RE.lastIndex = i;
  if (!ON_RESOURCE_RE.exec(s)) return null;
  const j = skipSpace(s, ON_RESOURCE_RE.lastIndex);
  const q = readQuoted(s, j, 4096);
  if (q) return { value: trimToken(q.value) || null, end: q.end };
  ROLE_NAME_RE.lastIndex = j;
  const role = ROLE_NAME_RE.exec(s);
  if (role?.[1] && !/^arn:/i.test(role[1])) {
    return { value: null, roleName: trimToken(role[1]), end: ROLE_NAME_RE.lastIndex };
  }
  // IAM's typed names without an ARN (`policy solr-ecs-tasks version v1`, `policy path /`): no
  // grant target can be built from them, so the resource is not named; the reason clause follows.
  TYPED_NAME_RE.lastIndex = j;
  const typed = TYPED_NAME_RE.exec(s);
  if (typed) return { value: null, end: TYPED_NAME_RE.lastIndex };
  const t = readToken(s, j);
  if (!t) return { value: null, end: j };
  let value = t.value;
  let end = t.end;
  // A reporter's `<redacted>` inside an ARN stops the token reader: the ARN runs on through it.
  for (let n = 0; n < 8 && s[end] === '<'; n++) {
    const close = s.indexOf('>', end);
    if (close < 0 || close - end > 64) break;
    const rest = readToken(s, close + 1);
    value += s.slice(end, close + 1) + (rest?.value ?? '');
    end = rest?.end ?? close + 1;
  }
  const v = trimToken(value);
  return { value: v && v !== '*' ? v : null, end };
}

/** An ARN whose account slot is written but holds no digit (`###`, `XXXXXX`, `REDACTED`): masked. */
function hasMaskedAccount(arn: string): boolean {
  const account = /^arn:[^:\s]*:[^:\s]*:[^:\s]*:([^:\s]*)/.exec(arn)?.[1];
  return account !== undefined && account !== '' && !/\d/.test(account);
}

interface Reason {
  kind: Kind;
  policyId: string | null;
  end: number;
}

function readReason(s: string, i: number): Reason | null {
  BECAUSE_RE.lastIndex = i;
  const b = BECAUSE_RE.exec(s);
  if (b) return { kind: awsImplicit(b[1] ?? ''), policyId: null, end: BECAUSE_RE.lastIndex };
  EXPLICIT_RE.lastIndex = i;
  const e = EXPLICIT_RE.exec(s);
  if (!e) return null;
  let end = EXPLICIT_RE.lastIndex;
  let policyId: string | null = null;
  POLICY_ARN_RE.lastIndex = end;
  if (POLICY_ARN_RE.exec(s)) {
    const t = readToken(s, POLICY_ARN_RE.lastIndex);
    if (t) {
      policyId = trimToken(t.value) || null;
      end = t.end;
    }
  }
  return { kind: awsExplicit(e[1]), policyId, end };
}

/**
 * An action hard-wrapped inside its name (`lambda:List` / `Functions`): joined only when the
 * joined name is confirmed by the reason clause that follows (`allows the lambda:ListFunctions
 * action`), since a capitalised word after a line break is usually the next sentence.
 */
function joinWrappedAction(s: string, action: string, end: number): { action: string; end: number } | null {
  let k = end;
  while (k < s.length && k - end < 200 && isSpace(s[k])) k++;
  if (k === end || !s.slice(end, k).includes('\n')) return null;
  const tail = /[A-Za-z0-9*]{1,64}/y;
  tail.lastIndex = k;
  const w = tail.exec(s);
  if (!w) return null;
  const joined = action + w[0];
  const ahead = s.slice(tail.lastIndex, tail.lastIndex + 800);
  return ahead.includes(`${joined} action`) ? { action: joined, end: tail.lastIndex } : null;
}

/** The IAM sentence, `[User: <arn>] is not authorized to perform: <svc:Action> …`, and the short form. */
export function iamSentences(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  SENTENCE_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = SENTENCE_RE.exec(s)) !== null) {
    let i = m.index + m[0].length;
    if (s[i] === ':') i++;
    i = skipSpace(s, i);
    if (s[i] === '"' || s[i] === "'") i++;
    ACTION_RE.lastIndex = i;
    const a = ACTION_RE.exec(s);
    let action: string | null = null;
    let end: number;
    const token = a?.[1] && a[2] ? actionToken(s, a[1], a[2], ACTION_RE.lastIndex) : null;
    if (token) {
      action = token;
      end = ACTION_RE.lastIndex;
      const joined = joinWrappedAction(s, action, end);
      if (joined) {
        action = joined.action;
        end = joined.end;
      }
    } else {
      // `is not authorized to perform: null` / empty action: still a denial, no action (§2.1).
      const placeholder = /(?:null|undefined)?(?=\s*(?:$|[.,;)"'\]]|\n))/iy;
      placeholder.lastIndex = i;
      const p = placeholder.exec(s);
      if (!p || s[m.index + m[0].length] !== ':') continue;
      end = placeholder.lastIndex;
    }
    if (s[end] === '"' || s[end] === "'") end++;
    const rawPrincipal = principalBefore(s, m.index);
    if (!action && !rawPrincipal) continue;
    const principal =
      rawPrincipal && !isMasked(rawPrincipal) && !hasMaskedAccount(rawPrincipal) ? rawPrincipal : null;
    let start = m.index;
    if (rawPrincipal) {
      const p = s.lastIndexOf(rawPrincipal.slice(0, 12), m.index);
      if (p >= 0 && m.index - p < 2400) {
        start = p;
        const label = /(?:User|Principal)\s*:\s*$/i.exec(s.slice(Math.max(0, p - 24), p));
        if (label) start = p - label[0].length;
      }
    }
    let resource: string | null = null;
    let roleName: string | undefined;
    const r = readResource(s, skipSpace(s, end));
    if (r) {
      resource = r.value;
      roleName = r.roleName;
      end = r.end;
    }
    let kind = UNKNOWN;
    let policyId: string | null = null;
    const reason = readReason(s, skipSpace(s, end));
    if (reason) {
      kind = reason.kind;
      policyId = reason.policyId;
      end = reason.end;
    }
    // Masked values (`***`, `xxxx`) are not names (README conventions).
    if (resource && (isMasked(resource) || hasMaskedAccount(resource))) resource = null;
    const account = arnAccount(principal) ?? arnAccount(resource);
    if (roleName) {
      const partition = arnPartition(principal ?? resource);
      resource = account && !isMasked(roleName) ? `arn:${partition}:iam::${account}:role/${roleName}` : null;
    }
    const pendingRole = roleName && !account && !isMasked(roleName) ? roleName : undefined;
    out.push(
      candidate({
        start,
        end,
        cloud: 'aws',
        actions: action ? [action] : [],
        resource,
        principal,
        account,
        ...kind,
        policyId,
        confidence: action && (principal || reason) ? 'high' : action ? 'medium' : 'low',
        roleName: pendingRole,
        family: 'aws-iam',
      }),
    );
    SENTENCE_RE.lastIndex = Math.max(SENTENCE_RE.lastIndex, end);
  }
}
