import { describe, expect, it } from 'vitest';
import type { AccessRequest, ReviewInput } from '../../server/domain';
import {
  DEFAULT_PENDING_TTL_MS,
  REQUEST_STATUSES,
  REQUEST_TRANSITIONS,
  approve,
  cancel,
  deny,
  expirePending,
  issueGrant,
  submitRequest,
} from '../../server/domain';
import {
  APPROVERS,
  HOUR,
  MINUTE,
  T0,
  at,
  code,
  draft,
  pendingRequest,
  policy,
  value,
} from './domain-fixtures';

const review = (approver: string, offset = MINUTE, groups = APPROVERS): ReviewInput => ({
  approver,
  at: at(offset),
  comment: `ok from ${approver}`,
  approverGroups: groups,
});

describe('the request transition table', () => {
  it('is pending → approved | denied | expired | cancelled, and every other status is final', () => {
    expect(REQUEST_TRANSITIONS).toEqual({
      pending: ['approved', 'denied', 'expired', 'cancelled'],
      approved: [],
      denied: [],
      expired: [],
      cancelled: [],
    });
    expect(Object.keys(REQUEST_TRANSITIONS).sort()).toEqual([...REQUEST_STATUSES].sort());
  });
});

describe('submitRequest', () => {
  it('creates a pending request that expires 24 h later when the policy asks for approval', () => {
    const result = submitRequest(draft(), { id: 'req-1', requester: 'alice', now: T0, policy: policy() });
    const request = value(result);
    expect(request).toMatchObject({
      id: 'req-1',
      requester: 'alice',
      status: 'pending',
      createdAt: T0,
      decidedAt: null,
      approvals: [],
      denials: [],
      grantId: null,
      linkedGrantId: null,
      version: 1,
    });
    expect(request.expiresAt.getTime() - T0.getTime()).toBe(DEFAULT_PENDING_TTL_MS);
    expect(DEFAULT_PENDING_TTL_MS).toBe(24 * HOUR);
    expect(result.ok && result.events.map((e) => e.type)).toEqual(['request.submitted']);
    expect(result.ok && result.events[0]).toMatchObject({
      requestId: 'req-1',
      grantId: null,
      actor: 'alice',
      at: T0,
      details: { decision: 'needs-approval', requiredApprovals: 1, policyIds: ['needs-one-approver'] },
    });
  });

  it('honours a configured pending lifetime', () => {
    const request = value(
      submitRequest(draft(), { id: 'r', requester: 'alice', now: T0, policy: policy(), pendingTtlMs: HOUR }),
    );
    expect(request.expiresAt).toEqual(at(HOUR));
  });

  it('passes an auto-approved request through pending to approved, decided by the policy', () => {
    const result = submitRequest(draft(), {
      id: 'r',
      requester: 'alice',
      now: T0,
      policy: policy({ decision: 'auto-approve', requiredApprovals: 0 }),
    });
    expect(value(result)).toMatchObject({ status: 'approved', decidedAt: T0, approvals: [], version: 2 });
    expect(result.ok && result.events.map((e) => [e.type, e.actor])).toEqual([
      ['request.submitted', 'alice'],
      ['request.approved', 'policy'],
    ]);
  });

  it('ignores requiredApprovals unless approval is needed (the policy engine reports 1 there)', () => {
    for (const decision of ['auto-approve', 'deny'] as const) {
      const result = submitRequest(draft(), {
        id: 'r',
        requester: 'alice',
        now: T0,
        policy: policy({ decision, requiredApprovals: 1 }),
      });
      expect(value(result).approvals).toEqual([]);
    }
  });

  it('records a policy denial as denied at once', () => {
    const result = submitRequest(draft(), {
      id: 'r',
      requester: 'alice',
      now: T0,
      policy: policy({ decision: 'deny', requiredApprovals: 0, policyIds: ['no-wildcards'] }),
    });
    expect(value(result)).toMatchObject({ status: 'denied', decidedAt: T0 });
    expect(result.ok && result.events.map((e) => [e.type, e.actor])).toEqual([
      ['request.submitted', 'alice'],
      ['request.denied', 'policy'],
    ]);
  });

  it('trims and de-duplicates actions, keeping their order', () => {
    const request = value(
      submitRequest(draft({ actions: [' s3:GetObject', 's3:ListBucket', 's3:GetObject '] }), {
        id: 'r',
        requester: 'alice',
        now: T0,
        policy: policy(),
      }),
    );
    expect(request.actions).toEqual(['s3:GetObject', 's3:ListBucket']);
  });

  it.each([
    ['no actions', { actions: [] }, {}, {}],
    ['only blank actions', { actions: ['  '] }, {}, {}],
    ['a zero duration', { durationMinutes: 0 }, {}, {}],
    ['a fractional duration', { durationMinutes: 1.5 }, {}, {}],
    ['a quorum of zero for needs-approval', {}, { requiredApprovals: 0 }, {}],
    ['a fractional quorum', {}, { requiredApprovals: 1.5 }, {}],
    ['an empty id', {}, {}, { id: ' ' }],
    ['an empty requester', {}, {}, { requester: '' }],
    ['a zero pending lifetime', {}, {}, { pendingTtlMs: 0 }],
  ])('rejects %s as invalid-input', (_name, d, p, o) => {
    const result = submitRequest(draft(d), { id: 'r', requester: 'alice', now: T0, policy: policy(p), ...o });
    expect(code(result)).toBe('invalid-input');
  });
});

