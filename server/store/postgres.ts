/**
 * The shared engine: PostgreSQL through `pg.Pool`, for several broker replicas on one database.
 */
import pg from 'pg';
import {
  checkChannel,
  INT8,
  oneLine,
  parseInt8,
  StoreOpenError,
  type Db,
  type Params,
  type Tx,
  type Unlisten,
} from './db';

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
