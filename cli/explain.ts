/**
 * `unblock explain`: the pure part. Text in, `ExplainResult` out, and a readable rendering of it.
 * No I/O here (see ./main.ts), so the same functions can back tests and other front ends.
 */
import { CLOUD_FACTS, type Cloud } from '../lib/clouds';
import type { Denial, ExplainResult, ParseHints } from '../lib/contract/denial';
import { parseDenials } from '../lib/denial';
import { DENY_KIND_FACTS, denyKindRecord, type DenyKind } from '../lib/deny-kinds';
import type { Risk } from '../lib/risk';
import { actionRisk, highestRisk } from '../lib/risk';

/** Parse every denial in `text`. `isDenial` is true when at least one was found. */
export function explain(text: string, hints?: ParseHints): ExplainResult {
  const denials = parseDenials(text, hints);
  return { isDenial: denials.length > 0, denials };
}

// ---------------------------------------------------------------------------------------------
// Look-alikes (docs/denial-formats.md §5): only used to word the "no denial found" message.

const LOOK_ALIKES: readonly [RegExp, string][] = [
  [
    /\b(?:ExpiredToken(?:Exception)?|RequestExpired|ExpiredAuthenticationToken|InvalidAuthenticationToken(?:Tenant)?|AuthenticationFailed|UNAUTHENTICATED|invalid_grant|Reauthentication failed|security token included in the request is expired)\b/i,
    'expired or invalid credentials — sign in again',
  ],
  [
    /\b(?:InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|InvalidAccessKeyId|AuthFailure)\b|security token included in the request is invalid|Anonymous caller/i,
    'wrong or missing credentials — check which identity you are signed in as',
  ],
  [/\bAADSTS\d+/, 'an Entra ID sign-in error — sign in again (it is not a missing role)'],
  [
    /\b(?:Throttling(?:Exception)?|TooManyRequests(?:Exception)?|RequestLimitExceeded|SubscriptionRequestsThrottled|RATE_LIMIT_EXCEEDED|rateLimitExceeded|userRateLimitExceeded)\b|Rate exceeded/,
    'rate limiting — retry later',
  ],
  [
    /\b(?:LimitExceededException|ServiceQuotaExceededException|InstanceLimitExceeded|VcpuLimitExceeded|QuotaExceeded|quotaExceeded|dailyLimitExceeded|RESOURCE_EXHAUSTED|SkuNotAvailable)\b|Quota exceeded/,
    'a quota or capacity limit — ask for a quota increase',
  ],
  [
    /\bSERVICE_DISABLED\b|has not been used in project \S+ before or it is disabled/,
    'an API that is not enabled in the project — enable it',
  ],
  [/\bBILLING_DISABLED\b/, 'billing disabled on the project'],
  [
    /\b(?:MissingSubscriptionRegistration|OptInRequired|SubscriptionRequiredException)\b/,
    'an account or subscription set-up step (provider registration or opt-in)',
  ],
  [/\bScopeLocked\b/, 'an Azure resource lock — ask its owner to remove the lock'],
  [
    /insufficient authentication scopes|ACCESS_TOKEN_SCOPE_INSUFFICIENT/i,
    "the OAuth scopes of the token (e.g. a VM's service-account scopes), not IAM",
  ],
  [
    /vpcServiceControlsUniqueIdentifier|SECURITY_POLICY_VIOLATED|Request is prohibited by organization's policy/,
    'a VPC Service Controls perimeter — talk to your GCP security team',
  ],
  [/constraints\/[a-zA-Z]/, 'a GCP organisation policy constraint — talk to your GCP platform team'],
];