describe('approve', () => {
  it('approves with one approval when the quorum is one, and says who approved', () => {
    const request = pendingRequest();
    const result = approve(request, review('bob'));
    const approved = value(result);
    expect(approved).toMatchObject({
      status: 'approved',
      decidedAt: at(MINUTE),
      approvals: [{ approver: 'bob', at: at(MINUTE), comment: 'ok from bob' }],
      version: 2,
    });
    expect(result.ok && result.events.map((e) => [e.type, e.actor, e.requestId])).toEqual([
      ['request.approval-recorded', 'bob', 'req-1'],
      ['request.approved', 'bob', 'req-1'],
    ]);
    expect(request.status).toBe('pending'); // the input snapshot is untouched
  });

  it('rejects self-approval, whatever the spelling of the name and even for an approver', () => {
    const request = pendingRequest();
    for (const me of ['alice', 'Alice', ' alice ']) {
      const result = approve(request, review(me));
      expect(code(result)).toBe('self-approval');
    }
  });

  it('rejects an approver outside the approver groups', () => {
    expect(code(approve(pendingRequest(), review('mallory', MINUTE, ['engineers'])))).toBe('not-an-approver');
    expect(code(approve(pendingRequest(), review('bob', MINUTE, [])))).toBe('not-an-approver');
  });

  it('lets nobody approve when the request has no approver groups', () => {
    const request = pendingRequest({ approverGroups: [] });
    expect(code(approve(request, review('bob')))).toBe('not-an-approver');
  });

  it('needs two distinct approvers for a quorum of two; one person counts once', () => {
    const request = pendingRequest({ requiredApprovals: 2 });
    const once = value(approve(request, review('bob')));
    expect(once).toMatchObject({ status: 'pending', decidedAt: null, version: 2 });
    expect(once.approvals).toHaveLength(1);

    expect(code(approve(once, review('bob', 2 * MINUTE)))).toBe('already-approved-by');
    expect(code(approve(once, review('BOB', 2 * MINUTE)))).toBe('already-approved-by');

    const result = approve(once, review('dave', 3 * MINUTE));
    const twice = value(result);
    expect(twice).toMatchObject({ status: 'approved', decidedAt: at(3 * MINUTE), version: 3 });
    expect(twice.approvals.map((a) => a.approver)).toEqual(['bob', 'dave']);
    expect(result.ok && result.events[1]).toMatchObject({
      type: 'request.approved',
      details: { approvers: ['bob', 'dave'] },
    });
  });

  it('answers already-decided to an approval after the quorum was reached', () => {
    const approved = value(approve(pendingRequest(), review('bob')));
    expect(code(approve(approved, review('dave')))).toBe('already-decided');
    expect(code(approve(approved, review('bob')))).toBe('already-decided');
  });

  it.each(['denied', 'expired', 'cancelled'] as const)(
    'answers already-decided on a %s request',
    (status) => {
      const request = pendingRequest();
      const decided =
        status === 'denied'
          ? value(deny(request, review('bob')))
          : status === 'expired'
            ? value(expirePending(request, at(24 * HOUR)))
            : value(cancel(request, 'alice', at(MINUTE)));
      expect(decided.status).toBe(status);
      expect(code(approve(decided, review('dave')))).toBe('already-decided');
      expect(code(deny(decided, review('dave')))).toBe('already-decided');
    },
  );

  it('refuses approvals once the request is past its answer-by time', () => {
    const request = pendingRequest();
    expect(code(approve(request, review('bob', 24 * HOUR)))).toBe('request-expired');
    expect(value(approve(request, review('bob', 24 * HOUR - 1))).status).toBe('approved');
  });
});

/**
 * The store writes a transition only if the row still has the version the transition was computed
 * from (compare-and-set); a loser re-reads and retries. This is that store, in memory.
 */
class VersionedRow {
  constructor(public current: AccessRequest) {}
  write(from: AccessRequest, next: AccessRequest): boolean {
    if (this.current.version !== from.version || next.version !== from.version + 1) return false;
    this.current = next;
    return true;
  }
}

