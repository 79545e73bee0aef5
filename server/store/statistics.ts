/**
 * Planner statistics on the embedded store (docs/lists.md, "Planner statistics"). PostgreSQL's
 * autovacuum keeps every table's statistics current; PGlite runs Postgres in single-user mode,
 * which has no background processes and so no autovacuum. Left alone, its planner guesses a few
 * rows for any filter: on a large store it then reads a whole filter (all pending requests of a
 * group, all of a user's grants) and sorts it, instead of one page in index order. So the broker
 * analyzes the tables the lists read itself, at start and hourly (server/housekeeping.ts).
 *
 * Each only once it is large, though: statistics saying a table is small make Postgres prepare
 * plans without its indexes, and some it keeps (a foreign-key check, a trigger's statement) and
 * runs on as the table grows, each then reading all of it. A table never analyzed is assumed to
 * have grown and keeps to its indexes; and a small table costs little whichever plan reads it.
 */
import type { Db } from './db';

/** The tables whose statistics the list queries (keyset.ts) depend on. */
export const LIST_TABLES = ['access_requests', 'request_approver_groups', 'approvals', 'grants'] as const;
export type ListTable = (typeof LIST_TABLES)[number];

/** A table is analyzed once it holds this many rows. */
export const ANALYZE_FROM_ROWS = 10_000;

/**
 * Rows sampled per table are 300 × this (Postgres' own default is 100): enough to see who and
 * what dominates a table, and quick (under a second at a million requests, during which the
 * single-connection store answers nothing else).
 */
export const STATISTICS_TARGET = 10;

/** ANALYZE these tables now, whatever their size. */
export async function analyzeTables(db: Db, tables: readonly ListTable[]): Promise<void> {
  if (tables.length === 0) return;
  await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL default_statistics_target = ${STATISTICS_TARGET}`);
    await tx.exec(`ANALYZE ${tables.join(', ')}`);
  });
}

/**
 * On PGlite, ANALYZE the list tables that hold at least ANALYZE_FROM_ROWS rows; on PostgreSQL
 * nothing (autovacuum does it). Answers the tables analyzed.
 */
export async function refreshPlannerStatistics(db: Db): Promise<ListTable[]> {
  if (db.engine !== 'pglite') return [];
  const large: ListTable[] = [];
  for (const table of LIST_TABLES) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${table} LIMIT ${ANALYZE_FROM_ROWS}) AS sample`,
    );
    if ((rows[0]?.n ?? 0) >= ANALYZE_FROM_ROWS) large.push(table);
  }
  await analyzeTables(db, large);
  return large;
}
