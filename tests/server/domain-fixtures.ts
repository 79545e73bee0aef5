/**
 * Builders shared by the domain tests (not a test file itself). Times are fixed so expectations
 * can name exact instants.
 */
import { expect } from 'vitest';
import type {
  AccessRequest,
  Grant,
  GrantStatus,
  PolicyDecisionSnapshot,
  RequestDraft,
  Result,
} from '../../server/domain';
import {
  issueGrant,
  markDue,
  provisionFailed,
  provisioned,
  revoke,
  revokeFailed,
  revoked,
  startProvisioning,
  submitRequest,
} from '../../server/domain';

export const T0 = new Date('2026-01-05T09:00:00.000Z');
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export function at(offsetMs: number): Date {
  return new Date(T0.getTime() + offsetMs);
}

export const APPROVERS = ['sandbox-approvers'];

export function policy(overrides: Partial<PolicyDecisionSnapshot> = {}): PolicyDecisionSnapshot {
  return {
    decision: 'needs-approval',
    requiredApprovals: 1,
    policyIds: ['needs-one-approver'],
    advice: ['One approver from sandbox-approvers must approve.'],
    approverGroups: APPROVERS,
    ...overrides,
  };
}

export function draft(overrides: Partial<RequestDraft> = {}): RequestDraft {
  return {
    target: { cloud: 'aws', account: '111111111111', environment: 'dev' },
    actions: ['s3:GetObject'],
    resource: 'arn:aws:s3:::reports/*',
    durationMinutes: 60,
    justification: 'Debug the nightly report job',
    ticket: 'OPS-42',
    denial: {
      excerpt: 'User ... is not authorized to perform: s3:GetObject',
      denyKind: 'implicit',
      encodedMessage: null,
    },
    ...overrides,
  };
}

/** The value of a result that must be ok (fails the test with the error otherwise). */
export function value<T>(result: Result<T>): T {
  if (!result.ok) expect.fail(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** The error code of a result that must have failed. */
export function code<T>(result: Result<T>): string {
  if (result.ok) expect.fail('expected an error, got ok');
  return result.error.code;
}

export function pendingRequest(
  p: Partial<PolicyDecisionSnapshot> = {},
  d: Partial<RequestDraft> = {},
  id = 'req-1',
): AccessRequest {
  return value(submitRequest(draft(d), { id, requester: 'alice', now: T0, policy: policy(p) }));
}

export function approvedRequest(d: Partial<RequestDraft> = {}, id = 'req-1'): AccessRequest {
  return value(
    submitRequest(draft(d), {
      id,
      requester: 'alice',
      now: T0,
      policy: policy({ decision: 'auto-approve', requiredApprovals: 0 }),
    }),
  );
}

/** A fresh grant (status `approved`, expires at T0 + 60 min). */
export function newGrant(d: Partial<RequestDraft> = {}, id = 'grant-1', requestId = 'req-1'): Grant {
  return value(issueGrant(approvedRequest(d, requestId), { id, at: T0 })).grant;
}

/** A grant brought into `status` by legal transitions only, all before its expiry. */
export function grantIn(status: GrantStatus): Grant {
  const g = newGrant();
  const now = at(MINUTE);
  switch (status) {
    case 'approved':
      return g;
    case 'provisioning':
      return value(startProvisioning(g, now));
    case 'provision-failed':
      return value(provisionFailed(grantIn('provisioning'), 'throttled', now));
    case 'active':
      return value(provisioned(grantIn('provisioning'), now));
    case 'revoking':
      return value(revoke(grantIn('active'), 'bob', now));
    case 'revoke-failed':
      return value(revokeFailed(grantIn('revoking'), 'throttled', now));
    case 'revoked':
      return value(revoke(g, 'bob', now));
    case 'ended':
      return value(markDue(g, at(2 * HOUR)));
    case 'failed': {
      const givenUp = value(
        provisionFailed(grantIn('provisioning'), { message: 'no role holds it', permanent: true }, now),
      );
      return value(revoked(givenUp, now));
    }
  }
}

/**
 * A grant as a provisioner receives it: `what` says who, where and what; it runs for an hour from
 * `startsAt`, with no failed attempts, revocation or extensions yet.
 */
export function grantFixture(
  what: Pick<Grant, 'user' | 'target' | 'actions' | 'resource' | 'startsAt'> & Partial<Grant>,
): Grant {
  return {
    id: 'g-1',
    requestId: 'r-1',
    status: 'provisioning',
    expiresAt: new Date(what.startsAt.getTime() + HOUR),
    attempts: 0,
    lastError: null,
    nextAttemptAt: null,
    extendedBy: [],
    revokeReason: null,
    revokedBy: null,
    failure: null,
    endedAt: null,
    version: 1,
    ...what,
  };
}
