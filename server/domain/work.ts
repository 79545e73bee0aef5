/**
 * What the broker's worker should do next with a grant, and when it next needs looking at. The
 * sweeper and the start-up reconciler both ask this, so a grant found after a crash is handled by
 * the same rule as one found on an ordinary sweep. Claiming the grant (so that only one replica
 * works on it) is the store's job; this only answers "what, and is it time yet".
 */
import type { Grant } from './types';

export type GrantWork =
  /** `startProvisioning`, then call the provisioner: a first attempt or a due retry. */
  | 'provision'
  /** Found in `provisioning` (a worker crashed or is still at it): call the idempotent provisioner again. */
  | 'resume-provisioning'
  /** Its time is up: `markDue` (which ends a never-provisioned grant at once). */
  | 'expire'
  /** `startRevoking`, then call the revoker: a due retry. */
  | 'revoke'
  /** Found in `revoking`: call the idempotent revoker again. */
  | 'resume-revoking'
  /**
   * Active, but the cloud was last given an earlier expiry than the grant's (a merge or an
   * extension moved it, or the reconciler found the access missing): call the idempotent
   * provisioner again, under the worker's lease like any other provisioning write.
   */
  | 'reapply';

/**
 * What the cloud was last given for the grant, as the store keeps it beside the record
 * (`provider_ref`, `applied_expires_at`): whether a provisioner call ever returned for it, and the
 * expiry that call put in place (null: unknown, or the reconciler found the access missing).
 */
export interface AppliedAccess {
  readonly provisioned: boolean;
  readonly expiresAt: Date | null;
}

/** An active grant whose cloud side lags its record (see `AppliedAccess`). */
export function needsReapply(grant: Grant, applied: AppliedAccess | undefined): boolean {
  if (grant.status !== 'active' || !applied?.provisioned) return false;
  return applied.expiresAt === null || applied.expiresAt.getTime() < grant.expiresAt.getTime();
}

function reached(at: Date | null, now: Date): boolean {
  return at === null || now.getTime() >= at.getTime();
}

/**
 * The next step for `grant` at `now`, or null when there is nothing to do yet (or ever). `applied`
 * is what the cloud was last given (without it an active grant is taken as up to date).
 */
export function grantWork(grant: Grant, now: Date, applied?: AppliedAccess): GrantWork | null {
  const due = reached(grant.expiresAt, now);
  switch (grant.status) {
    case 'approved':
      return due ? 'expire' : 'provision';
    case 'provisioning':
      return due ? 'expire' : 'resume-provisioning';
    case 'provision-failed':
      if (due) return 'expire';
      return reached(grant.nextAttemptAt, now) ? 'provision' : null;
    case 'active':
      if (due) return 'expire';
      return needsReapply(grant, applied) ? 'reapply' : null;
    case 'revoking':
      return 'resume-revoking';
    case 'revoke-failed':
      return reached(grant.nextAttemptAt, now) ? 'revoke' : null;
    case 'revoked':
    case 'ended':
    case 'failed':
      return null;
  }
}

/**
 * When the grant next needs the worker: a column the store can index so the sweeper selects only
 * due rows. Null for final grants. `approved`, `provisioning` and `revoking` are due at once
 * (their `startsAt`, a past instant): the store's claim lease keeps other replicas off a grant
 * that is being worked on, and hands it to another replica when the lease of a crashed one lapses.
 */
export function grantDueAt(grant: Grant): Date | null {
  switch (grant.status) {
    case 'approved':
    case 'provisioning':
    case 'revoking':
      return grant.startsAt;
    case 'provision-failed': {
      const retry = grant.nextAttemptAt ?? grant.startsAt;
      return retry.getTime() < grant.expiresAt.getTime() ? retry : grant.expiresAt;
    }
    case 'active':
      return grant.expiresAt;
    case 'revoke-failed':
      return grant.nextAttemptAt ?? grant.startsAt;
    case 'revoked':
    case 'ended':
    case 'failed':
      return null;
  }
}
