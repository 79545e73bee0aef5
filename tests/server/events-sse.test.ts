/**
 * `serveEvents` (server/events/sse.ts) behind a real `node:http` server, read with streaming
 * `fetch` and parsed as the SSE spec says a browser would: headers, `retry:`, `id:`/`event:`/
 * `data:` per event (data validated against the contract's EventView), Last-Event-ID from the
 * header and the query, bad ids ignored, heartbeats, disconnect cleanup, and stored text that
 * tries to forge an event. Nothing waits a fixed time: `vi.waitFor` polls conditions.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventView } from '../../lib/contract/api';
import type { Principal } from '../../server/auth/principal';
import type { DomainEvent } from '../../server/domain';
import type { EventHub, EventHubOptions } from '../../server/events/hub';
import { createEventHub } from '../../server/events/hub';
import type { ServeEventsOptions } from '../../server/events/sse';
import { formatMessage, serveEvents } from '../../server/events/sse';
import type { Db } from '../../server/store/db';
import type { EventAudience } from '../../server/store/transitions';
import { recordTransition } from '../../server/store/transitions';
import { APPROVERS, T0 } from './domain-fixtures';
import { forEachStore } from './pg-harness';

const HOUR_MS = 3_600_000;
const WAIT = { timeout: 15_000, interval: 10 };
const FOR_ALICE: EventAudience = { users: ['alice'], groups: APPROVERS };

let counter = 0;
async function record(db: Db, n = 1, overrides: Partial<DomainEvent> = {}): Promise<number[]> {
  const events = Array.from({ length: n }, (): DomainEvent => {
    counter += 1;
    return {
      type: 'grant.active',
      requestId: `req-${counter}`,
      grantId: `grant-${counter}`,
      actor: 'sweeper',
      at: T0,
      details: {},
      ...overrides,
    };
  });
  const r = await db.transaction((tx) => recordTransition(tx, { events, audience: FOR_ALICE }));
  return [...r.eventIds];
}

/** One SSE block as the spec's parser sees it (comments collected separately). */
interface Block {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comments: string[];
}

function parseBlock(text: string): Block {
  const block: Block = { comments: [] };
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) {
      block.comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') block.data = block.data === undefined ? value : `${block.data}\n${value}`;
    else if (field === 'id' || field === 'event' || field === 'retry') block[field] = value;
  }
  return block;
}

interface Stream {
  status: number;
  headers: Headers;
  raw: () => string;
  blocks: () => Block[];
  /** The events (blocks with data), data parsed as JSON. */
  events: () => { id?: string; event?: string; data: unknown }[];
  ended: Promise<void>;
  close(): void;
}

