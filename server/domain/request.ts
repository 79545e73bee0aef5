/**
 * Request transitions: submit, approve, deny, cancel, expire. Pure: the caller passes the time
 * and the ids, and persists the returned value and events together (compare-and-set on
 * `version`, see types.ts).
 *
 * Invariants enforced here, whatever the policy says:
 * - nobody approves (or denies) their own request;
 * - one approver counts once towards the quorum;
 * - a request is decided once: after it leaves `pending`, approve and deny answer
 *   `already-decided`, so a late second approval never becomes a second grant;
 * - only the requester cancels, and only while pending.
 */
import { startFollowUp } from './follow-up';
import { DEFAULT_PENDING_TTL_MS, canTransitionRequest } from './lifecycle';
import { sameIdentity } from './identity';
import type { DomainEvent, EventType, Result } from './result';
import { POLICY_ACTOR, SYSTEM_ACTOR, aStatus, fail, ok } from './result';
import type {
  AccessRequest,
  FollowUpPlan,
  PolicyDecisionSnapshot,
  RequestDenial,
  RequestStatus,
  Target,
} from './types';

/** What a requester asks for (already validated against the API contract and the cloud grammar). */
export interface RequestDraft {
  readonly target: Target;
  readonly actions: readonly string[];
  readonly resource: string | null;
  readonly durationMinutes: number;
  readonly justification: string;
  readonly ticket: string | null;
  readonly denial: RequestDenial | null;
  /** For an extension: the grant to extend. */
  readonly linkedGrantId?: string | null;
}

export interface SubmitOptions {
  readonly id: string;
  /** From the caller's token. */
  readonly requester: string;
  readonly now: Date;
  readonly policy: PolicyDecisionSnapshot;
  /** How long the request may stay pending; 24 h unless configured. */
  readonly pendingTtlMs?: number;
  /** Reminders and escalation while it waits (the target's `followUp`); none when absent. */
  readonly followUp?: FollowUpPlan | null;
}

export interface ReviewInput {
  readonly approver: string;
  readonly at: Date;
  readonly comment?: string | null;
  /** The reviewer's groups, from their token or the IdP. */
  readonly approverGroups: readonly string[];
}

function requestEvent(
  type: EventType,
  request: AccessRequest,
  actor: string,
  at: Date,
  details: Record<string, unknown> = {},
): DomainEvent {
  return { type, requestId: request.id, grantId: null, actor, at, details };
}

/** The request after one status change (or none), with `version` bumped. */
function advance(request: AccessRequest, patch: Partial<AccessRequest>): AccessRequest {
  return { ...request, ...patch, version: request.version + 1 };
}

function illegal<T>(from: RequestStatus, to: RequestStatus): Result<T> {
  return fail('illegal-transition', `${aStatus(from)} request cannot become ${to}`);
}

/**
 * A new request, already carrying the policy's answer: auto-approved and policy-denied requests
 * pass through `pending` in the same step (both transitions are in the table and both are in the
 * audit trail), so there is one path to every final status.
 */
export function submitRequest(draft: RequestDraft, options: SubmitOptions): Result<AccessRequest> {
  const { id, requester, now, policy } = options;
  const ttl = options.pendingTtlMs ?? DEFAULT_PENDING_TTL_MS;
  if (id.trim() === '') return fail('invalid-input', 'id: required');
  if (requester.trim() === '') return fail('invalid-input', 'requester: required');
  const actions = [...new Set(draft.actions.map((a) => a.trim()))].filter((a) => a !== '');
  if (actions.length === 0) return fail('invalid-input', 'actions: name at least one permission');
  if (!Number.isInteger(draft.durationMinutes) || draft.durationMinutes <= 0) {
    return fail('invalid-input', 'durationMinutes: must be a positive whole number');
  }
  if (!(ttl > 0)) return fail('invalid-input', 'pendingTtlMs: must be positive');
  if (
    policy.decision === 'needs-approval' &&
    !(Number.isInteger(policy.requiredApprovals) && policy.requiredApprovals >= 1)
  ) {
    return fail(
      'invalid-input',
      'policy.requiredApprovals: a request that needs approval needs at least one',
    );
  }

  const pending: AccessRequest = {
    id,
    requester,
    target: draft.target,
    actions,
    resource: draft.resource,
    durationMinutes: draft.durationMinutes,
    justification: draft.justification,
    ticket: draft.ticket,
    denial: draft.denial,
    status: 'pending',
    createdAt: now,
    decidedAt: null,
    expiresAt: new Date(now.getTime() + ttl),
    approvals: [],
    denials: [],
    linkedGrantId: draft.linkedGrantId ?? null,
    grantId: null,
    policy,
    followUp: options.followUp ? startFollowUp(options.followUp) : null,
    version: 1,
  };
  const submitted = requestEvent('request.submitted', pending, requester, now, {
    target: { ...draft.target },
    actions: [...actions],
    resource: draft.resource,
    durationMinutes: draft.durationMinutes,
    linkedGrantId: pending.linkedGrantId,
    decision: policy.decision,
    requiredApprovals: policy.requiredApprovals,
    policyIds: [...policy.policyIds],
    advice: [...policy.advice],
  });

  switch (policy.decision) {
    case 'needs-approval':
      return ok(pending, [submitted]);
    case 'auto-approve': {
      const approved = advance(pending, { status: 'approved', decidedAt: now });
      return ok(approved, [
        submitted,
        requestEvent('request.approved', approved, POLICY_ACTOR, now, { policyIds: [...policy.policyIds] }),
      ]);
    }
    case 'deny': {
      const denied = advance(pending, { status: 'denied', decidedAt: now });
      return ok(denied, [
        submitted,
        requestEvent('request.denied', denied, POLICY_ACTOR, now, { policyIds: [...policy.policyIds] }),
      ]);
    }
  }
}

