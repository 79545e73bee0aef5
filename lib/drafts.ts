/**
 * Request drafts in IndexedDB (database `unblock`, store `drafts`). The broker call that turns a
 * draft into a real request comes later; until then the draft is the record of the click.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { NewAccessRequest } from './contract/request';

export const DB_NAME = 'unblock';
export const DB_VERSION = 1;
export const DRAFTS_STORE = 'drafts';

export interface DraftRecord {
  id: string;
  /** ISO 8601 timestamp. */
  createdAt: string;
  status: 'draft';
  request: NewAccessRequest;
}

interface UnblockDB extends DBSchema {
  drafts: { key: string; value: DraftRecord; indexes: { createdAt: string } };
}

let dbPromise: Promise<IDBPDatabase<UnblockDB>> | undefined;

function createStore(db: IDBPDatabase<UnblockDB>): void {
  if (db.objectStoreNames.contains(DRAFTS_STORE)) return;
  const store = db.createObjectStore(DRAFTS_STORE, { keyPath: 'id' });
  store.createIndex('createdAt', 'createdAt');
}

async function open(): Promise<IDBPDatabase<UnblockDB>> {
  // Open at whatever version exists: a reader (a test, a future page) may have created the
  // database first, without our store or at a higher version than ours.
  const db = await openDB<UnblockDB>(DB_NAME, undefined, { upgrade: createStore });
  if (db.objectStoreNames.contains(DRAFTS_STORE)) return db;
  const next = db.version + 1;
  db.close();
  return openDB<UnblockDB>(DB_NAME, next, { upgrade: createStore });
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

/** For tests: forget the cached connection (e.g. after swapping fake-indexeddb instances). */
export function closeDrafts(): void {
  void dbPromise?.then((db) => db.close());
  dbPromise = undefined;
}
