/**
 * The `tokens` table: the bearer tokens the API accepts, OAuth access tokens (client, scope and
 * refresh-token family set) and API tokens from `unblock-server token create` (no client, no
 * family; a label). Only the token's sha256 (hex) is stored and looked up: the callers hash, this
 * file never sees a token.
 *
 * Revocation is announced on `AUTH_CHANNEL` so every replica's bearer-token cache forgets at once.
 */
import type { Db, Tx } from './db';
import { insertOAuthToken, type IssuedOAuthToken } from './oauth-token-row';

/** Every broker's authentication cache listens here (see createAuthService in server/auth). */
export const AUTH_CHANNEL = 'unblock_auth';

/** An OAuth access token as issued by the token endpoint. */
export type NewAccessToken = IssuedOAuthToken;

/** Stores a new access token. Throws on a hash already stored (the primary key). */
export async function insertAccessToken(db: Db | Tx, token: NewAccessToken): Promise<void> {
  await insertOAuthToken(db, 'tokens', token);
}

/** An API token: no client, scope or family, `sign_in` 'api'. */
export interface NewApiToken {
  readonly hash: string;
  readonly userId: string;
  readonly label: string | null;
  readonly createdAt: Date;
  /** Null: never expires (the config must allow it; see server/auth). */
  readonly expiresAt: Date | null;
}

/** Stores a new API token; returns its public id. Throws on a hash already stored (the primary key). */
export async function insertApiToken(db: Db | Tx, token: NewApiToken): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO tokens (hash, user_id, client_id, scope, family, label, sign_in, created_at, expires_at)
     VALUES ($1, $2, NULL, NULL, NULL, $3, 'api', $4, $5) RETURNING id`,
    [token.hash, token.userId, token.label, token.createdAt, token.expiresAt],
  );
  return rows[0]!.id;
}

/**
 * Marks every not-yet-revoked access token of `family` revoked at `now`; tokens revoked earlier
 * keep their first revocation time. Does not announce (the caller does, once per change).
 */
export async function revokeAccessTokensOfFamily(db: Db | Tx, family: string, now: Date): Promise<void> {
  await db.query('UPDATE tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL', [family, now]);
}

/**
 * Marks one access token revoked at `now`, only if it was issued to `clientId` and is not revoked
 * yet; anything else (unknown hash, another client's token) changes nothing. Does not announce.
 */
export async function revokeAccessToken(
  db: Db | Tx,
  hash: string,
  clientId: string,
  now: Date,
): Promise<void> {
  await db.query(
    'UPDATE tokens SET revoked_at = $3 WHERE hash = $1 AND client_id = $2 AND revoked_at IS NULL',
    [hash, clientId, now],
  );
}

/**
 * Tells every broker replica, at commit, to forget the bearer tokens it has recently checked:
 * whatever revokes a token or disables a user must call this in its transaction (a rollback sends
 * nothing).
 */
export async function announceRevocation(tx: Pick<Tx, 'query'>): Promise<void> {
  await tx.query(`SELECT pg_notify('${AUTH_CHANNEL}', '')`);
}

/** A stored bearer token with what the API check needs of its user's row. */
export interface BearerTokenRecord {
  readonly userId: string;
  /** Null for API tokens. */
  readonly clientId: string | null;
  /** 'local', 'oidc', 'api', or null for rows written before sign-in was recorded. */
  readonly signIn: string | null;
  readonly createdAt: Date;
  /** Null only for API tokens created without expiry. */
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
  /** `users.groups` as stored (unvalidated JSON); null when the user has no row. */
  readonly userGroups: unknown;
  /** `users.disabled_at`; null when the user has no row or is not disabled. */
  readonly userDisabledAt: Date | null;
}

/** The bearer token stored under `hash` (access or API), joined with its user's row; null when none. */
export async function findBearerToken(
  db: Pick<Tx, 'query'>,
  hash: string,
): Promise<BearerTokenRecord | null> {
  const { rows } = await db.query<{
    user_id: string;
    client_id: string | null;
    sign_in: string | null;
    created_at: Date;
    expires_at: Date | null;
    revoked_at: Date | null;
    last_used_at: Date | null;
    user_groups: unknown;
    user_disabled_at: Date | null;
  }>(
    `SELECT t.user_id, t.client_id, t.sign_in, t.created_at, t.expires_at, t.revoked_at, t.last_used_at,
            u.groups AS user_groups, u.disabled_at AS user_disabled_at
       FROM tokens t LEFT JOIN users u ON u.id = t.user_id
      WHERE t.hash = $1`,
    [hash],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    userId: row.user_id,
    clientId: row.client_id,
    signIn: row.sign_in,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    userGroups: row.user_groups,
    userDisabledAt: row.user_disabled_at ?? null,
  };
}
