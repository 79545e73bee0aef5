/**
 * Every list page reads an index range, on both engines: the planner's own account (EXPLAIN
 * ANALYZE, list-plan-helpers.ts) of each list the API serves, over a store of thousands of rows,
 * must name the index that matches the list's filter and order, scan no listed table whole, and
 * read a few pages' worth of rows — not the queue, the requester's history or the grants table.
 * Checked before and after ANALYZE: PGlite never gathers statistics by itself (its single-user
 * Postgres runs no autovacuum), and PostgreSQL's autovacuum gathers them whenever it likes.
 *
 * The timing this stands for is measured by `npm run bench:broker` (docs/benchmarks.md), never here.
 */
import { expect, it } from 'vitest';
import type { ListGrantsQuery, ListRequestsQuery } from '../../lib/contract/api';
import type { Principal } from '../../server/auth/principal';
import { createPolicyEngine } from '../../server/policy/engine';
import { createBroker, type Broker } from '../../server/service/broker';
import { PAGE_SIZE } from '../../server/service/context';
import type { ServiceResult } from '../../server/service/errors';
import { fillStore } from '../../bench/broker-fill';
import { alice, bob, carol, testConfig } from './broker-fixtures';
import { explainingDb, type PlanSummary } from './list-plan-helpers';
import { forEachStore } from './pg-harness';

/** Items of bench/broker-fill.ts: 4,000 requests (2,000 in bob's queue, 400 alice's), 2,000 grants. */
const ITEMS = 2000;
/**
 * Rows read per page, at most: each range of the page's union reads at most one page (bob's
 * grants: his own and the three dev targets with grants, of the six he approves), plus the page's
 * rows and reviews looked up by key. Plans that filter or sort a whole list read thousands here.
 */
const MAX_ROWS_READ = 6 * (PAGE_SIZE + 1);
/**
 * With statistics the planner may read a list through a (time, id) index and filter it, when the
 * filter keeps a large share of the rows (alice's are one in ten here): up to ten rows per listed
 * row, still bounded by the page and not by the table.
 */
const MAX_ROWS_READ_WITH_STATISTICS = 12 * (PAGE_SIZE + 1);

interface ListCase {
  readonly name: string;
  readonly call: (broker: Broker, cursor?: string) => Promise<ServiceResult<{ nextCursor: string | null }>>;
  /** Indexes the plan must use (migration 007). */
  readonly indexes: readonly string[];
}

const requests =
  (p: Principal, q: ListRequestsQuery): ListCase['call'] =>
  (b, cursor) =>
    b.listRequests(p, { ...q, ...(cursor ? { cursor } : {}) });
const grants =
  (p: Principal, q: ListGrantsQuery): ListCase['call'] =>
  (b, cursor) =>
    b.listGrants(p, { ...q, ...(cursor ? { cursor } : {}) });

const CASES: readonly ListCase[] = [
  {
    name: "bob's queue (pending requests of his groups, and his own)",
    call: requests(bob, { status: 'pending' }),
    indexes: ['request_approver_groups_by_status_created', 'access_requests_by_requester_status_created'],
  },
  {
    name: 'every request bob may see',
    call: requests(bob, {}),
    indexes: ['request_approver_groups_by_created', 'access_requests_by_requester_created'],
  },
  {
    name: "alice's own requests",
    call: requests(alice, { mine: 'true' }),
    indexes: ['access_requests_by_requester_created'],
  },
  {
    name: "alice's own pending requests",
    call: requests(alice, { mine: 'true', status: 'pending' }),
    indexes: ['access_requests_by_requester_status_created'],
  },
  { name: 'every request (auditor)', call: requests(carol, {}), indexes: ['access_requests_by_created'] },
  {
    name: 'approved requests (auditor)',
    call: requests(carol, { status: 'approved' }),
    indexes: ['access_requests_by_status_created'],
  },
  {
    name: 'the grants bob may see (his own, and on the targets he approves)',
    call: grants(bob, {}),
    indexes: ['grants_by_user_starts', 'grants_by_target_starts'],
  },
  {
    name: "alice's active grants",
    call: grants(alice, { mine: 'true', status: 'active' }),
    indexes: ['grants_by_user_status_starts'],
  },
  { name: "alice's grants", call: grants(alice, {}), indexes: ['grants_by_user_starts'] },
  { name: 'every grant (auditor)', call: grants(carol, {}), indexes: ['grants_by_starts'] },
  {
    name: 'revoked grants (auditor)',
    call: grants(carol, { status: 'revoked' }),
    indexes: ['grants_by_status_starts'],
  },
];

interface Expectation {
  /** Whether the plan must use the case's indexes. */
  readonly indexes: boolean;
  readonly maxRowsRead: number;
}

/** What is wrong with one page's plans, as readable lines (none: all good). */
function problems(name: string, plan: PlanSummary, c: ListCase, expected: Expectation): string[] {
  const found: string[] = [];
  for (const index of expected.indexes ? c.indexes : []) {
    if (!plan.indexes.includes(index))
      found.push(`${name}: does not use ${index} (uses ${plan.indexes.join(', ')})`);
  }
  if (plan.seqScans.length > 0) found.push(`${name}: scans ${plan.seqScans.join(', ')} whole`);
  if (plan.rowsRead > expected.maxRowsRead) found.push(`${name}: reads ${plan.rowsRead} rows for one page`);
  return found;
}

/** The first two pages of each case, explained. */
async function check(
  broker: Broker,
  explaining: ReturnType<typeof explainingDb>,
  stats: string,
  expected: Expectation,
) {
  const found: string[] = [];
  for (const c of CASES) {
    const first = await c.call(broker);
    if (!first.ok) throw new Error(`${c.name}: ${first.error.message}`);
    found.push(...problems(`${c.name}, first page, ${stats}`, explaining.take(), c, expected));
    // A page further on, through its cursor, costs the same.
    if (first.value.nextCursor === null) continue;
    const next = await c.call(broker, first.value.nextCursor);
    if (!next.ok) throw new Error(`${c.name}: ${next.error.message}`);
    found.push(...problems(`${c.name}, second page, ${stats}`, explaining.take(), c, expected));
  }
  return found;
}

forEachStore('list plans', (store) => {
  it('every list page reads an index range matching its filter and order, with and without statistics', async () => {
    const db = await store.migrated();
    // Statistics exactly when this test says: PostgreSQL's autovacuum would analyze the new rows
    // at a moment of its choosing (PGlite has none).
    for (const table of ['access_requests', 'request_approver_groups', 'grants', 'approvals']) {
      await db.exec(`ALTER TABLE IF EXISTS ${table} SET (autovacuum_enabled = false)`);
    }
    await fillStore(db, 0, ITEMS);
    const explaining = explainingDb(db);
    const broker = createBroker({
      db: explaining.db,
      config: await testConfig(),
      policy: createPolicyEngine(),
    });
    const found = await check(broker, explaining, 'no statistics', {
      indexes: true,
      maxRowsRead: MAX_ROWS_READ,
    });
    await db.exec('ANALYZE');
    found.push(
      ...(await check(broker, explaining, 'after ANALYZE', {
        indexes: false,
        maxRowsRead: MAX_ROWS_READ_WITH_STATISTICS,
      })),
    );
    expect(found).toEqual([]);
  }, 300_000);
});
