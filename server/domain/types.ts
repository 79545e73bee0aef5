/**
 * The broker's core records: an access request and the grant it produces. Plain, immutable data
 * (dates are `Date` values the domain never mutates) so the store can persist them as rows and
 * the API can serialise them; every change goes through the transition functions in
 * `request.ts`, `grant.ts`, `provisioning.ts` and `revocation.ts`, which check the tables in
 * `lifecycle.ts`.
 */
import type { Cloud } from '../../lib/contract/denial';
import type { RequestDenial } from '../../lib/contract/request';
import {
  GRANT_FAILURE_CAUSES,
  GRANT_STATUSES,
  REQUEST_STATUSES,
  type GrantFailureCause,
  type GrantStatus,
  type PolicyOutcome,
  type RequestStatus,
} from '../../lib/contract/status';

// The states are part of the API contract (lib/contract/status.ts); re-exported so the domain
// keeps one import site.
export { GRANT_FAILURE_CAUSES, GRANT_STATUSES, REQUEST_STATUSES };
export type { GrantFailureCause, GrantStatus, PolicyOutcome, RequestStatus };
// The denial a request came from, as the extension captured it (null for extensions and CLI
// requests): the contract's shape (lib/contract/request.ts), re-exported like the states.
export type { RequestDenial };

/** Where access is granted: one AWS account, Azure subscription or GCP project. */
export interface Target {
  readonly cloud: Cloud;
  /** AWS account id, Azure subscription id or GCP project id. */
  readonly account: string;
  /** The configured environment of the target (`dev`, `prod`…); policies key on it. */
  readonly environment: string;
}

/**
 * What the policy engine said when the request was submitted, kept with the request so approvers
 * and auditors see the rule that applied then, even after the policies change.
 */
export interface PolicyDecisionSnapshot {
  readonly decision: PolicyOutcome;
  /** Distinct approvers needed; read only for `needs-approval` (where it must be at least 1). */
  readonly requiredApprovals: number;
  /** Ids of the policies that matched, for the audit trail. */
  readonly policyIds: readonly string[];
  /** The matching policies' `@advice` text, shown to requester and approver. */
  readonly advice: readonly string[];
  /**
   * Groups whose members may review this request (the target's approver groups, resolved at
   * submission, plus the groups it was escalated to: follow-up.ts). Empty means nobody can
   * approve: safe by default if configuration is missing.
   */
  readonly approverGroups: readonly string[];
}

/** One reviewer's vote. */
export interface Review {
  readonly approver: string;
  readonly at: Date;
  readonly comment: string | null;
}

/** The follow-up settings of a request's target when it was submitted (config `targets[].followUp`). */
export interface FollowUpPlan {
  /** First reminder this long after submission. */
  readonly remindAfterMinutes: number;
  /** Then one more every this many minutes… */
  readonly remindEveryMinutes: number;
  /** …up to this many reminders in all (0: none). */
  readonly maxReminders: number;
  /** Escalate this long after submission; null: never. */
  readonly escalateAfterMinutes: number | null;
  /** The groups that may also decide the request once it is escalated. */
  readonly escalateTo: readonly string[];
}

/** Where a request's follow-up stands (reminders and escalation: follow-up.ts). */
export interface FollowUp {
  readonly plan: FollowUpPlan;
  /** Reminders counted as sent (one that stands for several missed ones counts them all). */
  readonly remindersSent: number;
  /** When the request was escalated; null until then. */
  readonly escalatedAt: Date | null;
  /** The groups it was escalated to (added to `policy.approverGroups` then). */
  readonly escalatedTo: readonly string[];
}

export interface AccessRequest {
  readonly id: string;
  /** Who the access is for; taken from the caller's token, never from the body. */
  readonly requester: string;
  readonly target: Target;
  readonly actions: readonly string[];
  readonly resource: string | null;
  readonly durationMinutes: number;
  readonly justification: string;
  readonly ticket: string | null;
  readonly denial: RequestDenial | null;
  readonly status: RequestStatus;
  readonly createdAt: Date;
  /** When the request left `pending` (approved, denied, expired or cancelled). */
  readonly decidedAt: Date | null;
  /** When a still-pending request expires unanswered (submission + 24 h by default). */
  readonly expiresAt: Date;
  readonly approvals: readonly Review[];
  readonly denials: readonly Review[];
  /** Set on extension requests: the grant whose `expiresAt` an approval moves. */
  readonly linkedGrantId: string | null;
  /**
   * The grant this approved request produced (its own, or the existing one it merged into or
   * extended). Set exactly once: the guard against a second grant for the same approval.
   */
  readonly grantId: string | null;
  readonly policy: PolicyDecisionSnapshot;
  /** Reminders and escalation while pending (follow-up.ts); null when its target has none configured. */
  readonly followUp: FollowUp | null;
  /**
   * Incremented by every transition. The store writes with compare-and-set on it, so two
   * transitions computed from the same snapshot (two approvers clicking at once) cannot both land.
   */
  readonly version: number;
}

/**
 * Why a grant is being taken away: its time ran out (`ended`), someone revoked it early
 * (`revoked`), or provisioning failed for good and whatever may have landed is cleaned up (`failed`).
 */
export type RevokeReason = 'expired' | 'revoked' | 'failed';

/**
 * Why a grant could not be provisioned, kept once the broker stops trying (see `GrantFailureCause`)
 * so the requester and the approvers can read it. Texts are sanitised (server/domain/redact.ts)
 * and short.
 */
export interface GrantFailure {
  readonly cause: GrantFailureCause;
  /** What went wrong, in the provisioner's words (the last error when the attempts ran out). */
  readonly reason: string;
  /** What an operator can do about it: the provisioner's advice, or the broker's for the cause. */
  readonly advice: string;
  /** The cloud's own error code, when it gave one. */
  readonly code: string | null;
  /** Provisioning attempts made. */
  readonly attempts: number;
  readonly at: Date;
}

export interface Grant {
  readonly id: string;
  /** The request that created the grant (later merges and extensions are in `extendedBy`). */
  readonly requestId: string;
  readonly user: string;
  readonly target: Target;
  readonly actions: readonly string[];
  readonly resource: string | null;
  readonly status: GrantStatus;
  readonly startsAt: Date;
  readonly expiresAt: Date;
  /** Failed attempts in the current phase (provisioning or revoking); reset when a phase succeeds or starts. */
  readonly attempts: number;
  readonly lastError: string | null;
  /** When the next retry is due (set while `provision-failed` / `revoke-failed`). */
  readonly nextAttemptAt: Date | null;
  /** Ids of the extension requests and merged requests that moved `expiresAt`, oldest first. */
  readonly extendedBy: readonly string[];
  /** Set once revocation starts: decides whether it ends as `ended` or `revoked`. */
  readonly revokeReason: RevokeReason | null;
  /** Who revoked early (null for expiry). */
  readonly revokedBy: string | null;
  /** Set when the broker gave up provisioning (the grant is then cleaned up and ends `failed`). */
  readonly failure: GrantFailure | null;
  readonly endedAt: Date | null;
  readonly version: number;
}
