/**
 * The follow-up steps as pure functions (server/domain/follow-up.ts): when each reminder and the
 * escalation fall due, what they change, and that a request that left `pending` is left alone.
 * The worker and both stores are exercised in follow-up.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  approve,
  followUpPending,
  nextFollowUpAt,
  submitRequest,
  type AccessRequest,
  type FollowUpPlan,
} from '../../server/domain';
import { HOUR, MINUTE, T0, at, code, draft, policy, value } from './domain-fixtures';

const PLAN: FollowUpPlan = {
  remindAfterMinutes: 60,
  remindEveryMinutes: 30,
  maxReminders: 2,
  escalateAfterMinutes: 120,
  escalateTo: ['security-leads'],
};

function filed(plan: FollowUpPlan | null = PLAN): AccessRequest {
  return value(
    submitRequest(draft(), { id: 'req-1', requester: 'alice', now: T0, policy: policy(), followUp: plan }),
  );
}

describe('follow-up of a pending request', () => {
  it('keeps the plan from submission and schedules the first reminder', () => {
    const r = filed();
    expect(r.followUp).toEqual({ plan: PLAN, remindersSent: 0, escalatedAt: null, escalatedTo: [] });
    expect(nextFollowUpAt(r)).toEqual(at(HOUR));
    expect(nextFollowUpAt(filed(null))).toBeNull();
    expect(code(followUpPending(r, at(HOUR - 1)))).toBe('not-due');
  });

  it('reminds at 60 and 90 minutes, then only escalates, then has nothing left', () => {
    const first = followUpPending(filed(), at(HOUR));
    expect(first.ok && first.events.map((e) => [e.type, e.details.reminder])).toEqual([
      ['request.reminder', 1],
    ]);
    const r1 = value(first);
    expect(r1.version).toBe(2);
    expect(nextFollowUpAt(r1)).toEqual(at(90 * MINUTE));
    const r2 = value(followUpPending(r1, at(90 * MINUTE)));
    expect(r2.followUp?.remindersSent).toBe(2);
    expect(nextFollowUpAt(r2)).toEqual(at(2 * HOUR));
    const escalated = followUpPending(r2, at(2 * HOUR));
    expect(escalated.ok && escalated.events.map((e) => e.type)).toEqual(['request.escalated']);
    const r3 = value(escalated);
    expect(r3.policy.approverGroups).toEqual(['sandbox-approvers', 'security-leads']);
    expect(r3.followUp).toMatchObject({ escalatedAt: at(2 * HOUR), escalatedTo: ['security-leads'] });
    expect(nextFollowUpAt(r3)).toBeNull();
    expect(code(followUpPending(r3, at(10 * HOUR)))).toBe('not-due');
  });

  it('lets a member of the escalation group approve only after the escalation', () => {
    const review = { approver: 'sam', at: at(3 * HOUR), approverGroups: ['security-leads'] };
    const r = filed();
    expect(code(approve(r, review))).toBe('not-an-approver');
    const escalated = value(followUpPending(r, at(2 * HOUR)));
    expect(value(approve(escalated, review)).status).toBe('approved');
  });

  it('after downtime sends one reminder counted as the last one due, with the escalation', () => {
    const step = followUpPending(filed(), at(5 * HOUR));
    expect(step.ok && step.events.map((e) => [e.type, e.details.reminder ?? null])).toEqual([
      ['request.escalated', null],
      ['request.reminder', 2],
    ]);
  });

  it('schedules nothing at or after expiry, and nothing once decided', () => {
    const late = filed({ ...PLAN, remindAfterMinutes: 24 * 60, escalateAfterMinutes: 25 * 60 });
    expect(nextFollowUpAt(late)).toBeNull();
    const decided = value(
      approve(filed(), { approver: 'bob', at: at(MINUTE), approverGroups: ['sandbox-approvers'] }),
    );
    expect(nextFollowUpAt(decided)).toBeNull();
    expect(code(followUpPending(decided, at(HOUR)))).toBe('already-decided');
  });
});
