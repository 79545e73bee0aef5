/**
 * The broker's HTTP API end to end: `startBroker` on a real port (store, policy, sign-in, worker,
 * event hub, simulated cloud), driven with global `fetch`, on PGlite and PostgreSQL. Every success
 * body is checked against the contract's view schema and every error body against `ApiError`
 * (and for the absence of a stack trace). Nothing waits a fixed time: `waitFor` polls a condition.
 */
import { AUTH_ENDPOINTS } from '../../server/auth/oauth';
import { announceRevocation } from '../../server/auth/tokens';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import {
  AccessRequestList,
  AccessRequestView,
  ApiError,
  AuditList,
  GrantList,
  GrantView,
  Health,
  EventView,
  type CreateRequestBody,
  type ErrorCode,
} from '../../lib/contract/api';
import { sha256 } from '../../server/auth/tokens';
import { BrokerConfig } from '../../server/config/schema';
import { ROUTES } from '../../server/http/routes';
import { startSimulatedBroker as startBroker, type SimulatedBroker as RunningBroker } from '../../sim/broker';
import type { Db } from '../../server/store/db';
import { CLI, exchange, pkce, signIn, standardParams, type Broker as AuthBroker } from './auth/harness';
import { PRODUCTION, body, testConfig } from './broker-fixtures';
import { forEachStore } from './pg-harness';

const HOUR_MS = 3_600_000;
/** `    at fn (file.ts:12:34)`: what a leaked V8 stack trace looks like. */
const STACK_LINE = /at .*\(.*:\d+:\d+\)/;

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: unknown;
}

export interface CallOptions {
  readonly token?: string;
  /** JSON-encoded unless `raw` is given. */
  readonly body?: unknown;
  /** Sent as is (with `Content-Type: application/json` unless `headers` says otherwise). */
  readonly raw?: BodyInit;
  readonly headers?: Record<string, string>;
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let payload: BodyInit | undefined;
  if (options.raw !== undefined) payload = options.raw;
  else if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  Object.assign(headers, options.headers ?? {});
  // `duplex` (needed to stream a request body) is missing from the DOM RequestInit type.
  const init: RequestInit & { duplex?: 'half' } = {
    method,
    headers,
    ...(payload !== undefined ? { body: payload } : {}),
    ...(payload instanceof ReadableStream ? { duplex: 'half' } : {}),
  };
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // left undefined: the assertions below say what was expected
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A success: the status, and the body valid against `schema`. */
export function ok<S extends z.ZodMiniType>(reply: Reply, status: number, schema: S): z.infer<S> {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  const parsed = schema.safeParse(reply.json);
  expect(parsed.success, `${reply.text}\n${parsed.error?.message ?? ''}`).toBe(true);
  return parsed.data as z.infer<S>;
}

/** An error: the status, an `ApiError` body with `code`, JSON with nosniff, and no stack trace. */
export function fails(reply: Reply, status: number, code: ErrorCode): ApiError {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
  expect(reply.text).not.toMatch(STACK_LINE);
  const parsed = ApiError.safeParse(reply.json);
  expect(parsed.success, reply.text).toBe(true);
  const error = parsed.data!;
  expect(error.error.code).toBe(code);
  expect(error.error.message).not.toMatch(STACK_LINE);
  expect(error.error.message).not.toContain('\n');
  return error;
}

/** A 400 naming `path` among its fields. */
export function invalid(reply: Reply, path: string): ApiError {
  const error = fails(reply, 400, 'invalid_request');
  expect(
    error.error.fields?.map((f) => f.path),
    reply.text,
  ).toContain(path);
  return error;
}

/** Polls `probe` until `done` holds (the test's own timeout is the limit; nothing is timed). */
export async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const prodStop = (overrides: Partial<CreateRequestBody> = {}) =>
  body({ target: { cloud: 'aws', account: PRODUCTION }, actions: ['ec2:StopInstances'], ...overrides });

const forgedToken = () => `ubk_api_${randomBytes(32).toString('base64url')}`;

interface Harness {
  broker: RunningBroker;
  db: Db;
  tokens: Record<'alice' | 'bob' | 'carol' | 'dave' | 'erin', string>;
  /** The broker's clock runs this far ahead of real time. */
  skew: { ms: number };
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
}

export async function startHarness(db: Db, config?: BrokerConfig): Promise<Harness> {
  const skew = { ms: 0 };
  const broker = await startBroker({
    db,
    config: config ?? (await testConfig()),
    port: 0,
    host: '127.0.0.1',
    sweepMs: 100,
    log: () => undefined,
    now: () => new Date(Date.now() + skew.ms),
  });
  const users = ['alice', 'bob', 'carol', 'dave', 'erin'] as const;
  const issued = await Promise.all(users.map((u) => broker.createApiToken(u, HOUR_MS, `${u} tests`)));
  const tokens = Object.fromEntries(users.map((u, i) => [u, issued[i]!.token])) as Harness['tokens'];
  return {
    broker,
    db,
    tokens,
    skew,
    call: (method, path, options) => call(broker.url, method, path, options),
  };
}

interface SseEvent {
  readonly id: string | null;
  readonly event: string | null;
  readonly data: string;
}

/** `GET /api/v1/events` read with fetch's body reader, parsed as the SSE spec says. */
class EventStream {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  readonly retry: Promise<number | null>;
  private sawRetry: ((ms: number | null) => void) | undefined;

