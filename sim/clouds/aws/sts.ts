/**
 * STS (Query/XML, API 2011-06-15): AssumeRole with the validations AWS applies
 * (docs/cloud-mechanics.md §1), GetCallerIdentity, and DecodeAuthorizationMessage for the
 * messages `encodeDenial` produces as EC2 would.
 */
import { parsePolicy, policySize } from './policy';
import type { QueryService } from './query-protocol';
import { allows, isAdminSession, type AwsState, type Caller, type Role } from './state';
import type { AwsSession } from './types';
import { AwsError, random, xmlEscape } from './wire';

/** Role session names and source identities: 2–64 of `[\w+=,.@-]`. */
const NAME_RE = /^[\w+=,.@-]{2,64}$/;

function validationError(message: string): AwsError {
  return new AwsError(400, 'ValidationError', message);
}

/** The role to assume, if its trust policy lets this caller in; the session name checked. */
function trustedRole(state: AwsState, p: URLSearchParams, caller: Caller): Role {
  const roleArn = p.get('RoleArn') ?? '';
  const sessionName = p.get('RoleSessionName') ?? '';
  const role = state.roles.get(roleArn);
  if (!roleArn) throw new AwsError(400, 'MissingParameter', 'The request must contain the parameter RoleArn');
  if (!NAME_RE.test(sessionName)) {
    throw validationError(
      `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64`,
    );
  }
  // An unknown role and an untrusted caller get the same AccessDenied, as in AWS.
  if (!role || role.trustDenied || (role.trustedCaller !== undefined && role.trustedCaller !== caller.arn)) {
    throw new AwsError(
      403,
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    );
  }
  return role;
}

/** The requested SourceIdentity, checked (null when none was sent). */
function sourceIdentityOf(p: URLSearchParams, caller: Caller): string | null {
  const sourceIdentity = p.get('SourceIdentity');
  if (sourceIdentity !== null && (!NAME_RE.test(sourceIdentity) || /^aws:/i.test(sourceIdentity))) {
    throw validationError(
      `1 validation error detected: Value '${sourceIdentity}' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*, have length between 2 and 64 and not begin with aws:`,
    );
  }
  // SourceIdentity survives role chaining and cannot be changed by it.
  if (
    caller.session?.sourceIdentity &&
    sourceIdentity !== null &&
    sourceIdentity !== caller.session.sourceIdentity
  ) {
    throw new AwsError(403, 'AccessDenied', 'SourceIdentity cannot be changed once set on a session.');
  }
  return sourceIdentity;
}

