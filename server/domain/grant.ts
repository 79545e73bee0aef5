/**
 * Grant transitions: issue (or merge), provision with retries, extend, and take away with
 * retries. Pure like request.ts: the worker does the cloud call, then reports the outcome here
 * (`provisioned` / `provisionFailed`, `revoked` / `revokeFailed`) and stores the result.
 *
 * Crash recovery needs no extra states: a grant found in `provisioning` or `revoking` after a
 * restart is simply worked on again (provisioners and revokers are idempotent), and reported
 * with the same functions.
 */
import { sameIdentity } from './identity';
import type { RetryPolicy } from './lifecycle';
import { DEFAULT_RETRY, canTransitionGrant, retryDelayMs } from './lifecycle';
import type { DomainEvent, EventType, Result } from './result';
import { SYSTEM_ACTOR, fail, ok } from './result';
import type { AccessRequest, Grant, GrantStatus } from './types';

/** Longest `lastError` kept; cloud SDK errors can carry whole response bodies. */
export const LAST_ERROR_MAX = 1000;

const MINUTE_MS = 60_000;

function grantEvent(
  type: EventType,
  grant: Grant,
  actor: string,
  at: Date,
  details: Record<string, unknown> = {},
): DomainEvent {
  return { type, requestId: grant.requestId, grantId: grant.id, actor, at, details };
}

function advance(grant: Grant, patch: Partial<Grant>): Grant {
  return { ...grant, ...patch, version: grant.version + 1 };
}

function illegal<T>(from: GrantStatus, to: GrantStatus): Result<T> {
  return fail('illegal-transition', `a ${from} grant cannot become ${to}`);
}

function isDue(grant: Grant, now: Date): boolean {
  return now.getTime() >= grant.expiresAt.getTime();
}

// ---------------------------------------------------------------------------------------------
// Merging

/**
 * Statuses a new grant may merge into: those in which the grant holds, or is about to hold, the
 * permission and will keep it until `expiresAt`. A grant already being taken away (`revoking`,
 * `revoke-failed`) or gone is not reused.
 */
export const MERGEABLE_STATUSES: readonly GrantStatus[] = [
  'approved',
  'provisioning',
  'provision-failed',
  'active',
];

function sameActionSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}

/**
 * Whether two grants give the same thing to the same person: same user, same target (cloud,
 * account, environment), the same set of actions (order and duplicates ignored; compared exactly,
 * the API normalises spelling) and the same resource (both null, or equal).
 */
export function sameEntitlement(a: Grant, b: Grant): boolean {
  return (
    sameIdentity(a.user, b.user) &&
    a.target.cloud === b.target.cloud &&
    a.target.account === b.target.account &&
    a.target.environment === b.target.environment &&
    a.resource === b.resource &&
    sameActionSet(a.actions, b.actions)
  );
}

export type MergeOutcome =
  /** No overlapping grant: store `grant` as a new row. */
  | { readonly kind: 'new'; readonly grant: Grant }
  /** `grant` is the existing grant, now covering the new request too; store no new row. */
  | { readonly kind: 'merged'; readonly grant: Grant; readonly extended: boolean };

/**
 * The merge rule. The cloud side of a grant is one permission for one identity (an inline policy
 * statement, a role assignment, an IAM binding), and two grants for the same thing would share
 * it: when the first expired, its revocation would take the permission from under the second.
 * So a new grant for exactly the same entitlement as a live grant (see `MERGEABLE_STATUSES`) is
 * folded into that grant instead:
 * - the later `expiresAt` wins (the merged grant is never shortened);
 * - the new grant's request id is appended to `extendedBy`, so every request points at a grant
 *   that names it;
 * - no new grant row exists, so nothing new is provisioned.
 * Different action sets or resources stay separate grants. No partial merges: stretching a bigger
 * grant to cover a smaller request would keep permissions nobody approved for that long, and
 * widening a smaller grant would change what is provisioned under an approval given for less.
 * If several grants match (which this rule itself prevents), the one expiring last is used.
 */
