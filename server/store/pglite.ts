/**
 * The embedded engine: PGlite, a WASM Postgres inside the broker process (the default store).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { checkChannel, INT8, oneLine, parseInt8, StoreOpenError, type Db, type Params, type Tx } from './db';

/**
 * Open (or create) the embedded store. `dataDir` is a directory path, or `'memory'` for a
 * throwaway in-memory database (tests). An existing directory that is not a PGlite/Postgres data
 * directory is refused rather than initialised over: it may be someone's data, or a wrong path.
 */
export async function openPglite(dataDir: string, options: { loadDataDir?: Blob } = {}): Promise<Db> {
  const memory = dataDir === 'memory';
  if (!memory) assertUsableDataDir(dataDir);
  const lockFile = memory ? null : path.join(dataDir, 'postmaster.pid');
  const hadLockFile = lockFile !== null && fs.existsSync(lockFile);
  let db: PGlite;
  try {
    db = await PGlite.create({
      ...(memory ? {} : { dataDir }),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      parsers: { [INT8]: parseInt8 },
    });
    // A damaged directory can open yet fail on first use; find out now, not mid-request.
    await db.query('SELECT 1');
  } catch (e) {
    // A failed start leaves the lock file it wrote; remove only that, so the directory is as we
    // found it (an operator inspecting or restoring it should not trip over our leftovers).
    if (lockFile && !hadLockFile) fs.rmSync(lockFile, { force: true });
    throw new StoreOpenError(
      memory
        ? `cannot start the in-memory PGlite store: ${oneLine(e)}`
        : `cannot open the PGlite store in ${dataDir}: it is corrupt or unreadable (${oneLine(e)}); restore it from a backup or point UNBLOCK_DATA_DIR elsewhere`,
    );
  }
  return pgliteDb(db);
}

function assertUsableDataDir(dataDir: string): void {
  let entries: string[];
  try {
    const stat = fs.statSync(dataDir);
    if (!stat.isDirectory()) {
      throw new StoreOpenError(`cannot open the PGlite store: ${dataDir} exists and is not a directory`);
    }
    entries = fs.readdirSync(dataDir);
  } catch (e) {
    if (e instanceof StoreOpenError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // new store: PGlite creates it
    throw new StoreOpenError(`cannot open the PGlite store in ${dataDir}: ${oneLine(e)}`);
  }
  // Every Postgres data directory (PGlite's included) has PG_VERSION; an empty directory is a
  // fresh store (for example a volume mount). Anything else is not ours to initialise.
  if (entries.length > 0 && !entries.includes('PG_VERSION')) {
    throw new StoreOpenError(
      `refusing to open ${dataDir} as the PGlite store: the directory is not empty and holds no PGlite data (no PG_VERSION); choose an empty or new directory`,
    );
  }
  if (entries.includes('PG_VERSION')) {
    try {
      fs.accessSync(path.join(dataDir, 'PG_VERSION'), fs.constants.R_OK | fs.constants.W_OK);
    } catch (e) {
      throw new StoreOpenError(`cannot open the PGlite store in ${dataDir}: ${oneLine(e)}`);
    }
  }
}

function pgliteDb(db: PGlite): Db {
  return {
    engine: 'pglite',
    async query<T>(sql: string, params: Params = []) {
      const r = await db.query<T>(sql, params as unknown[]);
      return { rows: r.rows };
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
    // PGlite's own transaction holds its mutex, so queries from elsewhere in the process wait
    // instead of landing inside this transaction on the single connection.
    transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      return db.transaction(async (t) =>
        fn({
          exclusive: true,
          async query<R>(sql: string, params: Params = []) {
            const r = await t.query<R>(sql, params as unknown[]);
            return { rows: r.rows };
          },
          async exec(sql: string) {
            await t.exec(sql);
          },
        }),
      );
    },
    async listen(channel, onNotify) {
      checkChannel(channel);
      const unlisten = await db.listen(channel, onNotify);
      return async () => {
        // After close() there is nothing left to unlisten from.
        if (!db.closed) await unlisten();
      };
    },
    async close() {
      if (!db.closed) await db.close();
    },
  };
}
