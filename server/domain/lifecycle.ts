/**
 * The lifecycle as data. Every transition function checks these tables before it builds a new
 * value, so the tables are the single statement of what may follow what (modelled on Teleport's
 * access-request state machine: a request is decided once; a grant is provisioned, lives, and is
 * always taken away through `revoking`, never by just forgetting it).
 *
 * Request:
 *   pending → approved   (quorum of distinct approvers reached, or policy auto-approve)
 *   pending → denied     (one eligible reviewer denies, or policy deny)
 *   pending → expired    (no decision by `expiresAt`, 24 h after submission by default)
 *   pending → cancelled  (the requester withdraws it)
 *   approved, denied, expired, cancelled: final.
 *   While pending, reminders and escalation (follow-up.ts) are transitions that keep the status.
 *
 * Grant:
 *   approved         → provisioning                 (worker claims it)
 *   approved         → ended | revoked              (expired or revoked before anything was provisioned)
 *   provisioning     → active                       (the cloud accepted the grant)
 *   provisioning     → provision-failed             (the cloud call failed with an error worth
 *                                                    retrying, attempts are left; retry scheduled)
 *   provisioning     → revoking                     (due or revoked mid-flight, or provisioning
 *                                                    failed for good: clean up whatever landed)
 *   provision-failed → provisioning                 (retry, once `nextAttemptAt` has come)
 *   provision-failed → revoking                     (due or revoked while waiting to retry)
 *   active           → revoking                     (due, or revoked early)
 *   revoking         → ended | revoked | failed     (cloud cleaned up; `revokeReason` picks which)
 *   revoking         → revoke-failed                (the cloud call failed; retry scheduled)
 *   revoke-failed    → revoking                     (retry, once `nextAttemptAt` has come)
 *   ended, revoked, failed: final.
 *
 * Provisioning fails for good (`failure` set, `revokeReason: 'failed'`, then `failed`) when the
 * provisioner says retrying cannot help, when `provisionAttempts` attempts have failed, or when the
 * grant's time runs out while it waits for a retry. A failed grant still goes through `revoking`:
 * a provisioner may have put part of it in place (one role of two) before it failed.
 *
 * Extending an active grant changes `expiresAt`, not the status.
 */
import { GRANT_LIVE_STATUSES } from '../../lib/contract/status';
import type { GrantStatus, RequestStatus } from './types';

export const REQUEST_TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  pending: ['approved', 'denied', 'expired', 'cancelled'],
  approved: [],
  denied: [],
  expired: [],
  cancelled: [],
};

export const GRANT_TRANSITIONS: Readonly<Record<GrantStatus, readonly GrantStatus[]>> = {
  approved: ['provisioning', 'ended', 'revoked'],
  provisioning: ['active', 'provision-failed', 'revoking'],
  'provision-failed': ['provisioning', 'revoking'],
  active: ['revoking'],
  revoking: ['ended', 'revoked', 'failed', 'revoke-failed'],
  'revoke-failed': ['revoking'],
  revoked: [],
  ended: [],
  failed: [],
};

export function canTransitionRequest(from: RequestStatus, to: RequestStatus): boolean {
  return REQUEST_TRANSITIONS[from].includes(to);
}

export function canTransitionGrant(from: GrantStatus, to: GrantStatus): boolean {
  return GRANT_TRANSITIONS[from].includes(to);
}

export function isFinalRequestStatus(status: RequestStatus): boolean {
  return REQUEST_TRANSITIONS[status].length === 0;
}

export function isFinalGrantStatus(status: GrantStatus): boolean {
  return GRANT_TRANSITIONS[status].length === 0;
}

// Declared with the statuses in the shared contract; re-exported for the domain.
export { GRANT_LIVE_STATUSES };

/** How long a request may wait for a decision before it expires. */
export const DEFAULT_PENDING_TTL_MS = 24 * 60 * 60 * 1000;

export interface RetryPolicy {
  /** Delay before the first retry. */
  readonly baseMs: number;
  /** No delay is longer than this. */
  readonly capMs: number;
  /**
   * Provisioning attempts (the first try included) before the broker gives up on errors worth
   * retrying; default `DEFAULT_PROVISION_ATTEMPTS`. Revocation has no such limit: access that may
   * still be in place is never given up on.
   */
  readonly provisionAttempts?: number;
}

/**
 * Eight attempts: with the default delays the last one comes about 10 minutes after the first, long
 * enough for a cloud API's blip or a brief outage, short enough that the requester hears the end
 * while still at the console (config: `provisioning.maxAttempts`).
 */
export const DEFAULT_PROVISION_ATTEMPTS = 8;

/** 5 s, 10 s, 20 s… up to 5 min: quick for a blip, gentle on a cloud API that is down. */
export const DEFAULT_RETRY: RetryPolicy = {
  baseMs: 5_000,
  capMs: 5 * 60_000,
  provisionAttempts: DEFAULT_PROVISION_ATTEMPTS,
};

/**
 * Delay before retry number `n` (0-based: after the first failure n = 0):
 * `min(base · 2^n, cap)`. Deterministic, without jitter, so tests and operators can predict the
 * schedule; several replicas do not stampede anyway, because a grant is claimed by one of them.
 */
export function retryDelayMs(n: number, policy: RetryPolicy = DEFAULT_RETRY): number {
  // 2^n overflows to Infinity for large n; min() still returns the cap, but clamp n to keep the
  // arithmetic exact and obvious.
  const exponent = Math.max(0, Math.min(Math.floor(n), 40));
  return Math.min(policy.baseMs * 2 ** exponent, policy.capMs);
}
