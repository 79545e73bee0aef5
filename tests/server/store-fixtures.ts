/** Row builders shared by the store tests: the minimum columns for a request and its grant. */
import type { Db, Tx } from '../../server/store/db';
import { json } from '../../server/store/db';

export async function insertRequest(
  db: Db | Tx,
  id: string,
  fields: { requester?: string; justification?: string; resource?: string | null; status?: string } = {},
): Promise<void> {
  await db.query(
    `INSERT INTO access_requests
       (id, requester, target_cloud, target_account, target_environment, actions, resource,
        duration_minutes, justification, status, pending_expires_at)
     VALUES ($1, $2, 'aws', '111111111111', 'dev', $3::jsonb, $4, 60, $5, $6, now() + interval '1 day')`,
    [
      id,
      fields.requester ?? 'alice',
      json(['s3:GetObject']),
      fields.resource ?? null,
      fields.justification ?? 'debugging',
      fields.status ?? 'pending',
    ],
  );
}

export async function insertGrant(
  db: Db | Tx,
  id: string,
  requestId: string,
  fields: { status?: string; expiresAt: Date; leaseOwner?: string; leaseUntil?: Date; nextAttemptAt?: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO grants
       (id, request_id, user_id, target_cloud, target_account, target_environment, actions, status,
        starts_at, expires_at, lease_owner, lease_until, next_attempt_at)
     VALUES ($1, $2, 'alice', 'aws', '111111111111', 'dev', $3::jsonb, $4, $5::timestamptz - interval '1 hour', $5::timestamptz, $6, $7, $8)`,
    [
      id,
      requestId,
      json(['s3:GetObject']),
      fields.status ?? 'active',
      fields.expiresAt,
      fields.leaseOwner ?? null,
      fields.leaseUntil ?? null,
      fields.nextAttemptAt ?? null,
    ],
  );
}
