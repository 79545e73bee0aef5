/**
 * The IAM documents and STS parameters the AWS provisioner sends, as pure functions: the session
 * policy of a grant, its session name and duration, and the revocation policy it keeps on each
 * JIT role. Kept apart from the SDK calls so the limits (2,048 / 10,240 characters, 900 s …
 * MaxSessionDuration, the session-name charset) are decided in one place.
 */
import { createHash } from 'node:crypto';
import { ProvisionError } from '../../provision/types';

/** STS's charset and length for `RoleSessionName` and `SourceIdentity`. */
const NAME_CHARSET = /[^\w+=,.@-]/g;
const NAME_RE = /^[\w+=,.@-]{2,64}$/;

/** AWS's limit on the plaintext of the session policies: the inline policy and the managed policy ARNs together. */
export const SESSION_POLICY_MAX_CHARS = 2048;
/** STS's model: a session policy may only hold tab, line feed, carriage return and U+0020–U+00FF. */
const POLICY_UNSENDABLE = /[^\t\n\r\u0020-\u00FF]/g;
/** STS's model for session tag keys and values: letters, separators, digits and `_.:/=+-@`. */
const TAG_UNSENDABLE = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;
/** Session tag values: at most 256 characters. */
const TAG_VALUE_MAX = 256;
/** IAM's limit on a role's inline policies together, whitespace not counted. */
export const ROLE_INLINE_MAX_CHARS = 10_240;
/** AssumeRole's minimum `DurationSeconds` (and the federation `SessionDuration` minimum). */
export const MIN_SESSION_SECONDS = 900;
/** Role chaining (a broker on role credentials) caps every session at one hour, AWS's default length. */
export const CHAINED_MAX_SECONDS = 3600;
/** Console sessions (`SessionDuration`) last at most 12 hours. */
export const MAX_CONSOLE_SECONDS = 43_200;

const shortHash = (s: string, n = 12) => createHash('sha256').update(s).digest('hex').slice(0, n);

/**
 * `jit-<requestId>`: the name that shows in the assumed-role ARN and as CloudTrail's `Username`,
 * so activity is found by it. Characters STS refuses become `-`; a name over 64 characters keeps
 * a hash of the full id so two long ids cannot share a session name.
 */
export function sessionNameFor(requestId: string): string {
  const name = `jit-${requestId}`.replace(NAME_CHARSET, '-');
  return name.length <= 64 ? name : `${name.slice(0, 51)}-${shortHash(requestId)}`;
}

/** Whether AWS accepts this as `SourceIdentity` (2–64 of `[\w+=,.@-]`, no `aws:` prefix). */
export const validSourceIdentity = (s: string): boolean => NAME_RE.test(s) && !/^aws:/i.test(s);

/**
 * A session tag value STS accepts (docs/cloud-mechanics.md §1.2): characters outside its set
 * become `-`, and at most 256 characters are kept, counted as the model counts them (code
 * points: a letter outside the BMP is one character, and is never cut in half).
 */
export const sessionTagValue = (text: string): string =>
  [...text.replace(TAG_UNSENDABLE, '-')].slice(0, TAG_VALUE_MAX).join('');

/**
 * `text` (minified JSON) with every character a session policy may not carry written as a JSON
 * `\uXXXX` escape: the same string once parsed, sendable to STS (docs/cloud-mechanics.md §1.2).
 * JSON.stringify leaves such characters only inside strings (an S3 key in `Resource`, say), where
 * an escape is valid.
 */
