import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import background from '../../entrypoints/background';
import { closeDrafts, listDrafts, trackedStore } from '../../lib/background/drafts';
import { API_TOKEN_KEY, BROKER_URL_KEY } from '../../lib/extension/settings';
import { grantView, json, newRequest, requestView, resetBackgroundState } from './ext-broker-fixtures';

const PAGE = 'https://console.aws.amazon.com/ec2/home?region=us-east-1';
const SIGN_IN = 'https://signin.aws.amazon.com/federation?Action=login&SigninToken=secret';
const TOKEN = 'ubk_test-token';
const sender = { id: fakeBrowser.runtime.id, url: PAGE, frameId: 0, tab: { id: 7, url: PAGE } };

function send(msg: unknown, from: object = sender): Promise<unknown> {
  return new Promise((resolve) => {
    void (
      fakeBrowser.runtime.onMessage as unknown as { trigger(...args: unknown[]): Promise<unknown> }
    ).trigger(msg, from, resolve);
  });
}

let fetchMock: ReturnType<typeof vi.fn>;
let tabs: {
  sendMessage: ReturnType<typeof vi.fn>;
  update: ReturnType<typeof vi.fn>;
  get: ReturnType<typeof vi.fn>;
};

beforeEach(async () => {
  await resetBackgroundState();
  // Auto-approved, provisioned at once: the flow lands without waiting for a poll.
  fetchMock = vi.fn((url: string) =>
    Promise.resolve(
      url.endsWith('/requests')
        ? json(201, requestView({ status: 'approved', grantId: 'grt_1' }))
        : url.endsWith('/landing')
          ? json(200, { kind: 'url', url: SIGN_IN, expiresAt: '2026-03-02T10:16:00.000Z' })
          : json(200, grantView({ status: 'active' })),
    ),
  );
  vi.stubGlobal('fetch', fetchMock);
  tabs = {
    sendMessage: vi.fn().mockResolvedValue(undefined),
    update: vi.fn().mockResolvedValue({}),
    get: vi.fn().mockResolvedValue({ id: 7, url: PAGE }),
  };
  Object.assign(fakeBrowser.tabs, tabs);
});
afterEach(() => {
  closeDrafts();
  vi.unstubAllGlobals();
});

describe('background with a broker configured', () => {
  it('saves the draft, files it with the token, and signs the denied tab in', async () => {
    await fakeBrowser.storage.local.set({
      [BROKER_URL_KEY]: 'http://127.0.0.1:8787',
      [API_TOKEN_KEY]: TOKEN,
    });
    background.main();
    const reply = (await send({ type: 'save-draft', request: newRequest() })) as {
      ok: boolean;
      id: string;
      broker: boolean;
    };
    expect(reply).toMatchObject({ ok: true, broker: true });
    expect(await listDrafts()).toHaveLength(1);
    await vi.waitFor(() => expect(tabs.update).toHaveBeenCalledWith(7, { url: SIGN_IN }));
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe('http://127.0.0.1:8787/api/v1/requests');
    expect((init.headers as Record<string, string>).Authorization).toBe(`Bearer ${TOKEN}`);
    // Progress went to the sender's frame, keyed by the draft, with no token and no URL.
    const sent = tabs.sendMessage.mock.calls as Array<
      [number, { type: string; draftId: string }, { frameId: number }]
    >;
    expect(sent.length).toBeGreaterThan(0);
    for (const [tabId, msg, opts] of sent) {
      expect(tabId).toBe(7);
      expect(opts).toEqual({ frameId: 0 });
      expect(msg).toMatchObject({ type: 'request-progress', draftId: reply.id });
    }
    expect(JSON.stringify(sent)).not.toContain(TOKEN);
    expect(JSON.stringify(sent)).not.toContain('SigninToken');
    await vi.waitFor(async () =>
      expect(await trackedStore.list()).toMatchObject([{ phase: 'done', tabId: 7 }]),
    );
  });

  it('files nothing for messages that are not from our banner on a console page', async () => {
    await fakeBrowser.storage.local.set({
      [BROKER_URL_KEY]: 'http://127.0.0.1:8787',
      [API_TOKEN_KEY]: TOKEN,
    });
    background.main();
    expect(
      await send({ type: 'save-draft', request: newRequest() }, { ...sender, id: 'other' }),
    ).toMatchObject({ ok: false });
    expect(
      await send(
        { type: 'save-draft', request: newRequest() },
        { ...sender, url: 'https://evil.example/', tab: { id: 7, url: 'https://evil.example/' } },
      ),
    ).toMatchObject({ ok: false });
    expect(
      await send({
        type: 'request-progress',
        draftId: 'x',
        progress: { status: 'submitted', requestId: 'r' },
      }),
    ).toMatchObject({
      ok: false,
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('background without a broker', () => {
  it('only saves the draft, as before', async () => {
    background.main();
    const reply = await send({ type: 'save-draft', request: newRequest() });
    expect(reply).toMatchObject({ ok: true, broker: false });
    await new Promise((r) => setTimeout(r, 20));
    expect(fetchMock).not.toHaveBeenCalled();
    expect(await listDrafts()).toHaveLength(1);
  });
});
