/**
 * What the request and grant stores (requests.ts, grants.ts) share: their result types, the
 * decoding checks for rows that cannot be domain records, and the compare-and-set bookkeeping.
 *
 * Expected outcomes (a lost race, a second grant for one request, a duplicate id) are result
 * values; only real faults throw.
 */
import type { Db, Tx } from './db';

export interface Stored<T> {
  readonly ok: true;
  readonly value: T;
}

/** The row changed since the caller loaded it: reload, re-apply the transition, save again. */
export interface ConcurrentUpdate {
  readonly ok: false;
  readonly code: 'concurrent-update';
  readonly message: string;
  readonly id: string;
  readonly expectedVersion: number;
  /** The version now stored (null when the row is gone). */
  readonly currentVersion: number | null;
}

export interface NotFound {
  readonly ok: false;
  readonly code: 'not-found';
  readonly message: string;
  readonly id: string;
}

/** The request already has a grant (UNIQUE(request_id)): however approvals race, one grant. */
export interface AlreadyGranted {
  readonly ok: false;
  readonly code: 'already-granted';
  readonly message: string;
  readonly requestId: string;
  /** The grant that exists for the request. */
  readonly grantId: string;
}

export interface DuplicateId {
  readonly ok: false;
  readonly code: 'duplicate-id';
  readonly message: string;
  readonly id: string;
}

/** A row that cannot be a domain record (written by hand, or by a newer broker). */
export class CorruptRecordError extends Error {
  override name = 'CorruptRecordError';
}

export function stored<T>(value: T): Stored<T> {
  return { ok: true, value };
}

export function stringArray(value: unknown, what: string): readonly string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new CorruptRecordError(`${what} is not a list of strings`);
  }
  return value;
}

export function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new CorruptRecordError(`${what} has unknown value ${JSON.stringify(value)}`);
  }
  return value as T;
}

export const MAX_LIST_LIMIT = 1000;

export function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new RangeError(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, got ${limit}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Compare-and-set on `version`

type VersionedTable = 'access_requests' | 'grants';

export function checkVersions(kind: string, id: string, next: number, expectedVersion: number): void {
  // Every transition bumps the version; writing the expected one again would let a second writer
  // from the same snapshot pass the compare-and-set after the first.
  if (!(Number.isInteger(next) && next > expectedVersion)) {
    throw new TypeError(
      `save ${kind} ${id}: version ${next} must be greater than the expected ${expectedVersion} (save the transition's result)`,
    );
  }
}

async function currentVersion(db: Db | Tx, table: VersionedTable, id: string): Promise<number | null> {
  const { rows } = await db.query<{ version: number }>(`SELECT version FROM ${table} WHERE id = $1`, [id]);
  return rows[0]?.version ?? null;
}

/** Why a compare-and-set UPDATE matched no row: the row is gone, or at another version. */
export async function missed(
  tx: Tx,
  table: VersionedTable,
  kind: string,
  id: string,
  expectedVersion: number,
): Promise<ConcurrentUpdate | NotFound> {
  const current = await currentVersion(tx, table, id);
  if (current === null) return { ok: false, code: 'not-found', message: `no ${kind} ${id}`, id };
  return {
    ok: false,
    code: 'concurrent-update',
    message: `${kind} ${id} changed since it was read (version ${current}, expected ${expectedVersion}); reload and try again`,
    id,
    expectedVersion,
    currentVersion: current,
  };
}