  private constructor(
    readonly response: Response,
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly abort: AbortController,
  ) {
    this.retry = new Promise((resolve) => (this.sawRetry = resolve));
  }

  static async open(base: string, token: string, lastEventId?: string): Promise<EventStream> {
    const abort = new AbortController();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const response = await fetch(`${base}/api/v1/events`, { headers, signal: abort.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    return new EventStream(response, response.body!.getReader(), abort);
  }

  /** The next event with data (comments and the `retry:` block are skipped). */
  async next(): Promise<SseEvent> {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        let id: string | null = null;
        let event: string | null = null;
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') id = value;
          else if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
          else if (field === 'retry') this.sawRetry?.(Number(value));
        }
        if (data.length > 0) return { id, event, data: data.join('\n') };
        continue;
      }
      const { value, done } = await this.reader.read();
      if (done) throw new Error('the event stream ended');
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** Events up to and including the first one `last` accepts. */
  async until(last: (e: SseEvent) => boolean): Promise<SseEvent[]> {
    const seen: SseEvent[] = [];
    for (;;) {
      const e = await this.next();
      seen.push(e);
      if (last(e)) return seen;
    }
  }

  close(): void {
    this.abort.abort();
  }
}

/** An event's data, valid against the contract's EventView, with its SSE id and type matching. */
function eventView(e: SseEvent): EventView {
  const parsed = EventView.safeParse(JSON.parse(e.data));
  expect(parsed.success, e.data).toBe(true);
  expect(parsed.data!.id).toBe(e.id);
  expect(parsed.data!.type).toBe(e.event);
  return parsed.data!;
}

const isSubmitted = (requestId: string) => (e: SseEvent) =>
  e.event === 'request.submitted' && eventView(e).requestId === requestId;

forEachStore('HTTP API', (fixture) => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(await fixture.migrated());
  });
  afterEach(() => h.broker.close());

  const submit = async (token: string, draft: CreateRequestBody) =>
    ok(await h.call('POST', '/api/v1/requests', { token, body: draft }), 201, AccessRequestView);

