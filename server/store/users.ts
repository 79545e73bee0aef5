/**
 * The `users` table: one row per user who signed in (local account or IdP), keyed by the broker
 * user name. Rows are written at sign-in only; `disabled_at` is set by an administrator. There is
 * no foreign key from other tables (an OIDC user may act before the row exists), so a missing row
 * means "never signed in", not "no such user".
 */
import type { CloudIdentities } from '../provision/types';
import type { Db, Tx } from './db';
import { json } from './db';

/**
 * Whether the user's row is marked disabled. A user without a row is not disabled. Reads on
 * whatever `db` is given, so inside a transaction it sees that transaction's view.
 */
export async function isUserDisabled(db: Db | Tx, userId: string): Promise<boolean> {
  const { rows } = await db.query<{ disabled_at: Date | null }>(
    'SELECT disabled_at FROM users WHERE id = $1',
    [userId],
  );
  return Boolean(rows[0]?.disabled_at);
}

/** A user's row as sign-in writes it. */
export interface SignedInUser {
  readonly id: string;
  readonly displayName: string | null;
  readonly email: string | null;
  readonly cloudIdentities: CloudIdentities;
  readonly updatedAt: Date;
}

/**
 * Inserts or updates the row of a user who signed in with a local account: display name, email
 * and cloud identities are replaced; `groups` is left as it is (local sign-ins take their groups
 * from the config on every request, never from the row) and so is `disabled_at`.
 */
export async function upsertLocalUser(db: Db | Tx, user: SignedInUser): Promise<void> {
  await db.query(
    `INSERT INTO users (id, display_name, email, cloud_identities, updated_at)
     VALUES ($1, $2, $3, $4::jsonb, $5)
     ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, email = EXCLUDED.email,
       cloud_identities = EXCLUDED.cloud_identities, updated_at = EXCLUDED.updated_at`,
    [user.id, user.displayName, user.email, json(user.cloudIdentities), user.updatedAt],
  );
}

/**
 * Inserts or updates the row of a user who signed in at the IdP: like `upsertLocalUser`, and
 * `groups` too is replaced (the IdP's groups claim as of this sign-in). `disabled_at` is kept.
 */
export async function upsertIdpUser(
  db: Db | Tx,
  user: SignedInUser & { readonly groups: readonly string[] },
): Promise<void> {
  await db.query(
    `INSERT INTO users (id, display_name, email, groups, cloud_identities, updated_at)
     VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6)
     ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, email = EXCLUDED.email,
       groups = EXCLUDED.groups, cloud_identities = EXCLUDED.cloud_identities, updated_at = EXCLUDED.updated_at`,
    [user.id, user.displayName, user.email, json(user.groups), json(user.cloudIdentities), user.updatedAt],
  );
}

/**
 * The cloud identities stored for a user at their last sign-in; `{}` when the user has no row.
 * (For the broker's provisioning, which prefers the config's identities where it names the user.)
 */
export async function userCloudIdentities(db: Db | Tx, userId: string): Promise<CloudIdentities> {
  const { rows } = await db.query<{ cloud_identities: CloudIdentities }>(
    'SELECT cloud_identities FROM users WHERE id = $1',
    [userId],
  );
  return rows[0]?.cloud_identities ?? {};
}
