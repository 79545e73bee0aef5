/**
 * Provisioning a grant, with retries. Pure: the worker does the cloud call, then reports the
 * outcome here (`provisioned` / `provisionFailed`) and stores the result.
 *
 * Crash recovery needs no extra states: a grant found in `provisioning` after a restart is
 * simply worked on again (provisioners are idempotent), and reported with the same functions.
 */
import { advance, grantEvent, illegal, isDue, truncateError } from './grant-step';
import type { RetryPolicy } from './lifecycle';
import { DEFAULT_RETRY, canTransitionGrant, retryDelayMs } from './lifecycle';
import type { Result } from './result';
import { SYSTEM_ACTOR, fail, ok } from './result';
import type { Grant } from './types';

/** The worker claims a grant to provision: first try, or a retry once `nextAttemptAt` has come. */
export function startProvisioning(grant: Grant, now: Date): Result<Grant> {
  if (!canTransitionGrant(grant.status, 'provisioning')) return illegal(grant.status, 'provisioning');
  if (isDue(grant, now)) {
    return fail(
      'grant-expired',
      'the grant expired before it could be provisioned; it is due for revocation',
    );
  }
  if (
    grant.status === 'provision-failed' &&
    grant.nextAttemptAt &&
    now.getTime() < grant.nextAttemptAt.getTime()
  ) {
    return fail('not-due', `the next provisioning attempt is due at ${grant.nextAttemptAt.toISOString()}`);
  }
  const next = advance(grant, { status: 'provisioning', nextAttemptAt: null });
  return ok(next, [
    grantEvent('grant.provisioning', next, SYSTEM_ACTOR, now, { attempt: grant.attempts + 1 }),
  ]);
}

/** The cloud accepted the grant. */
export function provisioned(grant: Grant, now: Date): Result<Grant> {
  if (!canTransitionGrant(grant.status, 'active')) return illegal(grant.status, 'active');
  const next = advance(grant, { status: 'active', attempts: 0, lastError: null, nextAttemptAt: null });
  return ok(next, [
    grantEvent('grant.active', next, SYSTEM_ACTOR, now, {
      attempts: grant.attempts + 1,
      expiresAt: grant.expiresAt.toISOString(),
    }),
  ]);
}

/** The cloud call failed: keep the error visible and schedule the retry (`retryDelayMs`). */
export function provisionFailed(
  grant: Grant,
  error: string,
  now: Date,
  retry: RetryPolicy = DEFAULT_RETRY,
): Result<Grant> {
  if (!canTransitionGrant(grant.status, 'provision-failed')) return illegal(grant.status, 'provision-failed');
  const nextAttemptAt = new Date(now.getTime() + retryDelayMs(grant.attempts, retry));
  const next = advance(grant, {
    status: 'provision-failed',
    attempts: grant.attempts + 1,
    lastError: truncateError(error),
    nextAttemptAt,
  });
  return ok(next, [
    grantEvent('grant.provision-failed', next, SYSTEM_ACTOR, now, {
      attempt: next.attempts,
      error: next.lastError,
      nextAttemptAt: nextAttemptAt.toISOString(),
    }),
  ]);
}
