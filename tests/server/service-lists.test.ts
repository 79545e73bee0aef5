/**
 * The request and grant lists through the broker's service, on both engines: following
 * `nextCursor` visits every row once, in a stable newest-first order, while new rows arrive
 * between pages; and each caller's pages hold exactly the rows visibility.ts lets them see
 * (canSeeRequest/canSeeGrant, applied here to every stored row), for every kind of caller and
 * filter. Both run over more than 1,000 grants: the lists used to filter visibility over the
 * newest 1,000 only. EXPLAIN checks of the same lists are in store-list-plans.test.ts.
 */
import { expect, it } from 'vitest';
import type { ListGrantsQuery, ListRequestsQuery } from '../../lib/contract/api';
import type { Principal } from '../../server/auth/principal';
import type { AccessRequest, Grant } from '../../server/domain';
import { issueGrant, submitRequest } from '../../server/domain';
import { createPolicyEngine } from '../../server/policy/engine';
import { createBroker, type Broker } from '../../server/service/broker';
import { createBrokerContext } from '../../server/service/context';
import type { ServiceResult } from '../../server/service/errors';
import { canSeeGrant, canSeeRequest } from '../../server/service/visibility';
import type { Db } from '../../server/store/db';
import { getGrant, insertGrant } from '../../server/store/grants';
import { getRequest, insertRequest } from '../../server/store/requests';
import { fillStore } from '../../bench/broker-fill';
import {
  Clock,
  PRODUCTION,
  ada,
  alice,
  as,
  bob,
  body,
  carol,
  dave,
  erin,
  testConfig,
} from './broker-fixtures';
import { draft, policy, value as ok } from './domain-fixtures';
import { forEachStore } from './pg-harness';

/** Items of bench/broker-fill.ts: 2,040 requests, 1,020 grants (bob approves every target). */
const ITEMS = 1020;
const policyEngine = createPolicyEngine();

function value<T>(r: ServiceResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

interface Listed {
  readonly id: string;
  readonly at: string;
}

/** Every page of a list, following nextCursor; `between` runs after each page. */
async function allPages(
  list: (cursor?: string) => Promise<ServiceResult<{ items: Listed[]; nextCursor: string | null }>>,
  between: () => Promise<void> = () => Promise.resolve(),
): Promise<Listed[]> {
  const items: Listed[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = value(await list(cursor));
    items.push(...page.items);
    if (page.nextCursor === null) return items;
    cursor = page.nextCursor;
    await between();
  }
  throw new Error('more than 1000 pages');
}

const requestsOf = (broker: Broker, p: Principal, q: ListRequestsQuery) => async (cursor?: string) => {
  const r = await broker.listRequests(p, { ...q, ...(cursor ? { cursor } : {}) });
  return r.ok
    ? { ...r, value: { ...r.value, items: r.value.items.map((i) => ({ id: i.id, at: i.createdAt })) } }
    : r;
};
const grantsOf = (broker: Broker, p: Principal, q: ListGrantsQuery) => async (cursor?: string) => {
  const r = await broker.listGrants(p, { ...q, ...(cursor ? { cursor } : {}) });
  return r.ok
    ? { ...r, value: { ...r.value, items: r.value.items.map((i) => ({ id: i.id, at: i.startsAt })) } }
    : r;
};

/** Newest first: time, then id, descending (the store's ids are ASCII; the test databases sort bytewise). */
const newestFirst = (a: Listed, b: Listed) =>
  Date.parse(b.at) - Date.parse(a.at) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Problems with a walk through a list: repeats, misses of `expected`, order. */
function walkProblems(name: string, walked: readonly Listed[], expected: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const ids = walked.map((i) => i.id);
  const repeated = ids.filter((id, n) => ids.indexOf(id) !== n);
  if (repeated.length > 0) found.push(`${name}: listed twice: ${repeated.slice(0, 3).join(', ')}`);
  const seen = new Set(ids);
  const missed = [...expected].filter((id) => !seen.has(id));
  if (missed.length > 0)
    found.push(`${name}: ${missed.length} never listed, e.g. ${missed.slice(0, 3).join(', ')}`);
  const unordered = walked.findIndex((item, n) => n > 0 && newestFirst(walked[n - 1]!, item) >= 0);
  if (unordered > 0)
    found.push(
      `${name}: out of order at ${unordered}: ${walked[unordered - 1]!.id}, ${walked[unordered]!.id}`,
    );
  return found;
}

async function ids(db: Db, sql: string): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>(sql);
  return new Set(rows.map((r) => r.id));
}

