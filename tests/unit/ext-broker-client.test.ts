import { describe, expect, it, vi } from 'vitest';
import { createBrokerClient, normalizeBaseUrl } from '../../lib/extension/broker-client';
import { BrokerError } from '../../lib/extension/broker-error';
import { sseParser } from '../../lib/extension/broker-events';
import { grantView, json, newRequest, requestView } from './ext-broker-fixtures';

const TOKEN = 'ubk_secret-token-value';

function client(
  fetchImpl: (url: string, init: RequestInit) => Promise<Response>,
  token: string | null = TOKEN,
) {
  const fetch = vi.fn(fetchImpl);
  return {
    fetch,
    c: createBrokerClient({
      baseUrl: 'http://127.0.0.1:8787/',
      getToken: () => Promise.resolve(token),
      fetch: fetch as unknown as typeof globalThis.fetch,
      timeoutMs: 50,
    }),
  };
}

async function caught(p: Promise<unknown>): Promise<BrokerError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BrokerError);
    return e as BrokerError;
  }
  throw new Error('expected a BrokerError');
}

describe('broker client', () => {
  it('POSTs the request with the bearer token and returns the validated view', async () => {
    const { c, fetch } = client(() => Promise.resolve(json(201, requestView())));
    const view = await c.submitRequest(newRequest());
    expect(view.id).toBe('req_1');
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('http://127.0.0.1:8787/api/v1/requests');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>).Authorization).toBe(`Bearer ${TOKEN}`);
    expect(init.redirect).toBe('error');
    expect(init.credentials).toBe('omit');
    expect(JSON.parse(init.body as string)).toEqual(newRequest());
  });

  it('reads requests and grants and asks for the landing with the destination', async () => {
    const landing = {
      kind: 'url',
      url: 'https://signin.aws.amazon.com/federation?x',
      expiresAt: '2026-03-02T10:16:00.000Z',
    };
    const { c, fetch } = client((url) =>
      Promise.resolve(
        url.endsWith('/landing')
          ? json(200, landing)
          : url.includes('/grants/')
            ? json(200, grantView({ status: 'active' }))
            : json(
                200,
                requestView({
                  denials: [{ approver: 'bob', at: '2026-03-02T10:05:00.000Z', comment: 'no' }],
                }),
              ),
      ),
    );
    expect((await c.getRequest('req 1')).denials?.[0]?.comment).toBe('no');
    expect((await c.getGrant('grt_1')).status).toBe('active');
    expect(await c.landing('grt_1', 'https://console.aws.amazon.com/ec2/home')).toEqual(landing);
    expect(fetch.mock.calls.map(([u]) => u)).toEqual([
      'http://127.0.0.1:8787/api/v1/requests/req%201',
      'http://127.0.0.1:8787/api/v1/grants/grt_1',
      'http://127.0.0.1:8787/api/v1/grants/grt_1/landing',
    ]);
    expect(JSON.parse(fetch.mock.calls[2]![1].body as string)).toEqual({
      destination: 'https://console.aws.amazon.com/ec2/home',
    });
  });

  it('refuses a response that does not match the contract, and reports what was wrong', async () => {
    const { c } = client(() => Promise.resolve(json(201, { ...requestView(), status: 'maybe' })));
    const e = await caught(c.submitRequest(newRequest()));
    expect(e.code).toBe('invalid_response');
    expect(e.message).toMatch(/status/);
    const { c: c2 } = client(() => Promise.resolve(new Response('<html>hi</html>', { status: 200 })));
    expect((await caught(c2.getGrant('g'))).code).toBe('invalid_response');
    const { c: c3 } = client(() => Promise.resolve(json(200, { kind: 'url', url: 'x' })));
    expect((await caught(c3.landing('g', null))).code).toBe('invalid_response');
  });

  it('surfaces API errors with code, message, fields and advice', async () => {
    const { c } = client(() =>
      Promise.resolve(
        json(400, {
          error: {
            code: 'invalid_request',
            message: 'durationMinutes: at most 60 minutes on production',
            fields: [
              { path: 'durationMinutes', message: 'durationMinutes: at most 60 minutes on production' },
            ],
          },
        }),
      ),
    );
    const e = await caught(c.submitRequest(newRequest()));
    expect(e).toMatchObject({
      code: 'invalid_request',
      status: 400,
      message: 'durationMinutes: at most 60 minutes on production',
    });
    expect(e.fields).toEqual([
      { path: 'durationMinutes', message: 'durationMinutes: at most 60 minutes on production' },
    ]);
    expect(e.retryable).toBe(false);

    const { c: c2 } = client(() =>
      Promise.resolve(
        json(403, { error: { code: 'forbidden', message: 'not yours', advice: ['ask the owner'] } }),
      ),
    );
    expect(await caught(c2.getRequest('r'))).toMatchObject({ code: 'forbidden', advice: ['ask the owner'] });

    // A proxy's error page: the status decides.
    const { c: c3 } = client(() => Promise.resolve(new Response('Bad gateway', { status: 502 })));
    const e3 = await caught(c3.getRequest('r'));
    expect(e3).toMatchObject({ code: 'internal', status: 502 });
    expect(e3.retryable).toBe(true);
    const { c: c4 } = client(() => Promise.resolve(new Response('', { status: 401 })));
    expect((await caught(c4.getRequest('r'))).code).toBe('unauthorized');
  });

  it('reports network failures and timeouts as unreachable, without the token', async () => {
    const { c } = client(() => Promise.reject(new TypeError('Failed to fetch')));
    const e = await caught(c.getRequest('r'));
    expect(e.code).toBe('unreachable');
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/Failed to fetch/);
    expect(e.message).not.toContain(TOKEN);

    const { c: slow } = client(
      (_url, init) =>
        new Promise((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
    );
    const t = await caught(slow.getGrant('g'));
    expect(t.code).toBe('unreachable');
    expect(t.message).toMatch(/in time/);
  });

  it('does not call the broker without a token', async () => {
    const { c, fetch } = client(() => Promise.resolve(json(200, {})), null);
    expect((await caught(c.getRequest('r'))).code).toBe('not_signed_in');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('never logs', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => undefined),
    );
    const { c } = client(() => Promise.reject(new Error('boom')));
    await caught(c.getRequest('r'));
    const { c: c2 } = client(() => Promise.resolve(json(201, requestView())));
    await c2.submitRequest(newRequest());
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('calls every popup and sidebar route with the right method, path and body', async () => {
    const me = { user: 'bob', displayName: 'Bob', groups: ['approvers'], approver: true, auditor: false };
    const audit = {
      items: [
        {
          seq: 5,
          at: '2026-03-02T10:00:00.000Z',
          actor: 'bob',
          type: 'request.approved',
          subject: 'req_1',
          details: {},
          prevHash: 'a',
          hash: 'b',
        },
      ],
      nextCursor: null,
    };
    const preview = {
      provisioner: 'aws',
      summary: 'a session policy',
      sessionPolicy: { Version: '2012-10-17' },
    };
    const { c, fetch } = client((url, init) => {
      const path = url.replace('http://127.0.0.1:8787/api/v1', '');
      if (path === '/me') return Promise.resolve(json(200, me));
      if (path.startsWith('/requests?') || path === '/requests')
        return Promise.resolve(json(200, { items: [requestView()], nextCursor: null }));
      if (path.startsWith('/grants?') || path === '/grants')
        return Promise.resolve(json(200, { items: [grantView()], nextCursor: null }));
      if (path.endsWith('/preview')) return Promise.resolve(json(200, preview));
      if (path.endsWith('/activity')) return Promise.resolve(json(200, { items: [] }));
      if (path.startsWith('/audit')) return Promise.resolve(json(200, audit));
      if (path.endsWith('/revoke')) return Promise.resolve(json(202, grantView({ status: 'revoking' })));
      if (path.endsWith('/extend'))
        return Promise.resolve(json(201, requestView({ linkedGrantId: 'grt_1' })));
      expect(init.method).toBe('POST');
      return Promise.resolve(json(200, requestView({ status: 'approved' })));
    });
    expect(await c.me()).toEqual(me);
    expect((await c.listRequests({ status: 'pending' })).items).toHaveLength(1);
    await c.listRequests();
    expect((await c.listGrants({ mine: 'true', status: 'active' })).items[0]?.id).toBe('grt_1');
    await c.listGrants();
    expect((await c.approve('req/1', '  fine  ')).status).toBe('approved');
    await c.deny('req_1', 'not now');
    await c.approve('req_1');
    await c.cancel('req_1');
    expect((await c.extendGrant('grt_1', { durationMinutes: 60, justification: 'more' })).linkedGrantId).toBe(
      'grt_1',
    );
    expect((await c.revokeGrant('grt_1', 'done')).status).toBe('revoking');
    await c.revokeGrant('grt_1');
    expect((await c.preview('req_1')).sessionPolicy).toEqual({ Version: '2012-10-17' });
    expect((await c.activity('grt_1')).items).toEqual([]);
    expect((await c.audit({ after: 4, limit: 20 })).items[0]?.seq).toBe(5);
    await c.audit();
    const calls = fetch.mock.calls.map(([u, init]) => [
      init.method,
      u.replace('http://127.0.0.1:8787/api/v1', ''),
      init.body === undefined ? undefined : (JSON.parse(init.body as string) as unknown),
    ]);
    expect(calls).toEqual([
      ['GET', '/me', undefined],
      ['GET', '/requests?status=pending', undefined],
      ['GET', '/requests', undefined],
      ['GET', '/grants?mine=true&status=active', undefined],
      ['GET', '/grants', undefined],
      ['POST', '/requests/req%2F1/approve', { comment: 'fine' }],
      ['POST', '/requests/req_1/deny', { comment: 'not now' }],
      ['POST', '/requests/req_1/approve', {}],
      ['POST', '/requests/req_1/cancel', {}],
      ['POST', '/grants/grt_1/extend', { durationMinutes: 60, justification: 'more' }],
      ['POST', '/grants/grt_1/revoke', { reason: 'done' }],
      ['POST', '/grants/grt_1/revoke', {}],
      ['GET', '/requests/req_1/preview', undefined],
      ['GET', '/grants/grt_1/activity', undefined],
      ['GET', '/audit?after=4&limit=20', undefined],
      ['GET', '/audit', undefined],
    ]);
  });

  it('validates the new views too', async () => {
    const { c } = client(() => Promise.resolve(json(200, { user: 'bob', approver: 'yes' })));
    expect((await caught(c.me())).code).toBe('invalid_response');
    const { c: c2 } = client(() => Promise.resolve(json(200, { items: [{ seq: 'x' }], nextCursor: null })));
    expect((await caught(c2.audit())).code).toBe('invalid_response');
    const { c: c3 } = client(() =>
      Promise.resolve(
        json(403, { error: { code: 'forbidden', message: 'you cannot approve your own request' } }),
      ),
    );
    expect(await caught(c3.approve('req_1'))).toMatchObject({
      code: 'forbidden',
      message: 'you cannot approve your own request',
    });
  });

  it('parses Server-Sent Events split across chunks, skipping comments and retry', () => {
    const got: unknown[] = [];
    const feed = sseParser((m) => got.push(m));
    feed('retry: 3000\n\n: keep-alive\n\nid: 4');
    feed('2\nevent: grant.active\ndata: {"a":');
    feed('1}\n\nevent: resync\r\ndata: {"reason":"replay-truncated"}\r\n\r\n');
    expect(got).toEqual([
      { id: '42', event: 'grant.active', data: '{"a":1}' },
      { id: null, event: 'resync', data: '{"reason":"replay-truncated"}' },
    ]);
  });

  it('streams events with the token in Authorization and Last-Event-ID, validating each one', async () => {
    const event = { id: '43', type: 'request.submitted', at: '2026-03-02T10:00:00.000Z', requestId: 'req_1' };
    const body = [
      'retry: 3000\n\n',
      `id: 43\nevent: request.submitted\ndata: ${JSON.stringify(event)}\n\n`,
      'id: 44\nevent: bogus\ndata: {"id":"44","type":"nope"}\n\n',
      'event: resync\ndata: {"reason":"replay-truncated"}\n\n',
    ].join('');
    const { c, fetch } = client(() =>
      Promise.resolve(new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } })),
    );
    const onEvent = vi.fn();
    const onResync = vi.fn();
    const onOpen = vi.fn();
    await c.streamEvents({ lastEventId: '42', onEvent, onResync, onOpen });
    expect(onOpen).toHaveBeenCalledTimes(1);
    expect(onEvent.mock.calls).toEqual([[event]]);
    expect(onResync).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('http://127.0.0.1:8787/api/v1/events');
    expect(init.headers).toMatchObject({ Authorization: `Bearer ${TOKEN}`, 'Last-Event-ID': '42' });
    expect(url).not.toContain(TOKEN);

    const { c: c2 } = client(() =>
      Promise.resolve(json(401, { error: { code: 'unauthorized', message: 'bad token' } })),
    );
    expect((await caught(c2.streamEvents({ onEvent }))).code).toBe('unauthorized');
  });

  it('normalises the base URL', () => {
    expect(normalizeBaseUrl('https://b.example.com/unblock/api/v1/')).toBe('https://b.example.com/unblock');
    expect(normalizeBaseUrl(' http://127.0.0.1:8787 ')).toBe('http://127.0.0.1:8787');
  });
});
