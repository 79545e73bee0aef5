/**
 * API tokens (`unblock-server token create`, rows of `tokens` with `sign_in = 'api'`) as people
 * manage them: listed by their public id (never the secret nor its hash), revoked by id or by
 * hash, and when each was last used. Callers announce revocations (`announceRevocation`).
 */
import type { Db, Tx } from './db';

/** One API token as listings show it. */
export interface ApiTokenRecord {
  readonly id: string;
  readonly userId: string;
  readonly label: string | null;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  /** Null: never expires (only when the config allows it). */
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
}

interface ApiTokenRow {
  id: string;
  user_id: string;
  label: string | null;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = 'id, user_id, label, created_at, last_used_at, expires_at, revoked_at';

function fromRow(r: ApiTokenRow): ApiTokenRecord {
  return {
    id: r.id,
    userId: r.user_id,
    label: r.label,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  };
}

export interface ApiTokenFilter {
  /** Only this user's tokens; every user's when absent. */
  readonly userId?: string;
  /** Tokens strictly after this position in the newest-first order. */
  readonly after?: { readonly createdAt: Date; readonly id: string };
  readonly limit: number;
}

/** API tokens, newest first (then by id, so equal times page stably). */
export async function listApiTokens(db: Db | Tx, filter: ApiTokenFilter): Promise<ApiTokenRecord[]> {
  const where = ["sign_in = 'api'"];
  const params: unknown[] = [];
  if (filter.userId !== undefined) {
    params.push(filter.userId);
    where.push(`user_id = $${params.length}`);
  }
  if (filter.after) {
    params.push(filter.after.createdAt, filter.after.id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::text)`);
  }
  params.push(filter.limit);
  const { rows } = await db.query<ApiTokenRow>(
    `SELECT ${COLUMNS} FROM tokens WHERE ${where.join(' AND ')}
      ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map(fromRow);
}

/** The API token with this public id; null when there is none (OAuth access tokens are not API tokens). */
export async function findApiToken(db: Db | Tx, id: string): Promise<ApiTokenRecord | null> {
  const { rows } = await db.query<ApiTokenRow>(
    `SELECT ${COLUMNS} FROM tokens WHERE id = $1 AND sign_in = 'api'`,
    [id],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

/**
 * Marks the API token revoked at `now` unless it already is; returns the token as it now stands
 * and whether this call revoked it. Null when no API token has this `id` (or this `hash`).
 */
export async function revokeApiToken(
  tx: Tx,
  by: { readonly id: string } | { readonly hash: string },
  now: Date,
): Promise<{ token: ApiTokenRecord; changed: boolean } | null> {
  const [column, value] = 'id' in by ? ['id', by.id] : ['hash', by.hash];
  const { rows } = await tx.query<ApiTokenRow>(
    `UPDATE tokens SET revoked_at = $2
      WHERE ${column} = $1 AND sign_in = 'api' AND revoked_at IS NULL
      RETURNING ${COLUMNS}`,
    [value, now],
  );
  if (rows[0]) return { token: fromRow(rows[0]), changed: true };
  const { rows: existing } = await tx.query<ApiTokenRow>(
    `SELECT ${COLUMNS} FROM tokens WHERE ${column} = $1 AND sign_in = 'api'`,
    [value],
  );
  return existing[0] ? { token: fromRow(existing[0]), changed: false } : null;
}

/**
 * Records that the bearer token stored under `hash` was accepted at `now`, unless that was already
 * recorded less than `resolutionMs` ago (by this replica or another): at most one write per token
 * per `resolutionMs`, however many requests it makes.
 */
export async function recordTokenUse(
  db: Pick<Tx, 'query'>,
  hash: string,
  now: Date,
  resolutionMs: number,
): Promise<void> {
  await db.query(
    `UPDATE tokens SET last_used_at = $2
      WHERE hash = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`,
    [hash, now, new Date(now.getTime() - resolutionMs)],
  );
}
