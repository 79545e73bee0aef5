/**
 * The popup's and sidebar's IndexedDB cache (`unblock-cache`, separate from the background's
 * `unblock` database in `lib/background/drafts.ts`): the last views the broker sent, so a page renders at
 * once and then refreshes. Best effort: a failing database is a cache miss, never an error.
 *
 * Only broker views are kept (never the token). They are validated again when read, so a stale
 * entry from an older version is a miss rather than a crash.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type * as z from 'zod/mini';

export const CACHE_DB_NAME = 'unblock-cache';
export const CACHE_DB_VERSION = 1;
export const SNAPSHOTS_STORE = 'snapshots';

export interface Snapshot<T> {
  /** ISO 8601: when the broker sent it. */
  savedAt: string;
  data: T;
}

interface StoredSnapshot {
  key: string;
  savedAt: string;
  data: unknown;
}

interface CacheDB extends DBSchema {
  snapshots: { key: string; value: StoredSnapshot };
}

export interface SnapshotCache {
  get<T>(key: string, schema: z.ZodMiniType<T>): Promise<Snapshot<T> | undefined>;
  put(key: string, data: unknown, savedAt?: Date): Promise<void>;
  /** Forgets everything (sign-in, sign-out, another token or broker: the views were someone's). */
  clear(): Promise<void>;
}

function parse<T>(stored: StoredSnapshot | undefined, schema: z.ZodMiniType<T>): Snapshot<T> | undefined {
  if (!stored || typeof stored.savedAt !== 'string') return undefined;
  const parsed = schema.safeParse(stored.data);
  return parsed.success ? { savedAt: stored.savedAt, data: parsed.data } : undefined;
}

/** The IndexedDB-backed cache. */
export function idbCache(): SnapshotCache {
  let dbPromise: Promise<IDBPDatabase<CacheDB>> | undefined;
  const open = () => {
    dbPromise ??= openDB<CacheDB>(CACHE_DB_NAME, CACHE_DB_VERSION, {
      upgrade(db) {
        if (!db.objectStoreNames.contains(SNAPSHOTS_STORE)) {
          db.createObjectStore(SNAPSHOTS_STORE, { keyPath: 'key' });
        }
      },
    }).catch((e: unknown) => {
      dbPromise = undefined;
      throw e;
    });
    return dbPromise;
  };
  return {
    async get(key, schema) {
      try {
        return parse(await (await open()).get(SNAPSHOTS_STORE, key), schema);
      } catch {
        return undefined;
      }
    },
    async put(key, data, savedAt = new Date()) {
      try {
        await (await open()).put(SNAPSHOTS_STORE, { key, savedAt: savedAt.toISOString(), data });
      } catch {
        // A full or unavailable database: the next open fetches from the broker anyway.
      }
    },
    async clear() {
      try {
        await (await open()).clear(SNAPSHOTS_STORE);
      } catch {
        // Unavailable: nothing could have been stored either.
      }
    },
  };
}

/** An in-memory cache (tests, and browsers without IndexedDB in this context). */
export function memoryCache(): SnapshotCache & { entries: Map<string, StoredSnapshot> } {
  const entries = new Map<string, StoredSnapshot>();
  return {
    entries,
    get: (key, schema) => Promise.resolve(parse(entries.get(key), schema)),
    put: (key, data, savedAt = new Date()) => {
      // Structured clone, as IndexedDB would: later changes to `data` do not leak in.
      entries.set(key, { key, savedAt: savedAt.toISOString(), data: structuredClone(data) });
      return Promise.resolve();
    },
    clear: () => {
      entries.clear();
      return Promise.resolve();
    },
  };
}