forEachStore('lists', (store) => {
  it('following nextCursor lists every row once, newest first, while rows arrive between pages', async () => {
    const db = await store.migrated();
    await fillStore(db, 0, ITEMS);
    const clock = new Clock();
    const broker = createBroker({ db, config: await testConfig(), policy: policyEngine, now: clock.now });
    // 120 requests at one instant (their order is their ids'), a page boundary among them.
    for (let n = 0; n < 120; n++) value(await broker.createRequest(n % 3 ? alice : erin, prodWrite()));
    const pending = await ids(db, "SELECT id FROM access_requests WHERE status = 'pending'");
    const alices = await ids(db, "SELECT id FROM access_requests WHERE requester = 'alice'");
    const grants = await ids(db, 'SELECT id FROM grants');
    // Between pages: more requests at that same instant, and later ones (some auto-approved
    // reads, which add grants).
    let arrivals = 0;
    const arrive = async () => {
      if (++arrivals % 2 === 0) clock.advance(1000);
      value(await broker.createRequest(alice, prodWrite()));
      value(await broker.createRequest(erin, body()));
    };
    const found = [
      ...walkProblems(
        "bob's queue",
        await allPages(requestsOf(broker, bob, { status: 'pending' }), arrive),
        pending,
      ),
      ...walkProblems(
        "alice's requests",
        await allPages(requestsOf(broker, alice, { mine: 'true' }), arrive),
        alices,
      ),
      ...walkProblems('the grants bob sees', await allPages(grantsOf(broker, bob, {}), arrive), grants),
      ...walkProblems('every grant (auditor)', await allPages(grantsOf(broker, carol, {}), arrive), grants),
    ];
    expect(found).toEqual([]);
  }, 300_000);

  it('refuses a cursor from the other list, naming the field', async () => {
    const db = await store.migrated();
    await fillStore(db, 0, 60);
    const broker = createBroker({ db, config: await testConfig(), policy: policyEngine });
    const grantsCursor = value(await broker.listGrants(carol, {})).nextCursor!;
    const requestsCursor = value(await broker.listRequests(carol, {})).nextCursor!;
    for (const refused of [
      await broker.listRequests(carol, { cursor: grantsCursor }),
      await broker.listGrants(carol, { cursor: requestsCursor }),
    ]) {
      if (refused.ok) throw new Error('a cursor from the other list was accepted');
      expect(refused.error.code).toBe('invalid_request');
      expect(refused.error.fields?.map((f) => f.path)).toEqual(['cursor']);
      expect(refused.error.message).toMatch(/^cursor: /);
    }
  });

  it('lists exactly the rows each caller may see, for every kind of caller and filter', async () => {
    const db = await store.migrated();
    await fillStore(db, 0, ITEMS);
    await storeVariety(db);
    const config = await testConfig();
    const ctx = createBrokerContext({ db, config, policy: policyEngine });
    const broker = createBroker({ db, config, policy: policyEngine });
    const requests = await Promise.all(
      [...(await ids(db, 'SELECT id FROM access_requests'))].map(async (id) => (await getRequest(db, id))!),
    );
    const grants = await Promise.all(
      [...(await ids(db, 'SELECT id FROM grants'))].map(async (id) => (await getGrant(db, id))!),
    );
    const sam = as('sam', ['security-approvers']);
    const nobody = as('nobody', []);
    const found: string[] = [];
    for (const p of [alice, bob, dave, carol, erin, ada, sam, nobody]) {
      for (const q of [
        {},
        { mine: 'true' },
        { status: 'pending' },
        { mine: 'true', status: 'approved' },
      ] as const) {
        const expected = requests
          .filter((r) => (q.mine === 'true' ? r.requester === p.user : canSeeRequest(ctx, p, r)))
          .filter((r) => !('status' in q) || r.status === q.status);
        const listed = await allPages(requestsOf(broker, p, q));
        found.push(...sameRows(`${p.user} requests ${JSON.stringify(q)}`, listed, expected.map(asRequest)));
      }
      for (const q of [{}, { mine: 'true' }, { status: 'active' }] as const) {
        const mineOnly = q.mine === 'true' || p.groups.length === 0;
        const expected = grants
          .filter((g) => (mineOnly ? g.user === p.user : canSeeGrant(ctx, p, g)))
          .filter((g) => !('status' in q) || g.status === q.status);
        const listed = await allPages(grantsOf(broker, p, q));
        found.push(...sameRows(`${p.user} grants ${JSON.stringify(q)}`, listed, expected.map(asGrant)));
      }
    }
    expect(found).toEqual([]);
  }, 300_000);
});

