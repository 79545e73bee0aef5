/**
 * Planner statistics on the embedded store (server/store/statistics.ts): PGlite never gathers
 * them by itself, so the broker does, at start and hourly, for each list table once it holds
 * ANALYZE_FROM_ROWS rows; PostgreSQL's autovacuum does it there.
 */
import { expect, it } from 'vitest';
import { startHousekeeping } from '../../server/housekeeping';
import type { Db } from '../../server/store/db';
import { ANALYZE_FROM_ROWS, refreshPlannerStatistics } from '../../server/store/statistics';
import { fillStore } from '../../bench/broker-fill';
import { testConfig } from './broker-fixtures';
import { forEachStore } from './pg-harness';

/** What the planner believes the table holds (-1: never analyzed). */
async function plannedRows(db: Db, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT reltuples::int AS n FROM pg_class WHERE relname = $1',
    [table],
  );
  return rows[0]!.n;
}

/** Items of bench/broker-fill.ts (two requests and a grant each) that bring the requests to the threshold. */
const ENOUGH_ITEMS = ANALYZE_FROM_ROWS / 2;

forEachStore('planner statistics', (store) => {
  it('are gathered on a large PGlite store when the broker asks, not on a small one, and left to autovacuum on PostgreSQL', async () => {
    const db = await store.migrated();
    await fillStore(db, 0, ENOUGH_ITEMS - 1);
    if (store.engine === 'postgres') {
      expect(await refreshPlannerStatistics(db)).toEqual([]);
      return;
    }
    // Nothing else ever analyzes a PGlite store: its single-user Postgres has no autovacuum.
    expect(await plannedRows(db, 'access_requests')).toBe(-1);
    // Two requests short of the threshold: left unanalyzed.
    expect(await refreshPlannerStatistics(db)).toEqual([]);
    expect(await plannedRows(db, 'access_requests')).toBe(-1);
    // At the threshold the requests and their approver groups are analyzed; the grants (half as
    // many) and reviews are not yet.
    await fillStore(db, ENOUGH_ITEMS - 1, ENOUGH_ITEMS);
    expect(await refreshPlannerStatistics(db)).toEqual(['access_requests', 'request_approver_groups']);
    expect(await plannedRows(db, 'access_requests')).toBe(ANALYZE_FROM_ROWS);
    expect(await plannedRows(db, 'request_approver_groups')).toBe(ANALYZE_FROM_ROWS);
    expect(await plannedRows(db, 'grants')).toBe(-1);
  }, 120_000);

  it('are refreshed when the broker starts its chores', async () => {
    const db = await store.migrated();
    if (store.engine === 'postgres') return;
    await fillStore(db, 0, ENOUGH_ITEMS);
    const logged: string[] = [];
    const stop = startHousekeeping({
      db,
      config: await testConfig(),
      provisioners: () => {
        throw new Error('no provisioner in this test');
      },
      now: () => new Date(),
      log: (line) => logged.push(line),
    });
    try {
      await expect
        .poll(() => plannedRows(db, 'access_requests'), { timeout: 30_000 })
        .toBe(ANALYZE_FROM_ROWS);
    } finally {
      stop();
    }
    expect(logged).toEqual([]);
  }, 120_000);
});
