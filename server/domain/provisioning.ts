/**
 * Provisioning a grant, with retries and a visible end. Pure: the worker does the cloud call, then
 * reports the outcome here (`provisioned` / `provisionFailed`) and stores the result.
 *
 * A failure either schedules a retry (`provision-failed`) or ends the attempts for good
 * (`giveUp`): when the provisioner says retrying cannot help, when the last allowed attempt
 * failed, or (revocation.ts, `markDue`) when the grant's time runs out while it waits. Giving up
 * records a `GrantFailure` and sends the grant through `revoking`, so anything a provisioner put
 * in place before failing is taken away; it then ends `failed`.
 *
 * Crash recovery needs no extra states: a grant found in `provisioning` after a restart is
 * simply worked on again (provisioners are idempotent), and reported with the same functions.
 */
import { advance, errorText, grantEvent, illegal, isDue } from './grant-step';
import type { RetryPolicy } from './lifecycle';
import { DEFAULT_PROVISION_ATTEMPTS, DEFAULT_RETRY, canTransitionGrant, retryDelayMs } from './lifecycle';
import type { DomainEvent, Result } from './result';
import { SYSTEM_ACTOR, fail, ok } from './result';
import type { Grant, GrantFailure, GrantFailureCause } from './types';

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

/**
 * What a failed provisioning attempt reported (the worker reads it off the provisioner's
 * `ProvisionError`, server/provision/types.ts). A bare string is an error worth retrying.
 */
export interface ProvisionAttemptError {
  readonly message: string;
  /** Retrying cannot help (the provisioner said so): give up at once. */
  readonly permanent: boolean;
  /** The cloud's own error code. */
  readonly code?: string | null;
  /** What an operator can do about it, when the provisioner knows. */
  readonly advice?: string | null;
}

/**
 * The broker's advice when the provisioner gave none, for each cause: what an operator can do,
 * worded to follow "What an operator can do:" (lib/grant-failure.ts), as the provisioners' is.
 */
export const DEFAULT_FAILURE_ADVICE: Readonly<Record<GrantFailureCause, string>> = {
  permanent:
    'fix what the reason names (the broker’s configuration, or its rights in the cloud): retrying alone will not help. The requester then asks again.',
  'attempts-exhausted':
    'check the broker’s log and its connection to the cloud, which kept failing; the requester can ask again later.',
  expired:
    'check the broker’s log for why the cloud kept failing until the grant’s time ran out; the requester can ask again.',
};

/** The failure kept with a grant the broker gives up on. */
export function grantFailure(
  cause: GrantFailureCause,
  error: { readonly reason: string; readonly code?: string | null; readonly advice?: string | null },
  attempts: number,
  at: Date,
): GrantFailure {
  const advice = error.advice ? errorText(error.advice) : '';
  return {
    cause,
    reason: errorText(error.reason) || 'the provisioner gave no reason',
    advice: advice || DEFAULT_FAILURE_ADVICE[cause],
    code: error.code ?? null,
    attempts,
    at,
  };
}

/** The failure's fields as event details (audit, SSE, webhooks). */
export function failureDetails(failure: GrantFailure): Record<string, unknown> {
  return {
    cause: failure.cause,
    reason: failure.reason,
    advice: failure.advice,
    code: failure.code,
    attempts: failure.attempts,
  };
}

/**
 * Gives up on provisioning `grant` (from `provisioning` or `provision-failed`): the failure is
 * kept and the grant goes through `revoking` (revokeReason `failed`) to clean up, ending `failed`.
 */
export function giveUp(
  grant: Grant,
  failure: GrantFailure,
  now: Date,
  leading: readonly DomainEvent[] = [],
): Result<Grant> {
  if (!canTransitionGrant(grant.status, 'revoking')) return illegal(grant.status, 'revoking');
  const next = advance(grant, {
    status: 'revoking',
    revokeReason: 'failed',
    failure,
    attempts: 0,
    lastError: null,
    nextAttemptAt: null,
  });
  return ok(next, [
    ...leading,
    grantEvent('grant.revoking', next, SYSTEM_ACTOR, now, {
      reason: 'failed',
      from: grant.status,
      cause: failure.cause,
    }),
  ]);
}

/**
 * The cloud call failed. An error worth retrying, with attempts left, keeps the error visible and
 * schedules the retry (`retryDelayMs`); a permanent error, or the last allowed attempt, gives up.
 */
export function provisionFailed(
  grant: Grant,
  error: ProvisionAttemptError | string,
  now: Date,
  retry: RetryPolicy = DEFAULT_RETRY,
): Result<Grant> {
  if (!canTransitionGrant(grant.status, 'provision-failed')) return illegal(grant.status, 'provision-failed');
  const reported: ProvisionAttemptError =
    typeof error === 'string' ? { message: error, permanent: false } : error;
  const attempt = grant.attempts + 1;
  const maxAttempts = Math.max(1, retry.provisionAttempts ?? DEFAULT_PROVISION_ATTEMPTS);
  const lastError = errorText(reported.message);
  const cause: GrantFailureCause | null = reported.permanent
    ? 'permanent'
    : attempt >= maxAttempts
      ? 'attempts-exhausted'
      : null;
  const details = { attempt, maxAttempts, error: lastError, code: reported.code ?? null };
  if (cause !== null) {
    const failure = grantFailure(
      cause,
      { reason: reported.message, code: reported.code ?? null, advice: reported.advice ?? null },
      attempt,
      now,
    );
    return giveUp(grant, failure, now, [
      grantEvent('grant.provision-failed', grant, SYSTEM_ACTOR, now, { ...details, final: true, cause }),
    ]);
  }
  const nextAttemptAt = new Date(now.getTime() + retryDelayMs(grant.attempts, retry));
  const next = advance(grant, {
    status: 'provision-failed',
    attempts: attempt,
    lastError,
    nextAttemptAt,
  });
  return ok(next, [
    grantEvent('grant.provision-failed', next, SYSTEM_ACTOR, now, {
      ...details,
      final: false,
      nextAttemptAt: nextAttemptAt.toISOString(),
    }),
  ]);
}
