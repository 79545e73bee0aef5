/**
 * What the token endpoint stores for each token it issues, access and refresh alike: the two
 * tables (`tokens`, `refresh_tokens`) share these columns, keyed by the token's sha256.
 */
import type { Db, Tx } from './db';

export interface IssuedOAuthToken {
  readonly hash: string;
  readonly userId: string;
  readonly clientId: string;
  readonly scope: string;
  /** The refresh-token family: one per sign-in, revoked together. */
  readonly family: string;
  readonly signIn: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** Inserts one issued token. Throws on a hash already stored (the primary key). */
export async function insertOAuthToken(
  db: Db | Tx,
  table: 'tokens' | 'refresh_tokens',
  token: IssuedOAuthToken,
): Promise<void> {
  await db.query(
    `INSERT INTO ${table} (hash, user_id, client_id, scope, family, sign_in, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      token.hash,
      token.userId,
      token.clientId,
      token.scope,
      token.family,
      token.signIn,
      token.createdAt,
      token.expiresAt,
    ],
  );
}
