/** Opening the store the broker is configured for. */
import type { Db } from './db';
import { lockDataDir } from './lock';
import { openPglite } from './pglite';
import { openPostgres } from './postgres';

export interface StoreSettings {
  /** Embedded store directory (PGlite), or `memory`. Ignored when `databaseUrl` is set. */
  readonly dataDir: string;
  /** `postgres://…`: PostgreSQL instead, shared by any number of broker processes. */
  readonly databaseUrl?: string;
}

/** The broker's choice: `DATABASE_URL` when set, else the embedded store in `dataDir`. */
export function openStore(env: { databaseUrl?: string; dataDir: string }): Promise<Db> {
  return env.databaseUrl ? openPostgres(env.databaseUrl) : openPglite(env.dataDir);
}

export interface OpenedStore {
  readonly db: Db;
  /** Closes the store and releases the embedded store's lock. */
  close(): Promise<void>;
}

/**
 * Opens the store for one process: an embedded directory is locked first (PGlite serves one
 * process at a time; `purpose` names the holder in the message another process gets), and the
 * lock is released again when opening fails or the store is closed.
 */
export async function openLockedStore(settings: StoreSettings, purpose: string): Promise<OpenedStore> {
  const embedded = !settings.databaseUrl && settings.dataDir !== 'memory';
  const unlock = embedded ? lockDataDir(settings.dataDir, purpose) : () => undefined;
  let db: Db;
  try {
    db = await openStore(settings);
  } catch (e) {
    unlock();
    throw e;
  }
  return {
    db,
    close: async () => {
      try {
        await db.close();
      } finally {
        unlock();
      }
    },
  };
}
