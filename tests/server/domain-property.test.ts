/**
 * Random walks through the lifecycle: whatever sequence of operations is tried, in whatever
 * order and at whatever time, the request and its grant only ever take steps the tables allow,
 * nobody's approval counts twice, nobody approves their own request, and one request yields at
 * most one grant — also when approvals are computed from stale snapshots and written with the
 * store's compare-and-set.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccessRequest, Grant, PolicyDecisionSnapshot, Result } from '../../server/domain';
import {
  ERROR_CODES,
  GRANT_STATUSES,
  REQUEST_STATUSES,
  approve,
  canTransitionGrant,
  canTransitionRequest,
  cancel,
  deny,
  expirePending,
  extendGrant,
  issueGrant,
  markDue,
  provisionFailed,
  provisioned,
  revoke,
  revokeFailed,
  revoked,
  sameIdentity,
  startProvisioning,
  startRevoking,
  submitRequest,
} from '../../server/domain';
import { HOUR, MINUTE, T0, draft } from './domain-fixtures';

const PEOPLE = ['alice', 'Alice', 'bob', 'BOB', 'dave', 'mallory'] as const;
const GROUPS: Record<(typeof PEOPLE)[number], string[]> = {
  alice: ['sandbox-approvers'], // the requester happens to be an approver too
  Alice: ['sandbox-approvers'],
  bob: ['sandbox-approvers'],
  BOB: ['sandbox-approvers'],
  dave: ['sandbox-approvers'],
  mallory: ['engineers'],
};
const MAX_LIFETIME = 12 * HOUR;

type Op =
  | { kind: 'tick'; minutes: number }
  | { kind: 'approve' | 'deny' | 'cancel' | 'revoke'; who: (typeof PEOPLE)[number] }
  | { kind: 'approve-stale'; who: (typeof PEOPLE)[number]; back: number }
  | { kind: 'expire' | 'issue' | 'startProvisioning' | 'provisioned' | 'provisionFailed' }
  | { kind: 'provisionFailedForGood' }
  | { kind: 'markDue' | 'startRevoking' | 'revoked' | 'revokeFailed' }
  | { kind: 'extend'; minutes: number };

const who = fc.constantFrom(...PEOPLE);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      // Mostly short steps (retries, approvals within the hour), sometimes past every deadline.
      minutes: fc.oneof(
        { weight: 5, arbitrary: fc.integer({ min: 0, max: 10 }) },
        { weight: 2, arbitrary: fc.integer({ min: 30, max: 120 }) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 26 * 60 }) },
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom('approve' as const, 'deny' as const, 'cancel' as const),
      who,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('approve-stale' as const), who, back: fc.nat({ max: 4 }) }),
  },
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constantFrom(
        'issue' as const,
        'startProvisioning' as const,
        'provisioned' as const,
        'provisionFailed' as const,
        'provisionFailedForGood' as const,
        'markDue' as const,
        'startRevoking' as const,
        'revoked' as const,
        'revokeFailed' as const,
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('extend' as const),
      minutes: fc.integer({ min: -60, max: 900 }),
    }),
  },
);

const policyArb: fc.Arbitrary<PolicyDecisionSnapshot> = fc.oneof(
  fc
    // 'security-team' has no member among PEOPLE: such a request can only be cancelled or expire.
    .tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom('sandbox-approvers', 'security-team'))
    .map(([n, group]) => ({
      decision: 'needs-approval' as const,
      requiredApprovals: n,
      policyIds: ['p'],
      advice: [],
      approverGroups: [group],
    })),
  fc.constantFrom(
    {
      decision: 'auto-approve' as const,
      requiredApprovals: 0,
      policyIds: ['a'],
      advice: [],
      approverGroups: [],
    },
    { decision: 'deny' as const, requiredApprovals: 0, policyIds: ['d'], advice: [], approverGroups: [] },
  ),
);

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Date) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function checkResult<T>(result: Result<T>, at: Date, ids: { requestId?: string; grantId?: string }): void {
  if (!result.ok) {
    expect(ERROR_CODES).toContain(result.error.code);
    expect(result.error.message.length).toBeGreaterThan(0);
    return;
  }
  expect(result.events.length).toBeGreaterThan(0);
  for (const e of result.events) {
    expect(e.at).toEqual(at);
    if (ids.requestId) expect(e.requestId).toBe(ids.requestId);
    if (ids.grantId) expect(e.grantId).toBe(ids.grantId);
  }
}

function checkRequest(prev: AccessRequest, next: AccessRequest): void {
  expect(REQUEST_STATUSES).toContain(next.status);
  if (next.status !== prev.status) expect(canTransitionRequest(prev.status, next.status)).toBe(true);
  const approvers = next.approvals.map((a) => a.approver.trim().toLowerCase());
  expect(new Set(approvers).size).toBe(approvers.length); // nobody counted twice
  expect(next.approvals.some((a) => sameIdentity(a.approver, next.requester))).toBe(false);
  expect(next.denials.some((a) => sameIdentity(a.approver, next.requester))).toBe(false);
  if (next.policy.decision === 'needs-approval') {
    const quorum = next.policy.requiredApprovals;
    if (next.status === 'approved') expect(next.approvals.length).toBe(quorum);
    else expect(next.approvals.length).toBeLessThan(quorum);
  } else {
    expect(next.approvals).toHaveLength(0);
  }
  if (next.status !== 'pending') expect(next.decidedAt).not.toBeNull();
}

function checkGrant(prev: Grant | null, next: Grant): void {
  expect(GRANT_STATUSES).toContain(next.status);
  if (prev && next.status !== prev.status) expect(canTransitionGrant(prev.status, next.status)).toBe(true);
  if (prev) expect(next.expiresAt.getTime()).toBeGreaterThanOrEqual(prev.expiresAt.getTime());
  expect(next.expiresAt.getTime()).toBeLessThanOrEqual(next.startsAt.getTime() + MAX_LIFETIME);
  expect(next.attempts).toBeGreaterThanOrEqual(0);
  if (next.status === 'provision-failed' || next.status === 'revoke-failed') {
    expect(next.lastError).not.toBeNull();
    expect(next.nextAttemptAt).not.toBeNull();
  }
  // A failure is kept exactly when the broker gave up provisioning, and stays once set.
  expect(next.failure !== null).toBe(next.revokeReason === 'failed');
  if (next.status === 'failed') expect(next.failure?.reason).toBeTruthy();
  if (prev?.failure) expect(next.failure).toEqual(prev.failure);
}

describe('random operation sequences', () => {
  it('stay inside the transition tables and keep the approval invariants', () => {
    const reached = new Set<string>();
    fc.assert(
      fc.property(policyArb, fc.array(op, { maxLength: 80, size: 'max' }), (policy, ops) => {
        let now = T0;
        // Eight hours, so that short and medium steps leave time to reach every grant status.
        const submitted = submitRequest(draft({ durationMinutes: 480 }), {
          id: 'req-1',
          requester: 'alice',
          now,
          policy,
        });
        if (!submitted.ok) throw new Error(submitted.error.message);
        let request = deepFreeze(submitted.value);
        checkRequest(request, request);
        const history: AccessRequest[] = [request];
        let grant: Grant | null = null;
        let grantsIssued = 0;

        for (const step of ops) {
          const reviewOf = (name: (typeof PEOPLE)[number]) => ({
            approver: name,
            at: now,
            comment: null,
            approverGroups: GROUPS[name],
          });
          let requestResult: Result<AccessRequest> | null = null;
          let grantResult: Result<Grant> | null = null;
          switch (step.kind) {
            case 'tick':
              now = new Date(now.getTime() + step.minutes * MINUTE);
              continue;
            case 'approve':
              requestResult = approve(request, reviewOf(step.who));
              break;
            case 'approve-stale': {
              // An approval computed from an older snapshot; the store's compare-and-set rejects
              // it unless that snapshot is still current.
              const snapshot = history[Math.max(0, history.length - 1 - step.back)] ?? request;
              const stale = approve(snapshot, reviewOf(step.who));
              checkResult(stale, now, { requestId: 'req-1' });
              if (stale.ok && snapshot.version === request.version) requestResult = stale;
              else continue;
              break;
            }
            case 'deny':
              requestResult = deny(request, reviewOf(step.who));
              break;
            case 'cancel':
              requestResult = cancel(request, step.who, now);
              break;
            case 'expire':
              requestResult = expirePending(request, now);
              break;
            case 'issue': {
              const issued = issueGrant(request, { id: `grant-${grantsIssued + 1}`, at: now });
              checkResult(issued, now, { requestId: 'req-1' });
              if (issued.ok) {
                grantsIssued++;
                expect(request.status).toBe('approved');
                checkGrant(null, issued.value.grant);
                expect(issued.value.request.grantId).toBe(issued.value.grant.id);
                request = deepFreeze(issued.value.request);
                grant = deepFreeze(issued.value.grant);
                history.push(request);
              }
              continue;
            }
            default: {
              if (!grant) continue;
              const g: Grant = grant;
              switch (step.kind) {
                case 'startProvisioning':
                  grantResult = startProvisioning(g, now);
                  break;
                case 'provisioned':
                  grantResult = provisioned(g, now);
                  break;
                case 'provisionFailed':
                  grantResult = provisionFailed(g, 'throttled', now);
                  break;
                case 'provisionFailedForGood':
                  grantResult = provisionFailed(g, { message: 'no role holds it', permanent: true }, now);
                  break;
                case 'markDue':
                  grantResult = markDue(g, now);
                  break;
                case 'revoke':
                  grantResult = revoke(g, step.who, now);
                  break;
                case 'startRevoking':
                  grantResult = startRevoking(g, now);
                  break;
                case 'revoked':
                  grantResult = revoked(g, now);
                  break;
                case 'revokeFailed':
                  grantResult = revokeFailed(g, 'throttled', now);
                  break;
                case 'extend':
                  grantResult = extendGrant(g, new Date(g.expiresAt.getTime() + step.minutes * MINUTE), {
                    at: now,
                    maxExpiresAt: new Date(g.startsAt.getTime() + MAX_LIFETIME),
                    actor: 'alice',
                    requestId: null,
                  });
                  break;
              }
            }
          }
          if (requestResult) {
            checkResult(requestResult, now, { requestId: 'req-1' });
            if (requestResult.ok) {
              checkRequest(request, requestResult.value);
              reached.add(`request:${requestResult.value.status}`);
              expect(requestResult.value.version).toBe(request.version + 1);
              request = deepFreeze(requestResult.value);
              history.push(request);
            }
          }
          if (grantResult && grant) {
            checkResult(grantResult, now, { grantId: grant.id });
            if (grantResult.ok) {
              checkGrant(grant, grantResult.value);
              reached.add(`grant:${grantResult.value.status}`);
              expect(grantResult.value.version).toBe(grant.version + 1);
              grant = deepFreeze(grantResult.value);
            }
          }
        }
        expect(grantsIssued).toBeLessThanOrEqual(1);
        if (grant) expect(request.grantId).toBe(grant.id);
      }),
      { numRuns: 1000 },
    );
    // The walk is only worth something if it gets everywhere.
    const everywhere = [
      ...REQUEST_STATUSES.filter((s) => s !== 'pending').map((s) => `request:${s}`),
      ...GRANT_STATUSES.filter((s) => s !== 'approved').map((s) => `grant:${s}`),
    ];
    expect([...reached].sort()).toEqual(expect.arrayContaining(everywhere));
  });

  it('a grant that reached ended, revoked or failed refuses every further operation', () => {
    const step = fc.tuple(fc.nat({ max: 8 }), fc.integer({ min: 0, max: 120 }));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40, size: 'max' }), (steps) => {
        let now = T0;
        const submitted = submitRequest(draft(), {
          id: 'req-1',
          requester: 'alice',
          now,
          policy: {
            decision: 'auto-approve',
            requiredApprovals: 0,
            policyIds: [],
            advice: [],
            approverGroups: [],
          },
        });
        if (!submitted.ok) throw new Error(submitted.error.message);
        const issued = issueGrant(submitted.value, { id: 'g', at: now });
        if (!issued.ok) throw new Error(issued.error.message);
        let grant = deepFreeze(issued.value.grant);
        let final = false;
        for (const [pick, minutes] of steps) {
          now = new Date(now.getTime() + minutes * MINUTE);
          const results: Result<Grant>[] = [
            startProvisioning(grant, now),
            provisioned(grant, now),
            provisionFailed(grant, 'x', now),
            markDue(grant, now),
            revoke(grant, 'bob', now),
            startRevoking(grant, now),
            revoked(grant, now),
            revokeFailed(grant, 'x', now),
            provisionFailed(grant, { message: 'x', permanent: true }, now),
          ];
          if (final) {
            for (const r of results) expect(r.ok).toBe(false);
            continue;
          }
          const chosen = results[pick];
          if (chosen?.ok) grant = deepFreeze(chosen.value);
          final = grant.status === 'ended' || grant.status === 'revoked' || grant.status === 'failed';
        }
      }),
      { numRuns: 500 },
    );
  });
});
