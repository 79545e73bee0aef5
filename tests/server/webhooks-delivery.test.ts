import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import type { WebhookConfig } from '../../server/config/schema';
import type { DomainEvent } from '../../server/domain/result';
import type { Db } from '../../server/store/db';
import { enqueueWebhooks } from '../../server/webhooks/enqueue';
import type { WebhookContext } from '../../server/webhooks/render';
import { verifySignature } from '../../server/webhooks/sign';
import type { WebhookWorkerOptions } from '../../server/webhooks/worker';
import { createWebhookWorker } from '../../server/webhooks/worker';
import { forEachStore } from './pg-harness';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const seconds = (n: number) => new Date(NOW.getTime() + n * 1000);
const SECRET = 'test-secret-0123456789';

// ---------------------------------------------------------------------------------------------
// A local receiver that records requests and answers as told

interface Received {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Answers for the next requests, in order; 200 once they run out. */
  readonly answers: Answer[];
  close(): Promise<void>;
}

const open: Receiver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

async function receiver(): Promise<Receiver> {
  const received: Received[] = [];
  const answers: Answer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers.shift() ?? { status: 200 };
      if (answer === 'hang') return; // never answer: the worker's timeout must end it
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body ?? 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const r: Receiver = {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  open.push(r);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

function event(type: DomainEvent['type'], patch: Partial<DomainEvent> = {}): DomainEvent {
  return { type, requestId: 'req-1', grantId: null, actor: 'alice', at: NOW, details: {}, ...patch };
}

const context: WebhookContext = {
  publicUrl: 'https://unblock.example.com',
  requests: [
    {
      id: 'req-1',
      requester: 'alice',
      target: { cloud: 'aws', account: '222222222222', name: 'production', environment: 'prod' },
      actions: ['ec2:StopInstances'],
      resource: null,
      durationMinutes: 60,
      justification: 'urgent <!channel> <http://evil|click>',
      ticket: null,
      decision: 'needs-approval',
      requiredApprovals: 2,
      advice: [],
    },
  ],
};

const jsonHook = (url: string, patch: Partial<WebhookConfig> = {}): WebhookConfig => ({
  name: 'siem',
  kind: 'json',
  url,
  secret: SECRET,
  ...patch,
});
const slackHook = (url: string, patch: Partial<WebhookConfig> = {}): WebhookConfig => ({
  name: 'channel',
  kind: 'slack',
  url,
  ...patch,
});

async function enqueue(db: Db, hooks: WebhookConfig[], events: DomainEvent[]): Promise<number> {
  return db.transaction((tx) => enqueueWebhooks(tx, hooks, events, context));
}

interface DeliveryRow {
  id: number;
  webhook: string;
  kind: string;
  url: string;
  event_type: string;
  event_id: string;
  request_id: string | null;
  body: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  delivered_at: Date | null;
  failed_at: Date | null;
  lease_owner: string | null;
}

async function rows(db: Db): Promise<DeliveryRow[]> {
  return (await db.query<DeliveryRow>('SELECT * FROM webhook_deliveries ORDER BY id')).rows;
}

/** A worker whose clock the test moves. */
function worker(db: Db, hooks: WebhookConfig[], patch: Partial<WebhookWorkerOptions> = {}) {
  const clock = { now: NOW };
  const w = createWebhookWorker({ db, hooks, workerId: 'worker-a', now: () => clock.now, ...patch });
  return { ...w, clock };
}

/** The README's verification recipe, verbatim in spirit: raw body, constant-time, replay window. */
function readmeVerify(
  secret: string,
  headers: http.IncomingHttpHeaders,
  rawBody: string,
  nowMs: number,
): boolean {
  const timestamp = String(headers['x-unblock-timestamp'] ?? '');
  const signature = String(headers['x-unblock-signature'] ?? '');
  if (!/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(
    'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex'),
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

// ---------------------------------------------------------------------------------------------

forEachStore('webhooks', (store) => {
  it('queues nothing when the transaction that enqueued rolls back', async () => {
    const db = await store.migrated();
    const r = await receiver();
    await expect(
      db.transaction(async (tx) => {
        expect(await enqueueWebhooks(tx, [jsonHook(r.url)], [event('request.submitted')], context)).toBe(1);
        throw new Error('the decision failed');
      }),
    ).rejects.toThrow('the decision failed');
    expect(await rows(db)).toEqual([]);
    expect(await worker(db, [jsonHook(r.url)]).runOnce()).toEqual({ delivered: 0, failed: 0, retried: 0 });
    expect(r.received).toEqual([]);
  });

  it('queues one rendered row per webhook and wanted event, without the secret', async () => {
    const db = await store.migrated();
    const hooks = [
      jsonHook('https://siem.example.com/in'),
      slackHook('https://hooks.slack.example/T/B/X', { events: ['request.approved'] }),
    ];
    const events = [event('request.submitted'), event('request.approved', { actor: 'bob' })];
    expect(await enqueue(db, hooks, events)).toBe(3);
    const queued = await rows(db);
    expect(queued.map((q) => [q.webhook, q.kind, q.event_type])).toEqual([
      ['siem', 'json', 'request.submitted'],
      ['siem', 'json', 'request.approved'],
      ['channel', 'slack', 'request.approved'],
    ]);
    for (const q of queued) {
      expect(q).toMatchObject({ attempts: 0, next_attempt_at: NOW, request_id: 'req-1', lease_owner: null });
      expect(JSON.stringify(q)).not.toContain(SECRET);
    }
    // The same event has one id in every webhook's message; different events differ.
    expect(queued[1]!.event_id).toBe(queued[2]!.event_id);
    expect(queued[0]!.event_id).not.toBe(queued[1]!.event_id);
    expect(JSON.parse(queued[0]!.body)).toMatchObject({ id: queued[0]!.event_id, type: 'request.submitted' });
    expect(Object.keys(JSON.parse(queued[2]!.body) as object)).toEqual(['text', 'blocks']);
    // An event nobody subscribed to queues nothing.
    expect(await enqueue(db, [slackHook('https://x.example', { events: ['grant.revoked'] })], events)).toBe(
      0,
    );
  });

  it('enqueueing needs no network: a dead endpoint does not hold up the decision', async () => {
    const db = await store.migrated();
    const r = await receiver();
    await r.close(); // nothing listens on this port any more
    const healthy = await receiver();
    const hooks = [jsonHook(r.url, { name: 'dead' }), slackHook(healthy.url)];
    const decided = await db.transaction(async (tx) => {
      await enqueueWebhooks(tx, hooks, [event('request.submitted')], context);
      return 'committed';
    });
    expect(decided).toBe('committed');
    expect(healthy.received).toEqual([]);
    // Delivery happens later; the dead webhook fails on its own and the healthy one delivers.
    expect(await worker(db, hooks).runOnce()).toEqual({ delivered: 1, failed: 0, retried: 1 });
    expect(healthy.received).toHaveLength(1);
    const dead = (await rows(db)).find((q) => q.webhook === 'dead');
    expect(dead?.last_error).toMatch(/^network error: /);
  });

  it('signs JSON deliveries so the README recipe verifies them, and a wrong secret or stale timestamp fails', async () => {
    const db = await store.migrated();
    const r = await receiver();
    await enqueue(db, [jsonHook(r.url)], [event('request.submitted')]);
    const [queued] = await rows(db);
    expect(await worker(db, [jsonHook(r.url)]).runOnce()).toEqual({ delivered: 1, failed: 0, retried: 0 });
    const [got] = r.received;
    expect(got?.body).toBe(queued!.body);
    expect(got?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'unblock-broker',
      'x-unblock-event': 'request.submitted',
      'x-unblock-delivery': String(queued!.id),
      'x-unblock-timestamp': String(NOW.getTime() / 1000),
    });
    const headers = got!.headers;
    expect(readmeVerify(SECRET, headers, got!.body, NOW.getTime())).toBe(true);
    expect(readmeVerify('wrong-secret-0123456789', headers, got!.body, NOW.getTime())).toBe(false);
    expect(readmeVerify(SECRET, headers, got!.body, NOW.getTime() + 10 * 60_000)).toBe(false);
    const ts = String(headers['x-unblock-timestamp']);
    const sig = String(headers['x-unblock-signature']);
    expect(verifySignature(SECRET, ts, got!.body, sig, NOW)).toBe(true);
    expect(verifySignature('wrong-secret-0123456789', ts, got!.body, sig, NOW)).toBe(false);
    expect(verifySignature(SECRET, ts, got!.body, sig, seconds(301))).toBe(false);
    expect(JSON.parse(got!.body)).toMatchObject({
      type: 'request.submitted',
      requestId: 'req-1',
      request: { requester: 'alice', justification: 'urgent <!channel> <http://evil|click>' },
    });
    const [after] = await rows(db);
    expect(after).toMatchObject({ attempts: 1, delivered_at: NOW, last_error: null, lease_owner: null });
  });

  it('reads an env: secret at send time', async () => {
    const db = await store.migrated();
    const r = await receiver();
    const hook = jsonHook(r.url, { secret: 'env:SIEM_SECRET' });
    await enqueue(db, [hook], [event('request.submitted')]);
    const missing = worker(db, [hook], { env: {} });
    expect(await missing.runOnce()).toEqual({ delivered: 0, failed: 0, retried: 1 });
    expect((await rows(db))[0]?.last_error).toBe(
      'webhook "siem" has no usable secret (environment variable SIEM_SECRET is unset or empty)',
    );
    expect(r.received).toEqual([]);
    const w = worker(db, [hook], { env: { SIEM_SECRET: 'rotated-secret-000000' } });
    w.clock.now = seconds(60);
    expect(await w.runOnce()).toEqual({ delivered: 1, failed: 0, retried: 0 });
    const got = r.received[0]!;
    expect(
      verifySignature(
        'rotated-secret-000000',
        String(got.headers['x-unblock-timestamp']),
        got.body,
        String(got.headers['x-unblock-signature']),
        seconds(60),
      ),
    ).toBe(true);
  });

  it('posts Slack messages as {text, blocks}, unsigned, with hostile text escaped', async () => {
    const db = await store.migrated();
    const r = await receiver();
    await enqueue(db, [slackHook(r.url)], [event('request.submitted')]);
    expect(await worker(db, [slackHook(r.url)]).runOnce()).toMatchObject({ delivered: 1 });
    const got = r.received[0]!;
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-unblock-signature']).toBeUndefined();
    const message = JSON.parse(got.body) as { text: string; blocks: { type: string }[] };
    expect(message.text).toBe(
      'alice requests `ec2:StopInstances` on production (222222222222) for 1 h — needs 2 approvals',
    );
    expect(message.blocks.map((b) => b.type)).toEqual(['section', 'section', 'section', 'context']);
    expect(got.body).toContain('urgent &lt;!channel&gt; &lt;http://evil|click&gt;');
    expect(got.body).not.toContain('<!channel>');
    expect(got.body).not.toContain('<http://evil');
  });

  it('retries 5xx and 429 with backoff (honouring Retry-After), then delivers', async () => {
    const db = await store.migrated();
    const r = await receiver();
    r.answers.push(
      { status: 503, body: 'upstream\n  down' },
      { status: 429, headers: { 'Retry-After': '120' }, body: 'slow down' },
    );
    await enqueue(db, [jsonHook(r.url)], [event('request.submitted')]);
    const w = worker(db, [jsonHook(r.url)]);

    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0, retried: 1 });
    expect((await rows(db))[0]).toMatchObject({
      attempts: 1,
      next_attempt_at: seconds(10), // first backoff step
      last_error: 'HTTP 503: upstream down',
      lease_owner: null,
    });
    // Not due yet: nothing is sent.
    w.clock.now = seconds(9);
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0, retried: 0 });
    expect(r.received).toHaveLength(1);

    w.clock.now = seconds(10);
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0, retried: 1 });
    // Backoff would say 20 s; the endpoint asked for 120 s.
    expect((await rows(db))[0]).toMatchObject({
      attempts: 2,
      next_attempt_at: seconds(130),
      last_error: 'HTTP 429: slow down',
    });

    w.clock.now = seconds(130);
    expect(await w.runOnce()).toEqual({ delivered: 1, failed: 0, retried: 0 });
    expect((await rows(db))[0]).toMatchObject({ attempts: 3, delivered_at: seconds(130), last_error: null });
    expect(r.received).toHaveLength(3);
    // The same delivery id and body every time; only the timestamp (and so the signature) moves.
    expect(new Set(r.received.map((x) => x.headers['x-unblock-delivery'])).size).toBe(1);
    expect(new Set(r.received.map((x) => x.body)).size).toBe(1);
    // Delivered rows are never sent again.
    w.clock.now = seconds(10_000);
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0, retried: 0 });
  });

  it('gives up at once on a permanent 4xx, and on a redirect (which it does not follow)', async () => {
    const db = await store.migrated();
    const r = await receiver();
    r.answers.push(
      { status: 400, body: 'invalid_payload' },
      { status: 302, headers: { Location: `${r.url}/elsewhere` } },
    );
    await enqueue(db, [jsonHook(r.url)], [event('request.submitted'), event('request.cancelled')]);
    const w = worker(db, [jsonHook(r.url)]);
    // The first failure holds the webhook's second row back until the next run.
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 1, retried: 0 });
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 1, retried: 0 });
    const [bad, redirected] = await rows(db);
    expect(bad).toMatchObject({ attempts: 1, failed_at: NOW, last_error: 'HTTP 400: invalid_payload' });
    expect(redirected).toMatchObject({ attempts: 1, failed_at: NOW });
    expect(redirected?.last_error).toMatch(/^HTTP 302: .*redirects are not followed/);
    expect(r.received).toHaveLength(2); // the redirect target was never requested
    w.clock.now = seconds(100_000);
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0, retried: 0 });
  });

  it('retries 408, 409 and 425 like server errors', async () => {
    const db = await store.migrated();
    const r = await receiver();
    r.answers.push({ status: 408 }, { status: 409 }, { status: 425 });
    await enqueue(db, [slackHook(r.url)], [event('request.submitted')]);
    const w = worker(db, [slackHook(r.url)]);
    for (const at of [0, 10, 30]) {
      w.clock.now = seconds(at);
      expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0, retried: 1 });
    }
    w.clock.now = seconds(70);
    expect(await w.runOnce()).toEqual({ delivered: 1, failed: 0, retried: 0 });
  });

  it('marks a row failed after maxAttempts', async () => {
    const db = await store.migrated();
    const r = await receiver();
    r.answers.push(...Array.from({ length: 5 }, () => ({ status: 500, body: 'boom' })));
    await enqueue(db, [jsonHook(r.url)], [event('request.submitted')]);
    const w = worker(db, [jsonHook(r.url)], { maxAttempts: 3 });
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0, retried: 1 });
    w.clock.now = seconds(10);
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0, retried: 1 });
    w.clock.now = seconds(30);
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 1, retried: 0 });
    expect((await rows(db))[0]).toMatchObject({
      attempts: 3,
      failed_at: seconds(30),
      last_error: 'HTTP 500: boom (gave up after 3 attempts)',
    });
    w.clock.now = seconds(100_000);
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0, retried: 0 });
    expect(r.received).toHaveLength(3);
  });

  it('counts an endpoint that does not answer in time as a failed attempt', async () => {
    const db = await store.migrated();
    const r = await receiver();
    r.answers.push('hang');
    await enqueue(db, [jsonHook(r.url)], [event('request.submitted')]);
    const w = worker(db, [jsonHook(r.url)], { timeoutMs: 300 });
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0, retried: 1 });
    expect((await rows(db))[0]).toMatchObject({ attempts: 1, last_error: 'timed out after 300 ms' });
    w.clock.now = seconds(10);
    expect(await w.runOnce()).toEqual({ delivered: 1, failed: 0, retried: 0 });
  });

  it('keeps the URL and secret out of last_error even when the endpoint echoes them', async () => {
    const db = await store.migrated();
    const r = await receiver();
    r.answers.push({ status: 500, body: `no route for ${r.url} with key ${SECRET}` });
    await enqueue(db, [jsonHook(r.url)], [event('request.submitted')]);
    await worker(db, [jsonHook(r.url)]).runOnce();
    expect((await rows(db))[0]?.last_error).toBe('HTTP 500: no route for [redacted] with key [redacted]');
  });

  it('gives up messages for a webhook removed from the config or changed to another kind', async () => {
    const db = await store.migrated();
    const r = await receiver();
    await enqueue(db, [jsonHook(r.url), slackHook(r.url)], [event('request.submitted')]);
    const w = worker(db, [slackHook(r.url, { name: 'siem' })]);
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 2, retried: 0 });
    expect((await rows(db)).map((q) => q.last_error)).toEqual([
      'webhook "siem" is now of kind slack; this message was rendered for json',
      'webhook "channel" is no longer configured',
    ]);
    expect(r.received).toEqual([]);
  });

  it('sends to the webhook’s current URL, recording where it went', async () => {
    const db = await store.migrated();
    const old = await receiver();
    const moved = await receiver();
    await enqueue(db, [slackHook(old.url)], [event('request.submitted')]);
    expect(await worker(db, [slackHook(moved.url)]).runOnce()).toMatchObject({ delivered: 1 });
    expect(old.received).toEqual([]);
    expect(moved.received).toHaveLength(1);
    expect((await rows(db))[0]?.url).toBe(moved.url);
  });

  it('takes over a row whose lease ran out (a replica died mid-send), not one still leased', async () => {
    const db = await store.migrated();
    const r = await receiver();
    await enqueue(db, [slackHook(r.url)], [event('request.submitted')]);
    await db.query("UPDATE webhook_deliveries SET lease_owner = 'dead-replica', lease_until = $1", [
      seconds(30),
    ]);
    const w = worker(db, [slackHook(r.url)]);
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0, retried: 0 });
    w.clock.now = seconds(30);
    expect(await w.runOnce()).toEqual({ delivered: 1, failed: 0, retried: 0 });
  });

  it('two workers on two handles never deliver a row twice', async () => {
    const db = await store.migrated();
    const other = await store.another(db);
    const r = await receiver();
    const hooks = [slackHook(r.url), jsonHook(r.url)];
    const events = Array.from({ length: 20 }, (_, i) =>
      event('request.submitted', { requestId: `req-${i}` }),
    );
    expect(await enqueue(db, hooks, events)).toBe(40);
    const workers = [db, other, db, other].map((handle, i) =>
      createWebhookWorker({ db: handle, hooks, workerId: `worker-${i}`, now: () => NOW, batchSize: 3 }),
    );
    let delivered = 0;
    for (let round = 0; round < 20 && delivered < 40; round++) {
      const results = await Promise.all(workers.map((w) => w.runOnce()));
      delivered += results.reduce((n, x) => n + x.delivered, 0);
    }
    expect(delivered).toBe(40);
    expect(r.received).toHaveLength(40);
    const bodies = r.received.map((x) => x.body);
    expect(new Set(bodies).size).toBe(40);
    expect((await rows(db)).every((q) => q.delivered_at !== null && q.attempts === 1)).toBe(true);
  });

  it('start() delivers in the background and stop() waits for the run in progress', async () => {
    const db = await store.migrated();
    const r = await receiver();
    await enqueue(db, [slackHook(r.url)], [event('request.submitted'), event('request.approved')]);
    const w = worker(db, [slackHook(r.url)]);
    w.start(20);
    for (let i = 0; i < 200 && r.received.length < 2; i++) await new Promise((res) => setTimeout(res, 10));
    await w.stop();
    expect(r.received.map((x) => (JSON.parse(x.body) as { text: string }).text)).toEqual([
      'alice requests `ec2:StopInstances` on production (222222222222) for 1 h — needs 2 approvals',
      "alice's request for `ec2:StopInstances` on production (222222222222) was approved by alice",
    ]);
    expect((await rows(db)).every((q) => q.delivered_at !== null)).toBe(true);
  });
});
