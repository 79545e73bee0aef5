/**
 * Part of `npm run bench:broker`: what one page of a list costs as the embedded store grows from
 * a thousand items of history to a million (bench/broker-fill.ts: per item a pending production
 * request, a decided request and its grant). The target: at a million, a page costs at most twice
 * what it costs at a thousand (every list page reads index ranges, server/store/keyset.ts).
 *
 * Measured in-process through the broker's service (the same calls the API handlers make, minus
 * HTTP), on PGlite stores in directories, as the broker runs by default: one store per size, each
 * bulk-loaded by SQL (not through the API), its list tables then analyzed (as the broker does on
 * PGlite hourly once a table holds 10,000 rows, server/store/statistics.ts, and autovacuum on
 * PostgreSQL; the smallest store here is below that, and is analyzed all the same so that every
 * size is measured with the plans statistics give), then measured in interleaved rounds (every
 * store and list once per round) so that other work on a shared machine weighs on every size alike.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Principal } from '../server/auth/principal';
import { demoConfig } from '../server/config/demo';
import { createPolicyEngine } from '../server/policy/engine';
import { createBroker, type Broker } from '../server/service/broker';
import type { ServiceResult } from '../server/service/errors';
import type { Db } from '../server/store/db';
import { migrate } from '../server/store/migrate';
import { openPglite } from '../server/store/pglite';
import { LIST_TABLES, analyzeTables } from '../server/store/statistics';
import { fillStore } from './broker-fill';
import { median, type BenchRow } from './report';

/** Items of history at each measurement (`BENCH_LIST_SCALES=1000,10000` for a quick run). */
const SCALES = (process.env.BENCH_LIST_SCALES ?? '1000,10000,100000,1000000').split(',').map(Number);
/** Timed rounds (one call per store, list and page each), after WARMUP untimed ones. */
const RUNS = 150;
const WARMUP = 10;
/** The later page measured: reached by following nextCursor from the first. */
const LATER_PAGE = 3;

const principal = (user: string, groups: string[]): Principal => ({
  user,
  groups,
  tokenKind: 'api',
  clientId: null,
});
const bob = principal('bob', ['engineers', 'approvers']);
const alice = principal('alice', ['engineers']);

type Page = ServiceResult<{ items: unknown[]; nextCursor: string | null }>;

interface ListUnderTest {
  readonly name: string;
  readonly call: (broker: Broker, cursor?: string) => Promise<Page>;
  readonly what: string;
}

const LISTS: readonly ListUnderTest[] = [
  {
    name: "the approver's queue",
    what: 'bob (approvers), GET /requests?status=pending: the pending requests of his groups and his own',
    call: (b, cursor) => b.listRequests(bob, { status: 'pending', ...(cursor ? { cursor } : {}) }),
  },
  {
    name: "the requester's own list",
    what: 'alice, GET /requests?mine=true: her requests, a tenth of all',
    call: (b, cursor) => b.listRequests(alice, { mine: 'true', ...(cursor ? { cursor } : {}) }),
  },
  {
    name: 'the grants list',
    what: 'bob, GET /grants: his own and those on the six targets his group approves (all of them)',
    call: (b, cursor) => b.listGrants(bob, cursor ? { cursor } : {}),
  },
];

function ok(page: Page): { items: unknown[]; nextCursor: string | null } {
  if (!page.ok) throw new Error(`list failed: ${page.error.message}`);
  return page.value;
}

/** The cursor of page LATER_PAGE of a list (following nextCursor from the first). */
async function laterCursor(broker: Broker, list: ListUnderTest): Promise<string> {
  let cursor: string | undefined;
  for (let page = 1; page < LATER_PAGE; page++) {
    const next = ok(await list.call(broker, cursor)).nextCursor;
    if (next === null) throw new Error(`${list.name}: fewer than ${LATER_PAGE} pages`);
    cursor = next;
  }
  return cursor!;
}