forEachStore('SSE stream', (store) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setUp(hubOptions: EventHubOptions = {}, sseOptions: ServeEventsOptions = {}) {
    const db = await store.migrated();
    const hub: EventHub = createEventHub(db, { pollMs: HOUR_MS, ...hubOptions });
    const errors: unknown[] = [];
    const server = http.createServer((req, res) => {
      const user = String(req.headers['x-test-user'] ?? 'alice');
      const groups = String(req.headers['x-test-groups'] ?? '')
        .split(',')
        .filter(Boolean);
      const principal: Principal = { user, groups, tokenKind: 'api', clientId: null };
      void serveEvents(req, res, principal, hub, { onError: (e) => errors.push(e), ...sseOptions });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/events`;
    const streams: Stream[] = [];
    cleanups.push(async () => {
      for (const s of streams) s.close();
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    async function open(query = '', headers: Record<string, string> = {}): Promise<Stream> {
      const controller = new AbortController();
      const res = await fetch(`${base}${query}`, { headers, signal: controller.signal });
      let text = '';
      const ended = (async () => {
        const decoder = new TextDecoder();
        try {
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
            text += decoder.decode(chunk, { stream: true });
          }
        } catch {
          // aborted by close()
        }
      })();
      const blocks = () =>
        text
          .split('\n\n')
          .slice(0, -1) // the last piece is incomplete (or empty)
          .map(parseBlock);
      const stream: Stream = {
        status: res.status,
        headers: res.headers,
        raw: () => text,
        blocks,
        events: () =>
          blocks()
            .filter((b) => b.data !== undefined)
            .map((b) => ({ id: b.id, event: b.event, data: JSON.parse(b.data!) as unknown })),
        ended,
        close: () => controller.abort(),
      };
      streams.push(stream);
      return stream;
    }
    return { db, hub, open, errors };
  }

  it('streams each event as id/event/data with an EventView, after the headers and retry', async () => {
    const { db, open, errors } = await setUp();
    const s = await open();
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toBe('text/event-stream');
    expect(s.headers.get('cache-control')).toBe('no-store');
    expect(s.headers.get('x-accel-buffering')).toBe('no');
    const ids = await record(db, 2);
    const [noGrant] = await record(db, 1, { type: 'request.submitted', grantId: null });
    await vi.waitFor(() => expect(s.events()).toHaveLength(3), WAIT);
    expect(s.blocks()[0]).toEqual({ retry: '3000', comments: [] });
    const events = s.events();
    expect(events.map((e) => Number(e.id))).toEqual([...ids, noGrant]);
    for (const e of events) {
      const view = EventView.parse(e.data);
      expect(view.id).toBe(e.id);
      expect(view.type).toBe(e.event);
      expect(view.at).toBe(T0.toISOString());
    }
    expect(events[0]!.data).toEqual({
      id: String(ids[0]),
      type: 'grant.active',
      at: T0.toISOString(),
      requestId: expect.stringMatching(/^req-/) as unknown,
      grantId: expect.stringMatching(/^grant-/) as unknown,
      // The audit row the event was recorded as: the chain's head then.
      audit: { seq: expect.any(Number) as unknown, hash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown },
    });
    expect(events[2]!.data).not.toHaveProperty('grantId'); // null in the payload: omitted
    // Every line is a known field, a comment, or the blank line ending a block.
    for (const line of s.raw().split('\n'))
      expect(line).toMatch(/^(|(id|event|data|retry): .*|: keep-alive)$/);
    expect(errors).toEqual([]);
  });

  it('shows nothing the caller may not see', async () => {
    const { db, open } = await setUp();
    const carol = await open('', { 'x-test-user': 'carol', 'x-test-groups': 'other-team' });
    const approver = await open('', { 'x-test-user': 'bob', 'x-test-groups': APPROVERS.join(',') });
    const forAlice = await record(db);
    const [forCarol] = await db.transaction(
      async (tx) =>
        (
          await recordTransition(tx, {
            events: [
              { type: 'grant.revoked', requestId: 'r', grantId: 'g', actor: 'admin', at: T0, details: {} },
            ],
            audience: { users: ['carol'], groups: [] },
          })
        ).eventIds,
    );
    await vi.waitFor(() => expect(carol.events().map((e) => Number(e.id))).toEqual([forCarol]), WAIT);
    await vi.waitFor(() => expect(approver.events().map((e) => Number(e.id))).toEqual(forAlice), WAIT);
  });

  it('replays after Last-Event-ID (header or ?lastEventId=) and then streams live', async () => {
    const { db, open } = await setUp();
    const ids = await record(db, 3);
    const byHeader = await open('', { 'Last-Event-ID': String(ids[0]) });
    const byQuery = await open(`?lastEventId=${ids[1]}`);
    // The header wins over the query when both are present.
    const both = await open(`?lastEventId=${ids[0]}`, { 'Last-Event-ID': String(ids[1]) });
    const live = await record(db);
    const idsOf = (s: Stream) => s.events().map((e) => Number(e.id));
    await vi.waitFor(() => expect(idsOf(byHeader)).toEqual([ids[1], ids[2], ...live]), WAIT);
    await vi.waitFor(() => expect(idsOf(byQuery)).toEqual([ids[2], ...live]), WAIT);
    await vi.waitFor(() => expect(idsOf(both)).toEqual([ids[2], ...live]), WAIT);
  });

  it('ignores a Last-Event-ID that is not a plain number instead of failing', async () => {
    const { db, open, errors } = await setUp();
    const old = await record(db, 2);
    const bad = ['abc', '-1', '1e3', '12abc', '0x10', '1.5', '99999999999999999999', '%0Aevent:%20x'];
    const streams = [
      ...(await Promise.all(bad.map((v) => open('', { 'Last-Event-ID': v })))),
      ...(await Promise.all(bad.map((v) => open(`?lastEventId=${v}`)))),
    ];
    for (const s of streams) expect(s.status).toBe(200);
    const live = await record(db);
    for (const s of streams) {
      // Treated as no Last-Event-ID: live events only, none of the earlier ones.
      await vi.waitFor(() => expect(s.events().map((e) => Number(e.id))).toEqual(live), WAIT);
    }
    expect(live[0]).toBeGreaterThan(Math.max(...old));
    expect(errors).toEqual([]);
  });

  it('sends a resync event (without an id) when the replay is cut short', async () => {
    const { db, open } = await setUp({ replayLimit: 2 });
    const ids = await record(db, 5);
    const s = await open('', { 'Last-Event-ID': String(ids[0]) });
    await vi.waitFor(() => expect(s.blocks()).toHaveLength(4), WAIT);
    expect(s.blocks().slice(1, 2)).toEqual([
      { event: 'resync', data: '{"reason":"replay-truncated"}', comments: [] },
    ]);
    expect(
      s
        .events()
        .slice(1)
        .map((e) => Number(e.id)),
    ).toEqual(ids.slice(3));
  });

  it('sends a keep-alive comment on the heartbeat', async () => {
    const { open } = await setUp({}, { heartbeatMs: 20 });
    const s = await open();
    await vi.waitFor(
      () => expect(s.blocks().filter((b) => b.comments.includes('keep-alive')).length).toBeGreaterThan(1),
      WAIT,
    );
    expect(s.events()).toEqual([]); // comments are not events
  });

  it('drops the subscription when the client disconnects', async () => {
    const { hub, open } = await setUp();
    const a = await open();
    const b = await open();
    await vi.waitFor(() => expect(hub.subscriberCount).toBe(2), WAIT);
    a.close();
    await vi.waitFor(() => expect(hub.subscriberCount).toBe(1), WAIT);
    b.close();
    await vi.waitFor(() => expect(hub.subscriberCount).toBe(0), WAIT);
  });

  it('ends streams when the hub closes, and answers 500 when it cannot subscribe', async () => {
    const { hub, open } = await setUp();
    const s = await open();
    await vi.waitFor(() => expect(hub.subscriberCount).toBe(1), WAIT);
    await hub.close();
    await s.ended; // the server ended the response
    const refused = await open();
    expect(refused.status).toBe(500);
    await refused.ended;
    expect(JSON.parse(refused.raw())).toEqual({
      error: { code: 'internal', message: 'the event stream is unavailable; retry shortly' },
    });
  });

  it('never lets stored text forge a line: bad types are skipped, fields stay JSON-escaped', async () => {
    const { db, open, errors } = await setUp();
    const s = await open();
    const forged = 'grant.active\n\nid: 999999\nevent: grant.revoked\ndata: {"id":"999999"}';
    // A row no broker writes (a type outside the contract): skipped, and reported.
    const { rows } = await db.query<{ id: number }>(
      `INSERT INTO events (at, audience, type, payload) VALUES (now(), $1::jsonb, $2, $3::jsonb) RETURNING id`,
      [JSON.stringify(FOR_ALICE), forged, JSON.stringify({ at: T0.toISOString() })],
    );
    // A real event whose ids carry line breaks: they travel inside the JSON, escaped.
    const [hostile] = await record(db, 1, { requestId: forged, grantId: 'g\r\nevent: x' });
    // Written without NOTIFY, the forged row is found by the catch-up for `hostile`.
    await vi.waitFor(() => expect(s.events()).toHaveLength(1), WAIT);
    const [event] = s.events();
    expect(event).toMatchObject({ id: String(hostile), event: 'grant.active' });
    expect(EventView.parse(event!.data)).toMatchObject({ requestId: forged, grantId: 'g\r\nevent: x' });
    expect(s.raw()).not.toContain('999999\n');
    expect(s.raw()).not.toMatch(/^event: (x|grant\.revoked)$/m);
    expect(errors).toEqual([new Error(`event ${rows[0]!.id} is not a valid EventView; not sent`)]);
  });
});

describe('formatMessage', () => {
  it('formats events, resyncs, and nothing for closed', () => {
    const event = {
      id: 7,
      at: T0,
      type: 'grant.active',
      audience: FOR_ALICE,
      payload: {
        type: 'grant.active',
        requestId: 'req-1',
        grantId: null,
        actor: 'sweeper',
        at: T0.toISOString(),
        details: {},
        auditSeq: 3,
      },
    };
    expect(formatMessage({ kind: 'event', event })).toBe(
      `id: 7\nevent: grant.active\ndata: {"id":"7","type":"grant.active","at":"${T0.toISOString()}","requestId":"req-1"}\n\n`,
    );
    expect(formatMessage({ kind: 'resync', reason: 'unknown-last-event-id' })).toBe(
      'event: resync\ndata: {"reason":"unknown-last-event-id"}\n\n',
    );
    expect(formatMessage({ kind: 'closed' })).toBeNull();
    expect(formatMessage({ kind: 'event', event: { ...event, type: 'grant.active\nevent: x' } })).toBeNull();
  });
});
