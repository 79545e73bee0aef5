/**
 * Planner statistics on the embedded store (server/store/statistics.ts): PGlite never gathers
 * them by itself, so the broker does, at start and hourly; PostgreSQL's autovacuum does it there.
 */
import { expect, it } from 'vitest';
import { startHousekeeping } from '../../server/housekeeping';
import type { Db } from '../../server/store/db';
import { refreshPlannerStatistics } from '../../server/store/statistics';
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

forEachStore('planner statistics', (store) => {
  it('are gathered on PGlite when the broker asks, and left to autovacuum on PostgreSQL', async () => {
    const db = await store.migrated();
    await fillStore(db, 0, 300);
    if (store.engine === 'postgres') {
      expect(await refreshPlannerStatistics(db)).toBe(false);
      return;
    }
    // Nothing else ever analyzes a PGlite store: its single-user Postgres has no autovacuum.
    expect(await plannedRows(db, 'access_requests')).toBe(-1);
    expect(await refreshPlannerStatistics(db)).toBe(true);
    expect(await plannedRows(db, 'access_requests')).toBe(600);
    expect(await plannedRows(db, 'request_approver_groups')).toBe(600);
    expect(await plannedRows(db, 'grants')).toBe(300);
  });

  it('are refreshed when the broker starts its chores', async () => {
    const db = await store.migrated();
    if (store.engine === 'postgres') return;
    await fillStore(db, 0, 100);
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
      await expect.poll(() => plannedRows(db, 'grants'), { timeout: 20_000 }).toBe(100);
    } finally {
      stop();
    }
    expect(logged).toEqual([]);
  });
});