/** Milliseconds of one call, checking it listed something. */
async function timeCall(broker: Broker, list: ListUnderTest, cursor: string | undefined): Promise<number> {
  const start = performance.now();
  const page = ok(await list.call(broker, cursor));
  const elapsed = performance.now() - start;
  if (page.items.length === 0) throw new Error(`${list.name}: an empty page`);
  return elapsed;
}

interface SizedStore {
  readonly items: number;
  readonly broker: Broker;
  /** Per list: the cursor of page LATER_PAGE. */
  readonly later: readonly string[];
}

const label = (items: number) => (items >= 1_000_000 ? `${items / 1_000_000}M` : `${items / 1000}k`);
const ms = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;

export async function listBench(log: (line: string) => void = () => undefined): Promise<BenchRow[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-bench-lists-'));
  const opened: Db[] = [];
  const stores: SizedStore[] = [];
  const fills: string[] = [];
  // Per list, per store: the timings of the first page and of page LATER_PAGE.
  const times = LISTS.map(() => SCALES.map(() => ({ first: [] as number[], later: [] as number[] })));
  try {
    const config = await demoConfig();
    for (const items of SCALES) {
      const db = await openPglite(path.join(tmp, `store-${items}`));
      opened.push(db);
      const broker = createBroker({ db, config, policy: createPolicyEngine() });
      await migrate(db);
      const start = performance.now();
      await fillStore(db, 0, items);
      const loaded = performance.now();
      await analyzeTables(db, LIST_TABLES);
      const analyzed = performance.now();
      fills.push(
        `${label(items)} in ${((loaded - start) / 1000).toFixed(0)} s, statistics in ${((analyzed - loaded) / 1000).toFixed(1)} s`,
      );
      log(`lists: ${label(items)} items loaded (${fills.at(-1)})`);
      const later: string[] = [];
      for (const list of LISTS) later.push(await laterCursor(broker, list));
      stores.push({ items, broker, later });
    }
    for (let round = 0; round < WARMUP + RUNS; round++) {
      for (const [s, store] of stores.entries()) {
        for (const [l, list] of LISTS.entries()) {
          const first = await timeCall(store.broker, list, undefined);
          const later = await timeCall(store.broker, list, store.later[l]);
          if (round >= WARMUP) {
            times[l]![s]!.first.push(first);
            times[l]![s]!.later.push(later);
          }
        }
      }
    }
  } finally {
    for (const db of opened) await db.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const figures = new Map(
    LISTS.map((list, l) => [
      list.name,
      SCALES.map((items, s) => ({
        items,
        first: median(times[l]![s]!.first),
        later: median(times[l]![s]!.later),
      })),
    ]),
  );
  for (const [name, rows] of figures) {
    for (const r of rows)
      log(`lists: ${label(r.items)} ${name}: first ${ms(r.first)}, page ${LATER_PAGE} ${ms(r.later)}`);
  }
  const method = (what: string) =>
    `${what}; median of ${RUNS} calls after ${WARMUP} warm-up, in rounds interleaving the sizes, through the broker's service in-process on PGlite (store directories, list tables analyzed after loading); first page and page ${LATER_PAGE} (by cursor), 50 items a page; per item of history a pending production request, a decided request and its grant (1M items = 2M requests, 1M grants), bulk-loaded by SQL (${fills.join('; ')}); the machine's 2 cores are shared with other work`;
  return LISTS.map((list) => {
    const rows = figures.get(list.name)!;
    const base = rows[0]!;
    const largest = rows.at(-1)!;
    const ratio = (r: (typeof rows)[number]) => Math.max(r.first / base.first, r.later / base.later);
    const value = rows
      .map(
        (r) =>
          `${label(r.items)}: ${ms(r.first)} / ${ms(r.later)}${r === base ? '' : ` (${ratio(r).toFixed(2)}×)`}`,
      )
      .join(' · ');
    return {
      name: `Broker: one page of ${list.name} as history grows (first page / page ${LATER_PAGE})`,
      value,
      target: `at ${label(largest.items)} ≤ 2× the ${label(base.items)} figure`,
      pass: ratio(largest) <= 2,
      method: method(list.what),
    };
  });
}
