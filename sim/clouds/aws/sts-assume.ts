/**
 * STS AssumeRole as the fake answers it (docs/cloud-mechanics.md §1.1, §1.2): the parameters'
 * constraints from STS's service model (session name, source identity, the session policy's
 * characters, session tags), the trust policy (who may assume the role, and whether it may also
 * pass tags and a source identity), the duration rules (role chaining caps a session at one
 * hour), and the packed size of the session policies and tags.
 */
import { deflateRawSync } from 'node:zlib';
import { parsePolicy, type PolicyError } from './policy';
import type { AwsState, Caller, Role } from './state';
import type { TrustAction } from './types';
import { AwsError } from './wire';

/** `roleSessionNameType` and `sourceIdentityType`: 2–64 characters of `[\w+=,.@-]`. */
const NAME_RE = /^[\w+=,.@-]{2,64}$/;
/** `unrestrictedSessionPolicyDocumentType`: tab, line feed, carriage return and U+0020–U+00FF. */
const POLICY_CHARS_RE = /^[\t\n\r\u0020-\u00FF]+$/;
/** `tagKeyType` (1–128) and `tagValueType` (0–256): letters, separators, digits and `_.:/=+-@`. */
const TAG_CHARS_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** The documented limits of the plaintext session policies, policy ARNs and tags. */
const POLICY_PLAINTEXT_MAX = 2048;
const POLICY_ARNS_MAX = 10;
const TAGS_MAX = 50;
/** Role chaining caps a session at one hour. */
const CHAINED_MAX_SECONDS = 3600;

/** STS's wording for a parameter that breaks its model's constraints. */
const constraint = (value: string, member: string, rule: string) =>
  new AwsError(
    400,
    'ValidationError',
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${rule}`,
  );

/** Characters as the model counts them (code points, not UTF-16 units). */
const length = (s: string) => [...s].length;

export interface AssumeRequest {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly sourceIdentity: string | null;
  readonly policy: string | null;
  readonly policyArns: readonly string[];
  readonly tags: readonly (readonly [string, string])[];
  /** Null when `DurationSeconds` was not sent. */
  readonly durationSeconds: number | null;
}

function tagsOf(p: URLSearchParams): [string, string][] {
  const tags: [string, string][] = [];
  for (let i = 1; p.has(`Tags.member.${i}.Key`); i++) {
    const key = p.get(`Tags.member.${i}.Key`)!;
    const value = p.get(`Tags.member.${i}.Value`) ?? '';
    if (length(key) < 1 || length(key) > 128 || !TAG_CHARS_RE.test(key)) {
      throw constraint(
        key,
        `tags.${i}.member.key`,
        'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+ and have length between 1 and 128',
      );
    }
    if (length(value) > 256 || !TAG_CHARS_RE.test(value)) {
      throw constraint(
        value,
        `tags.${i}.member.value`,
        'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]* and have length less than or equal to 256',
      );
    }
    tags.push([key, value]);
  }
  return tags;
}

/** The request's parameters, each checked against STS's constraints (ValidationError otherwise). */
export function assumeRequestOf(p: URLSearchParams): AssumeRequest {
  const roleArn = p.get('RoleArn') ?? '';
  if (!roleArn) throw new AwsError(400, 'MissingParameter', 'The request must contain the parameter RoleArn');
  const sessionName = p.get('RoleSessionName') ?? '';
  if (!NAME_RE.test(sessionName)) {
    throw constraint(
      sessionName,
      'roleSessionName',
      'Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64',
    );
  }
  const sourceIdentity = p.get('SourceIdentity');
  if (sourceIdentity !== null && (!NAME_RE.test(sourceIdentity) || /^aws:/i.test(sourceIdentity))) {
    throw constraint(
      sourceIdentity,
      'sourceIdentity',
      'Member must satisfy regular expression pattern: [\\w+=,.@-]*, have length between 2 and 64 and not begin with aws:',
    );
  }
  const policy = p.get('Policy');
  if (policy !== null && !POLICY_CHARS_RE.test(policy)) {
    // Only tab, line feed, carriage return and U+0020–U+00FF may appear in a session policy.
    throw constraint(
      policy,
      'policy',
      'Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+',
    );
  }
  const policyArns = [...p.keys()]
    .filter((k) => /^PolicyArns\.member\.\d+\.arn$/.test(k))
    .map((k) => p.get(k)!);
  if (policyArns.length > POLICY_ARNS_MAX) {
    throw constraint(
      `[${policyArns.join(', ')}]`,
      'policyArns',
      `Member must have length less than or equal to ${POLICY_ARNS_MAX}`,
    );
  }
  const tags = tagsOf(p);
  if (tags.length > TAGS_MAX) {
    throw constraint(
      `${tags.length} tags`,
      'tags',
      `Member must have length less than or equal to ${TAGS_MAX}`,
    );
  }
  return {
    roleArn,
    sessionName,
    sourceIdentity,
    policy,
    policyArns,
    tags,
    durationSeconds: p.has('DurationSeconds') ? Number(p.get('DurationSeconds')) : null,
  };
}

/**
 * The role, if its trust policy lets this caller assume it and also do what the request asks:
 * passing tags needs `sts:TagSession`, a source identity `sts:SetSourceIdentity`. An unknown role
 * and an untrusted caller get the same AccessDenied, as in AWS.
 */
export function trustedRole(state: AwsState, req: AssumeRequest, caller: Caller): Role {
  const role = state.roles.get(req.roleArn);
  const refuse = (action: TrustAction) =>
    new AwsError(
      403,
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${req.roleArn}`,
    );
  if (
    !role ||
    role.trustDenied ||
    !role.trustActions.has('sts:AssumeRole') ||
    (role.trustedCaller !== undefined && role.trustedCaller !== caller.arn)
  ) {
    throw refuse('sts:AssumeRole');
  }
  if (req.tags.length > 0 && !role.trustActions.has('sts:TagSession')) throw refuse('sts:TagSession');
  if (req.sourceIdentity !== null && !role.trustActions.has('sts:SetSourceIdentity')) {
    throw refuse('sts:SetSourceIdentity');
  }
  return role;
}

