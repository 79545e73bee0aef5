/**
 * Taking access away: when its time is up (`markDue`) or early (`revoke`), with retries. Pure:
 * the worker does the cloud call, then reports the outcome here (`revoked` / `revokeFailed`)
 * and stores the result.
 *
 * Crash recovery needs no extra states: a grant found in `revoking` after a restart is simply
 * worked on again (revokers are idempotent), and reported with the same functions.
 */
import { advance, errorText, grantEvent, illegal, isDue } from './grant-step';
import type { RetryPolicy } from './lifecycle';
import { DEFAULT_RETRY, canTransitionGrant, retryDelayMs } from './lifecycle';
import { failureDetails, giveUp, grantFailure } from './provisioning';
import type { Result } from './result';
import { SYSTEM_ACTOR, fail, ok } from './result';
import type { Grant, GrantStatus } from './types';

/**
 * The sweeper's step for a grant whose time is up. A grant that never reached the cloud ends at
 * once; anything that may hold the permission goes through `revoking`. One still waiting for a
 * provisioning retry never became active: its time ran out while the broker retried, so it is a
 * failure (`expired`, with the last error as the reason), cleaned up and ended `failed`.
 */
export function markDue(grant: Grant, now: Date): Result<Grant> {
  if (grant.status === 'approved') {
    if (!isDue(grant, now)) return fail('not-due', `the grant runs until ${grant.expiresAt.toISOString()}`);
    const ended = advance(grant, {
      status: 'ended',
      revokeReason: 'expired',
      endedAt: now,
      nextAttemptAt: null,
    });
    return ok(ended, [grantEvent('grant.ended', ended, SYSTEM_ACTOR, now, { provisioned: false })]);
  }
  if (!canTransitionGrant(grant.status, 'revoking')) return illegal(grant.status, 'revoking');
  if (grant.status === 'revoke-failed') return illegal(grant.status, 'revoking'); // retries go through startRevoking
  if (!isDue(grant, now)) return fail('not-due', `the grant runs until ${grant.expiresAt.toISOString()}`);
  if (grant.status === 'provision-failed') {
    const reason = grant.lastError ?? 'the grant could not be provisioned in time';
    return giveUp(grant, grantFailure('expired', { reason }, grant.attempts, now), now);
  }
  const next = advance(grant, {
    status: 'revoking',
    revokeReason: 'expired',
    attempts: 0,
    lastError: null,
    nextAttemptAt: null,
  });
  return ok(next, [
    grantEvent('grant.revoking', next, SYSTEM_ACTOR, now, { reason: 'expired', from: grant.status }),
  ]);
}

/**
 * Early revocation by the requester, an approver or an admin (who may is the policy's `revoke`
 * decision). A grant not yet provisioned is revoked at once; otherwise it goes through `revoking`.
 */
export function revoke(grant: Grant, by: string, at: Date, comment: string | null = null): Result<Grant> {
  if (grant.status === 'approved') {
    const done = advance(grant, { status: 'revoked', revokeReason: 'revoked', revokedBy: by, endedAt: at });
    return ok(done, [grantEvent('grant.revoked', done, by, at, { provisioned: false, comment })]);
  }
  if (!canTransitionGrant(grant.status, 'revoking') || grant.status === 'revoke-failed') {
    return illegal(grant.status, 'revoking');
  }
  const next = advance(grant, {
    status: 'revoking',
    revokeReason: 'revoked',
    revokedBy: by,
    attempts: 0,
    lastError: null,
    nextAttemptAt: null,
  });
  return ok(next, [
    grantEvent('grant.revoking', next, by, at, { reason: 'revoked', from: grant.status, comment }),
  ]);
}

/** Retry a failed revocation once `nextAttemptAt` has come. */
export function startRevoking(grant: Grant, now: Date): Result<Grant> {
  if (grant.status !== 'revoke-failed') return illegal(grant.status, 'revoking');
  if (grant.nextAttemptAt && now.getTime() < grant.nextAttemptAt.getTime()) {
    return fail('not-due', `the next revocation attempt is due at ${grant.nextAttemptAt.toISOString()}`);
  }
  const next = advance(grant, { status: 'revoking', nextAttemptAt: null });
  return ok(next, [
    grantEvent('grant.revoking', next, SYSTEM_ACTOR, now, {
      reason: grant.revokeReason,
      attempt: grant.attempts + 1,
    }),
  ]);
}

const STATUS_AFTER_REVOKING: Readonly<Record<NonNullable<Grant['revokeReason']>, GrantStatus>> = {
  expired: 'ended',
  revoked: 'revoked',
  failed: 'failed',
};

/**
 * The cloud no longer holds the grant: `ended` after expiry, `revoked` after an early revoke,
 * `failed` after giving up on provisioning (the event carries the failure).
 */
export function revoked(grant: Grant, now: Date): Result<Grant> {
  const to: GrantStatus = STATUS_AFTER_REVOKING[grant.revokeReason ?? 'expired'];
  if (!canTransitionGrant(grant.status, to) || grant.status !== 'revoking') return illegal(grant.status, to);
  const next = advance(grant, {
    status: to,
    attempts: 0,
    lastError: null,
    nextAttemptAt: null,
    endedAt: now,
  });
  if (to === 'failed') {
    return ok(next, [
      grantEvent('grant.failed', next, SYSTEM_ACTOR, now, {
        ...(grant.failure ? failureDetails(grant.failure) : {}),
        cleanupAttempts: grant.attempts + 1,
      }),
    ]);
  }
  return ok(next, [
    grantEvent(
      to === 'revoked' ? 'grant.revoked' : 'grant.ended',
      next,
      grant.revokedBy ?? SYSTEM_ACTOR,
      now,
      {
        provisioned: true,
        attempts: grant.attempts + 1,
      },
    ),
  ]);
}

/** The revocation failed: keep the error visible and schedule the retry. Revocation is retried without limit. */
export function revokeFailed(
  grant: Grant,
  error: string,
  now: Date,
  retry: RetryPolicy = DEFAULT_RETRY,
): Result<Grant> {
  if (!canTransitionGrant(grant.status, 'revoke-failed')) return illegal(grant.status, 'revoke-failed');
  const nextAttemptAt = new Date(now.getTime() + retryDelayMs(grant.attempts, retry));
  const next = advance(grant, {
    status: 'revoke-failed',
    attempts: grant.attempts + 1,
    lastError: errorText(error),
    nextAttemptAt,
  });
  return ok(next, [
    grantEvent('grant.revoke-failed', next, SYSTEM_ACTOR, now, {
      attempt: next.attempts,
      error: next.lastError,
      nextAttemptAt: nextAttemptAt.toISOString(),
    }),
  ]);
}