describe('concurrent approvals', () => {
  it('two approvals computed from the same snapshot: one lands, the retry is already-decided, one grant', () => {
    const snapshot = pendingRequest();
    const row = new VersionedRow(snapshot);
    const byBob = value(approve(snapshot, review('bob')));
    const byDave = value(approve(snapshot, review('dave')));
    // Both are valid in isolation, so both carry the same next version…
    expect(byBob.version).toBe(byDave.version);
    // …and the store accepts only the first.
    expect(row.write(snapshot, byBob)).toBe(true);
    expect(row.write(snapshot, byDave)).toBe(false);
    // Dave's retry against the fresh row gets a clear answer.
    expect(code(approve(row.current, review('dave')))).toBe('already-decided');

    // Issuing is guarded too: the second attempt is refused, so there is never a second grant.
    const issued = value(issueGrant(row.current, { id: 'g1', at: at(MINUTE) }));
    expect(row.write(row.current, issued.request)).toBe(true);
    expect(code(issueGrant(row.current, { id: 'g2', at: at(MINUTE) }))).toBe('already-granted');
  });

  it('two approvals from the same snapshot with a quorum of two: the retry completes the quorum', () => {
    const snapshot = pendingRequest({ requiredApprovals: 2 });
    const row = new VersionedRow(snapshot);
    const byBob = value(approve(snapshot, review('bob')));
    const byDave = value(approve(snapshot, review('dave')));
    expect(byBob.status).toBe('pending');
    expect(row.write(snapshot, byBob)).toBe(true);
    expect(row.write(snapshot, byDave)).toBe(false); // would have lost Bob's approval
    const retried = value(approve(row.current, review('dave')));
    expect(row.write(row.current, retried)).toBe(true);
    expect(row.current.status).toBe('approved');
    expect(row.current.approvals.map((a) => a.approver)).toEqual(['bob', 'dave']);
  });

  it('the same approver clicking twice on one snapshot is recorded once', () => {
    const snapshot = pendingRequest({ requiredApprovals: 2 });
    const row = new VersionedRow(snapshot);
    const first = value(approve(snapshot, review('bob')));
    const second = value(approve(snapshot, review('bob')));
    expect(row.write(snapshot, first)).toBe(true);
    expect(row.write(snapshot, second)).toBe(false);
    expect(code(approve(row.current, review('bob')))).toBe('already-approved-by');
    expect(row.current.status).toBe('pending');
  });
});

describe('deny', () => {
  it('one eligible reviewer denies the request, even after a partial approval', () => {
    const request = pendingRequest({ requiredApprovals: 2 });
    const half = value(approve(request, review('bob')));
    const result = deny(half, { ...review('dave', 2 * MINUTE), comment: 'not in a change window' });
    expect(value(result)).toMatchObject({
      status: 'denied',
      decidedAt: at(2 * MINUTE),
      denials: [{ approver: 'dave', comment: 'not in a change window' }],
    });
    expect(result.ok && result.events.map((e) => [e.type, e.actor])).toEqual([['request.denied', 'dave']]);
  });

  it('rejects a self-denial, an outsider and a late denial', () => {
    const request = pendingRequest();
    expect(code(deny(request, review('alice')))).toBe('self-approval');
    expect(code(deny(request, review('mallory', MINUTE, ['engineers'])))).toBe('not-an-approver');
    expect(code(deny(request, review('bob', 25 * HOUR)))).toBe('request-expired');
  });

  it('answers already-decided after approval', () => {
    const approved = value(approve(pendingRequest(), review('bob')));
    expect(code(deny(approved, review('dave')))).toBe('already-decided');
  });
});

describe('cancel', () => {
  it('lets the requester cancel while pending', () => {
    const result = cancel(pendingRequest(), 'alice', at(MINUTE), 'not needed any more');
    expect(value(result)).toMatchObject({ status: 'cancelled', decidedAt: at(MINUTE), version: 2 });
    expect(result.ok && result.events).toEqual([
      {
        type: 'request.cancelled',
        requestId: 'req-1',
        grantId: null,
        actor: 'alice',
        at: at(MINUTE),
        details: { comment: 'not needed any more' },
      },
    ]);
  });

  it('refuses anyone else, approvers included', () => {
    expect(code(cancel(pendingRequest(), 'bob', at(MINUTE)))).toBe('not-requester');
  });

  it('refuses once the request is decided', () => {
    const approved = value(approve(pendingRequest(), review('bob')));
    expect(code(cancel(approved, 'alice', at(2 * MINUTE)))).toBe('illegal-transition');
    const cancelled = value(cancel(pendingRequest(), 'alice', at(MINUTE)));
    expect(code(cancel(cancelled, 'alice', at(2 * MINUTE)))).toBe('illegal-transition');
  });
});

describe('expirePending', () => {
  it('expires a request nobody answered in 24 h, and not a moment before', () => {
    const request = pendingRequest();
    expect(code(expirePending(request, at(24 * HOUR - 1)))).toBe('not-due');
    const result = expirePending(request, at(24 * HOUR));
    expect(value(result)).toMatchObject({ status: 'expired', decidedAt: at(24 * HOUR) });
    expect(result.ok && result.events[0]).toMatchObject({ type: 'request.expired', actor: 'system' });
  });

  it('expires a half-approved request too', () => {
    const half = value(approve(pendingRequest({ requiredApprovals: 2 }), review('bob')));
    expect(value(expirePending(half, at(30 * HOUR))).status).toBe('expired');
  });

  it('leaves decided requests alone', () => {
    const approved = value(approve(pendingRequest(), review('bob')));
    expect(code(expirePending(approved, at(48 * HOUR)))).toBe('illegal-transition');
  });
});