export function mergeOverlapping(existing: readonly Grant[], newGrant: Grant): MergeOutcome {
  let target: Grant | undefined;
  for (const g of existing) {
    const candidate =
      g.id !== newGrant.id && MERGEABLE_STATUSES.includes(g.status) && sameEntitlement(g, newGrant);
    if (candidate && (!target || g.expiresAt.getTime() > target.expiresAt.getTime())) target = g;
  }
  if (!target) return { kind: 'new', grant: newGrant };
  const extended = newGrant.expiresAt.getTime() > target.expiresAt.getTime();
  const merged = advance(target, {
    expiresAt: extended ? newGrant.expiresAt : target.expiresAt,
    extendedBy: [...target.extendedBy, newGrant.requestId],
  });
  return { kind: 'merged', grant: merged, extended };
}

// ---------------------------------------------------------------------------------------------
// Issuing

export interface IssueOptions {
  /** Id for the new grant (used only when nothing is merged). */
  readonly id: string;
  readonly at: Date;
  /** The requester's live grants, to merge into (see `mergeOverlapping`). */
  readonly liveGrants?: readonly Grant[];
}

export interface Issued {
  /** The request, now pointing at its grant (`grantId`). */
  readonly request: AccessRequest;
  /** A new grant, or an existing one the request was merged into. */
  readonly grant: Grant;
  readonly merged: boolean;
}

/**
 * Turns an approved request into a grant, exactly once (`grantId` is the guard). The grant's
 * clock starts at approval: `expiresAt = at + durationMinutes`, so the approver knows when access
 * ends, even if provisioning is slow or retried.
 */