export const sendablePolicyText = (text: string): string =>
  // Without the `u` flag the pattern matches UTF-16 units: a character outside the BMP becomes
  // its two surrogates' escapes, as JSON writes it.
  text.replace(POLICY_UNSENDABLE, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * The inline session policy: exactly the granted actions on the granted resource (`*` only when
 * no resource was named), minified, with characters STS refuses escaped, and refused here when,
 * with the baseline policy ARNs, it exceeds AWS's 2,048 plaintext characters, so the approver
 * sees why instead of an STS validation error.
 */
export function sessionPolicy(
  requestId: string,
  actions: readonly string[],
  resource: string | null,
  policyArns: readonly string[] = [],
): string {
  if (actions.length === 0) throw new ProvisionError('grant.actions is empty: nothing to allow', false);
  const json = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: `Unblock${requestId.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 100),
        Effect: 'Allow',
        Action: [...new Set(actions)],
        Resource: resource === null ? '*' : [resource],
      },
    ],
  });
  const policy = sendablePolicyText(json);
  const plaintext = policy.length + policyArns.reduce((n, arn) => n + arn.length, 0);
  if (plaintext > SESSION_POLICY_MAX_CHARS) {
    throw new ProvisionError(
      `the session policy for ${actions.length} action(s)${
        policyArns.length > 0 ? ` and the ${policyArns.length} baseline policy ARN(s)` : ''
      } come to ${plaintext} characters; AWS allows ${SESSION_POLICY_MAX_CHARS} (grant.actions / grant.resource too long: split the request${
        policyArns.length > 0 ? ', or shorten targets[].aws.baselinePolicyArns' : ''
      })`,
      false,
      'PolicyTooLarge',
    );
  }
  return policy;
}

export interface SessionLength {
  /**
   * `DurationSeconds` to send, or null when it must not be sent: on role credentials, where AWS's
   * guide to custom identity brokers says federation sign-in fails if AssumeRole carried it; the
   * session then lasts AWS's default hour, which is also role chaining's cap
   * (docs/cloud-mechanics.md §1.1).
   */
  readonly seconds: number | null;
  /** How long the session will really last. */
  readonly lastsSeconds: number;
  /** Why the session is not exactly the grant's remaining lifetime, for the approver and the log. */
  readonly notes: readonly string[];
}

/**
 * The session's length for a grant with `remainingSeconds` left. On an IAM user's keys: the
 * remaining lifetime, clamped to AWS's 900 s minimum and the role's MaxSessionDuration. On role
 * credentials: AWS's default hour, whatever the grant (see `SessionLength.seconds`).
 */
export function sessionLength(
  remainingSeconds: number,
  maxSessionSeconds: number,
  chained: boolean,
): SessionLength {
  const notes: string[] = [];
  const wanted = Math.ceil(remainingSeconds);
  if (chained) {
    if (wanted > CHAINED_MAX_SECONDS) {
      notes.push(
        'The broker runs on temporary credentials (role chaining): each AWS session lasts 1 hour; landing again after that signs in with a fresh session until the grant ends.',
      );
    } else if (wanted < CHAINED_MAX_SECONDS) {
      notes.push(
        `The broker runs on temporary credentials (role chaining): the AWS session lasts 1 hour and outlives the grant by ${CHAINED_MAX_SECONDS - wanted} s, so the broker denies it when the grant ends.`,
      );
    }
    return { seconds: null, lastsSeconds: CHAINED_MAX_SECONDS, notes };
  }
  if (wanted > maxSessionSeconds) {
    notes.push(
      `The role's MaxSessionDuration caps each AWS session at ${maxSessionSeconds / 3600} h; landing again after that signs in with a fresh session until the grant ends.`,
    );
  }
  if (wanted < MIN_SESSION_SECONDS) {
    notes.push(
      `AWS sessions last at least 15 minutes: this one outlives the grant by ${MIN_SESSION_SECONDS - wanted} s, so the broker denies it when the grant ends.`,
    );
  }
  const seconds = Math.min(Math.max(wanted, MIN_SESSION_SECONDS), maxSessionSeconds);
  return { seconds, lastsSeconds: seconds, notes };
}

/** One revocation: deny everything to one request's sessions of one user issued up to `cutoff`. */
export interface Revocation {
  readonly sourceIdentity: string;
  readonly sessionName: string;
  readonly cutoff: Date;
}