  it('answers /healthz and serves an OpenAPI 3.1 document covering every route', async () => {
    const health = await h.call('GET', '/healthz');
    expect(ok(health, 200, Health)).toEqual({ status: 'ok' });
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');

    const doc = await h.call('GET', '/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.headers.get('content-type')).toMatch(/^application\/json/);
    const spec = doc.json as {
      openapi: string;
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    expect(spec.openapi).toMatch(/^3\.1\./);
    for (const route of ROUTES) {
      expect(spec.paths[route.path]?.[route.method], `${route.method} ${route.path}`).toBeDefined();
      expect(spec.paths[route.path]![route.method]!.operationId).toBe(route.operationId);
    }
    const documented = Object.entries(spec.paths).flatMap(([p, item]) =>
      Object.keys(item).map((m) => `${m} ${p}`),
    );
    const signIn = [...AUTH_ENDPOINTS].map(([path, method]) => `${method.toLowerCase()} ${path}`);
    expect(documented.sort()).toEqual([...ROUTES.map((r) => `${r.method} ${r.path}`), ...signIn].sort());
    // The documented sign-in pages are really served (the OIDC ones only with an IdP configured).
    for (const [path, method] of AUTH_ENDPOINTS) {
      if (method === 'GET' && !path.startsWith('/oauth/oidc/'))
        expect((await h.call('GET', path)).status, path).not.toBe(404);
    }
  });

  it('answers 404 for an unknown path and 405 (with Allow) for a wrong method', async () => {
    fails(await h.call('GET', '/api/v1/nope', { token: h.tokens.alice }), 404, 'not_found');
    fails(await h.call('GET', '/', {}), 404, 'not_found');
    fails(
      await h.call('GET', '/api/v1/requests/req_1/approve', { token: h.tokens.alice }),
      405,
      'method_not_allowed',
    );
    const wrong = await h.call('DELETE', '/api/v1/requests', { token: h.tokens.alice });
    fails(wrong, 405, 'method_not_allowed');
    expect(wrong.headers.get('allow')).toMatch(/GET/);
    fails(await h.call('PUT', '/healthz'), 405, 'method_not_allowed');
    // An id that could never be one is a 404, not a database error.
    fails(
      await h.call('GET', `/api/v1/requests/${'x'.repeat(200)}`, { token: h.tokens.alice }),
      404,
      'not_found',
    );
    fails(await h.call('GET', '/api/v1/grants/no%20such', { token: h.tokens.alice }), 404, 'not_found');
    fails(await h.call('GET', '/api/v1/grants/grt_missing', { token: h.tokens.alice }), 404, 'not_found');
  });

  it('runs a request through its life: auto-approve on sandbox; prod needs bob; active; revoked', async () => {
    const sandbox = await submit(h.tokens.alice, body());
    expect(sandbox).toMatchObject({ status: 'approved', requester: 'alice' });
    expect(sandbox.decision.outcome).toBe('auto-approve');
    expect(sandbox.grantId).not.toBeNull();

    const prod = await submit(h.tokens.alice, prodStop());
    expect(prod.status).toBe('pending');
    expect(prod.decision).toMatchObject({ outcome: 'needs-approval', requiredApprovals: 1 });
    expect(prod.decision.approvers.length).toBeGreaterThan(0);
    expect(prod.decision.approvers).not.toContain('alice');
    expect(prod.grantId).toBeNull();

    const fetched = ok(
      await h.call('GET', `/api/v1/requests/${prod.id}`, { token: h.tokens.alice }),
      200,
      AccessRequestView,
    );
    expect(fetched).toEqual(prod);
    const queue = ok(
      await h.call('GET', '/api/v1/requests?status=pending', { token: h.tokens.bob }),
      200,
      AccessRequestList,
    );
    expect(queue.items.map((r) => r.id)).toContain(prod.id);

    const approved = ok(
      await h.call('POST', `/api/v1/requests/${prod.id}/approve`, {
        token: h.tokens.bob,
        body: { comment: 'ok for the incident' },
      }),
      200,
      AccessRequestView,
    );
    expect(approved.status).toBe('approved');
    expect(approved.approvals).toEqual([
      expect.objectContaining({ approver: 'bob', comment: 'ok for the incident' }),
    ]);
    const grantId = approved.grantId!;
    expect(grantId).toBeTruthy();

    const getGrant = async (id: string) =>
      ok(await h.call('GET', `/api/v1/grants/${id}`, { token: h.tokens.alice }), 200, GrantView);
    const active = await waitFor(
      () => getGrant(grantId),
      (g) => g.status === 'active',
    );
    expect(active).toMatchObject({ user: 'alice', requestId: prod.id, status: 'active' });
    expect(active.actions.map((a) => a.action)).toEqual(['ec2:StopInstances']);
    await waitFor(
      () => getGrant(sandbox.grantId!),
      (g) => g.status === 'active',
    );
    const mine = ok(
      await h.call('GET', '/api/v1/grants?mine=true', { token: h.tokens.alice }),
      200,
      GrantList,
    );
    expect(mine.items.map((g) => g.id).sort()).toEqual([grantId, sandbox.grantId!].sort());

    const revoking = await h.call('POST', `/api/v1/grants/${grantId}/revoke`, {
      token: h.tokens.alice,
      body: { reason: 'done' },
    });
    expect(['revoking', 'revoked']).toContain(ok(revoking, 202, GrantView).status);
    const revoked = await waitFor(
      () => getGrant(grantId),
      (g) => g.status === 'revoked',
    );
    expect(revoked.endedAt).not.toBeNull();
    // Revoking again is a conflict, not a second revocation.
    fails(
      await h.call('POST', `/api/v1/grants/${grantId}/revoke`, { token: h.tokens.alice, body: {} }),
      409,
      'conflict',
    );
  }, 60_000);

  it('answers 401 with WWW-Authenticate for missing, malformed, forged, expired, revoked and refresh tokens', async () => {
    const path = '/api/v1/requests';
    const refused = async (headers: Record<string, string>) => {
      const reply = await h.call('GET', path, { headers });
      fails(reply, 401, 'unauthorized');
      expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer /);
      return reply;
    };
    await refused({});
    await refused({ authorization: '' });
    await refused({ authorization: `Basic ${Buffer.from('alice:alice').toString('base64')}` });
    await refused({ authorization: 'Bearer' });
    await refused({ authorization: `Bearer ${h.tokens.alice} extra` });
    await refused({ authorization: h.tokens.alice });
    await refused({ authorization: `Bearer ${forgedToken()}` });
    await refused({ authorization: `Bearer ubk_at_${randomBytes(32).toString('base64url')}` });
    await refused({ authorization: `Bearer ${h.tokens.alice.slice(0, -1)}` });
    await refused({ authorization: `Bearer ${h.tokens.alice}x` });
    // A refresh-token-shaped credential is never a bearer token for the API.
    await refused({ authorization: `Bearer ${h.tokens.alice.replace('ubk_api_', 'ubk_rt_')}` });
    // Same secret, another prefix: the prefix is part of what is hashed.
    await refused({ authorization: `Bearer ${h.tokens.alice.replace('ubk_api_', 'ubk_at_')}` });

    // Revoked as every revocation path does it: revoked_at set on its hash, and the broker
    // replicas told to forget what they accepted (their token cache).
    const revocable = await h.broker.createApiToken('alice', HOUR_MS, 'revocable');
    ok(await h.call('GET', path, { token: revocable.token }), 200, AccessRequestList);
    await h.db.transaction(async (tx) => {
      await tx.query('UPDATE tokens SET revoked_at = $2 WHERE hash = $1', [
        sha256(revocable.token),
        new Date(),
      ]);
      await announceRevocation(tx);
    });
    await waitFor(
      () => h.call('GET', path, { token: revocable.token }),
      (r) => r.status === 401,
    );
    const revoked = await refused({ authorization: `Bearer ${revocable.token}` });
    expect((revoked.json as ApiError).error.message).toMatch(/revoked/);

    // The scheme is case-insensitive (RFC 6750): a good token still works.
    ok(
      await h.call('GET', path, { headers: { authorization: `bearer ${h.tokens.alice}` } }),
      200,
      AccessRequestList,
    );

    // Expired: valid now, refused once the broker's clock passes its expiry. (Last: the clock
    // only moves forward; see the rate-limiter test below for what stepping it back does.)
    const short = await h.broker.createApiToken('alice', 60_000, 'short');
    ok(await h.call('GET', path, { token: short.token }), 200, AccessRequestList);
    h.skew.ms = 120_000;
    const expired = await refused({ authorization: `Bearer ${short.token}` });
    expect((expired.json as ApiError).error.message).toMatch(/expired/);
    ok(await h.call('GET', path, { token: h.tokens.alice }), 200, AccessRequestList);
  });

  it('answers 403 to self-approval, outsiders, auditors approving, and reading another user’s request', async () => {
    const alices = await submit(h.tokens.alice, prodStop());
    const bobs = await submit(h.tokens.bob, prodStop());

    const self = fails(
      await h.call('POST', `/api/v1/requests/${bobs.id}/approve`, { token: h.tokens.bob, body: {} }),
      403,
      'forbidden',
    );
    expect(self.error.advice?.join(' ') ?? self.error.message).toMatch(/own/i);
    fails(
      await h.call('POST', `/api/v1/requests/${alices.id}/approve`, { token: h.tokens.alice, body: {} }),
      403,
      'forbidden',
    );
    fails(
      await h.call('POST', `/api/v1/requests/${alices.id}/approve`, { token: h.tokens.erin, body: {} }),
      403,
      'forbidden',
    );
    fails(
      await h.call('POST', `/api/v1/requests/${alices.id}/approve`, { token: h.tokens.carol, body: {} }),
      403,
      'forbidden',
    );
    fails(
      await h.call('POST', `/api/v1/requests/${alices.id}/deny`, { token: h.tokens.carol, body: {} }),
      403,
      'forbidden',
    );
    fails(await h.call('GET', `/api/v1/requests/${alices.id}`, { token: h.tokens.erin }), 403, 'forbidden');
    // Still pending after all of that.
    const still = ok(
      await h.call('GET', `/api/v1/requests/${alices.id}`, { token: h.tokens.alice }),
      200,
      AccessRequestView,
    );
    expect(still.status).toBe('pending');
    expect(still.approvals).toEqual([]);
    // erin's list shows none of it.
    const erins = ok(
      await h.call('GET', '/api/v1/requests', { token: h.tokens.erin }),
      200,
      AccessRequestList,
    );
    expect(erins.items).toEqual([]);
  });

  it('serves the audit log to auditors only, as an unbroken hash chain', async () => {
    const request = await submit(h.tokens.alice, prodStop());
    ok(
      await h.call('POST', `/api/v1/requests/${request.id}/approve`, { token: h.tokens.bob, body: {} }),
      200,
      AccessRequestView,
    );
    fails(await h.call('GET', '/api/v1/audit', { token: h.tokens.alice }), 403, 'forbidden');
    fails(await h.call('GET', '/api/v1/audit', { token: h.tokens.bob }), 403, 'forbidden');

    const audit = ok(await h.call('GET', '/api/v1/audit', { token: h.tokens.carol }), 200, AuditList);
    expect(audit.items.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < audit.items.length; i++) {
      expect(audit.items[i]!.prevHash).toBe(audit.items[i - 1]!.hash);
      expect(audit.items[i]!.seq).toBeGreaterThan(audit.items[i - 1]!.seq);
    }
    expect(audit.items.map((e) => e.subject)).toContain(request.id);

    // Paging: `limit` and `after` continue the same chain.
    const first = ok(await h.call('GET', '/api/v1/audit?limit=1', { token: h.tokens.carol }), 200, AuditList);
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).not.toBeNull();
    const next = ok(
      await h.call('GET', `/api/v1/audit?limit=1&after=${first.nextCursor}`, { token: h.tokens.carol }),
      200,
      AuditList,
    );
    expect(next.items[0]!.prevHash).toBe(first.items[0]!.hash);
    invalid(await h.call('GET', '/api/v1/audit?after=-1', { token: h.tokens.carol }), 'after');
  });

