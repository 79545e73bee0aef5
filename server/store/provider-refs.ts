/**
 * What the cloud was given for a grant, kept beside the grant's record: `provider_ref` (what the
 * provisioner created), `applied_expires_at` (the expiry it put in place) and `applied_at`. Every
 * write here is a compare-and-set on the worker's lease (server/store/sweeper.ts): a worker whose
 * lease ran out and was taken over cannot overwrite what the newer holder saved, and a grant
 * already taken away gets no ref back (issue 12). None of these writes is a transition: `version`
 * is left alone, so they never make a user's concurrent revoke lose.
 */
import type { AppliedAccess } from '../domain';
import type { ProviderRef } from '../provision/types';
import type { Db, Tx } from './db';
import { json } from './db';

/** Statuses in which the lease holder's provisioning write is kept (it revokes `revoking` ones next). */
const KEEPS_REF = ['provisioning', 'active', 'revoking'];

export interface ProvisioningState {
  readonly ref: ProviderRef | null;
  readonly applied: AppliedAccess;
  readonly leaseOwner: string | null;
}

/** The grant's provider ref, applied expiry and lease holder; null when there is no such grant. */
export async function getProvisioningState(db: Db | Tx, grantId: string): Promise<ProvisioningState | null> {
  const { rows } = await db.query<{
    provider_ref: ProviderRef | null;
    applied_expires_at: Date | null;
    lease_owner: string | null;
  }>('SELECT provider_ref, applied_expires_at, lease_owner FROM grants WHERE id = $1', [grantId]);
  const row = rows[0];
  if (!row) return null;
  return {
    ref: row.provider_ref,
    applied: { provisioned: row.provider_ref !== null, expiresAt: row.applied_expires_at },
    leaseOwner: row.lease_owner,
  };
}

export interface LeasedWrite {
  /** The worker that claimed the grant. */
  readonly owner: string;
  /** The worker's clock now: the lease must still run past it. */
  readonly at: Date;
}

/**
 * Saves what a provisioner call returned and the expiry it put in place, only while `owner`
 * still holds the grant's lease and the grant is provisioning, active or being revoked (then the
 * same worker's next step removes exactly this). False when the lease was lost or the grant is
 * gone: the caller must not assume its write is known, and removes it when nothing owns it.
 */
export async function saveProviderRef(
  db: Db | Tx,
  grantId: string,
  ref: ProviderRef,
  appliedExpiresAt: Date,
  lease: LeasedWrite,
): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE grants SET provider_ref = $2::jsonb, applied_expires_at = $3, applied_at = $4
     WHERE id = $1 AND lease_owner = $5 AND lease_until > $4
       AND status IN (SELECT jsonb_array_elements_text($6::jsonb))
     RETURNING id`,
    [grantId, json(ref), appliedExpiresAt, lease.at, lease.owner, json(KEEPS_REF)],
  );
  return rows.length === 1;
}

/**
 * Whether `owner` still holds the grant's lease at `at`, locking the row until the transaction
 * ends: a status change saved in the same transaction cannot interleave with another worker's
 * claim (which updates the same row).
 */
export async function holdsGrantLease(tx: Tx, grantId: string, lease: LeasedWrite): Promise<boolean> {
  const { rows } = await tx.query<{ id: string }>(
    'SELECT id FROM grants WHERE id = $1 AND lease_owner = $2 AND lease_until > $3 FOR UPDATE',
    [grantId, lease.owner, lease.at],
  );
  return rows.length === 1;
}

/** Moves the lease on before a step that may call the cloud; false when it was lost meanwhile. */
export async function renewGrantLease(
  db: Db | Tx,
  grantId: string,
  lease: LeasedWrite,
  leaseMs: number,
): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE grants SET lease_until = $4
     WHERE id = $1 AND lease_owner = $2 AND lease_until > $3
     RETURNING id`,
    [grantId, lease.owner, lease.at, new Date(lease.at.getTime() + leaseMs)],
  );
  return rows.length === 1;
}

/**
 * The reconciler found an active grant's access missing in the cloud: forget the applied expiry so
 * the worker claims the grant for `reapply`. False when the grant is no longer active with a ref.
 */
export async function markAccessMissing(db: Db | Tx, grantId: string): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE grants SET applied_expires_at = NULL
     WHERE id = $1 AND status = 'active' AND provider_ref IS NOT NULL
     RETURNING id`,
    [grantId],
  );
  return rows.length === 1;
}
