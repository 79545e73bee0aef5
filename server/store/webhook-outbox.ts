/**
 * The `webhook_deliveries` table, the webhook outbox: one row per (webhook × event), fully
 * rendered, inserted in the transaction of the change it reports and sent later by the delivery
 * worker (server/webhooks/worker.ts).
 *
 * Sending is leased, as grants are in sweeper.ts: `claimDueDeliveries` stamps rows with
 * `lease_owner`/`lease_until`, and every outcome is written fenced on the lease owner, so a worker
 * whose lease ran out (and whose row someone else took over) writes nothing.
 */
import type { Db, Tx } from './db';

/** One delivery to queue. */
export interface NewWebhookDelivery {
  /** The webhook's configured name. */
  readonly webhook: string;
  readonly kind: string;
  readonly url: string;
  readonly eventType: string;
  /** Shared by every delivery of one event: receivers dedupe on it. */
  readonly eventId: string;
  readonly requestId: string | null;
  readonly grantId: string | null;
  /** The rendered request body, sent as is. */
  readonly body: string;
  /** When the first attempt is due. */
  readonly firstAttemptAt: Date;
}

/** Queues one delivery (no attempts yet, not leased) on the caller's transaction. */
export async function insertWebhookDelivery(tx: Tx, delivery: NewWebhookDelivery): Promise<void> {
  await tx.query(
    `INSERT INTO webhook_deliveries
       (webhook, kind, url, event_type, event_id, request_id, grant_id, body, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      delivery.webhook,
      delivery.kind,
      delivery.url,
      delivery.eventType,
      delivery.eventId,
      delivery.requestId,
      delivery.grantId,
      delivery.body,
      delivery.firstAttemptAt,
    ],
  );
}

/** A delivery leased to a worker. */
export interface ClaimedDelivery {
  readonly id: number;
  readonly webhook: string;
  readonly kind: string;
  readonly eventType: string;
  readonly body: string;
  /** Attempts made before this one. */
  readonly attempts: number;
}

/**
 * Leases up to `limit` deliveries due at `now` (neither delivered nor given up, attempt due, no
 * live lease) to `owner` until `leaseUntil`, and returns them by id, oldest first. Rows another
 * transaction is claiming at the same moment are skipped, not waited for, so replicas never claim
 * one row twice.
 */
export async function claimDueDeliveries(
  tx: Tx,
  claim: { readonly now: Date; readonly limit: number; readonly owner: string; readonly leaseUntil: Date },
): Promise<ClaimedDelivery[]> {
  const { rows } = await tx.query<{
    id: number;
    webhook: string;
    kind: string;
    event_type: string;
    body: string;
    attempts: number;
  }>(
    `WITH due AS (
       SELECT id FROM webhook_deliveries
       WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
         AND (lease_until IS NULL OR lease_until <= $1)
       ORDER BY next_attempt_at, id
       LIMIT $2
       FOR UPDATE SKIP LOCKED
     )
     UPDATE webhook_deliveries d
     SET lease_owner = $3, lease_until = $4
     FROM due
     WHERE d.id = due.id
     RETURNING d.id, d.webhook, d.kind, d.event_type, d.body, d.attempts`,
    [claim.now, claim.limit, claim.owner, claim.leaseUntil],
  );
  return rows
    .map((r) => ({
      id: r.id,
      webhook: r.webhook,
      kind: r.kind,
      eventType: r.event_type,
      body: r.body,
      attempts: r.attempts,
    }))
    .sort((a, b) => a.id - b.id);
}

/** Who holds the lease on a delivery: outcome writes are fenced on it. */
export interface DeliveryLease {
  readonly id: number;
  readonly owner: string;
}

/**
 * Records a successful attempt: delivered at `at`, `attempts` made, the URL it went to, error
 * cleared, lease released. False (and nothing written) when `lease.owner` no longer holds the row.
 */
export async function markDelivered(
  db: Db | Tx,
  lease: DeliveryLease,
  outcome: { readonly at: Date; readonly attempts: number; readonly url: string },
): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE webhook_deliveries
     SET delivered_at = $3, attempts = $4, last_error = NULL, url = $5, lease_owner = NULL, lease_until = NULL
     WHERE id = $1 AND lease_owner = $2 RETURNING id`,
    [lease.id, lease.owner, outcome.at, outcome.attempts, outcome.url],
  );
  return rows.length === 1;
}

/** A failed attempt: the error (already cut to size) and the URL tried, when one was. */
export interface FailedAttempt {
  readonly attempts: number;
  readonly error: string;
  readonly url: string | null;
}

/**
 * Records that the delivery is given up (`failed_at` = `at`), with its last error; the URL is
 * updated only when one was tried. Lease released. False (nothing written) when `lease.owner` no
 * longer holds the row.
 */
export async function markGivenUp(
  db: Db | Tx,
  lease: DeliveryLease,
  outcome: FailedAttempt & { readonly at: Date },
): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE webhook_deliveries
     SET failed_at = $3, attempts = $4, last_error = $5, url = COALESCE($6, url), lease_owner = NULL, lease_until = NULL
     WHERE id = $1 AND lease_owner = $2 RETURNING id`,
    [lease.id, lease.owner, outcome.at, outcome.attempts, outcome.error, outcome.url],
  );
  return rows.length === 1;
}

/**
 * Records a failed attempt to be retried at `nextAttemptAt`, with its error; the URL is updated
 * only when one was tried. Lease released. False (nothing written) when `lease.owner` no longer
 * holds the row.
 */
export async function scheduleRetry(
  db: Db | Tx,
  lease: DeliveryLease,
  outcome: FailedAttempt & { readonly nextAttemptAt: Date },
): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE webhook_deliveries
     SET next_attempt_at = $3, attempts = $4, last_error = $5, url = COALESCE($6, url), lease_owner = NULL, lease_until = NULL
     WHERE id = $1 AND lease_owner = $2 RETURNING id`,
    [lease.id, lease.owner, outcome.nextAttemptAt, outcome.attempts, outcome.error, outcome.url],
  );
  return rows.length === 1;
}

/**
 * Hands a leased delivery back unattempted (attempts and schedule unchanged), if `lease.owner`
 * still holds it; otherwise changes nothing.
 */
export async function releaseDelivery(db: Db | Tx, lease: DeliveryLease): Promise<void> {
  await db.query(
    'UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2',
    [lease.id, lease.owner],
  );
}