/** Whether assuming a role from this caller is role chaining (it is itself a role session). */
export const isChaining = (caller: Caller) => caller.temporary || caller.session !== null;

/** The session's length: 900 s … the role's maximum, one hour when chaining; 3,600 s by default. */
export function durationOf(req: AssumeRequest, caller: Caller, role: Role): number {
  const duration = req.durationSeconds ?? 3600;
  // Sessions last at least 15 minutes.
  if (!Number.isInteger(duration) || duration < 900) {
    throw constraint(
      String(req.durationSeconds),
      'durationSeconds',
      'Member must have value greater than or equal to 900',
    );
  }
  if (isChaining(caller) && duration > CHAINED_MAX_SECONDS) {
    throw new AwsError(
      400,
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  }
  if (duration > role.maxSessionSeconds) {
    throw new AwsError(
      400,
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }
  return duration;
}

/** The inline session policy, parsed as IAM does (MalformedPolicyDocument otherwise). */
export function checkPolicy(req: AssumeRequest): void {
  const plaintext = (req.policy ?? '').length + req.policyArns.reduce((n, a) => n + a.length, 0);
  // The inline policy and the managed policy ARNs together: 2,048 plaintext characters.
  if (plaintext > POLICY_PLAINTEXT_MAX) {
    throw new AwsError(
      400,
      'ValidationError',
      `1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to ${POLICY_PLAINTEXT_MAX}`,
    );
  }
  if (req.policy === null) return;
  try {
    parsePolicy(req.policy);
  } catch (e) {
    throw new AwsError(400, 'MalformedPolicyDocument', (e as PolicyError).message);
  }
}

const packedBytes = (parts: readonly string[]) =>
  parts.length === 0 ? 0 : deflateRawSync(Buffer.from(parts.join('\n'))).length;

/**
 * `PackedPolicySize`: how much of the allotted space the session policy, the policy ARNs and the
 * tags take once AWS compresses them, in percent; above 100 the call fails with
 * `PackedPolicyTooLarge`, in one of AWS's two wordings (tags alone, or the whole).
 */
export function packedPolicySize(state: AwsState, req: AssumeRequest): number {
  const tagText = req.tags.map(([k, v]) => `${k}=${v}`);
  const percent = (bytes: number) => Math.round((100 * bytes) / state.packedPolicyBudget);
  const total = percent(
    packedBytes([...(req.policy === null ? [] : [req.policy]), ...req.policyArns, ...tagText]),
  );
  if (total <= 100) return total;
  const tagsOnly = percent(packedBytes(tagText));
  throw new AwsError(
    400,
    'PackedPolicyTooLarge',
    tagsOnly > 100
      ? `Packed size of session tags consumes ${tagsOnly}% of allotted space.`
      : `Packed policy consumes ${total}% of allotted space, please use smaller policy.`,
  );
}
