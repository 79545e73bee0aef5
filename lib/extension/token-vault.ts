/**
 * Where the broker tokens live when `storage.local` cannot be kept from content scripts. Chrome
 * restricts it to trusted contexts (`setAccessLevel`, lib/extension/settings.ts); Firefox has no
 * access level there, and its content scripts read `storage.local` like any extension page. So in
 * the Firefox builds the secrets (the API token, the OAuth session) go to the extension's own
 * IndexedDB (`unblock-vault`): a content script's `indexedDB` is the page's, never the
 * extension's, so only the background and the extension's pages reach it (docs/extension.md,
 * "Tokens in Firefox").
 *
 * `storage.local` keeps, under each secret's key, a token-free stand-in (a "shadow": a fresh id per
 * write, plus what the key's `reveal` allows, e.g. the broker URL of an OAuth session). It changes
 * with every write, so `storage.onChanged` still tells the background that a token changed. A
 * secret still stored in `storage.local` the old way is moved into the vault the first time it is
 * read (or when the background starts), and its place in `storage.local` taken by a shadow.
 */
import { openDB, type IDBPDatabase } from 'idb';
import type { KeyValueArea } from './auth-session';

export const VAULT_DB_NAME = 'unblock-vault';
export const VAULT_DB_VERSION = 1;
export const VAULT_STORE = 'secrets';
/** The shadow's marker in `storage.local`: a fresh id per write. */
export const SHADOW_MARK = 'inVault';
const LOCK_NAME = 'unblock-vault';

/** The Firefox builds keep their tokens in the vault (a build-time constant). */
export function tokensNeedVault(): boolean {
  return import.meta.env.FIREFOX === true;
}

/** A key-value store only trusted contexts can open. */
export interface SecretStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The extension origin's IndexedDB `unblock-vault` / `secrets` (out-of-line keys). */
export function idbSecretStore(): SecretStore {
  let dbPromise: Promise<IDBPDatabase> | undefined;
  const open = () => {
    dbPromise ??= openDB(VAULT_DB_NAME, VAULT_DB_VERSION, {
      upgrade(db) {
        if (!db.objectStoreNames.contains(VAULT_STORE)) db.createObjectStore(VAULT_STORE);
      },
    }).catch((e: unknown) => {
      dbPromise = undefined;
      throw e;
    });
    return dbPromise;
  };
  return {
    async get(key): Promise<unknown> {
      return (await (await open()).get(VAULT_STORE, key)) as unknown;
    },
    async put(key, value) {
      await (await open()).put(VAULT_STORE, value, key);
    },
    async delete(key) {
      await (await open()).delete(VAULT_STORE, key);
    },
  };
}

/** What a secret's shadow may show besides its marker: nothing secret. */
export type Reveal = (value: unknown) => Record<string, unknown>;

export interface VaultOptions {
  /** `browser.storage.local`: everything but the secrets, and the secrets' shadows. */
  local: KeyValueArea;
  secrets: SecretStore;
  /** The secret keys, each with what its shadow may show. */
  secretKeys: Readonly<Record<string, Reveal>>;
  /** A cross-context mutex (Web Locks), so a migration never overwrites a newer write. */
  lock?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  newId?: () => string;
}

/** `storage.local` with the secrets kept in the vault. */
export interface VaultedArea extends KeyValueArea {
  /** Moves secrets still stored in `storage.local` the old way into the vault. */
  migrate(): Promise<void>;
}

export function isShadow(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)[SHADOW_MARK] === 'string'
  );
}

export function vaultedArea(options: VaultOptions): VaultedArea {
  const { local, secrets, secretKeys } = options;
  const lock = options.lock ?? (<T>(_name: string, fn: () => Promise<T>) => fn());
  const newId = options.newId ?? (() => crypto.randomUUID());
  const isSecret = (key: string) => Object.hasOwn(secretKeys, key);
  const shadowOf = (key: string, value: unknown) => ({ ...secretKeys[key]!(value), [SHADOW_MARK]: newId() });

  /** Writes the secrets first, then their shadows: a change event means the vault is up to date. */
  async function write(items: Record<string, unknown>): Promise<void> {
    const plain: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(items)) {
      if (!isSecret(key)) {
        plain[key] = value;
        continue;
      }
      await secrets.put(key, value);
      plain[key] = shadowOf(key, value);
    }
    if (Object.keys(plain).length) await local.set(plain);
  }

  /** The secrets `storage.local` still holds the old way (anything under a secret key but a shadow). */
  async function legacy(keys: string[]): Promise<Record<string, unknown>> {
    const stored = await local.get(keys);
    return Object.fromEntries(Object.entries(stored).filter(([, v]) => v !== undefined && !isShadow(v)));
  }

  async function migrate(keys: string[] = Object.keys(secretKeys)): Promise<void> {
    if (!Object.keys(await legacy(keys)).length) return;
    await lock(LOCK_NAME, async () => {
      // Again under the lock: another context may have migrated, or written a newer token.
      const found = await legacy(keys);
      if (Object.keys(found).length) await write(found);
    });
  }

  return {
    migrate: () => migrate(),

    async get(keys) {
      const asked = keys.filter(isSecret);
      if (asked.length) await migrate();
      const stored = await local.get(keys);
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const value = isSecret(key) ? await secrets.get(key) : stored[key];
        if (value !== undefined) out[key] = value;
      }
      return out;
    },

    set: (items) => lock(LOCK_NAME, () => write(items)),

    remove: (keys) =>
      lock(LOCK_NAME, async () => {
        const all = typeof keys === 'string' ? [keys] : keys;
        for (const key of all.filter(isSecret)) await secrets.delete(key);
        await local.remove(all);
      }),
  };
}
