/**
 * The Firefox builds' token vault (lib/extension/token-vault.ts): the secrets live in the
 * extension's IndexedDB, `storage.local` (which Firefox content scripts can read) only holds
 * token-free shadows that change with each write; a token stored the old way is moved.
 */
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { OAUTH_KEY, readSession, writeSession, type OAuthSession } from '../../lib/extension/auth-session';
import {
  idbSecretStore,
  isShadow,
  SHADOW_MARK,
  VAULT_DB_NAME,
  VAULT_STORE,
  vaultedArea,
  type SecretStore,
} from '../../lib/extension/token-vault';

const TOKEN = 'ubk_secret-api-token';
const SESSION: OAuthSession = {
  brokerUrl: 'https://unblock.example.com',
  accessToken: 'at-secret',
  refreshToken: 'rt-secret',
  expiresAt: 1_900_000_000_000,
  user: 'alice',
};

const SECRET_KEYS = {
  'unblock.apiToken': () => ({}),
  [OAUTH_KEY]: (s: unknown) => ({ brokerUrl: (s as OAuthSession).brokerUrl }),
};

/** Everything a Firefox content script could read: all of storage.local, as text. */
const localText = async () => JSON.stringify(await fakeBrowser.storage.local.get(null));

async function vaultContents(): Promise<Record<string, unknown>> {
  const db = await openDB(VAULT_DB_NAME);
  try {
    const keys = await db.getAllKeys(VAULT_STORE);
    const values = await db.getAll(VAULT_STORE);
    return Object.fromEntries(keys.map((k, i) => [k as string, values[i]]));
  } finally {
    db.close();
  }
}

let secrets: SecretStore;
let ids = 0;
const area = () =>
  vaultedArea({
    local: fakeBrowser.storage.local,
    secrets,
    secretKeys: SECRET_KEYS,
    newId: () => `id-${++ids}`,
  });

beforeEach(async () => {
  fakeBrowser.reset();
  ids = 0;
  secrets = idbSecretStore();
  // Touch the store so the database exists, then empty it (fake-indexeddb lives for the file).
  await secrets.delete('none');
  const db = await openDB(VAULT_DB_NAME);
  await db.clear(VAULT_STORE);
  db.close();
});

describe('the token vault (Firefox builds)', () => {
  it('keeps secrets in IndexedDB and only a token-free shadow in storage.local', async () => {
    const a = area();
    await a.set({ 'unblock.brokerUrl': 'http://127.0.0.1:8787', 'unblock.apiToken': TOKEN });
    expect(await a.get(['unblock.brokerUrl', 'unblock.apiToken'])).toEqual({
      'unblock.brokerUrl': 'http://127.0.0.1:8787',
      'unblock.apiToken': TOKEN,
    });
    expect(await vaultContents()).toEqual({ 'unblock.apiToken': TOKEN });
    const local = await fakeBrowser.storage.local.get(null);
    expect(local).toEqual({
      'unblock.brokerUrl': 'http://127.0.0.1:8787',
      'unblock.apiToken': { [SHADOW_MARK]: 'id-1' },
    });
    expect(await localText()).not.toContain(TOKEN);
  });

  it('shows only what a key reveals (the OAuth session’s broker URL), never its tokens', async () => {
    const a = area();
    await writeSession({ storage: a }, SESSION);
    expect(await readSession({ storage: a })).toEqual(SESSION);
    const shadow = (await fakeBrowser.storage.local.get(OAUTH_KEY))[OAUTH_KEY];
    expect(isShadow(shadow)).toBe(true);
    expect(shadow).toEqual({ brokerUrl: SESSION.brokerUrl, [SHADOW_MARK]: 'id-1' });
    expect(await localText()).not.toMatch(/at-secret|rt-secret|alice/);
  });

  it('changes the shadow on every write, so storage.onChanged still says a token changed', async () => {
    const a = area();
    const changes: Array<{ oldValue?: unknown; newValue?: unknown }> = [];
    fakeBrowser.storage.onChanged.addListener((c, areaName) => {
      if (areaName === 'local' && 'unblock.apiToken' in c) changes.push(c['unblock.apiToken']);
    });
    await a.set({ 'unblock.apiToken': 'tok-1' });
    await a.set({ 'unblock.apiToken': 'tok-2' });
    await a.remove('unblock.apiToken');
    expect(changes.map((c) => [c.oldValue ?? null, c.newValue ?? null])).toEqual([
      [null, { [SHADOW_MARK]: 'id-1' }],
      [{ [SHADOW_MARK]: 'id-1' }, { [SHADOW_MARK]: 'id-2' }],
      [{ [SHADOW_MARK]: 'id-2' }, null],
    ]);
    expect(JSON.stringify(changes)).not.toMatch(/tok-/);
    // Removed from both places.
    expect(await a.get(['unblock.apiToken'])).toEqual({});
    expect(await vaultContents()).toEqual({});
  });

  it('moves a token stored the old way into the vault the first time it is read', async () => {
    await fakeBrowser.storage.local.set({
      'unblock.brokerUrl': 'http://127.0.0.1:8787',
      'unblock.apiToken': TOKEN,
      [OAUTH_KEY]: SESSION,
    });
    const a = area();
    expect(await a.get(['unblock.apiToken'])).toEqual({ 'unblock.apiToken': TOKEN });
    // Both secrets moved at once; the broker URL stays where it was.
    expect(await vaultContents()).toEqual({ 'unblock.apiToken': TOKEN, [OAUTH_KEY]: SESSION });
    expect(await localText()).not.toMatch(/ubk_secret|at-secret|rt-secret/);
    expect((await fakeBrowser.storage.local.get('unblock.brokerUrl'))['unblock.brokerUrl']).toBe(
      'http://127.0.0.1:8787',
    );
    expect(await readSession({ storage: a })).toEqual(SESSION);
  });

  it('migrate() moves legacy secrets and leaves shadows and the vault alone', async () => {
    const a = area();
    await a.set({ 'unblock.apiToken': 'in-vault' });
    const put = vi.spyOn(secrets, 'put');
    await a.migrate();
    expect(put).not.toHaveBeenCalled();
    await fakeBrowser.storage.local.set({ [OAUTH_KEY]: SESSION });
    await a.migrate();
    expect(put).toHaveBeenCalledTimes(1);
    expect(await vaultContents()).toEqual({ 'unblock.apiToken': 'in-vault', [OAUTH_KEY]: SESSION });
    expect(await localText()).not.toMatch(/at-secret/);
  });

  it('never lets a migration overwrite a newer token written meanwhile (one lock)', async () => {
    await fakeBrowser.storage.local.set({ 'unblock.apiToken': 'old-token' });
    let queue = Promise.resolve();
    const lock = <T>(_name: string, fn: () => Promise<T>): Promise<T> => {
      const run = queue.then(fn);
      queue = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    };
    const a = vaultedArea({ local: fakeBrowser.storage.local, secrets, secretKeys: SECRET_KEYS, lock });
    const [, read] = await Promise.all([
      a.set({ 'unblock.apiToken': 'new-token' }),
      a.get(['unblock.apiToken']),
    ]);
    expect(read).toEqual({ 'unblock.apiToken': 'new-token' });
    expect(await vaultContents()).toEqual({ 'unblock.apiToken': 'new-token' });
  });
});