  it('answers 400 naming the field for bad bodies and queries', async () => {
    const post = (payload: unknown) =>
      h.call('POST', '/api/v1/requests', { token: h.tokens.alice, body: payload });

    const bogus = invalid(await post({ ...body(), bogus: 1 }), 'bogus');
    expect(bogus.error.message).toMatch(/bogus/);
    invalid(
      await post({ ...body(), target: { cloud: 'aws', account: '111111111111', extra: 'x' } }),
      'target.extra',
    );
    invalid(await post(body({ actions: ['s3:GetObject', 'not an action'] })), 'actions.1');
    invalid(await post(body({ actions: ['not an action'] })), 'actions.0');
    invalid(await post(body({ actions: ['s3:*'] })), 'actions.0');
    invalid(await post(body({ actions: ['*'] })), 'actions.0');
    // 600 minutes is within the contract (720) but over the target's maximum (480).
    const long = invalid(await post(body({ durationMinutes: 600 })), 'durationMinutes');
    expect(long.error.message).toMatch(/480/);
    invalid(await post(body({ durationMinutes: 721 })), 'durationMinutes');
    invalid(await post(body({ target: { cloud: 'aws', account: '999999999999' } })), 'target.account');

    const notJson = await h.call('POST', '/api/v1/requests', { token: h.tokens.alice, raw: '{"target": ' });
    expect(fails(notJson, 400, 'invalid_request').error.message).toMatch(/JSON/);
    invalid(await post(body({ justification: 'needs\u0000this' })), 'justification');
    invalid(await post(null), '');
    invalid(await post([]), '');

    const get = (query: string) => h.call('GET', `/api/v1/requests${query}`, { token: h.tokens.alice });
    invalid(await get('?bogus=1'), 'bogus');
    // A route that takes no query refuses one rather than ignoring it.
    invalid(
      await h.call('POST', '/api/v1/requests?bogus=1', { token: h.tokens.alice, body: body() }),
      'bogus',
    );
    invalid(await get('?status=nope'), 'status');
    invalid(await get('?mine=yes'), 'mine');
    invalid(await get('?cursor=not-a-cursor'), 'cursor');
    invalid(await get(`?cursor=${Buffer.from('["yesterday","x"]').toString('base64url')}`), 'cursor');
    const repeated = invalid(await get('?status=pending&status=approved'), 'status');
    expect(repeated.error.message).toMatch(/more than once/);
    invalid(await h.call('GET', '/api/v1/grants?status=nope', { token: h.tokens.alice }), 'status');
    invalid(await h.call('GET', '/api/v1/grants?cursor=%%%', { token: h.tokens.alice }), 'cursor');

    // Decision bodies are strict too.
    const pending = await submit(h.tokens.alice, prodStop());
    invalid(
      await h.call('POST', `/api/v1/requests/${pending.id}/approve`, {
        token: h.tokens.bob,
        body: { approver: 'bob' },
      }),
      'approver',
    );
    invalid(
      await h.call('POST', `/api/v1/requests/${pending.id}/approve`, {
        token: h.tokens.bob,
        body: { comment: 'x'.repeat(1001) },
      }),
      'comment',
    );
    // None of that stored anything for alice beyond the one valid request.
    const list = ok(await get(''), 200, AccessRequestList);
    expect(list.items.map((r) => r.id)).toEqual([pending.id]);
  });

