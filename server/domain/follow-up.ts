/**
 * Following up a pending request nobody has decided: reminding its approvers, escalating it to a
 * further group, as its target's `followUp` settings say (docs/operations.md, "Reminders and
 * escalation"). Expiry stays `expirePending` (request.ts); these steps never change the status.
 *
 * The schedule is taken from config when the request is submitted and kept with it, like its
 * approver groups, so a request is followed up as the rules said when it was filed. Each step is
 * a transition like any other: a new value with `version` bumped and its events, saved with
 * compare-and-set, so of two workers that see the same reminder due only one sends it.
 *
 * Times count from submission: reminder n (1-based) is due `remindAfterMinutes +
 * (n - 1) · remindEveryMinutes` after it, escalation `escalateAfterMinutes` after it. A worker that
 * was down for a while sends one reminder when it comes back, counted as the last one that fell
 * due, rather than a burst of the missed ones.
 */
import { fail, ok, SYSTEM_ACTOR, type DomainEvent, type Result } from './result';
import type { AccessRequest, FollowUp, FollowUpPlan } from './types';

const MINUTE_MS = 60_000;

export function startFollowUp(plan: FollowUpPlan): FollowUp {
  return { plan, remindersSent: 0, escalatedAt: null, escalatedTo: [] };
}

function reminderDueAt(r: AccessRequest, plan: FollowUpPlan, n: number): Date {
  const minutes = plan.remindAfterMinutes + (n - 1) * plan.remindEveryMinutes;
  return new Date(r.createdAt.getTime() + minutes * MINUTE_MS);
}

function nextReminderAt(r: AccessRequest, f: FollowUp): Date | null {
  if (f.remindersSent >= f.plan.maxReminders) return null;
  return reminderDueAt(r, f.plan, f.remindersSent + 1);
}

function escalationAt(r: AccessRequest, f: FollowUp): Date | null {
  const { escalateAfterMinutes, escalateTo } = f.plan;
  if (f.escalatedAt !== null || escalateAfterMinutes === null || escalateTo.length === 0) return null;
  return new Date(r.createdAt.getTime() + escalateAfterMinutes * MINUTE_MS);
}

/**
 * When the request next needs a reminder or its escalation; null when nothing is left to do, when
 * it is no longer pending, or when the next step would fall at or after its expiry (the request
 * expires then instead). The store keeps this in an indexed column for the worker's query.
 */
export function nextFollowUpAt(r: AccessRequest): Date | null {
  const f = r.followUp;
  if (r.status !== 'pending' || f === null) return null;
  const times = [nextReminderAt(r, f), escalationAt(r, f)].filter(
    (t): t is Date => t !== null && t.getTime() < r.expiresAt.getTime(),
  );
  if (times.length === 0) return null;
  return new Date(Math.min(...times.map((t) => t.getTime())));
}

function waitedMinutes(r: AccessRequest, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - r.createdAt.getTime()) / MINUTE_MS));
}

/** How many reminders have fallen due by `now` (capped at the plan's maximum). */
function remindersDue(r: AccessRequest, plan: FollowUpPlan, now: Date): number {
  const first = reminderDueAt(r, plan, 1).getTime();
  if (now.getTime() < first) return 0;
  const every = Math.max(1, plan.remindEveryMinutes) * MINUTE_MS;
  return Math.min(plan.maxReminders, Math.floor((now.getTime() - first) / every) + 1);
}

/**
 * The worker's step for a pending request whose follow-up is due: escalate it (its escalation
 * groups join its approver groups, so their members may now decide it and see it in their queue)
 * and/or remind its approvers. Answers `not-due` when nothing is due at `now`, `already-decided`
 * once it left `pending`.
 */
export function followUpPending(r: AccessRequest, now: Date): Result<AccessRequest> {
  if (r.status !== 'pending') return fail('already-decided', `the request is already ${r.status}`);
  const due = nextFollowUpAt(r);
  if (r.followUp === null || due === null || now.getTime() < due.getTime()) {
    return fail('not-due', 'no reminder or escalation is due');
  }
  let followUp: FollowUp = r.followUp;
  let policy = r.policy;
  const events: DomainEvent[] = [];
  const base = { requestId: r.id, grantId: null, actor: SYSTEM_ACTOR, at: now };
  const escalateAt = escalationAt(r, followUp);
  if (escalateAt !== null && escalateAt.getTime() <= now.getTime()) {
    const added = followUp.plan.escalateTo.filter((g) => !policy.approverGroups.includes(g));
    policy = { ...policy, approverGroups: [...policy.approverGroups, ...added] };
    followUp = { ...followUp, escalatedAt: now, escalatedTo: [...followUp.plan.escalateTo] };
    events.push({
      ...base,
      type: 'request.escalated',
      details: {
        escalatedTo: [...followUp.plan.escalateTo],
        waitedMinutes: waitedMinutes(r, now),
        approverGroups: [...policy.approverGroups],
        expiresAt: r.expiresAt.toISOString(),
      },
    });
  }
  const reminders = remindersDue(r, followUp.plan, now);
  if (reminders > followUp.remindersSent) {
    followUp = { ...followUp, remindersSent: reminders };
    events.push({
      ...base,
      type: 'request.reminder',
      details: {
        reminder: reminders,
        maxReminders: followUp.plan.maxReminders,
        waitedMinutes: waitedMinutes(r, now),
        approverGroups: [...policy.approverGroups],
        approvals: r.approvals.length,
        requiredApprovals: r.policy.requiredApprovals,
        expiresAt: r.expiresAt.toISOString(),
      },
    });
  }
  if (events.length === 0) return fail('not-due', 'no reminder or escalation is due');
  return ok({ ...r, policy, followUp, version: r.version + 1 }, events);
}