export function issueGrant(request: AccessRequest, options: IssueOptions): Result<Issued> {
  const { id, at } = options;
  if (request.status !== 'approved') {
    return fail('illegal-transition', `a ${request.status} request cannot be granted`);
  }
  if (request.linkedGrantId !== null) {
    return fail(
      'mismatch',
      'an extension request moves its linked grant (applyExtension), it makes no new grant',
    );
  }
  if (request.grantId !== null) {
    return fail('already-granted', `the request was already granted as ${request.grantId}`);
  }
  const fresh: Grant = {
    id,
    requestId: request.id,
    user: request.requester,
    target: request.target,
    actions: request.actions,
    resource: request.resource,
    status: 'approved',
    startsAt: at,
    expiresAt: new Date(at.getTime() + request.durationMinutes * MINUTE_MS),
    attempts: 0,
    lastError: null,
    nextAttemptAt: null,
    extendedBy: [],
    revokeReason: null,
    revokedBy: null,
    endedAt: null,
    version: 1,
  };
  const outcome = mergeOverlapping(options.liveGrants ?? [], fresh);
  const linked: AccessRequest = { ...request, grantId: outcome.grant.id, version: request.version + 1 };
  if (outcome.kind === 'new') {
    return ok({ request: linked, grant: outcome.grant, merged: false }, [
      grantEvent('grant.issued', outcome.grant, SYSTEM_ACTOR, at, {
        expiresAt: outcome.grant.expiresAt.toISOString(),
      }),
    ]);
  }
  const merged = outcome.grant;
  return ok({ request: linked, grant: merged, merged: true }, [
    {
      type: 'grant.merged',
      requestId: request.id,
      grantId: merged.id,
      actor: SYSTEM_ACTOR,
      at,
      details: {
        intoGrantId: merged.id,
        extended: outcome.extended,
        expiresAt: merged.expiresAt.toISOString(),
        requestedExpiresAt: fresh.expiresAt.toISOString(),
      },
    },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Provisioning

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

function truncateError(error: string): string {
  return error.length > LAST_ERROR_MAX ? `${error.slice(0, LAST_ERROR_MAX - 1)}…` : error;
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

// ---------------------------------------------------------------------------------------------
// Extension

export interface ExtendOptions {
  readonly at: Date;
  /** Latest expiry allowed (for example `startsAt` + the target's maximum); the new expiry is clamped to it. */
  readonly maxExpiresAt: Date;
  readonly actor: string;
  /** The extension request that was approved, recorded in `extendedBy`. */
  readonly requestId: string | null;
}

/**
 * Moves `expiresAt` of an active grant later, in place: the cloud side is untouched, so there is
 * no gap and no second grant. Never backwards, clamped to `maxExpiresAt`, and refused once the
 * grant is due (it would bring back access the sweeper is about to take).
 */
export function extendGrant(grant: Grant, newExpiresAt: Date, options: ExtendOptions): Result<Grant> {
  const { at, maxExpiresAt, actor, requestId } = options;
  if (grant.status !== 'active') {
    return fail('illegal-transition', `only an active grant can be extended (this one is ${grant.status})`);
  }
  if (isDue(grant, at)) return fail('grant-expired', 'the grant has expired and is due for revocation');
  const capped = newExpiresAt.getTime() > maxExpiresAt.getTime();
  const effective = capped ? maxExpiresAt : newExpiresAt;
  if (effective.getTime() <= grant.expiresAt.getTime()) {
    return fail(
      'not-later',
      capped
        ? `the grant already lasts as long as allowed (${maxExpiresAt.toISOString()})`
        : `the new expiry must be later than ${grant.expiresAt.toISOString()}`,
    );
  }
  const next = advance(grant, {
    expiresAt: effective,
    extendedBy: requestId === null ? grant.extendedBy : [...grant.extendedBy, requestId],
  });
  return ok(next, [
    grantEvent('grant.extended', next, actor, at, {
      from: grant.expiresAt.toISOString(),
      to: effective.toISOString(),
      requested: newExpiresAt.toISOString(),
      capped,
      extensionRequestId: requestId,
    }),
  ]);
}

/**
 * Applies an approved extension request to its linked grant: the grant lasts `durationMinutes`
 * longer than it would have (counted from its current expiry, not from now, so asking early does
 * not lose time), within `maxExpiresAt`. Marks the request as applied (`grantId`), once.
 */
export function applyExtension(
  request: AccessRequest,
  grant: Grant,
  options: { readonly at: Date; readonly maxExpiresAt: Date },
): Result<{ readonly request: AccessRequest; readonly grant: Grant }> {
  if (request.status !== 'approved') {
    return fail('illegal-transition', `a ${request.status} extension request cannot be applied`);
  }
  if (request.linkedGrantId !== grant.id) {
    return fail(
      'mismatch',
      `the extension request is for grant ${request.linkedGrantId ?? '(none)'}, not ${grant.id}`,
    );
  }
  if (request.grantId !== null) return fail('already-granted', 'the extension was already applied');
  if (!sameIdentity(request.requester, grant.user)) {
    return fail('mismatch', 'an extension must be requested by the grant holder');
  }
  const wanted = new Date(grant.expiresAt.getTime() + request.durationMinutes * MINUTE_MS);
  const extended = extendGrant(grant, wanted, {
    at: options.at,
    maxExpiresAt: options.maxExpiresAt,
    actor: request.requester,
    requestId: request.id,
  });
  if (!extended.ok) return extended;
  const applied: AccessRequest = { ...request, grantId: grant.id, version: request.version + 1 };
  return ok({ request: applied, grant: extended.value }, extended.events);
}

// ---------------------------------------------------------------------------------------------
// Taking access away

/**
 * The sweeper's step for a grant whose time is up. A grant that never reached the cloud ends at
 * once; anything that may hold the permission goes through `revoking`.
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

/** The cloud no longer holds the grant: `ended` after expiry, `revoked` after an early revoke. */
export function revoked(grant: Grant, now: Date): Result<Grant> {
  const to: GrantStatus = grant.revokeReason === 'revoked' ? 'revoked' : 'ended';
  if (!canTransitionGrant(grant.status, to) || grant.status !== 'revoking') return illegal(grant.status, to);
  const next = advance(grant, {
    status: to,
    attempts: 0,
    lastError: null,
    nextAttemptAt: null,
    endedAt: now,
  });
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
    lastError: truncateError(error),
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
