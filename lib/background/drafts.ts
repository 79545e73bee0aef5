/**
 * The extension's IndexedDB database `unblock`:
 * - store `drafts`: every trusted "Request access" click, broker or not (the record of the click);
 * - store `requests`: requests filed with the broker that the background is following, keyed by
 *   the broker's request id, so a service-worker restart picks them up again (lib/background/request-flow.ts);
 * - store `notified` (version 2): the notifications already shown, keyed by kind + request/grant
 *   (lib/background/notifications.ts), so a restarted worker does not show them again.
 *
 * Upgrades add whatever store is missing: an install at version 1 gains `notified` on next open.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { NewAccessRequest } from '../contract/request';
import type { TrackedRequest, TrackedStore } from './tracked-request';

export const DB_NAME = 'unblock';
export const DB_VERSION = 2;
export const DRAFTS_STORE = 'drafts';
export const REQUESTS_STORE = 'requests';
export const NOTIFIED_STORE = 'notified';

/** One notification already shown (or deliberately skipped). */
export interface NotifiedRecord {
  id: string;
  /** Epoch milliseconds. */
  at: number;
}

export interface DraftRecord {
  id: string;
  /** ISO 8601 timestamp. */
  createdAt: string;
  status: 'draft';
  request: NewAccessRequest;
}

interface UnblockDB extends DBSchema {
  drafts: { key: string; value: DraftRecord; indexes: { createdAt: string } };
  requests: { key: string; value: TrackedRequest };
  notified: { key: string; value: NotifiedRecord; indexes: { at: number } };
}

let dbPromise: Promise<IDBPDatabase<UnblockDB>> | undefined;

const hasStores = (db: IDBPDatabase<UnblockDB>) =>
  db.objectStoreNames.contains(DRAFTS_STORE) &&
  db.objectStoreNames.contains(REQUESTS_STORE) &&
  db.objectStoreNames.contains(NOTIFIED_STORE);

function createStores(db: IDBPDatabase<UnblockDB>): void {
  if (!db.objectStoreNames.contains(DRAFTS_STORE)) {
    const store = db.createObjectStore(DRAFTS_STORE, { keyPath: 'id' });
    store.createIndex('createdAt', 'createdAt');
  }
  if (!db.objectStoreNames.contains(REQUESTS_STORE)) {
    db.createObjectStore(REQUESTS_STORE, { keyPath: 'requestId' });
  }
  if (!db.objectStoreNames.contains(NOTIFIED_STORE)) {
    const store = db.createObjectStore(NOTIFIED_STORE, { keyPath: 'id' });
    store.createIndex('at', 'at');
  }
}

async function open(): Promise<IDBPDatabase<UnblockDB>> {
  // Open at whatever version exists: a reader (a test, a future page) may have created the
  // database first, without our stores or at a higher version than ours; an older install has
  // only `drafts`.
  const db = await openDB<UnblockDB>(DB_NAME, undefined, { upgrade: createStores });
  if (hasStores(db)) return db;
  const next = Math.max(db.version + 1, DB_VERSION);
  db.close();
  return openDB<UnblockDB>(DB_NAME, next, { upgrade: createStores });
}

export function openDrafts(): Promise<IDBPDatabase<UnblockDB>> {
  dbPromise ??= open()
    .then((db) => {
      // Do not block another context's upgrade: close, and reopen on the next call.
      db.addEventListener('versionchange', () => {
        db.close();
        dbPromise = undefined;
      });
      return db;
    })
    .catch((e: unknown) => {
      dbPromise = undefined; // let the next call retry instead of caching the failure
      throw e;
    });
  return dbPromise;
}

export async function saveDraft(request: NewAccessRequest, now = new Date()): Promise<DraftRecord> {
  const record: DraftRecord = {
    id: crypto.randomUUID(),
    createdAt: now.toISOString(),
    status: 'draft',
    request,
  };
  const db = await openDrafts();
  await db.put(DRAFTS_STORE, record);
  return record;
}

export async function listDrafts(): Promise<DraftRecord[]> {
  const db = await openDrafts();
  return db.getAllFromIndex(DRAFTS_STORE, 'createdAt');
}

/** The `requests` store, for the request flow. */
export const trackedStore: TrackedStore = {
  async put(record) {
    const db = await openDrafts();
    await db.put(REQUESTS_STORE, record);
  },
  async list() {
    const db = await openDrafts();
    return db.getAll(REQUESTS_STORE);
  },
  async delete(requestId) {
    const db = await openDrafts();
    await db.delete(REQUESTS_STORE, requestId);
  },
};

/** The `notified` store, for the notifications' dedupe. */
export const notifiedStore = {
  async has(id: string): Promise<boolean> {
    const db = await openDrafts();
    return (await db.getKey(NOTIFIED_STORE, id)) !== undefined;
  },
  async add(id: string, at: number): Promise<void> {
    const db = await openDrafts();
    await db.put(NOTIFIED_STORE, { id, at });
  },
  /** Forgets records older than `before` (epoch ms). */
  async prune(before: number): Promise<void> {
    const db = await openDrafts();
    const tx = db.transaction(NOTIFIED_STORE, 'readwrite');
    let cursor = await tx.store.index('at').openCursor(IDBKeyRange.upperBound(before, true));
    while (cursor) {
      await cursor.delete();
      cursor = await cursor.continue();
    }
    await tx.done;
  },
};

/** For tests: forget the cached connection (e.g. after swapping fake-indexeddb instances). */
export function closeDrafts(): void {
  void dbPromise?.then((db) => db.close());
  dbPromise = undefined;
}
