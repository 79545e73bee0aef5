/**
 * Domain records as the API's views (lib/contract/api.ts): dates as ISO strings, each action with
 * its risk, the target with its configured name. Pure.
 */
import type { AccessRequestView, GrantView, TargetView } from '../../lib/contract/api';
import { actionRisk } from '../../lib/risk';
import type { TargetConfig } from '../config/schema';
import type { AccessRequest, Grant, Target } from '../domain';

export type TargetLookup = (target: Target) => TargetConfig | undefined;
/** The configured users in a group. */
export type GroupMembers = (group: string) => readonly string[];

function targetView(target: Target, lookup: TargetLookup): TargetView {
  const configured = lookup(target);
  return {
    cloud: target.cloud,
    account: target.account,
    environment: target.environment,
    name: configured?.name ?? target.account,
  };
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export function requestView(
  r: AccessRequest,
  lookup: TargetLookup,
  members: GroupMembers = () => [],
): AccessRequestView {
  const needsApproval = r.policy.decision === 'needs-approval';
  const approverGroups = needsApproval ? [...r.policy.approverGroups] : [];
  const approvers = [...new Set(approverGroups.flatMap((g) => members(g)))].filter((u) => u !== r.requester);
  return {
    id: r.id,
    requester: r.requester,
    target: targetView(r.target, lookup),
    actions: r.actions.map((action) => ({ action, risk: actionRisk(r.target.cloud, action) })),
    resource: r.resource,
    durationMinutes: r.durationMinutes,
    justification: r.justification,
    ticket: r.ticket,
    denial: r.denial,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
    decidedAt: iso(r.decidedAt),
    pendingExpiresAt: r.expiresAt.toISOString(),
    decision: {
      outcome: r.policy.decision,
      requiredApprovals: needsApproval ? r.policy.requiredApprovals : 0,
      policyIds: [...r.policy.policyIds],
      advice: [...r.policy.advice],
      approverGroups,
      approvers,
    },
    approvals: r.approvals.map((a) => ({ approver: a.approver, at: a.at.toISOString(), comment: a.comment })),
    denials: r.denials.map((d) => ({ approver: d.approver, at: d.at.toISOString(), comment: d.comment })),
    linkedGrantId: r.linkedGrantId,
    grantId: r.grantId,
  };
}

/** `maxAttempts`: the broker's `provisioning.maxAttempts`, for "attempt 2 of 8". */
export function grantView(g: Grant, lookup: TargetLookup, maxAttempts?: number): GrantView {
  return {
    id: g.id,
    requestId: g.requestId,
    user: g.user,
    target: targetView(g.target, lookup),
    actions: g.actions.map((action) => ({ action, risk: actionRisk(g.target.cloud, action) })),
    resource: g.resource,
    status: g.status,
    startsAt: g.startsAt.toISOString(),
    expiresAt: g.expiresAt.toISOString(),
    lastError: g.lastError,
    nextAttemptAt: iso(g.nextAttemptAt),
    attempts: g.attempts,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    failure: g.failure && { ...g.failure, at: g.failure.at.toISOString() },
    endedAt: iso(g.endedAt),
  };
}