/** Checks shared by approve and deny, in the order that gives the most useful answer. */
function checkReviewer(request: AccessRequest, review: ReviewInput): Result<never> | null {
  if (request.status !== 'pending') {
    return fail('already-decided', `the request is already ${request.status}`);
  }
  if (sameIdentity(review.approver, request.requester)) {
    return fail('self-approval', 'nobody may review their own request (cancel it instead)');
  }
  if (review.at.getTime() >= request.expiresAt.getTime()) {
    return fail('request-expired', 'the request waited too long for a decision and has expired');
  }
  const groups = new Set(review.approverGroups);
  if (!request.policy.approverGroups.some((g) => groups.has(g))) {
    return fail('not-an-approver', `${review.approver} is in none of this request's approver groups`);
  }
  return null;
}

/**
 * Records one approval. When the number of distinct approvers reaches the policy's quorum the
 * request becomes `approved` (exactly once: any later approval gets `already-decided`).
 */
export function approve(request: AccessRequest, review: ReviewInput): Result<AccessRequest> {
  const rejected = checkReviewer(request, review);
  if (rejected) return rejected;
  if (request.approvals.some((a) => sameIdentity(a.approver, review.approver))) {
    return fail('already-approved-by', `${review.approver} already approved; a second approver is needed`);
  }
  const approvals = [
    ...request.approvals,
    { approver: review.approver, at: review.at, comment: review.comment ?? null },
  ];
  const quorum = Math.max(1, request.policy.requiredApprovals);
  const recorded = requestEvent('request.approval-recorded', request, review.approver, review.at, {
    comment: review.comment ?? null,
    approvals: approvals.length,
    requiredApprovals: quorum,
  });
  if (approvals.length < quorum) {
    return ok(advance(request, { approvals }), [recorded]);
  }
  if (!canTransitionRequest(request.status, 'approved')) return illegal(request.status, 'approved');
  const approved = advance(request, { approvals, status: 'approved', decidedAt: review.at });
  return ok(approved, [
    recorded,
    requestEvent('request.approved', approved, review.approver, review.at, {
      approvers: approvals.map((a) => a.approver),
    }),
  ]);
}

/** One eligible reviewer's denial decides the request: access needs consent, refusal does not need a quorum. */
export function deny(request: AccessRequest, review: ReviewInput): Result<AccessRequest> {
  const rejected = checkReviewer(request, review);
  if (rejected) return rejected;
  if (!canTransitionRequest(request.status, 'denied')) return illegal(request.status, 'denied');
  const denials = [
    ...request.denials,
    { approver: review.approver, at: review.at, comment: review.comment ?? null },
  ];
  const denied = advance(request, { denials, status: 'denied', decidedAt: review.at });
  return ok(denied, [
    requestEvent('request.denied', denied, review.approver, review.at, { comment: review.comment ?? null }),
  ]);
}

/** The requester withdraws a pending request. */
export function cancel(
  request: AccessRequest,
  by: string,
  at: Date,
  comment: string | null = null,
): Result<AccessRequest> {
  if (!canTransitionRequest(request.status, 'cancelled')) return illegal(request.status, 'cancelled');
  if (!sameIdentity(by, request.requester)) {
    return fail('not-requester', 'only the requester may cancel a request');
  }
  const cancelled = advance(request, { status: 'cancelled', decidedAt: at });
  return ok(cancelled, [requestEvent('request.cancelled', cancelled, by, at, { comment })]);
}

/** The sweeper's step for a request nobody answered in time. */
export function expirePending(request: AccessRequest, now: Date): Result<AccessRequest> {
  if (!canTransitionRequest(request.status, 'expired')) return illegal(request.status, 'expired');
  if (now.getTime() < request.expiresAt.getTime()) {
    return fail('not-due', `the request may wait for a decision until ${request.expiresAt.toISOString()}`);
  }
  const expired = advance(request, { status: 'expired', decidedAt: now });
  return ok(expired, [
    requestEvent('request.expired', expired, SYSTEM_ACTOR, now, {
      approvals: request.approvals.length,
      requiredApprovals: request.policy.requiredApprovals,
    }),
  ]);
}
