/**
 * The event hub (server/events/hub.ts) on both engines: NOTIFY-driven delivery, audience
 * filtering, Last-Event-ID replay across the replay/live boundary, rollbacks, several replicas,
 * LISTEN reconnects, and retention (server/events/retention.ts).
 *
 * Hubs here poll once an hour unless a test says otherwise, so an event that arrives proves the
 * NOTIFY path (or the reconnect catch-up), not the safety poll. Nothing waits a fixed time:
 * `vi.waitFor` polls a condition with a generous timeout.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Principal } from '../../server/auth/principal';
import { submitRequest } from '../../server/domain';
import type { DomainEvent } from '../../server/domain';
import type { EventHub, EventHubOptions, HubMessage } from '../../server/events/hub';
import { EVENTS_CHANNEL, canSee, createEventHub } from '../../server/events/hub';
import { pruneEvents } from '../../server/events/retention';
import type { Db } from '../../server/store/db';
import type { EventAudience } from '../../server/store/transitions';
import { recordTransition, requestAudience } from '../../server/store/transitions';
import { APPROVERS, T0, draft, policy, value } from './domain-fixtures';
import { forEachStore } from './pg-harness';

const HOUR_MS = 3_600_000;
const WAIT = { timeout: 15_000, interval: 10 };

function principal(user: string, groups: string[] = []): Principal {
  return { user, groups, tokenKind: 'api', clientId: null };
}

const ALICE = principal('alice');
const BOB_APPROVER = principal('bob', [...APPROVERS]);
const CAROL = principal('carol', ['other-team']);
const FOR_ALICE: EventAudience = { users: ['alice'], groups: APPROVERS };

let counter = 0;
function domainEvent(overrides: Partial<DomainEvent> = {}): DomainEvent {
  counter += 1;
  return {
    type: 'request.submitted',
    requestId: `req-${counter}`,
    grantId: null,
    actor: 'alice',
    at: T0,
    details: {},
    ...overrides,
  };
}

/** Commits `n` events for `audience` in one transaction; their ids. */
async function record(db: Db, audience: EventAudience = FOR_ALICE, n = 1): Promise<number[]> {
  const r = await db.transaction((tx) =>
    recordTransition(tx, { events: Array.from({ length: n }, () => domainEvent()), audience }),
  );
  return [...r.eventIds];
}

/** Collects a subscription's messages. */
function collector() {
  const messages: HubMessage[] = [];
  return {
    messages,
    onMessage: (m: HubMessage) => void messages.push(m),
    ids: () => messages.flatMap((m) => (m.kind === 'event' ? [m.event.id] : [])),
    kinds: () => messages.map((m) => (m.kind === 'resync' ? `resync:${m.reason}` : m.kind)),
  };
}

