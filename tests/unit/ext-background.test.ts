import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import background from '../../entrypoints/background';
import {
  closeDrafts,
  DB_NAME,
  DRAFTS_STORE,
  listDrafts,
  type DraftRecord,
} from '../../lib/background/drafts';
import { resetBackgroundState } from './ext-broker-fixtures';
import { handleMessage, type HandlerDeps } from '../../lib/background/handle-message';
import type { NewAccessRequest } from '../../lib/contract/request';

const request = (): NewAccessRequest => ({
  target: { cloud: 'gcp', account: 'my-project' },
  actions: ['compute.instances.start'],
  resource: '//compute.googleapis.com/projects/my-project/zones/us-central1-a/instances/vm-1',
  durationMinutes: 240,
  justification: 'Restart the batch VM for INC-42',
  denial: {
    excerpt: "Permission 'compute.instances.start' denied",
    denyKind: 'gcp-iam',
    encodedMessage: null,
  },
  pageUrl: 'https://console.cloud.google.com/compute/instances?project=my-project',
});

const consoleSender = {
  id: fakeBrowser.runtime.id,
  url: 'https://console.cloud.google.com/compute/instances?project=my-project',
  frameId: 0,
  tab: { id: 7, url: 'https://console.cloud.google.com/compute/instances?project=my-project' },
};

/** Portable trigger (stack-notes §7): resolves with what the listener passed to sendResponse. */
function send(msg: unknown, sender: object = consoleSender): Promise<unknown> {
  return new Promise((resolve) => {
    void (
      fakeBrowser.runtime.onMessage as unknown as { trigger(...args: unknown[]): Promise<unknown> }
    ).trigger(msg, sender, resolve);
  });
}

/** Read the store the way another component (or the e2e test) would: by name, not through lib/background/drafts.ts. */
async function readAll(): Promise<DraftRecord[]> {
  const db = await openDB(DB_NAME);
  const all = db.objectStoreNames.contains(DRAFTS_STORE)
    ? ((await db.getAll(DRAFTS_STORE)) as DraftRecord[])
    : [];
  db.close();
  return all;
}

beforeEach(async () => {
  await resetBackgroundState();
});
afterEach(() => closeDrafts());

describe('background', () => {
  it('save-draft stores the request in IndexedDB unblock/drafts and answers with its id', async () => {
    background.main();
    const reply = (await send({ type: 'save-draft', request: request() })) as { ok: boolean; id: string };
    expect(reply.ok).toBe(true);
    const rows = await readAll();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: reply.id, status: 'draft', request: request() });
    expect(new Date(rows[0]!.createdAt).toISOString()).toBe(rows[0]!.createdAt);
    expect(await listDrafts()).toHaveLength(1);
  });

  it('rejects an invalid request without storing anything', async () => {
    background.main();
    const reply = await send({ type: 'save-draft', request: { ...request(), justification: '' } });
    expect(reply).toEqual({ ok: false, error: expect.stringMatching(/^justification:/) as unknown });
    expect(await readAll()).toHaveLength(0);
  });

  it('rejects messages from other extensions or from non-console pages', async () => {
    background.main();
    expect(
      await send({ type: 'save-draft', request: request() }, { ...consoleSender, id: 'someone-else' }),
    ).toMatchObject({
      ok: false,
    });
    expect(
      await send(
        { type: 'save-draft', request: request() },
        { ...consoleSender, url: 'https://evil.example/' },
      ),
    ).toMatchObject({ ok: false, error: expect.stringMatching(/console/) as unknown });
    expect(await send({ type: 'save-draft', request: request() }, { id: consoleSender.id })).toMatchObject({
      ok: false,
    });
    expect(await readAll()).toHaveLength(0);
  });

  it('load-ui injects the banner chunk into the sender frame', async () => {
    const executeScript = vi.fn().mockResolvedValue([]);
    (fakeBrowser as unknown as { scripting: { executeScript: unknown } }).scripting.executeScript =
      executeScript;
    background.main();
    expect(await send({ type: 'load-ui' }, { ...consoleSender, frameId: 3 })).toEqual({ ok: true });
    expect(executeScript).toHaveBeenCalledWith({
      target: { tabId: 7, frameIds: [3] },
      files: ['/banner.js'],
    });
  });
});

describe('handleMessage', () => {
  it('reports a storage failure as {ok:false}', async () => {
    const deps: HandlerDeps = {
      runtimeId: 'me',
      injectBanner: vi.fn(),
      saveDraft: vi.fn().mockRejectedValue(new Error('QuotaExceededError')),
    };
    const reply = await handleMessage(
      { type: 'save-draft', request: request() },
      { ...consoleSender, id: 'me' },
      deps,
    );
    expect(reply).toEqual({ ok: false, error: 'QuotaExceededError' });
  });
});

describe('handleMessage: denial-seen', () => {
  const seen = {
    type: 'denial-seen',
    cloud: 'gcp',
    account: 'my-project',
    actions: ['compute.instances.start'],
    sinceLoadMs: 812,
  };
  const adopted = {
    draftId: 'd1',
    progress: { status: 'propagating', requestId: 'r1', message: 'Access is propagating', retryAt: null },
  } as const;

  function depsWith(
    denialSeen = vi.fn().mockResolvedValue(adopted),
  ): HandlerDeps & { seen: typeof denialSeen } {
    return { runtimeId: 'me', injectBanner: vi.fn(), saveDraft: vi.fn(), denialSeen, seen: denialSeen };
  }

  it('asks the flow about the sender’s own tab and frame, and answers with what it adopted', async () => {
    const deps = depsWith();
    const reply = await handleMessage(seen, { ...consoleSender, id: 'me', frameId: 0 }, deps);
    expect(reply).toEqual({ ok: true, adopted });
    expect(deps.seen).toHaveBeenCalledWith(
      { tabId: 7, frameId: 0 },
      { cloud: 'gcp', account: 'my-project', actions: ['compute.instances.start'], sinceLoadMs: 812 },
    );
    expect(
      await handleMessage(seen, { ...consoleSender, id: 'me' }, depsWith(vi.fn().mockResolvedValue(null))),
    ).toEqual({ ok: true, adopted: null });
  });

  it('refuses other senders and malformed messages without asking the flow', async () => {
    const deps = depsWith();
    for (const sender of [
      { ...consoleSender, id: 'someone-else' },
      {
        ...consoleSender,
        id: 'me',
        url: 'https://evil.example/',
        tab: { id: 7, url: 'https://evil.example/' },
      },
      { id: 'me', url: consoleSender.url },
    ]) {
      expect(await handleMessage(seen, sender, deps)).toMatchObject({ ok: false });
    }
    for (const bad of [
      { ...seen, sinceLoadMs: -1 },
      { ...seen, cloud: 'oracle' },
      { ...seen, actions: Array.from({ length: 21 }, (_, i) => `compute.instances.a${i}`) },
      { ...seen, grantToken: 'x' },
    ]) {
      expect(await handleMessage(bad, { ...consoleSender, id: 'me' }, deps)).toMatchObject({ ok: false });
    }
    expect(deps.seen).not.toHaveBeenCalled();
  });
});

describe('drafts store', () => {
  it('adds its store when someone else created the database first', async () => {
    const other = await openDB(DB_NAME); // version 1, no stores
    other.close();
    background.main();
    const reply = (await send({ type: 'save-draft', request: request() })) as { ok: boolean };
    expect(reply.ok).toBe(true);
    expect(await listDrafts()).toHaveLength(1);
  });
});