/** DurationSeconds, checked against AWS's floor, the chaining cap and the role's maximum. */
function durationOf(p: URLSearchParams, caller: Caller, role: Role): number {
  const duration = p.has('DurationSeconds') ? Number(p.get('DurationSeconds')) : 3600;
  // Sessions last at least 15 minutes.
  if (!Number.isInteger(duration) || duration < 900) {
    throw validationError(
      `1 validation error detected: Value '${p.get('DurationSeconds')}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
    );
  }
  // Role chaining (role credentials assuming a role) caps the session at one hour.
  const chained = caller.session !== null || caller.arn.includes(':assumed-role/');
  if (chained && duration > 3600) {
    throw validationError(
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  }
  if (duration > role.maxSessionSeconds) {
    throw validationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  }
  return duration;
}

interface SessionPolicies {
  readonly policy: string | null;
  readonly policyArns: string[];
  /** PackedPolicySize, in percent of the allotted space. */
  readonly packed: number;
}

/** The inline session policy, `PolicyArns` and session tags, within AWS's limits. */
function sessionPoliciesOf(p: URLSearchParams): SessionPolicies {
  const policy = p.get('Policy');
  if (policy !== null) {
    // The inline session policy: at most 2,048 characters of plain text, and valid IAM JSON.
    if (policy.length > 2048) {
      throw validationError(
        "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048",
      );
    }
    try {
      parsePolicy(policy);
    } catch (e) {
      throw new AwsError(400, 'MalformedPolicyDocument', (e as Error).message);
    }
  }
  const policyArns = [...p.keys()]
    .filter((k) => /^PolicyArns\.member\.\d+\.arn$/.test(k))
    .map((k) => p.get(k)!);
  // At most 10 managed session policies.
  if (policyArns.length > 10) {
    throw validationError(
      "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10",
    );
  }
  // At most 50 session tags.
  if ([...p.keys()].filter((k) => /^Tags\.member\.\d+\.Key$/.test(k)).length > 50) {
    throw validationError('Tags: at most 50 session tags');
  }
  // An approximation of the packed size (AWS compresses; plain text over 2,048 already failed).
  const packed = Math.ceil(
    (100 * (policySize(policy ?? '') + policyArns.reduce((n, a) => n + a.length, 0))) / 4096,
  );
  if (packed > 100) {
    throw new AwsError(400, 'PackedPolicyTooLarge', `Packed policy consumes ${packed}% of allotted space`);
  }
  return { policy, policyArns, packed };
}

function assumeRole(state: AwsState, p: URLSearchParams, caller: Caller): string {
  const role = trustedRole(state, p, caller);
  const sessionName = p.get('RoleSessionName')!;
  const sourceIdentity = sourceIdentityOf(p, caller);
  const duration = durationOf(p, caller, role);
  const { policy, policyArns, packed } = sessionPoliciesOf(p);
  // STS issues times to the second.
  const issuedAt = new Date(Math.floor(state.clock.now().getTime() / 1000) * 1000);
  const session: AwsSession = {
    accessKeyId: `ASIA${random(16)}`,
    secretAccessKey: random(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'),
    sessionToken: `FwoGZX${random(120, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`,
    account: role.account,
    roleArn: role.arn,
    roleId: role.roleId,
    sessionName,
    // Chaining carries the caller's SourceIdentity over when none is sent.
    sourceIdentity: sourceIdentity ?? caller.session?.sourceIdentity ?? null,
    arn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`,
    issuedAt,
    expiresAt: new Date(issuedAt.getTime() + duration * 1000),
    policy,
    policyArns,
    callerArn: caller.arn,
  };
  state.sessions.set(session.accessKeyId, session);
  return (
    `<SourceIdentity>${xmlEscape(session.sourceIdentity ?? '')}</SourceIdentity>` +
    `<AssumedRoleUser><Arn>${xmlEscape(session.arn)}</Arn><AssumedRoleId>${role.roleId}:${xmlEscape(sessionName)}</AssumedRoleId></AssumedRoleUser>` +
    `<Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${xmlEscape(session.secretAccessKey)}</SecretAccessKey>` +
    `<SessionToken>${session.sessionToken}</SessionToken><Expiration>${session.expiresAt.toISOString()}</Expiration></Credentials>` +
    `<PackedPolicySize>${packed}</PackedPolicySize>`
  );
}

function decodeMessage(state: AwsState, p: URLSearchParams, caller: Caller): string {
  const blob = p.get('EncodedMessage') ?? '';
  const decoded = /\s/.test(blob) ? undefined : state.encoded.get(blob);
  if (decoded === undefined) {
    throw new AwsError(400, 'InvalidAuthorizationMessageException', 'Invalid authorization message');
  }
  const account = (
    JSON.parse(decoded) as { context: { principal: { arn: string } } }
  ).context.principal.arn.split(':')[4];
  // Only principals of the denied request's account may decode, and they need the permission.
  const permitted =
    caller.account === account &&
    (caller.session === null ||
      isAdminSession(state, caller) ||
      allows(state, caller.session, 'sts:DecodeAuthorizationMessage'));
  if (!permitted) {
    throw new AwsError(
      403,
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: sts:DecodeAuthorizationMessage`,
    );
  }
  return `<DecodedMessage>${xmlEscape(decoded)}</DecodedMessage>`;
}

function callerIdentity(caller: Caller): string {
  const userId = caller.session
    ? `${caller.session.roleId}:${caller.session.sessionName}`
    : 'AIDAEXAMPLEBROKER0001';
  return `<Arn>${xmlEscape(caller.arn)}</Arn><UserId>${xmlEscape(userId)}</UserId><Account>${caller.account}</Account>`;
}

/** STS's actions, for `queryListener`. */
export function stsApi(state: AwsState): QueryService {
  return {
    service: 'sts',
    ns: 'https://sts.amazonaws.com/doc/2011-06-15/',
    version: '2011-06-15',
    scopeRegion: state.region,
    handle(action, p, caller) {
      if (action === 'AssumeRole') return assumeRole(state, p, caller);
      if (action === 'DecodeAuthorizationMessage') return decodeMessage(state, p, caller);
      if (action === 'GetCallerIdentity') return callerIdentity(caller);
      return null;
    },
  };
}

export interface Denial {
  account: string;
  principalArn: string;
  action: string;
  resource: string;
  explicitDeny?: boolean;
}

/** An encoded authorization message for this denial, as EC2 returns one (STS decodes it). */
export function encodeDenial(state: AwsState, d: Denial): string {
  const message = JSON.stringify({
    allowed: false,
    explicitDeny: d.explicitDeny ?? false,
    matchedStatements: {
      items: d.explicitDeny ? [{ statementId: 'Deny', effect: 'DENY' }] : [],
    },
    failures: { items: [] },
    context: {
      principal: { id: `AROAEXAMPLE:${d.principalArn.split('/').pop()}`, arn: d.principalArn },
      action: d.action,
      resource: d.resource,
      conditions: { items: [{ key: 'aws:Region', values: { items: [{ value: state.region }] } }] },
    },
  });
  // Same account check as decoding: the principal ARN names the account.
  if (d.principalArn.split(':')[4] !== d.account)
    throw new Error('encodeDenial: principalArn is not in account');
  const blob = random(300, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
  state.encoded.set(blob, message);
  return blob;
}
