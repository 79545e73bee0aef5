/**
 * The `refresh_tokens` table: rotating OAuth refresh tokens, one row per token ever issued, grouped
 * in families (one per sign-in). A row is spent (`used_at`) when it is exchanged, and revoked with
 * its family when a spent one comes back. Only the token's sha256 (hex) is stored and looked up.
 */
import type { Db, Tx } from './db';
import { insertOAuthToken, type IssuedOAuthToken } from './oauth-token-row';

/** A refresh token as the token endpoint issues it. */
export type NewRefreshToken = IssuedOAuthToken;

/** Stores a new refresh token, unused and not revoked. Throws on a hash already stored. */
export async function insertRefreshToken(db: Db | Tx, token: NewRefreshToken): Promise<void> {
  await insertOAuthToken(db, 'refresh_tokens', token);
}

/** A stored refresh token, as rotation needs it. */
export interface RefreshTokenRecord {
  readonly userId: string;
  readonly clientId: string | null;
  readonly scope: string | null;
  readonly family: string;
  /** 'local', 'oidc', or null for rows written before sign-in was recorded. */
  readonly signIn: string | null;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
  readonly revokedAt: Date | null;
}

/**
 * The refresh token stored under `hash`, row-locked until `tx` ends (null when none). The lock is
 * what makes rotation single-use: a second transaction presenting the same token waits here and
 * then sees the first one's `used_at`.
 */
export async function lockRefreshToken(tx: Tx, hash: string): Promise<RefreshTokenRecord | null> {
  // FOR UPDATE: two concurrent refreshes with one token serialize here; the second sees used_at.
  const { rows } = await tx.query<{
    user_id: string;
    client_id: string | null;
    scope: string | null;
    family: string;
    sign_in: string | null;
    expires_at: Date;
    used_at: Date | null;
    revoked_at: Date | null;
  }>(
    `SELECT user_id, client_id, scope, family, sign_in, expires_at, used_at, revoked_at
       FROM refresh_tokens WHERE hash = $1 FOR UPDATE`,
    [hash],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    userId: row.user_id,
    clientId: row.client_id,
    scope: row.scope,
    family: row.family,
    signIn: row.sign_in,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    revokedAt: row.revoked_at,
  };
}

/** Marks the refresh token under `hash` spent at `now` (whatever it was before). */
export async function markRefreshTokenUsed(db: Db | Tx, hash: string, now: Date): Promise<void> {
  await db.query('UPDATE refresh_tokens SET used_at = $2 WHERE hash = $1', [hash, now]);
}

/** The family and client of the refresh token under `hash`, without locking; null when none. */
export async function findRefreshTokenFamily(
  db: Db | Tx,
  hash: string,
): Promise<{ readonly family: string; readonly clientId: string | null } | null> {
  const { rows } = await db.query<{ family: string; client_id: string | null }>(
    'SELECT family, client_id FROM refresh_tokens WHERE hash = $1',
    [hash],
  );
  const row = rows[0];
  return row ? { family: row.family, clientId: row.client_id } : null;
}

/**
 * Marks every not-yet-revoked refresh token of `family` revoked at `now`; tokens revoked earlier
 * keep their first revocation time. Does not announce the revocation (the caller does).
 */
export async function revokeRefreshTokensOfFamily(db: Db | Tx, family: string, now: Date): Promise<void> {
  await db.query('UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL', [
    family,
    now,
  ]);
}
