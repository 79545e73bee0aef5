/**
 * Planner statistics on the embedded store. PostgreSQL's autovacuum keeps every table's
 * statistics current; PGlite runs Postgres in single-user mode, which has no background processes
 * and so no autovacuum: left alone, its planner never learns how the rows spread (how many are
 * one requester's, one approver group's, one state's) and guesses a few rows for every filter. On a
 * small store that guess makes it read a whole filter's rows and sort them rather than one page in
 * index order (docs/lists.md, "Planner statistics"). The broker refreshes them itself: at start and
 * hourly (server/housekeeping.ts).
 */
import type { Db } from './db';

/**
 * Rows sampled per table are 300 × this (Postgres' own default is 100): enough to see who and
 * what dominates a table, and quick (well under a second at a million rows, during which the
 * single-connection store answers nothing else).
 */
export const STATISTICS_TARGET = 10;

/** ANALYZE on PGlite; on PostgreSQL nothing (autovacuum does it). Answers whether it ran. */
export async function refreshPlannerStatistics(db: Db): Promise<boolean> {
  if (db.engine !== 'pglite') return false;
  await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL default_statistics_target = ${STATISTICS_TARGET}`);
    await tx.exec('ANALYZE');
  });
  return true;
}
