/**
 * The `oauth_transactions` table: sign-ins in progress. One row per `/oauth/authorize` that passed
 * validation, holding the client's request until the user has signed in (locally or at the IdP);
 * completing it yields at most one authorization code. Secrets (the transaction id, the browser
 * bindings, the IdP state) are stored and looked up only as sha256 hex, hashed by the caller.
 */
import type { Db, Tx } from './db';

/** A pending sign-in as `/oauth/authorize` records it. */
export interface NewOAuthTransaction {
  readonly idHash: string;
  /** Hash of the login cookie that binds the sign-in to the browser that started it. */
  readonly bindingHash: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state: string | null;
  readonly scope: string;
  readonly codeChallenge: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** A stored sign-in in progress. */
export interface OAuthTransaction {
  readonly idHash: string;
  readonly bindingHash: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state: string | null;
  readonly scope: string;
  readonly codeChallenge: string;
  /** Set once the user chose the IdP (see `startIdpLeg`). */
  readonly oidcBindingHash: string | null;
  readonly oidcNonce: string | null;
  readonly oidcCodeVerifier: string | null;
  readonly expiresAt: Date;
  /** Set when the sign-in finished (a code was issued, or the IdP refused). */
  readonly completedAt: Date | null;
}

interface TransactionRow {
  id_hash: string;
  binding_hash: string;
  client_id: string;
  redirect_uri: string;
  state: string | null;
  scope: string;
  code_challenge: string;
  oidc_binding_hash: string | null;
  oidc_nonce: string | null;
  oidc_code_verifier: string | null;
  expires_at: Date;
  completed_at: Date | null;
}

const COLUMNS = `id_hash, binding_hash, client_id, redirect_uri, state, scope, code_challenge,
  oidc_binding_hash, oidc_nonce, oidc_code_verifier, expires_at, completed_at`;

function toTransaction(row: TransactionRow): OAuthTransaction {
  return {
    idHash: row.id_hash,
    bindingHash: row.binding_hash,
    clientId: row.client_id,
    redirectUri: row.redirect_uri,
    state: row.state,
    scope: row.scope,
    codeChallenge: row.code_challenge,
    oidcBindingHash: row.oidc_binding_hash,
    oidcNonce: row.oidc_nonce,
    oidcCodeVerifier: row.oidc_code_verifier,
    expiresAt: row.expires_at,
    completedAt: row.completed_at,
  };
}

/** Records a new sign-in in progress, not completed and without an IdP leg. Throws on a duplicate id. */
export async function insertOAuthTransaction(db: Db | Tx, t: NewOAuthTransaction): Promise<void> {
  await db.query(
    `INSERT INTO oauth_transactions
       (id_hash, binding_hash, client_id, redirect_uri, state, scope, code_challenge, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      t.idHash,
      t.bindingHash,
      t.clientId,
      t.redirectUri,
      t.state,
      t.scope,
      t.codeChallenge,
      t.createdAt,
      t.expiresAt,
    ],
  );
}

/** The sign-in stored under `idHash`, whatever its state (expired and completed ones too); null when none. */
export async function findOAuthTransaction(db: Db | Tx, idHash: string): Promise<OAuthTransaction | null> {
  const { rows } = await db.query<TransactionRow>(
    `SELECT ${COLUMNS} FROM oauth_transactions WHERE id_hash = $1`,
    [idHash],
  );
  return rows[0] ? toTransaction(rows[0]) : null;
}

/**
 * The sign-in whose IdP leg carries the state hashed as `oidcStateHash` (unique), whatever its
 * state; null when none.
 */
export async function findOAuthTransactionByIdpState(
  db: Db | Tx,
  oidcStateHash: string,
): Promise<OAuthTransaction | null> {
  const { rows } = await db.query<TransactionRow>(
    `SELECT ${COLUMNS} FROM oauth_transactions WHERE oidc_state_hash = $1`,
    [oidcStateHash],
  );
  return rows[0] ? toTransaction(rows[0]) : null;
}

/** What the IdP leg of a sign-in needs on the way back. */
export interface IdpLeg {
  readonly stateHash: string;
  /** Hash of the second (SameSite=Lax) browser-binding cookie. */
  readonly bindingHash: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/**
 * Attaches (or replaces: the user may go to the IdP twice) the IdP leg of the sign-in `idHash`.
 * Throws if another sign-in already holds the same state hash (unique).
 */
export async function startIdpLeg(db: Db | Tx, idHash: string, leg: IdpLeg): Promise<void> {
  await db.query(
    `UPDATE oauth_transactions
        SET oidc_state_hash = $2, oidc_binding_hash = $3, oidc_nonce = $4, oidc_code_verifier = $5
      WHERE id_hash = $1`,
    [idHash, leg.stateHash, leg.bindingHash, leg.nonce, leg.codeVerifier],
  );
}

/**
 * The claim on a sign-in: marks it completed at `now` only if it is not completed yet and has not
 * expired by `now`. True for exactly one caller however many race (the row's update serialises
 * them); false when it was already completed, has expired or does not exist.
 */
export async function claimOAuthTransaction(db: Db | Tx, idHash: string, now: Date): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE oauth_transactions SET completed_at = $2
      WHERE id_hash = $1 AND completed_at IS NULL AND expires_at > $2 RETURNING id_hash`,
    [idHash, now],
  );
  return rows.length > 0;
}

/** Marks the sign-in completed at `now` unconditionally (it ended without a code, e.g. the IdP refused). */
export async function endOAuthTransaction(db: Db | Tx, idHash: string, now: Date): Promise<void> {
  await db.query('UPDATE oauth_transactions SET completed_at = $2 WHERE id_hash = $1', [idHash, now]);
}

/** Deletes the sign-ins that expired before `now` (indexed on `expires_at`, so cheap). */
export async function deleteExpiredOAuthTransactions(db: Db | Tx, now: Date): Promise<void> {
  await db.query('DELETE FROM oauth_transactions WHERE expires_at < $1', [now]);
}
