/**
 * One small interface in front of the broker's two SQL engines: embedded PGlite (the default, a
 * WASM Postgres inside the process) and PostgreSQL through `pg.Pool` (production, several broker
 * replicas). Everything above this file speaks `Db`/`Tx` only, so the whole server and its test
 * suite run unchanged on both. PGlite embeds a newer Postgres major (18) than Debian's server (15):
 * keep SQL to what both understand.
 *
 * Conventions both engines agree on only because this file makes them:
 * - `bigint`/`bigserial` columns come back as JS numbers (pg would give strings, PGlite bigints);
 *   the broker's sequences never approach 2^53.
 * - `timestamptz` comes back as `Date`, `jsonb` as parsed JSON.
 * - Pass JSON parameters as text (`json(value)`) and cast them (`$1::jsonb`): pg turns a JS array
 *   parameter into a Postgres array literal, which is not JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export type Row = Record<string, unknown>;
export type Params = readonly unknown[];

export interface QueryResult<T> {
  rows: T[];
}

/** What a transaction body gets: queries that run on the transaction's own connection. */
export interface Tx {
  query<T = Row>(sql: string, params?: Params): Promise<QueryResult<T>>;
  /** Several statements separated by `;`, without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Tx {
  readonly engine: 'pglite' | 'postgres';
  /**
   * BEGIN, run `fn`, COMMIT; ROLLBACK and rethrow if `fn` throws. Use the `tx` handed in, never
   * the outer `Db`, inside `fn`: on PostgreSQL the outer `Db` is another pooled connection (outside
   * the transaction), and on PGlite (one connection) it would wait for the transaction to end.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** JSON text for a `$n::jsonb` parameter (see the file comment for why not the raw value). */
export function json(value: unknown): string {
  return JSON.stringify(value);
}

const INT8 = 20;
const parseInt8 = (text: string): number => Number(text);

/** One line, no stack: the broker prints it and stops. */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}

function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message || e.name : String(e);
  return text.replace(/\s+/g, ' ').trim() || 'unknown error';
}

// ---------------------------------------------------------------------------------------------
// PGlite

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
    async close() {
      if (!db.closed) await db.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** `postgres://user@host:port/db` without the password, for messages. */
export function describeUrl(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

export async function openPostgres(
  databaseUrl: string,
  options: { max?: number; connectTimeoutMs?: number } = {},
): Promise<Db> {
  const where = describeUrl(databaseUrl);
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    // Per-pool parsers (not pg's global `types`) so other pg users in the process are unaffected.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
        oid === INT8
          ? parseInt8
          : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle pooled client losing its server emits 'error' on the pool; unhandled, that would
  // crash the process. The next query reconnects or fails with its own error.
  pool.on('error', (e) => {
    console.error(`store: idle PostgreSQL connection to ${where} failed: ${oneLine(e)}`);
  });
  try {
    await pool.query('SELECT 1');
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new StoreOpenError(`cannot connect to PostgreSQL at ${where}: ${oneLine(e)}`);
  }
  return {
    engine: 'postgres',
    async query<T>(sql: string, params: Params = []) {
      const r = await pool.query(sql, params as unknown[]);
      return { rows: r.rows as T[] };
    },
    async exec(sql: string) {
      await pool.query(sql); // no parameters: pg uses the simple protocol, which allows several statements
    },
    async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      const tx: Tx = {
        async query<R>(sql: string, params: Params = []) {
          const r = await client.query(sql, params as unknown[]);
          return { rows: r.rows as R[] };
        },
        async exec(sql: string) {
          await client.query(sql);
        },
      };
      try {
        await client.query('BEGIN');
        const result = await fn(tx);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
          client.release();
        } catch (rollbackError) {
          // The connection is in an unknown state: destroy it rather than hand it to the next caller.
          client.release(rollbackError as Error);
        }
        throw e;
      }
    },
    async close() {
      if (!pool.ended) await pool.end(); // pg throws on a second end(); closing twice is harmless here
    },
  };
}

/** The broker's choice: `DATABASE_URL` when set, else the embedded store in `dataDir`. */
export function openStore(env: { databaseUrl?: string; dataDir: string }): Promise<Db> {
  return env.databaseUrl ? openPostgres(env.databaseUrl) : openPglite(env.dataDir);
}