/** When `text` is a known non-denial error (§5), a short phrase saying what it is; else null. */
export function lookAlike(text: string): string | null {
  for (const [re, what] of LOOK_ALIKES) if (re.test(text)) return what;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Rendering

export interface FormatOptions {
  /** ANSI colours (the caller decides: TTY and no NO_COLOR). */
  color: boolean;
  /** What the text was, for the "no denial" line (`big.log`, `standard input`). */
  inputName?: string;
  /** From `lookAlike(text)`, mentioned when no denial was found. */
  lookAlike?: string | null;
}

/** A table's sentence mid-line: a capitalised first word lower-cased (not `AWS`), final full stop dropped. */
function midSentence(sentence: string): string {
  const text = sentence.replace(/\.$/, '');
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

/** What the cloud calls the account, in lower case (`subscription`). */
function accountWord(cloud: Cloud): string {
  return CLOUD_FACTS[cloud].accountNoun.toLowerCase();
}

/** The deny kind in plain words, mid-line (the banner's sentence, lib/deny-kinds.ts). */
export const DENY_KIND_TEXT: Record<DenyKind, string> = denyKindRecord((facts) => midSentence(facts.text));

const SOURCE_TEXT: Record<NonNullable<Denial['source']>, string> = {
  console: 'web console',
  api: 'API response',
  cli: 'cloud CLI',
  sdk: 'SDK error',
  terraform: 'Terraform',
  cloudformation: 'CloudFormation',
};

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';
const SGR: Record<Style, string> = {
  bold: '1',
  dim: '2',
  red: '31',
  green: '32',
  yellow: '33',
  cyan: '36',
};
const RISK_STYLE: Record<Risk, Style> = { read: 'green', write: 'yellow', admin: 'red' };

function painter(color: boolean): (style: Style, s: string) => string {
  return color ? (style, s) => `\u001b[${SGR[style]}m${s}\u001b[0m` : (_style, s) => s;
}

/**
 * Text from the input, made safe to print on a terminal: control characters (ANSI escapes could
 * rewrite the screen or the window title) and bidirectional overrides become `?`; overly long
 * values are cut.
 */
export function clean(value: string, max = 400): string {
  // eslint-disable-next-line no-control-regex
  const safe = value.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?');
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

/** `a`, `a and b`, `a, b and c`. */
function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The denial with every free-text field passed through `clean`. */
function cleanDenial(d: Denial): Denial {
  const opt = (v: string | null): string | null => (v === null ? null : clean(v));
  return {
    ...d,
    actions: d.actions.map((a) => clean(a, 200)),
    resource: opt(d.resource),
    principal: opt(d.principal),
    account: opt(d.account),
    reason: opt(d.reason),
    operation: opt(d.operation),
    policyId: opt(d.policyId),
    encodedMessage: opt(d.encodedMessage),
  };
}

/** Where to ask for the grant: the resource, else the account, else unknown. */
function target(d: Denial): string {
  const where: string[] = [];
  if (d.resource) where.push(`on ${d.resource}`);
  // The account is worth naming unless the resource already does (ARNs, Azure scopes, GCP names).
  if (d.account && !d.resource?.includes(d.account)) where.push(`in ${accountWord(d.cloud)} ${d.account}`);
  return where.length > 0 ? where.join(' ') : `(the ${accountWord(d.cloud)} and resource are not named)`;
}

function formatDenial(raw: Denial, index: number, total: number, paint: ReturnType<typeof painter>): string {
  const d = cleanDenial(raw);
  const lines: string[] = [];
  const count = total > 1 ? ` ${index + 1} of ${total}` : '';
  lines.push(paint('bold', `Access denied${count} — ${CLOUD_FACTS[d.cloud].label}`));
  const field = (label: string, value: string): void => {
    lines.push(`  ${paint('dim', (label ? `${label}:` : '').padEnd(13))} ${value}`);
  };

  if (d.actions.length === 0) {
    field('Action', paint('dim', 'not named in the message'));
  } else {
    d.actions.forEach((action, i) => {
      const risk = actionRisk(d.cloud, action);
      field(
        i === 0 ? (d.actions.length > 1 ? 'Actions' : 'Action') : '',
        `${action}  ${paint(RISK_STYLE[risk], `[${risk}]`)}`,
      );
    });
  }
  if (d.operation) field('Operation', d.operation);
  field('Resource', d.resource ?? paint('dim', 'not named'));
  field(CLOUD_FACTS[d.cloud].accountNoun, d.account ?? paint('dim', 'not named'));
  field('Principal', d.principal ?? paint('dim', 'not named'));
  field('Why', DENY_KIND_TEXT[d.denyKind]);
  if (d.policyId) field('Policy', d.policyId);
  if (d.source) field('Seen in', SOURCE_TEXT[d.source]);
  if (d.confidence !== 'high') field('Confidence', d.confidence);

  lines.push('');
  if (d.requestable) {
    if (d.actions.length > 0) {
      const risk = highestRisk(d.cloud, d.actions);
      const riskNote = risk === 'admin' ? ` (${paint('red', 'admin-level')}: expect a closer review)` : '';
      // With no reason clause the cause is unknown: a grant likely helps, but say so honestly.
      const verdict =
        d.denyKind === 'unknown' ? 'A just-in-time grant should help:' : 'A just-in-time grant can help:';
      lines.push(`  ${paint('green', verdict)} ask for ${list(d.actions)} ${target(d)}${riskNote}.`);
      if (d.derivedFrom === 'operation' && d.operation) {
        // The message named only the API call (docs/denial-formats.md §2.6): say it is a best guess.
        lines.push(
          `  ${paint('dim', `The message names no permission: ${list(d.actions)} is derived from the ${d.operation} operation, which may need more.`)}`,
        );
      }
    } else if (d.encodedMessage) {
      const op = d.operation ? ` behind ${d.operation}` : '';
      lines.push(
        `  ${paint('green', 'A just-in-time grant can probably help,')} but the message names no action: it carries an encoded authorization message that the broker can decode (sts:DecodeAuthorizationMessage) to find the missing permission${op}. Ask for that permission ${target(d)}.`,
      );
    } else {
      const op = d.operation
        ? `the permission the ${d.operation} operation needs`
        : 'the permission for what you were doing';
      lines.push(
        `  ${paint('green', 'A just-in-time grant may help,')} but the message names no action: ask for ${op} ${target(d)}.`,
      );
      if (d.cloud === 'aws' && /access ?denied/i.test(d.excerpt)) {
        lines.push(
          `  ${paint('dim', 'A bare "Access Denied" can also come from a bucket or key policy, or mean the object does not exist.')}`,
        );
      }
    }
    // A caution the text itself raises (GCP "or it may not exist", docs/denial-formats.md §4.3).
    if (d.reason) lines.push(`  ${paint('dim', d.reason)}`);
    lines.push(`  ${paint('dim', 'e.g. `unblock request …` once the broker is set up')}`);
  } else {
    const facts = DENY_KIND_FACTS[d.denyKind];
    const reason = (d.reason ?? facts.noGrant).replace(/[.\s]+$/, '');
    lines.push(
      `  ${paint('red', 'A grant will not help:')} ${reason} — talk to ${midSentence(facts.owner)}.`,
    );
  }
  return lines.join('\n');
}

/** A readable explanation of `result`, ending with a newline. */
export function formatExplanation(result: ExplainResult, options: FormatOptions): string {
  const paint = painter(options.color);
  if (!result.isDenial || result.denials.length === 0) {
    const where = options.inputName ? ` in ${options.inputName}` : '';
    const lines = [`No access denial found${where}.`];
    if (options.lookAlike) lines.push(`This looks like ${options.lookAlike}.`);
    return `${lines.join('\n')}\n`;
  }
  const total = result.denials.length;
  return `${result.denials.map((d, i) => formatDenial(d, i, total, paint)).join('\n\n')}\n`;
}
