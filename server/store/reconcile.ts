/**
 * The reconciler's SQL (server/reconcile/): the facts of the grants a cloud listing names, a
 * target's active grants, and the lease that keeps the reconciler to one replica at a time.
 */
import type { GrantStatus } from '../domain';
import { GRANT_STATUSES } from '../domain';
import type { Db, Tx } from './db';
import { json } from './db';
import { oneOf } from './rows';

/** What the reconciler needs to know of a grant (the reconciler's plan, server/reconcile/plan.ts). */
export interface GrantFacts {
  readonly id: string;
  readonly status: GrantStatus;
  readonly endedAt: Date | null;
  /** When the last provisioner call that returned for it was saved; null if none did. */
  readonly appliedAt: Date | null;
  /** A worker holds its lease now. */
  readonly leased: boolean;
  /** Its provider ref says the access is its own (an Azure role held from elsewhere is not). */
  readonly ownsAccess: boolean;
}

interface FactsRow {
  id: string;
  status: string;
  ended_at: Date | null;
  applied_at: Date | null;
  lease_owner: string | null;
  lease_until: Date | null;
  provider_ref: Record<string, unknown> | null;
}

const FACTS = 'id, status, ended_at, applied_at, lease_owner, lease_until, provider_ref';

function toFacts(row: FactsRow, now: Date): GrantFacts {
  return {
    id: row.id,
    status: oneOf<GrantStatus>(row.status, GRANT_STATUSES, `grant ${row.id} status`),
    endedAt: row.ended_at,
    appliedAt: row.applied_at,
    leased: row.lease_owner !== null && row.lease_until !== null && row.lease_until.getTime() > now.getTime(),
    // An Azure ref with `owned: false` is a role the user held from elsewhere: nothing to find.
    ownsAccess: row.provider_ref !== null && row.provider_ref.owned !== false,
  };
}

/** The grants with these ids (those that exist). */
export async function grantFacts(
  db: Db | Tx,
  ids: readonly string[],
  now: Date,
): Promise<Map<string, GrantFacts>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<FactsRow>(
    `SELECT ${FACTS} FROM grants WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
    [json([...new Set(ids)])],
  );
  return new Map(rows.map((r) => [r.id, toFacts(r, now)]));
}

/** The active grants on one target. */
export async function activeGrantFacts(
  db: Db | Tx,
  target: { readonly cloud: string; readonly account: string },
  now: Date,
): Promise<GrantFacts[]> {
  const { rows } = await db.query<FactsRow>(
    `SELECT ${FACTS} FROM grants WHERE status = 'active' AND target_cloud = $1 AND target_account = $2`,
    [target.cloud, target.account],
  );
  return rows.map((r) => toFacts(r, now));
}

/**
 * Takes (or renews) the lease `name` for `owner` until `until`: true when `owner` holds it now.
 * Another holder's lease is taken over only once it ran out (`lease_until <= now`).
 */
export async function takeSingletonLease(
  db: Db | Tx,
  name: string,
  owner: string,
  now: Date,
  until: Date,
): Promise<boolean> {
  const { rows } = await db.query<{ owner: string }>(
    `INSERT INTO singleton_leases (name, owner, lease_until) VALUES ($1, $2, $4)
     ON CONFLICT (name) DO UPDATE SET owner = $2, lease_until = $4
       WHERE singleton_leases.owner = $2 OR singleton_leases.lease_until <= $3
     RETURNING owner`,
    [name, owner, now, until],
  );
  return rows.length === 1;
}

export async function releaseSingletonLease(db: Db | Tx, name: string, owner: string): Promise<void> {
  await db.query('DELETE FROM singleton_leases WHERE name = $1 AND owner = $2', [name, owner]);
}
