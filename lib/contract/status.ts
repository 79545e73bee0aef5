/**
 * The lifecycle states of requests and grants, as the broker stores them and the API reports them.
 * Declared here, in the shared contract, so the extension, the CLI and the broker name the same
 * states; the broker's domain (`server/domain/lifecycle.ts`) owns the transitions between them.
 */
import * as z from 'zod/mini';

export const REQUEST_STATUSES = ['pending', 'approved', 'denied', 'expired', 'cancelled'] as const;
export const RequestStatus = z.enum(REQUEST_STATUSES);
export type RequestStatus = z.infer<typeof RequestStatus>;

export const GRANT_STATUSES = [
  'approved',
  'provisioning',
  'provision-failed',
  'active',
  'revoking',
  'revoke-failed',
  'revoked',
  'ended',
  'failed',
] as const;
export const GrantStatus = z.enum(GRANT_STATUSES);
export type GrantStatus = z.infer<typeof GrantStatus>;

/**
 * Statuses in which the cloud may hold (part of) the grant: the broker's worker must see every one
 * of them past `expiresAt`, including the failed ones, or a half-provisioned grant could outlive
 * its expiry; the popup and sidebar list them as live access.
 */
export const GRANT_LIVE_STATUSES: readonly GrantStatus[] = GRANT_STATUSES.filter(
  (s) => s !== 'revoked' && s !== 'ended' && s !== 'failed',
);

/**
 * Why the broker stopped trying to provision a grant that ended `failed`:
 * - `permanent`: the provisioner said retrying cannot help (the broker's configuration, its rights
 *   in the cloud, no role that holds the permission, a policy or validation refusal);
 * - `attempts-exhausted`: the cloud kept failing with errors worth retrying, up to the configured
 *   number of attempts (`provisioning.maxAttempts`);
 * - `expired`: the grant's time ran out while the broker was still retrying.
 */
export const GRANT_FAILURE_CAUSES = ['permanent', 'attempts-exhausted', 'expired'] as const;
export const GrantFailureCause = z.enum(GRANT_FAILURE_CAUSES);
export type GrantFailureCause = z.infer<typeof GrantFailureCause>;

/** What the policy engine decided when a request was submitted. */
export const POLICY_OUTCOMES = ['auto-approve', 'needs-approval', 'deny'] as const;
export const PolicyOutcome = z.enum(POLICY_OUTCOMES);
export type PolicyOutcome = z.infer<typeof PolicyOutcome>;

/**
 * What happened to a request or grant: the domain emits these with every transition, the store
 * keeps them in the audit log and the event stream, and the API sends them to clients.
 */
export const EVENT_TYPES = [
  'request.submitted',
  'request.approval-recorded',
  'request.approved',
  'request.denied',
  'request.cancelled',
  'request.expired',
  // Still pending: its approvers were reminded, or it was escalated to a further group
  // (server/domain/follow-up.ts); neither changes the status.
  'request.reminder',
  'request.escalated',
  'grant.issued',
  'grant.merged',
  'grant.provisioning',
  'grant.provision-failed',
  'grant.active',
  'grant.extended',
  'grant.revoking',
  'grant.revoke-failed',
  'grant.revoked',
  'grant.ended',
  'grant.failed',
] as const;
export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;
