/**
 * The SQL half of the expiry sweeper: which grants are due for revocation, and who is revoking
 * them. No cloud calls here; the caller revokes (idempotently) and reports back.
 *
 * Claiming is a lease: the claimer marks the grant `revoking` with `lease_owner`/`lease_until`
 * in the same transaction that selected it `FOR UPDATE SKIP LOCKED`, so concurrent sweepers on
 * several replicas skip each other's rows instead of waiting or double-claiming. A replica that
 * dies mid-revocation leaves a lease that runs out; `releaseStaleLeases` (or the next claim, which
 * ignores expired leases) hands the grant to someone else. Completion is fenced on the lease
 * owner, so a sweeper that lost its lease cannot overwrite the new owner's outcome.
 */
import type { Db, Tx } from './db';

export interface ClaimedGrant {
  id: string;
  request_id: string;
  user_id: string;
  target_cloud: string;
  target_account: string;
  target_environment: string;
  actions: string[];
  resource: string | null;
  status: string;
  expires_at: Date;
  attempts: number;
  provider_ref: unknown;
  revoke_reason: string | null;
  lease_owner: string;
  lease_until: Date;
  version: number;
}

export const DEFAULT_LEASE_MS = 60_000;

/**
 * Claim up to `limit` grants that must be revoked now and mark them `revoking`, leased to
 * `workerId` until now + leaseMs. Due means any of:
 * - `active` and past `expires_at` (the ordinary expiry);
 * - `revoke-failed` and its retry is due (`next_attempt_at`);
 * - `revoking` with no live lease (an early revoke waiting for a worker, or a crashed worker);
 * - `approved`/`provisioning`/`provision-failed` past `expires_at` with no live lease: provisioning
 *   may have half-happened, and revocation is idempotent, so the grant is taken down rather than
 *   left to finish provisioning after its time is up.
 */
export async function claimDueGrants(
  db: Db,
  now: Date,
  limit: number,
  workerId: string,
  leaseMs: number = DEFAULT_LEASE_MS,
): Promise<ClaimedGrant[]> {
  const leaseUntil = new Date(now.getTime() + leaseMs);
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<ClaimedGrant>(
      `WITH due AS (
         SELECT id FROM grants
         WHERE (lease_until IS NULL OR lease_until <= $1)
           AND (
             (status = 'active' AND expires_at <= $1)
             OR (status = 'revoke-failed' AND (next_attempt_at IS NULL OR next_attempt_at <= $1))
             OR status = 'revoking'
             OR (status IN ('approved', 'provisioning', 'provision-failed') AND expires_at <= $1)
           )
         ORDER BY expires_at, id
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       )
       UPDATE grants g
       SET status = 'revoking',
           revoke_reason = COALESCE(g.revoke_reason, 'expired'),
           lease_owner = $3,
           lease_until = $4,
           updated_at = $1,
           version = g.version + 1
       FROM due
       WHERE g.id = due.id
       RETURNING g.id, g.request_id, g.user_id, g.target_cloud, g.target_account, g.target_environment,
                 g.actions, g.resource, g.status, g.expires_at, g.attempts, g.provider_ref,
                 g.revoke_reason, g.lease_owner, g.lease_until, g.version`,
      [now, limit, workerId, leaseUntil],
    );
    return rows.sort((a, b) => a.expires_at.getTime() - b.expires_at.getTime() || a.id.localeCompare(b.id));
  });
}

/**
 * Crash recovery, run at start and on every sweep: clear leases that ran out so those grants are
 * claimable (and visibly unowned) again. Returns the ids released.
 */
export async function releaseStaleLeases(db: Db | Tx, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE grants SET lease_owner = NULL, lease_until = NULL, updated_at = $1
     WHERE lease_until IS NOT NULL AND lease_until <= $1
     RETURNING id`,
    [now],
  );
  return rows.map((r) => r.id).sort();
}

/**
 * The revocation succeeded: `ended` for an expiry, `revoked` for an early revoke. Returns false
 * when `workerId` no longer holds the lease (it ran out and another worker took over): that
 * worker will finish, and idempotent revocation makes the duplicate harmless.
 */
export async function completeRevocation(
  db: Db | Tx,
  grantId: string,
  workerId: string,
  now: Date,
): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE grants
     SET status = CASE WHEN revoke_reason = 'revoked' THEN 'revoked' ELSE 'ended' END,
         ended_at = $3, attempts = 0, last_error = NULL, next_attempt_at = NULL,
         lease_owner = NULL, lease_until = NULL, updated_at = $3, version = version + 1
     WHERE id = $1 AND status = 'revoking' AND lease_owner = $2
     RETURNING id`,
    [grantId, workerId, now],
  );
  return rows.length === 1;
}

/** The revocation failed: record it and schedule the retry (backoff is the caller's policy). */
export async function failRevocation(
  db: Db | Tx,
  grantId: string,
  workerId: string,
  now: Date,
  error: string,
  nextAttemptAt: Date,
): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE grants
     SET status = 'revoke-failed', attempts = attempts + 1, last_error = $4, next_attempt_at = $5,
         lease_owner = NULL, lease_until = NULL, updated_at = $3, version = version + 1
     WHERE id = $1 AND status = 'revoking' AND lease_owner = $2
     RETURNING id`,
    [grantId, workerId, now, error, nextAttemptAt],
  );
  return rows.length === 1;
}