const prodWrite = () =>
  body({ target: { cloud: 'aws', account: PRODUCTION }, actions: ['ec2:StopInstances'] });

const asRequest = (r: AccessRequest): Listed => ({ id: r.id, at: r.createdAt.toISOString() });
const asGrant = (g: Grant): Listed => ({ id: g.id, at: g.startsAt.toISOString() });

/** The listed rows must be exactly `expected`, in newest-first order. */
function sameRows(name: string, listed: readonly Listed[], expected: readonly Listed[]): string[] {
  const want = [...expected].sort(newestFirst).map((i) => i.id);
  const got = listed.map((i) => i.id);
  if (got.length === want.length && got.every((id, n) => id === want[n])) return [];
  const extra = got.filter((id) => !want.includes(id));
  const missing = want.filter((id) => !got.includes(id));
  return [
    `${name}: listed ${got.length}, expected ${want.length}; extra ${extra.slice(0, 3).join(', ') || '-'}; missing ${missing.slice(0, 3).join(', ') || '-'}`,
  ];
}

/**
 * Requests and grants beyond the fill's: approver groups other than `approvers` (several, none),
 * other requesters and states, and grants on a target the config does not have and on a
 * configured account spelt in other case (visibility compares accounts case-insensitively).
 */
async function storeVariety(db: Db): Promise<void> {
  const T = new Date('2026-03-01T10:00:00.000Z');
  const groupsByN = [
    ['approvers'],
    ['security-approvers'],
    ['approvers', 'security-approvers'],
    [],
    ['nobody-approves'],
  ];
  const requesters = ['alice', 'erin', 'bob', 'sam', 'zed'];
  const statuses = ['pending', 'cancelled', 'denied', 'expired'] as const;
  await db.transaction(async (tx) => {
    for (let n = 0; n < 40; n++) {
      const submitted = ok(
        submitRequest(draft(), {
          id: `req_variety-${String(n).padStart(2, '0')}`,
          requester: requesters[n % requesters.length]!,
          // Pairs share an instant: the id decides their order.
          now: new Date(T.getTime() + Math.floor(n / 2) * 60_000),
          policy: policy({ approverGroups: groupsByN[n % groupsByN.length]! }),
        }),
      );
      const status = statuses[n % statuses.length]!;
      const stored = status === 'pending' ? submitted : { ...submitted, status, version: 2 };
      if (!(await insertRequest(tx, stored)).ok) throw new Error('insert');
    }
    const targets = [
      { cloud: 'aws', account: '111111111111', environment: 'dev' },
      { cloud: 'gcp', account: 'ACME-PROD', environment: 'prod' },
      { cloud: 'aws', account: '999999999999', environment: 'prod' },
      { cloud: 'azure', account: '22222222-2222-2222-2222-222222222222', environment: 'prod' },
    ] as const;
    for (let n = 0; n < 24; n++) {
      const approved = ok(
        submitRequest(draft({ target: targets[n % targets.length]! }), {
          id: `req_variety-granted-${String(n).padStart(2, '0')}`,
          requester: requesters[n % requesters.length]!,
          now: new Date(T.getTime() + Math.floor(n / 3) * 60_000),
          policy: policy({ decision: 'auto-approve', requiredApprovals: 0 }),
        }),
      );
      const issued = ok(
        issueGrant(approved, { id: `grt_variety-${String(n).padStart(2, '0')}`, at: approved.createdAt }),
      );
      if (!(await insertRequest(tx, { ...issued.request, grantId: null })).ok) throw new Error('insert');
      const grant = n % 2 ? { ...issued.grant, status: 'active' as const } : issued.grant;
      if (!(await insertGrant(tx, grant)).ok) throw new Error('insert grant');
    }
  });
}
