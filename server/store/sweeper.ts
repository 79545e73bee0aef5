/**
 * The SQL half of the grant worker (server/service/worker.ts): which grants need work now, and
 * which worker is doing it. No cloud calls and no status changes here — every status change goes
 * through the domain's transitions and is saved with compare-and-set and its audit row by the
 * worker; this file only hands out and takes back leases.
 *
 * Claiming is a lease: `lease_owner`/`lease_until` set in the same statement that selected the
 * rows `FOR UPDATE SKIP LOCKED`, so concurrent workers on several replicas skip each other's rows
 * instead of waiting or double-claiming. A worker that dies leaves a lease that runs out; the next
 * claim (or `releaseStaleLeases`) hands the grant to someone else. A lease does not bump the
 * grant's version: a user's revoke while the worker calls the cloud still lands, and the worker's
 * next save from its older snapshot then loses and re-reads (what to do next is the domain's
 * `grantWork` answer for the new state).
 */
import { GRANT_LIVE_STATUSES } from '../../lib/contract/status';
import type { Db, Tx } from './db';
import { json } from './db';

export const DEFAULT_LEASE_MS = 60_000;

/**
 * Lease up to `limit` grants that need work at `now` to `workerId` until `now + leaseMs`, soonest
 * expiry first. Due means (mirroring `grantDueAt` in server/domain/work.ts):
 * - `approved`, `provisioning`, `revoking`: at once (new work, or a crashed worker's);
 * - `provision-failed`: its retry is due, or its time is up;
 * - `active`: its time is up, or its cloud side lags its record (`reapply`: a merge or an
 *   extension moved its expiry, or the reconciler found its access missing; provider-refs.ts);
 * - `revoke-failed`: its retry is due.
 */
export async function claimGrantWork(
  db: Db,
  now: Date,
  limit: number,
  workerId: string,
  leaseMs: number = DEFAULT_LEASE_MS,
): Promise<string[]> {
  const { rows } = await db.transaction((tx: Tx) =>
    tx.query<{ id: string; expires_at: Date }>(
      `WITH due AS (
         SELECT id FROM grants
         WHERE status IN (SELECT jsonb_array_elements_text($5::jsonb))
           AND (lease_until IS NULL OR lease_until <= $1)
           AND (
             status IN ('approved', 'provisioning', 'revoking')
             OR (status = 'provision-failed'
                 AND (next_attempt_at IS NULL OR next_attempt_at <= $1 OR expires_at <= $1))
             OR (status = 'active' AND expires_at <= $1)
             OR (status = 'active' AND provider_ref IS NOT NULL
                 AND (applied_expires_at IS NULL OR applied_expires_at < expires_at))
             OR (status = 'revoke-failed' AND (next_attempt_at IS NULL OR next_attempt_at <= $1))
           )
         ORDER BY expires_at, id
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       )
       UPDATE grants g SET lease_owner = $3, lease_until = $4
       FROM due WHERE g.id = due.id
       RETURNING g.id, g.expires_at`,
      [now, limit, workerId, new Date(now.getTime() + leaseMs), json(GRANT_LIVE_STATUSES)],
    ),
  );
  return rows
    .sort((a, b) => a.expires_at.getTime() - b.expires_at.getTime() || (a.id < b.id ? -1 : 1))
    .map((r) => r.id);
}

/** The worker is done with the grant for now; false when its lease had already been taken over. */
export async function releaseGrantLease(db: Db | Tx, grantId: string, workerId: string): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    'UPDATE grants SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2 RETURNING id',
    [grantId, workerId],
  );
  return rows.length === 1;
}

/**
 * The worker keeps the grant until `until` instead of releasing it (a back-off after a failed
 * `reapply`: the claim skips leased rows); false when its lease had already been taken over.
 */
export async function holdGrantLease(
  db: Db | Tx,
  grantId: string,
  workerId: string,
  until: Date,
): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    'UPDATE grants SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 RETURNING id',
    [grantId, workerId, until],
  );
  return rows.length === 1;
}

/**
 * A restarted worker (same id: host and port) frees what it held before the restart at once,
 * instead of waiting for the leases to run out: nobody is working on those grants now.
 */
export async function releaseLeasesOf(db: Db | Tx, workerId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'UPDATE grants SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1 RETURNING id',
    [workerId],
  );
  return rows.map((r) => r.id).sort();
}

/** Clear leases that ran out, so those grants are visibly unowned (the next claim takes them anyway). */
export async function releaseStaleLeases(db: Db | Tx, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE grants SET lease_owner = NULL, lease_until = NULL, updated_at = $1
     WHERE lease_until IS NOT NULL AND lease_until <= $1
     RETURNING id`,
    [now],
  );
  return rows.map((r) => r.id).sort();
}