interface DenyStatement {
  Sid: string;
  Effect: 'Deny';
  Action: '*';
  Resource: '*';
  Condition: {
    StringEquals: { 'aws:SourceIdentity': string };
    StringLike: { 'aws:userid': string[] };
    DateLessThanEquals: { 'aws:TokenIssueTime': string };
  };
}

const isoSeconds = (d: Date) =>
  new Date(Math.ceil(d.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * The deny for one revocation. It names the user (`aws:SourceIdentity`, set by the broker and
 * immutable) AND the request's sessions (`aws:userid` = `<RoleId>:<session name>`), so revoking
 * one grant leaves the user's other grants on the same role alone; `aws:TokenIssueTime` bounds it
 * to sessions issued up to the cutoff, so a later grant is never caught by an old deny.
 */
export function denyStatement(r: Revocation): DenyStatement {
  return {
    Sid: `Revoke${shortHash(`${r.sourceIdentity}\n${r.sessionName}`, 16)}`,
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: {
      StringEquals: { 'aws:SourceIdentity': r.sourceIdentity },
      StringLike: { 'aws:userid': [`*:${r.sessionName}`] },
      DateLessThanEquals: { 'aws:TokenIssueTime': isoSeconds(r.cutoff) },
    },
  };
}

/** The statements of a revocation policy document (as IAM returned it, already URL-decoded). */
export function parseRevocations(document: string | null): Record<string, unknown>[] {
  if (document === null) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw new ProvisionError('the revocation policy on the JIT role is not JSON: fix or delete it', false);
  }
  const statements = (parsed as { Statement?: unknown }).Statement;
  if (statements === undefined) return [];
  return (Array.isArray(statements) ? statements : [statements]) as Record<string, unknown>[];
}

/** When a deny can no longer matter: every session it could catch was issued by its cutoff. */
function cutoffOf(statement: Record<string, unknown>): number | null {
  const condition = statement.Condition as
    | {
        DateLessThanEquals?: { 'aws:TokenIssueTime'?: unknown };
        DateLessThan?: { 'aws:TokenIssueTime'?: unknown };
      }
    | undefined;
  const value =
    condition?.DateLessThanEquals?.['aws:TokenIssueTime'] ?? condition?.DateLessThan?.['aws:TokenIssueTime'];
  const at = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(at) ? null : at;
}

/**
 * The revocation policy after adding `add` (if any) and dropping denies that can no longer matter:
 * a deny only catches sessions issued by its cutoff, and none of those outlives cutoff +
 * `maxSessionSeconds` (console sessions included: the broker never asks for a console session
 * longer than the credentials behind it, or 900 s). Statements the broker did not write (no
 * readable cutoff) are kept as they are. Returns null when nothing is left (delete the policy).
 */
export function mergeRevocations(
  existing: readonly Record<string, unknown>[],
  add: Revocation | null,
  now: Date,
  maxSessionSeconds: number,
): { statements: Record<string, unknown>[]; dropped: number } {
  const horizonMs = maxSessionSeconds * 1000;
  const kept: Record<string, unknown>[] = [];
  let dropped = 0;
  const addition = add ? denyStatement(add) : null;
  for (const s of existing) {
    const cutoff = cutoffOf(s);
    if (cutoff !== null && cutoff + horizonMs < now.getTime()) {
      dropped += 1;
      continue;
    }
    if (addition && s.Sid === addition.Sid) {
      // Revoking again (a retry, or a second revoke): keep the later cutoff.
      if (cutoff !== null && cutoff > add!.cutoff.getTime()) {
        kept.push(s);
        continue;
      }
      continue;
    }
    kept.push(s);
  }
  if (addition && !kept.some((s) => s.Sid === addition.Sid))
    kept.push(addition as unknown as Record<string, unknown>);
  return { statements: kept, dropped };
}

export const policyChars = (text: string): number => text.replace(/\s/g, '').length;

/** The document for a list of statements, minified. */
export const revocationDocument = (statements: readonly Record<string, unknown>[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });
