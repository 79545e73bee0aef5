/**
 * The background's live port: who may connect, the event stream it holds while someone does, and
 * an event waking a followed request. The request flow's back-off timers are fake and never
 * advanced here, so a poll after an event can only come from the event.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import background from '../../entrypoints/background';
import type { AccessRequestView, GrantView } from '../../lib/contract/api';
import { closeDrafts, trackedStore } from '../../lib/background/drafts';
import { LIVE_PORT } from '../../lib/messaging/messages';
import { API_TOKEN_KEY, BROKER_URL_KEY } from '../../lib/extension/settings';
import { grantView, json, requestView, resetBackgroundState } from './ext-broker-fixtures';
import { fakePort, onConnect, type FakePort } from './setup-fake-ports';

const BROKER = 'http://127.0.0.1:8787';
const PAGE = 'https://console.aws.amazon.com/ec2/home?region=us-east-1';
const SIGN_IN = 'https://signin.aws.amazon.com/federation?Action=login&SigninToken=secret';
const TOKEN = 'ubk_test-token';
const popup = () => ({ id: fakeBrowser.runtime.id, url: fakeBrowser.runtime.getURL('/popup.html') });
const banner = (url = PAGE) => ({ id: fakeBrowser.runtime.id, url, frameId: 0, tab: { id: 7, url } });

interface Stream {
  init: RequestInit;
  push(text: string): void;
}

let broker: { request: AccessRequestView; grant: GrantView };
let streams: Stream[];
let calls: string[];
let tabs: {
  sendMessage: ReturnType<typeof vi.fn>;
  update: ReturnType<typeof vi.fn>;
  get: ReturnType<typeof vi.fn>;
};

function route(url: string, init: RequestInit): Promise<Response> {
  const path = url.slice(BROKER.length);
  calls.push(`${init.method ?? 'GET'} ${path}`);
  if (path === '/api/v1/events') {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => (controller = c) });
    // As fetch does: an abort errors the body.
    init.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
    streams.push({ init, push: (text) => controller.enqueue(new TextEncoder().encode(text)) });
    return Promise.resolve(
      new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } }),
    );
  }
  if (path === '/api/v1/requests/req_1') return Promise.resolve(json(200, broker.request));
  if (path === '/api/v1/grants/grt_1') return Promise.resolve(json(200, broker.grant));
  if (path === '/api/v1/grants/grt_1/landing')
    return Promise.resolve(json(200, { kind: 'url', url: SIGN_IN, expiresAt: '2026-03-02T10:16:00.000Z' }));
  return Promise.resolve(json(404, { error: { code: 'not_found', message: 'not in this test' } }));
}

/**
 * Runs real tasks (IndexedDB, fetch bodies) until `cond` holds. Of the fake timers only those due
 * now (0 ms) fire: the clock never moves, so no back-off or retry timer ever does.
 */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return;
    vi.advanceTimersByTime(0);
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}\ncalls: ${calls.join(', ')}`);
}

const count = (call: string) => calls.filter((c) => c === call).length;

function sse(id: string, type: string, requestId: string): string {
  const data = { id, type, at: '2026-03-02T10:05:00.000Z', requestId };
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

function connect(name: string, sender: FakePort['sender']): FakePort {
  const port = fakePort(name, sender);
  onConnect.trigger(port);
  return port;
}

beforeEach(async () => {
  await resetBackgroundState();
  // Timers only: IndexedDB (setImmediate) and the clock stay real.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  broker = { request: requestView(), grant: grantView() };
  streams = [];
  calls = [];
  vi.stubGlobal('fetch', vi.fn(route));
  tabs = {
    sendMessage: vi.fn().mockResolvedValue(undefined),
    update: vi.fn().mockResolvedValue({}),
    get: vi.fn().mockResolvedValue({ id: 7, url: PAGE }),
  };
  Object.assign(fakeBrowser.tabs, tabs);
  await fakeBrowser.storage.local.set({ [BROKER_URL_KEY]: BROKER, [API_TOKEN_KEY]: TOKEN });
});
afterEach(() => {
  closeDrafts();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('background live port', () => {
  it('while a page is connected, an event about a followed request polls it at once and lands the tab', async () => {
    const now = new Date().toISOString();
    await trackedStore.put({
      requestId: 'req_1',
      draftId: 'draft-1',
      tabId: 7,
      frameId: 0,
      pageUrl: PAGE,
      createdAt: now,
      updatedAt: now,
      phase: 'request',
      grantId: null,
    });
    background.main();
    // The new worker resumes following: one poll, then a back-off timer (which never fires here).
    await until(() => count('GET /api/v1/requests/req_1') === 1, 'the first poll');
    expect(streams).toHaveLength(0);

    connect(LIVE_PORT, popup());
    await until(() => streams.length === 1, 'the event stream');
    const headers = streams[0]!.init.headers as Record<string, string>;
    expect(headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(headers.Accept).toBe('text/event-stream');
    // A fresh stream has nothing to resume from: the followed request is asked about once.
    await until(() => count('GET /api/v1/requests/req_1') === 2, 'the catch-up poll');
    expect(tabs.sendMessage).toHaveBeenCalled(); // waiting for approval

    // Bob approves, the grant is active: the event alone brings the landing.
    broker.request = requestView({ status: 'approved', grantId: 'grt_1' });
    broker.grant = grantView({ status: 'active' });
    streams[0]!.push(sse('42', 'request.approved', 'req_1'));
    await until(() => tabs.update.mock.calls.length > 0, 'the landing');
    expect(tabs.update).toHaveBeenCalledWith(7, { url: SIGN_IN });
    expect(count('GET /api/v1/requests/req_1')).toBe(3);
  });

  it('holds one stream for any number of ports, and drops it when the last one goes', async () => {
    background.main();
    const a = connect(LIVE_PORT, popup());
    const b = connect(LIVE_PORT, banner());
    await until(() => streams.length === 1, 'the event stream');
    const signal = streams[0]!.init.signal!;
    // Heartbeats and anything else on the port change nothing.
    a.onMessage.trigger({ type: 'heartbeat' });
    a.onMessage.trigger({ type: 'save-draft', request: {} });
    b.onMessage.trigger('garbage');
    a.onDisconnect.trigger();
    expect(signal.aborted).toBe(false);
    b.onDisconnect.trigger();
    expect(signal.aborted).toBe(true);
    expect(streams).toHaveLength(1);
    expect(a.disconnect).not.toHaveBeenCalled();
  });

  it('refuses ports from anywhere else, and ignores ports with other names', async () => {
    background.main();
    const fromWeb = connect(LIVE_PORT, banner('https://evil.example/'));
    const fromOther = connect(LIVE_PORT, { ...popup(), id: 'other-extension' });
    const noSender = connect(LIVE_PORT, undefined);
    const otherName = connect('something-else', popup());
    await until(() => fromWeb.disconnect.mock.calls.length > 0, 'the refusal');
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(fromWeb.disconnect).toHaveBeenCalled();
    expect(fromOther.disconnect).toHaveBeenCalled();
    expect(noSender.disconnect).toHaveBeenCalled();
    expect(otherName.disconnect).not.toHaveBeenCalled();
    expect(streams).toHaveLength(0);
    expect(calls).toEqual([]);
  });

  it('opens a fresh stream when the broker settings change', async () => {
    background.main();
    connect(LIVE_PORT, popup());
    await until(() => streams.length === 1, 'the event stream');
    await fakeBrowser.storage.local.set({ [API_TOKEN_KEY]: 'ubk_other-token' });
    await until(() => streams.length === 2, 'a new stream');
    expect(streams[0]!.init.signal!.aborted).toBe(true);
    expect((streams[1]!.init.headers as Record<string, string>).Authorization).toBe('Bearer ubk_other-token');
  });
});
