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
  /**
   * True when no other transaction can run while this one does (PGlite: one connection, whose
   * transactions hold its mutex). Lets callers skip locks that only order concurrent writers.
   */
  readonly exclusive?: boolean;
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
  /**
   * LISTEN on `channel` (a lower-case SQL identifier) and call `onNotify` with each payload, in
   * the order the server sends them. Resolves once the LISTEN is in place (rejects if it cannot
   * be), to a function that stops listening.
   *
   * Notifications are a wake-up call, not a log: on PostgreSQL the listener has its own connection
   * and reconnects (with backoff) when it drops, but whatever was sent while it was down is gone.
   * `onReconnect` is called each time listening resumes after such a gap, so the caller can catch
   * up by querying. PGlite runs in-process and never drops, so it never calls it.
   */
  listen(channel: string, onNotify: (payload: string) => void, onReconnect?: () => void): Promise<Unlisten>;
  close(): Promise<void>;
}

export type Unlisten = () => Promise<void>;

/** Lower-case identifiers only: PGlite sends `LISTEN <channel>` unquoted, so anything else would be reinterpreted. */
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel)) {
    throw new TypeError(
      `listen: channel must be a lower-case SQL identifier, got ${JSON.stringify(channel)}`,
    );
  }
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

export interface PostgresOptions {
  max?: number;
  connectTimeoutMs?: number;
  /** Reconnect delays of a dropped LISTEN connection: start, doubling up to max (ms). */
  listenBackoff?: { initialMs: number; maxMs: number };
}

export async function openPostgres(databaseUrl: string, options: PostgresOptions = {}): Promise<Db> {
  const where = describeUrl(databaseUrl);
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const backoff = options.listenBackoff ?? { initialMs: 250, maxMs: 10_000 };
  // Open listeners, stopped by close() so their connections do not keep the process alive.
  const listeners = new Set<Unlisten>();
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
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
    async listen(channel, onNotify, onReconnect) {
      checkChannel(channel);
      const unlisten = await listenPostgres({
        databaseUrl,
        where,
        connectTimeoutMs,
        backoff,
        channel,
        onNotify,
        onReconnect: onReconnect ?? (() => undefined),
      });
      const stop: Unlisten = async () => {
        listeners.delete(stop);
        await unlisten();
      };
      listeners.add(stop);
      return stop;
    },
    async close() {
      await Promise.all([...listeners].map((stop) => stop()));
      if (!pool.ended) await pool.end(); // pg throws on a second end(); closing twice is harmless here
    },
  };
}

/**
 * A LISTEN on its own `pg.Client`, not a pooled connection: LISTEN belongs to a session, and a
 * pool would hand that session to other queries (and recycle it when idle). When the connection
 * drops (server restart, failover, pg_terminate_backend) it reconnects with exponential backoff
 * until stopped, then calls `onReconnect` because notifications sent in between were lost.
 */
async function listenPostgres(o: {
  databaseUrl: string;
  where: string;
  connectTimeoutMs: number;
  backoff: { initialMs: number; maxMs: number };
  channel: string;
  onNotify: (payload: string) => void;
  onReconnect: () => void;
}): Promise<Unlisten> {
  let stopped = false;
  let current: pg.Client | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let delay = o.backoff.initialMs;

  /** Connect and LISTEN; on failure the half-open client is ended and the error thrown. */
  async function connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: o.databaseUrl,
      connectionTimeoutMillis: o.connectTimeoutMs,
    });
    let lost = false;
    const onLost = (e?: Error): void => {
      if (lost) return; // 'error' and 'end' both fire for one drop
      lost = true;
      if (current !== client) return; // still connecting: connect()'s own catch handles it
      current = null;
      if (stopped) return;
      console.error(
        `store: LISTEN connection to ${o.where} lost${e ? `: ${oneLine(e)}` : ''}; reconnecting (events may arrive late until it is back)`,
      );
      scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (n) => {
      if (n.channel === o.channel) o.onNotify(n.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${o.channel}`);
    } catch (e) {
      lost = true;
      await client.end().catch(() => undefined);
      throw e;
    }
    if (lost || stopped) {
      // Dropped between LISTEN and here, or stopped while connecting.
      await client.end().catch(() => undefined);
      if (!stopped) throw new Error('the connection closed right after LISTEN');
      return;
    }
    current = client;
  }

  function scheduleReconnect(): void {
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect().then(
        () => {
          if (stopped) return;
          delay = o.backoff.initialMs;
          o.onReconnect();
        },
        (e: unknown) => {
          if (stopped) return;
          delay = Math.min(delay * 2, o.backoff.maxMs);
          console.error(`store: cannot re-LISTEN on ${o.where}: ${oneLine(e)}; retrying in ${delay} ms`);
          scheduleReconnect();
        },
      );
    }, delay);
  }

  await connect(); // the first failure is the caller's to see
  return async () => {
    stopped = true;
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    const client = current;
    current = null;
    await client?.end().catch(() => undefined);
  };
}

/** The broker's choice: `DATABASE_URL` when set, else the embedded store in `dataDir`. */
export function openStore(env: { databaseUrl?: string; dataDir: string }): Promise<Db> {
  return env.databaseUrl ? openPostgres(env.databaseUrl) : openPglite(env.dataDir);
}
