/**
 * The settings and the OAuth session as a Firefox build keeps them (`import.meta.env.FIREFOX` is a
 * build-time constant, so the build choice is mocked here): the API token and the session's tokens
 * go to the IndexedDB vault, never into `storage.local`, which Firefox content scripts can read; a
 * token stored there the old way is moved on the first read or when the background starts.
 */
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { OAUTH_KEY, writeSession, type OAuthSession } from '../../lib/extension/auth-session';
import { browserAuth } from '../../lib/extension/browser-auth';
import {
  API_TOKEN_KEY,
  BROKER_URL_KEY,
  clearSettings,
  loadSettings,
  restrictSettingsAccess,
  saveSettings,
  tokenArea,
} from '../../lib/extension/settings';
import { SHADOW_MARK, VAULT_DB_NAME, VAULT_STORE } from '../../lib/extension/token-vault';
import type * as TokenVault from '../../lib/extension/token-vault';

vi.mock('../../lib/extension/token-vault', async (importOriginal) => ({
  ...(await importOriginal<typeof TokenVault>()),
  tokensNeedVault: () => true,
}));

const BROKER = 'http://127.0.0.1:8787';
const SESSION: OAuthSession = {
  brokerUrl: BROKER,
  accessToken: 'at-secret',
  refreshToken: 'rt-secret',
  expiresAt: 1_900_000_000_000,
  user: 'alice',
};

/** All of storage.local as text: what a Firefox content script could read. */
const localText = async () => JSON.stringify(await fakeBrowser.storage.local.get(null));

async function vaultKeys(): Promise<string[]> {
  const db = await openDB(VAULT_DB_NAME);
  try {
    return (await db.getAllKeys(VAULT_STORE)).map((k) => k as string).sort();
  } finally {
    db.close();
  }
}

beforeEach(async () => {
  fakeBrowser.reset();
  await tokenArea().remove([API_TOKEN_KEY, OAUTH_KEY]);
});

describe('settings in a Firefox build', () => {
  it('saves the API token in the vault, only its shadow in storage.local', async () => {
    const saved = await saveSettings({ brokerUrl: `${BROKER}/`, token: 'ubk_firefox-token' });
    expect(saved).toEqual({ ok: true, value: { brokerUrl: BROKER, token: 'ubk_firefox-token' } });
    expect(await loadSettings()).toEqual({ brokerUrl: BROKER, token: 'ubk_firefox-token' });
    expect(await vaultKeys()).toEqual([API_TOKEN_KEY]);
    const local = await fakeBrowser.storage.local.get(null);
    expect(local[BROKER_URL_KEY]).toBe(BROKER);
    expect(local[API_TOKEN_KEY]).toEqual({ [SHADOW_MARK]: expect.any(String) as unknown });
    expect(await localText()).not.toContain('ubk_firefox-token');

    // Token omitted: kept; null: removed from the vault too.
    await saveSettings({ brokerUrl: BROKER });
    expect((await loadSettings())?.token).toBe('ubk_firefox-token');
    await saveSettings({ brokerUrl: BROKER, token: null });
    expect(await loadSettings()).toEqual({ brokerUrl: BROKER, token: null });
    expect(await vaultKeys()).toEqual([]);
    await clearSettings();
    expect(await loadSettings()).toBeNull();
    expect(await fakeBrowser.storage.local.get(null)).toEqual({});
  });

  it('moves a token stored in storage.local the old way on the first read', async () => {
    await fakeBrowser.storage.local.set({ [BROKER_URL_KEY]: BROKER, [API_TOKEN_KEY]: 'ubk_old-way' });
    expect(await loadSettings()).toEqual({ brokerUrl: BROKER, token: 'ubk_old-way' });
    expect(await localText()).not.toContain('ubk_old-way');
    expect(await vaultKeys()).toEqual([API_TOKEN_KEY]);
  });

  it('moves it when the background starts, before anything reads it', async () => {
    await fakeBrowser.storage.local.set({ [API_TOKEN_KEY]: 'ubk_old-way', [OAUTH_KEY]: SESSION });
    await restrictSettingsAccess();
    expect(await localText()).not.toMatch(/ubk_old-way|at-secret|rt-secret/);
    expect(await vaultKeys()).toEqual([API_TOKEN_KEY, OAUTH_KEY].sort());
  });

  it('keeps the OAuth session of every trusted context (browserAuth) in the vault; sign-out empties it', async () => {
    await writeSession({ storage: tokenArea() }, SESSION);
    const auth = browserAuth();
    expect(await auth.session()).toEqual(SESSION);
    expect(await auth.accessToken(BROKER)).toBe('at-secret');
    expect((await fakeBrowser.storage.local.get(OAUTH_KEY))[OAUTH_KEY]).toEqual({
      brokerUrl: BROKER,
      [SHADOW_MARK]: expect.any(String) as unknown,
    });
    expect(await localText()).not.toMatch(/at-secret|rt-secret/);

    const revoke = vi.fn((..._args: unknown[]) => Promise.resolve(new Response('{}', { status: 200 })));
    vi.stubGlobal('fetch', revoke);
    try {
      await auth.signOut();
    } finally {
      vi.unstubAllGlobals();
    }
    expect(String(revoke.mock.calls[0]?.[0])).toBe(`${BROKER}/oauth/revoke`);
    expect(await auth.session()).toBeNull();
    expect(await vaultKeys()).toEqual([]);
    expect(await fakeBrowser.storage.local.get(OAUTH_KEY)).toEqual({});
  });
});