async function listenerPids(db: Db): Promise<number[]> {
  const { rows } = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1`,
    [`LISTEN ${EVENTS_CHANNEL}`],
  );
  return rows.map((r) => r.pid);
}

describe('canSee', () => {
  it('matches the user or any shared group, nothing else', () => {
    expect(canSee(ALICE, FOR_ALICE)).toBe(true);
    expect(canSee(BOB_APPROVER, FOR_ALICE)).toBe(true);
    expect(canSee(CAROL, FOR_ALICE)).toBe(false);
    // A user named like a group (or the reverse) is not a match.
    expect(canSee(principal('sandbox-approvers'), FOR_ALICE)).toBe(false);
    expect(canSee(principal('dave', ['alice']), FOR_ALICE)).toBe(false);
    // A malformed stored audience shows the event to no one instead of throwing.
    expect(canSee(ALICE, { users: 'alice', groups: null } as unknown as EventAudience)).toBe(false);
  });
});

forEachStore('event hub', (store) => {
  const hubs: EventHub[] = [];
  const errors: unknown[] = [];
  function hubOn(db: Db, options: EventHubOptions = {}): EventHub {
    const hub = createEventHub(db, { pollMs: HOUR_MS, onError: (e) => errors.push(e), ...options });
    hubs.push(hub);
    return hub;
  }
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.close()));
    const seen = errors.splice(0);
    expect(seen).toEqual([]);
  });

  it('delivers committed events live, woken by NOTIFY', async () => {
    const db = await store.migrated();
    const earlier = await record(db); // before the hub starts: not live, not replayed
    const hub = hubOn(db);
    const c = collector();
    await hub.subscribe(ALICE, null, c.onMessage);
    const ids = await record(db, FOR_ALICE, 3);
    await vi.waitFor(() => expect(c.ids()).toEqual(ids), WAIT);
    expect(c.ids()).not.toContain(earlier[0]);
    const [first] = c.messages;
    expect(first).toMatchObject({
      kind: 'event',
      event: {
        id: ids[0],
        type: 'request.submitted',
        audience: FOR_ALICE,
        payload: { type: 'request.submitted', actor: 'alice', at: T0.toISOString(), grantId: null },
      },
    });
    if (first?.kind === 'event') expect(first.event.at).toEqual(T0);
  });

  it('shows an event to its requester and approver groups only', async () => {
    const db = await store.migrated();
    const hub = hubOn(db);
    const [alice, bob, carol] = [collector(), collector(), collector()];
    await hub.subscribe(ALICE, null, alice.onMessage);
    await hub.subscribe(BOB_APPROVER, null, bob.onMessage);
    await hub.subscribe(CAROL, null, carol.onMessage);
    const submitted = submitRequest(draft(), { id: 'req-a', requester: 'alice', now: T0, policy: policy() });
    const request = value(submitted);
    const forRequest = await db.transaction((tx) =>
      recordTransition(tx, {
        events: submitted.ok ? submitted.events : [],
        audience: requestAudience(request),
      }),
    );
    // Only carol can see this one: it doubles as the marker that carol's fan-out has happened.
    const [forCarol] = await record(db, { users: ['carol'], groups: [] });
    await vi.waitFor(() => expect(carol.ids()).toEqual([forCarol]), WAIT);
    expect(alice.ids()).toEqual(forRequest.eventIds);
    expect(bob.ids()).toEqual(forRequest.eventIds);
    expect(forRequest.eventIds.length).toBeGreaterThan(0);
  });

  it('never delivers a rolled-back transaction', async () => {
    const db = await store.migrated();
    const hub = hubOn(db);
    const c = collector();
    await hub.subscribe(ALICE, null, c.onMessage);
    let rolledBack: readonly number[] = [];
    await expect(
      db.transaction(async (tx) => {
        rolledBack = (
          await recordTransition(tx, { events: [domainEvent(), domainEvent()], audience: FOR_ALICE })
        ).eventIds;
        throw new Error('the save lost a race');
      }),
    ).rejects.toThrow('the save lost a race');
    expect(rolledBack).toHaveLength(2);
    const committed = await record(db);
    await vi.waitFor(() => expect(c.ids()).toEqual(committed), WAIT);
    expect(committed[0]).toBeGreaterThan(Math.max(...rolledBack)); // the ids were used, then discarded
  });

  it('replays after Last-Event-ID, then goes live, with no gap or duplicate at the boundary', async () => {
    const db = await store.migrated();
    const writer = await store.another(db);
    const hub = hubOn(db);
    const before = await record(db, FOR_ALICE, 5);
    const hidden = await record(db, { users: ['carol'], groups: [] }, 2);
    // Keep committing (through a second handle) while subscribers join, so joins land before,
    // during and after the hub's wake-ups.
    let writing = true;
    const writes = (async () => {
      while (writing) await record(writer, FOR_ALICE);
    })();
    const subs: { after: number; c: ReturnType<typeof collector> }[] = [];
    for (const after of [0, before[1]!, before[4]!, hidden[1]!]) {
      const c = collector();
      await hub.subscribe(BOB_APPROVER, after, c.onMessage);
      subs.push({ after, c });
      await record(db); // makes sure some live events follow each join
    }
    writing = false;
    await writes;
    const last = await record(db);
    const all = (await db.query<{ id: number }>('SELECT id FROM events ORDER BY id')).rows.map((r) => r.id);
    const visible = all.filter((id) => !hidden.includes(id));
    for (const { after, c } of subs) {
      await vi.waitFor(() => expect(c.ids().at(-1)).toBe(last[0]), WAIT);
      expect(c.ids()).toEqual(visible.filter((id) => id > after));
      expect(c.kinds().every((k) => k === 'event')).toBe(true);
    }
  });

  it('caps the replay at the newest events and says so with a resync', async () => {
    const db = await store.migrated();
    const hub = hubOn(db, { replayLimit: 3 });
    const ids = await record(db, FOR_ALICE, 6);
    const c = collector();
    await hub.subscribe(ALICE, ids[0]!, c.onMessage);
    expect(c.kinds()).toEqual(['resync:replay-truncated', 'event', 'event', 'event']);
    expect(c.ids()).toEqual(ids.slice(3));
    // Exactly the limit is not truncated.
    const exact = collector();
    await hub.subscribe(ALICE, ids[2]!, exact.onMessage);
    expect(exact.kinds()).toEqual(['event', 'event', 'event']);
    const live = await record(db);
    await vi.waitFor(() => expect(c.ids().at(-1)).toBe(live[0]), WAIT);
    await vi.waitFor(() => expect(exact.ids()).toEqual([...ids.slice(3), ...live]), WAIT);
  });

  it('treats a Last-Event-ID beyond the newest event as unknown: resync, then live', async () => {
    const db = await store.migrated();
    const hub = hubOn(db);
    const [newest] = await record(db);
    const c = collector();
    await hub.subscribe(ALICE, newest! + 1000, c.onMessage);
    expect(c.kinds()).toEqual(['resync:unknown-last-event-id']);
    const live = await record(db);
    await vi.waitFor(() => expect(c.ids()).toEqual(live), WAIT);
  });

  it('stops delivering to a closed subscription and ends the rest when the hub closes', async () => {
    const db = await store.migrated();
    const hub = hubOn(db);
    const [kept, dropped] = [collector(), collector()];
    await hub.subscribe(ALICE, null, kept.onMessage);
    const sub = await hub.subscribe(ALICE, null, dropped.onMessage);
    expect(hub.subscriberCount).toBe(2);
    sub.close();
    sub.close();
    expect(hub.subscriberCount).toBe(1);
    const ids = await record(db);
    await vi.waitFor(() => expect(kept.ids()).toEqual(ids), WAIT);
    expect(dropped.messages).toEqual([]);
    await hub.close();
    expect(kept.kinds().at(-1)).toBe('closed');
    expect(hub.subscriberCount).toBe(0);
    await expect(hub.subscribe(ALICE, null, () => undefined)).rejects.toThrow('closed');
  });

  it('drops a subscriber whose callback throws, and keeps serving the others', async () => {
    const db = await store.migrated();
    const seen: unknown[] = [];
    const hub = hubOn(db, { onError: (e) => seen.push(e) });
    const c = collector();
    await hub.subscribe(ALICE, null, () => {
      throw new Error('broken client');
    });
    await hub.subscribe(ALICE, null, c.onMessage);
    const ids = await record(db, FOR_ALICE, 2);
    await vi.waitFor(() => expect(c.ids()).toEqual(ids), WAIT);
    expect(hub.subscriberCount).toBe(1);
    expect(seen).toEqual([new Error('broken client')]);
  });

  it('catches up on the safety poll when a notification never comes', async () => {
    const db = await store.migrated();
    const hub = hubOn(db, { pollMs: 50 });
    const c = collector();
    await hub.subscribe(ALICE, null, c.onMessage);
    // An event written without pg_notify (as by a broker predating it): only the poll finds it.
    const { rows } = await db.query<{ id: number }>(
      `INSERT INTO events (at, audience, type, payload) VALUES (now(), $1::jsonb, 'grant.active', '{}'::jsonb) RETURNING id`,
      [JSON.stringify(FOR_ALICE)],
    );
    await vi.waitFor(() => expect(c.ids()).toEqual([rows[0]!.id]), WAIT);
  });

  it.runIf(store.engine === 'postgres')(
    'delivers events written through another replica, in commit order under concurrency',
    async () => {
      const db = await store.migrated();
      const writerA = await store.another(db);
      const writerB = await store.another(db);
      const hub = hubOn(db);
      const c = collector();
      await hub.subscribe(BOB_APPROVER, null, c.onMessage);
      const [first] = await record(writerA);
      await vi.waitFor(() => expect(c.ids()).toEqual([first]), WAIT);
      // Two replicas committing concurrently: the hub must see every id, each once, in order.
      const batches = await Promise.all(
        Array.from({ length: 20 }, (_, i) => record(i % 2 === 0 ? writerA : writerB, FOR_ALICE, 1 + (i % 3))),
      );
      const all = [first!, ...batches.flat()].sort((a, b) => a - b);
      await vi.waitFor(() => expect(c.ids()).toHaveLength(all.length), WAIT);
      expect(c.ids()).toEqual(all);
    },
  );

  it.runIf(store.engine === 'postgres')(
    'keeps delivering after its LISTEN connection is killed (reconnects, then catches up)',
    async () => {
      const db = await store.migrated();
      const admin = await store.another(db);
      const hub = hubOn(db);
      const c = collector();
      await hub.subscribe(ALICE, null, c.onMessage);
      const [before] = await listenerPids(admin);
      expect(before).toBeDefined();
      const { rows } = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [before]);
      expect(rows[0]?.ok).toBe(true);
      // Written while the listener is (probably) down: found by the catch-up after reconnecting.
      const during = await record(admin);
      await vi.waitFor(() => expect(c.ids()).toEqual(during), WAIT);
      // A new LISTEN session exists, and NOTIFY reaches it again.
      await vi.waitFor(async () => {
        const pids = await listenerPids(admin);
        expect(pids).toHaveLength(1);
        expect(pids[0]).not.toBe(before);
      }, WAIT);
      const after = await record(admin);
      await vi.waitFor(() => expect(c.ids()).toEqual([...during, ...after]), WAIT);
    },
  );

  it('Db.listen: NOTIFY reaches listeners at commit, never on rollback, and stops on unlisten', async () => {
    const db = await store.migrated();
    const other = await store.another(db);
    const payloads: string[] = [];
    const unlisten = await db.listen('events_test', (p) => payloads.push(p));
    await expect(
      other.transaction(async (tx) => {
        await tx.query(`SELECT pg_notify('events_test', 'rolled back')`);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    await other.transaction(async (tx) => {
      await tx.query(`SELECT pg_notify('events_test', 'one')`);
      await tx.query(`SELECT pg_notify('events_test', 'two')`);
    });
    await vi.waitFor(() => expect(payloads).toEqual(['one', 'two']), WAIT);
    await unlisten();
    await other.query(`SELECT pg_notify('events_test', 'after')`);
    await other.query(`SELECT pg_notify('events_test', 'three')`);
    // Nothing to wait for that proves absence; a fresh listener on the same channel is the marker.
    const marker: string[] = [];
    const again = await db.listen('events_test', (p) => marker.push(p));
    await other.query(`SELECT pg_notify('events_test', 'marker')`);
    await vi.waitFor(() => expect(marker).toEqual(['marker']), WAIT);
    await again();
    expect(payloads).toEqual(['one', 'two']);
    await expect(db.listen('Bad Channel; DROP', () => undefined)).rejects.toThrow(TypeError);
  });
});

forEachStore('event retention', (store) => {
  it('prunes events older than the cut-off but always keeps the newest N', async () => {
    const db = await store.migrated();
    const old = new Date('2020-01-01T00:00:00.000Z');
    const recent = new Date();
    const oldIds = await db.transaction(async (tx) => {
      const r = await recordTransition(tx, {
        events: Array.from({ length: 5 }, () => domainEvent({ at: old })),
        audience: FOR_ALICE,
      });
      return r.eventIds;
    });
    const recentIds = await db.transaction(
      async (tx) =>
        (await recordTransition(tx, { events: [domainEvent({ at: recent })], audience: FOR_ALICE })).eventIds,
    );
    const remaining = async () =>
      (await db.query<{ id: number }>('SELECT id FROM events ORDER BY id')).rows.map((r) => r.id);
    const cutOff = new Date('2021-01-01T00:00:00.000Z');
    // keep 3: the recent one and the two newest old ones stay.
    expect(await pruneEvents(db, cutOff, { keep: 3 })).toBe(3);
    expect(await remaining()).toEqual([...oldIds.slice(3), ...recentIds]);
    // Nothing old beyond the kept ones: a second run is a no-op.
    expect(await pruneEvents(db, cutOff, { keep: 3 })).toBe(0);
    // keep 0: every old one goes, the recent one stays (it is newer than the cut-off).
    expect(await pruneEvents(db, cutOff, { keep: 0 })).toBe(2);
    expect(await remaining()).toEqual(recentIds);
    // Fewer rows than `keep`: nothing goes, whatever their age.
    expect(await pruneEvents(db, new Date(Date.now() + HOUR_MS), { keep: 10 })).toBe(0);
    await expect(pruneEvents(db, cutOff, { keep: -1 })).rejects.toThrow(RangeError);
  });
});
