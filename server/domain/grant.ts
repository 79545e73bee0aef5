/**
 * Grant transitions: issue (or merge) and extend. Pure like request.ts. Provisioning with
 * retries is in provisioning.ts, taking access away (expiry, early revoke) in revocation.ts;
 * grant-step.ts holds what they all build their answers with.
 */
import { sameIdentity } from './identity';
import { advance, grantEvent, isDue, MINUTE_MS } from './grant-step';
import type { Result } from './result';
import { SYSTEM_ACTOR, aStatus, fail, ok } from './result';
import type { AccessRequest, Grant, GrantStatus } from './types';

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
    return fail('illegal-transition', `${aStatus(request.status)} request cannot be granted`);
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
    failure: null,
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
    return fail('illegal-transition', `${aStatus(request.status)} extension request cannot be applied`);
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