  it('answers 413 over 64 kB (declared or chunked) and 415 for a body that is not JSON', async () => {
    const big = JSON.stringify(body({ justification: 'x'.repeat(70 * 1024) }));
    fails(
      await h.call('POST', '/api/v1/requests', { token: h.tokens.alice, raw: big }),
      413,
      'payload_too_large',
    );

    const chunks = [big.slice(0, 30_000), big.slice(30_000, 60_000), big.slice(60_000)];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
        controller.close();
      },
    });
    fails(
      await h.call('POST', '/api/v1/requests', { token: h.tokens.alice, raw: stream }),
      413,
      'payload_too_large',
    );

    fails(
      await h.call('POST', '/api/v1/requests', {
        token: h.tokens.alice,
        raw: JSON.stringify(body()),
        headers: { 'content-type': 'text/plain' },
      }),
      415,
      'unsupported_media_type',
    );
    fails(
      await h.call('POST', '/api/v1/requests', {
        token: h.tokens.alice,
        raw: new URLSearchParams({ justification: 'x' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'unsupported_media_type',
    );
    // A charset parameter is fine.
    ok(
      await h.call('POST', '/api/v1/requests', {
        token: h.tokens.alice,
        raw: JSON.stringify(body()),
        headers: { 'content-type': 'application/json; charset=utf-8' },
      }),
      201,
      AccessRequestView,
    );
  });

  it('returns SQL- and markup-looking text byte for byte, as JSON with nosniff', async () => {
    const sql = "'); DROP TABLE grants; --";
    const markup = '<script>alert(1)</script>';
    const request = await submit(
      h.tokens.alice,
      body({ justification: `${sql} ${markup}`, resource: `arn:aws:s3:::${markup}${sql}` }),
    );
    expect(request.justification).toBe(`${sql} ${markup}`);
    expect(request.resource).toBe(`arn:aws:s3:::${markup}${sql}`);

    const reply = await h.call('GET', `/api/v1/requests/${request.id}`, { token: h.tokens.alice });
    const again = ok(reply, 200, AccessRequestView);
    expect(again.justification).toBe(`${sql} ${markup}`);
    expect(again.resource).toBe(`arn:aws:s3:::${markup}${sql}`);
    expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
    expect(reply.text).toContain(JSON.stringify(`${sql} ${markup}`));

    const sqlResource = await submit(h.tokens.alice, prodStop({ justification: markup, resource: sql }));
    expect(sqlResource).toMatchObject({ justification: markup, resource: sql });
    // The grants table is still there and still answers.
    const grant = ok(
      await h.call('GET', `/api/v1/grants/${request.grantId!}`, { token: h.tokens.alice }),
      200,
      GrantView,
    );
    expect(grant.resource).toBe(`arn:aws:s3:::${markup}${sql}`);
    ok(await h.call('GET', '/api/v1/grants', { token: h.tokens.alice }), 200, GrantList);

    // A path that looks like markup is echoed only inside JSON.
    const notFound = await h.call('GET', `/api/v1/${encodeURIComponent(markup)}`, { token: h.tokens.alice });
    fails(notFound, 404, 'not_found');
  });

  it('refuses acting on other people’s records, and a second decision', async () => {
    const bobs = await submit(h.tokens.bob, prodStop());
    fails(
      await h.call('POST', `/api/v1/requests/${bobs.id}/cancel`, { token: h.tokens.alice, body: {} }),
      403,
      'forbidden',
    );
    const erins = await submit(h.tokens.erin, body());
    expect(erins.grantId).not.toBeNull();
    fails(
      await h.call('POST', `/api/v1/grants/${erins.grantId!}/revoke`, { token: h.tokens.alice, body: {} }),
      403,
      'forbidden',
    );
    fails(
      await h.call('GET', `/api/v1/grants/${erins.grantId!}`, { token: h.tokens.alice }),
      403,
      'forbidden',
    );
    fails(
      await h.call('POST', `/api/v1/grants/${erins.grantId!}/extend`, {
        token: h.tokens.alice,
        body: { durationMinutes: 30, justification: 'mine now' },
      }),
      403,
      'forbidden',
    );

    const alices = await submit(h.tokens.alice, prodStop());
    ok(
      await h.call('POST', `/api/v1/requests/${alices.id}/approve`, { token: h.tokens.bob, body: {} }),
      200,
      AccessRequestView,
    );
    fails(
      await h.call('POST', `/api/v1/requests/${alices.id}/approve`, { token: h.tokens.dave, body: {} }),
      409,
      'conflict',
    );
    fails(
      await h.call('POST', `/api/v1/requests/${alices.id}/approve`, { token: h.tokens.bob, body: {} }),
      409,
      'conflict',
    );
    fails(
      await h.call('POST', `/api/v1/requests/${alices.id}/deny`, { token: h.tokens.dave, body: {} }),
      409,
      'conflict',
    );
    fails(
      await h.call('POST', `/api/v1/requests/${alices.id}/cancel`, { token: h.tokens.alice, body: {} }),
      409,
      'conflict',
    );
    // bob's own request: he may withdraw it; afterwards it is decided.
    const cancelled = ok(
      await h.call('POST', `/api/v1/requests/${bobs.id}/cancel`, { token: h.tokens.bob, body: {} }),
      200,
      AccessRequestView,
    );
    expect(cancelled.status).toBe('cancelled');
    fails(
      await h.call('POST', `/api/v1/requests/${bobs.id}/approve`, { token: h.tokens.dave, body: {} }),
      409,
      'conflict',
    );
  });
  it('streams a user’s own events over SSE, not other people’s, and replays after Last-Event-ID', async () => {
    const streams: EventStream[] = [];
    try {
      const alice = await EventStream.open(h.broker.url, h.tokens.alice);
      const erin = await EventStream.open(h.broker.url, h.tokens.erin);
      streams.push(alice, erin);
      expect(alice.response.headers.get('cache-control')).toBe('no-store');

      const first = await submit(h.tokens.alice, prodStop());
      const [a1] = await alice.until(isSubmitted(first.id));
      expect(eventView(a1!)).toMatchObject({ type: 'request.submitted', requestId: first.id });
      expect(await alice.retry).toBeGreaterThan(0);

      // erin submits after alice: events fan out in id order, so had alice's been visible to
      // erin it would have come first.
      const erins = await submit(h.tokens.erin, prodStop());
      const erinSaw = await erin.until(isSubmitted(erins.id));
      expect(erinSaw).toHaveLength(1);
      expect(erinSaw.map((e) => eventView(e).requestId)).not.toContain(first.id);
      // …and alice does not see erin's (her next event is her own second request).
      const second = await submit(h.tokens.alice, prodStop({ justification: 'second' }));
      const aliceSaw = await alice.until(isSubmitted(second.id));
      expect(aliceSaw.map((e) => eventView(e).requestId)).toEqual([second.id]);
      const a2 = aliceSaw[0]!;
      alice.close();

      // Reconnect after the first: only later events are replayed (the second, not the first).
      const resumed = await EventStream.open(h.broker.url, h.tokens.alice, a1!.id!);
      streams.push(resumed);
      const replayed = await resumed.until(isSubmitted(second.id));
      expect(replayed.map((e) => e.id)).toEqual([a2.id]);
      for (const e of replayed) expect(Number(e.id)).toBeGreaterThan(Number(a1!.id));
      resumed.close();

      // Reconnect after the newest: nothing is replayed; the next live event comes next.
      const caughtUp = await EventStream.open(h.broker.url, h.tokens.alice, a2.id!);
      streams.push(caughtUp);
      const third = await submit(h.tokens.alice, prodStop({ justification: 'third' }));
      const live = await caughtUp.until(isSubmitted(third.id));
      expect(live.map((e) => eventView(e).requestId)).toEqual([third.id]);

      // bob reviews production: he sees alice's requests from his approver group.
      const bob = await EventStream.open(h.broker.url, h.tokens.bob, '0');
      streams.push(bob);
      const bobSaw = await bob.until(isSubmitted(third.id));
      expect(bobSaw.map((e) => eventView(e).requestId)).toEqual([first.id, erins.id, second.id, third.id]);
    } finally {
      for (const s of streams) s.close();
    }
  });

  it('refuses the event stream without a valid token', async () => {
    fails(await h.call('GET', '/api/v1/events'), 401, 'unauthorized');
    fails(await h.call('GET', '/api/v1/events', { token: forgedToken() }), 401, 'unauthorized');
  });

  it('takes an OAuth access token from code + PKCE and serves the API with it until it is revoked', async () => {
    const shim = { url: h.broker.url } as unknown as AuthBroker;
    const { verifier, challenge } = pkce();
    const code = (await signIn(shim, 'alice', standardParams(challenge))).get('code')!;
    const tokens = await exchange(shim, code, verifier);
    expect(tokens.status).toBe(200);
    const access = tokens.body.access_token as string;
    const refresh = tokens.body.refresh_token as string;

    const created = await submit(access, body());
    expect(created.requester).toBe('alice');
    const list = ok(await h.call('GET', '/api/v1/requests', { token: access }), 200, AccessRequestList);
    expect(list.items.map((r) => r.id)).toEqual([created.id]);
    // The refresh token is for the token endpoint only.
    fails(await h.call('GET', '/api/v1/requests', { token: refresh }), 401, 'unauthorized');

    const revoked = await fetch(`${h.broker.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: access, client_id: CLI }).toString(),
    });
    expect(revoked.status).toBe(200);
    const after = await h.call('GET', '/api/v1/requests', { token: access });
    fails(after, 401, 'unauthorized');
    expect(after.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });
  it('answers hostile bodies with an ApiError and no stack trace, and keeps serving', async () => {
    const post = (raw: string) => h.call('POST', '/api/v1/requests', { token: h.tokens.alice, raw });
    const draft = JSON.stringify(prodStop({ justification: 'JUST', resource: 'RES' }));
    const hostile = [
      `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      draft.replace('"RES"', '"a\\udfffb"'),
      draft.replace('"JUST"', '"a\\ud800b"'),
      `{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}`,
      '"just a string"',
      '1e999',
    ];
    for (const raw of hostile) {
      const reply = await post(raw);
      expect(reply.text).not.toMatch(STACK_LINE);
      expect(reply.text).not.toMatch(/node_modules|server\/|\.ts:/);
      if (reply.status >= 400) {
        const parsed = ApiError.safeParse(reply.json);
        expect(parsed.success, reply.text).toBe(true);
      }
    }
    fails(await post(`{"__proto__":{"admin":true}}`), 400, 'invalid_request');
    // A well-formed surrogate pair (an emoji) is ordinary text and round-trips exactly.
    const emoji = await submit(h.tokens.alice, prodStop({ justification: 'on fire \u{1F525} now' }));
    const fetched = ok(
      await h.call('GET', `/api/v1/requests/${emoji.id}`, { token: h.tokens.alice }),
      200,
      AccessRequestView,
    );
    expect(fetched.justification).toBe('on fire \u{1F525} now');
    ok(await h.call('GET', '/healthz'), 200, Health);
  });

  // A ~10 kB body of nested arrays once overflowed a recursive scan: 500 and half a second of CPU.
  it('refuses a deeply nested body with 400, not 500', async () => {
    const raw = `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    fails(await h.call('POST', '/api/v1/requests', { token: h.tokens.alice, raw }), 400, 'invalid_request');
  });

  // A lone UTF-16 surrogate (`"\udfff"` in JSON) is refused at the edge: jsonb would reject it (500).
  it('refuses a lone surrogate in resource with 400 naming the field', async () => {
    const raw = JSON.stringify(prodStop({ resource: 'RES' })).replace('"RES"', '"a\\udfffb"');
    invalid(await h.call('POST', '/api/v1/requests', { token: h.tokens.alice, raw }), 'resource');
  });

  // …and in a text column it would be stored as U+FFFD, unlike what the 201 answered.
  it('never stores text other than what it answered with (lone surrogate)', async () => {
    const raw = JSON.stringify(prodStop({ justification: 'JUST' })).replace('"JUST"', '"a\\ud800b"');
    const reply = await h.call('POST', '/api/v1/requests', { token: h.tokens.alice, raw });
    if (reply.status === 400) return void invalid(reply, 'justification');
    const created = ok(reply, 201, AccessRequestView);
    const read = ok(
      await h.call('GET', `/api/v1/requests/${created.id}`, { token: h.tokens.alice }),
      200,
      AccessRequestView,
    );
    expect(read.justification).toBe(created.justification);
  });

  // RFC 9110 §10.2.1: Allow lists the target resource's methods, not every method the API uses.
  it('lists only the path’s methods in Allow on a 405', async () => {
    const reply = await h.call('PUT', '/healthz');
    fails(reply, 405, 'method_not_allowed');
    expect(reply.headers.get('allow')).not.toMatch(/POST/);
  });
});

forEachStore('HTTP API rate limit', (fixture) => {
  it('answers 429 with Retry-After once a user’s burst is spent', async () => {
    const base = await testConfig();
    const config = BrokerConfig.parse({ ...base, rateLimit: { perMinute: 60, burst: 5 } });
    const h = await startHarness(await fixture.migrated(), config);
    try {
      const replies = await Promise.all(
        Array.from({ length: 20 }, () => h.call('GET', '/api/v1/requests', { token: h.tokens.alice })),
      );
      const limited = replies.filter((r) => r.status === 429);
      const served = replies.filter((r) => r.status === 200);
      expect(limited.length).toBeGreaterThan(0);
      expect(served.length).toBeGreaterThan(0);
      expect(limited.length + served.length).toBe(20);
      for (const r of served) ok(r, 200, AccessRequestList);
      for (const r of limited) {
        fails(r, 429, 'rate_limited');
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      // The bucket is per user: bob is not slowed down by alice.
      ok(await h.call('GET', '/api/v1/requests', { token: h.tokens.bob }), 200, AccessRequestList);

      // Guessing tokens is limited too, per address.
      const guesses = await Promise.all(
        Array.from({ length: 20 }, () => h.call('GET', '/api/v1/requests', { token: forgedToken() })),
      );
      expect(guesses.some((r) => r.status === 429)).toBe(true);
      for (const r of guesses) {
        if (r.status === 429) fails(r, 429, 'rate_limited');
        else fails(r, 401, 'unauthorized');
      }
    } finally {
      await h.broker.close();
    }
  });

  // A wall clock stepping back (an NTP correction) must not drain buckets into a lock-out.
  it('does not lock callers out when the clock steps back', async () => {
    const h = await startHarness(await fixture.migrated());
    try {
      h.skew.ms = 120_000; // the wall clock runs two minutes fast…
      ok(await h.call('GET', '/api/v1/requests', { token: h.tokens.alice }), 200, AccessRequestList);
      h.skew.ms = 0; // …and is corrected
      // One request a minute after two minutes of quiet is far inside any limit.
      ok(await h.call('GET', '/api/v1/requests', { token: h.tokens.alice }), 200, AccessRequestList);
    } finally {
      await h.broker.close();
    }
  });
});
