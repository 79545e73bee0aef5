/**
 * The `oauth_codes` table: authorization codes, single-use and short-lived, bound to the client,
 * redirect URI and PKCE challenge of the sign-in that produced them. Rows stay past expiry (see
 * `deleteOAuthCodesExpiredBefore`) so that a late replay is still recognised. Only the code's
 * sha256 (hex) is stored and looked up.
 */
import type { Db, Tx } from './db';

/** An authorization code as a completed sign-in issues it. */
export interface NewOAuthCode {
  readonly hash: string;
  readonly userId: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly scope: string;
  /** 'local' or 'oidc': the tokens issued for the code inherit it. */
  readonly signIn: string;
  /** The refresh-token family the code's tokens go into. */
  readonly family: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** A stored authorization code. */
export interface OAuthCode {
  readonly userId: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly scope: string;
  readonly signIn: string;
  readonly family: string;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
}

/** Stores a new, unused code. Throws on a hash already stored. */
export async function insertOAuthCode(db: Db | Tx, code: NewOAuthCode): Promise<void> {
  await db.query(
    `INSERT INTO oauth_codes
       (hash, user_id, client_id, redirect_uri, code_challenge, scope, sign_in, family, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      code.hash,
      code.userId,
      code.clientId,
      code.redirectUri,
      code.codeChallenge,
      code.scope,
      code.signIn,
      code.family,
      code.createdAt,
      code.expiresAt,
    ],
  );
}

/**
 * The code stored under `hash`, row-locked until `tx` ends (null when none): two redemptions of
 * one code serialise here, and the second sees the first one's `used_at`.
 */
export async function lockOAuthCode(tx: Tx, hash: string): Promise<OAuthCode | null> {
  const { rows } = await tx.query<{
    user_id: string;
    client_id: string;
    redirect_uri: string;
    code_challenge: string;
    scope: string;
    sign_in: string;
    family: string;
    expires_at: Date;
    used_at: Date | null;
  }>(
    `SELECT user_id, client_id, redirect_uri, code_challenge, scope, sign_in, family, expires_at, used_at
       FROM oauth_codes WHERE hash = $1 FOR UPDATE`,
    [hash],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    userId: row.user_id,
    clientId: row.client_id,
    redirectUri: row.redirect_uri,
    codeChallenge: row.code_challenge,
    scope: row.scope,
    signIn: row.sign_in,
    family: row.family,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

/** Marks the code under `hash` spent at `now` (whatever it was before). */
export async function markOAuthCodeUsed(db: Db | Tx, hash: string, now: Date): Promise<void> {
  await db.query('UPDATE oauth_codes SET used_at = $2 WHERE hash = $1', [hash, now]);
}

/** Deletes the codes that expired before `cutoff` (indexed on `expires_at`, so cheap). */
export async function deleteOAuthCodesExpiredBefore(db: Db | Tx, cutoff: Date): Promise<void> {
  await db.query('DELETE FROM oauth_codes WHERE expires_at < $1', [cutoff]);
}
