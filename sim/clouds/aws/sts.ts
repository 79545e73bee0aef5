/**
 * STS (Query/XML, API 2011-06-15): AssumeRole with the validations AWS applies (sts-assume.ts,
 * docs/cloud-mechanics.md §1), GetCallerIdentity, and DecodeAuthorizationMessage for the
 * messages `encodeDenial` produces as EC2 would.
 */
import type { QueryService } from './query-protocol';
import { allows, isAdminSession, type AwsState, type Caller } from './state';
import {
  assumeRequestOf,
  checkPolicy,
  durationOf,
  isChaining,
  packedPolicySize,
  trustedRole,
  type AssumeRequest,
} from './sts-assume';
import type { AwsSession } from './types';
import { AwsError, random, xmlEscape } from './wire';

/** SourceIdentity survives role chaining and cannot be changed by it; absent, it is carried over. */
function sourceIdentityOf(req: AssumeRequest, caller: Caller): string | null {
  const inherited = caller.session?.sourceIdentity ?? null;
  if (inherited !== null && req.sourceIdentity !== null && req.sourceIdentity !== inherited) {
    throw new AwsError(403, 'AccessDenied', 'SourceIdentity cannot be changed once set on a session.');
  }
  return req.sourceIdentity ?? inherited;
}

function assumeRole(state: AwsState, p: URLSearchParams, caller: Caller): string {
  const req = assumeRequestOf(p);
  checkPolicy(req);
  const role = trustedRole(state, req, caller);
  const sourceIdentity = sourceIdentityOf(req, caller);
  const duration = durationOf(req, caller, role);
  const packed = packedPolicySize(state, req);
  // STS issues times to the second.
  const issuedAt = new Date(Math.floor(state.clock.now().getTime() / 1000) * 1000);
  const session: AwsSession = {
    accessKeyId: `ASIA${random(16)}`,
    secretAccessKey: random(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'),
    sessionToken: `FwoGZX${random(120, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`,
    account: role.account,
    roleArn: role.arn,
    roleId: role.roleId,
    sessionName: req.sessionName,
    sourceIdentity,
    arn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/${req.sessionName}`,
    issuedAt,
    expiresAt: new Date(issuedAt.getTime() + duration * 1000),
    policy: req.policy,
    policyArns: req.policyArns,
    callerArn: caller.arn,
    chained: isChaining(caller),
    durationRequested: req.durationSeconds !== null,
    tags: Object.fromEntries(req.tags),
  };
  state.sessions.set(session.accessKeyId, session);
  return (
    // SourceIdentity only when the session has one (the model's sourceIdentityType is 2–64 characters).
    (session.sourceIdentity === null
      ? ''
      : `<SourceIdentity>${xmlEscape(session.sourceIdentity)}</SourceIdentity>`) +
    `<AssumedRoleUser><Arn>${xmlEscape(session.arn)}</Arn><AssumedRoleId>${role.roleId}:${xmlEscape(req.sessionName)}</AssumedRoleId></AssumedRoleUser>` +
    `<Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${xmlEscape(session.secretAccessKey)}</SecretAccessKey>` +
    `<SessionToken>${session.sessionToken}</SessionToken><Expiration>${session.expiresAt.toISOString()}</Expiration></Credentials>` +
    `<PackedPolicySize>${packed}</PackedPolicySize>`
  );
}

function decodeMessage(state: AwsState, p: URLSearchParams, caller: Caller): string {
  const blob = p.get('EncodedMessage') ?? '';
  // `encodedMessageType`: 1–10,240 characters.
  if (blob.length < 1 || blob.length > 10_240) {
    throw new AwsError(
      400,
      'ValidationError',
      `1 validation error detected: Value at 'encodedMessage' failed to satisfy constraint: Member must have length between 1 and 10240`,
    );
  }
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
