/**
 * One small interface in front of the broker's two SQL engines: embedded PGlite (the default, a
 * WASM Postgres inside the process) and PostgreSQL through `pg.Pool` (production, several broker
 * replicas). Everything above this file speaks `Db`/`Tx` only, so the whole server and its test
 * suite run unchanged on both. PGlite embeds a newer Postgres major (18) than Debian's server (15):
 * keep SQL to what both understand. The engines are in ./pglite.ts and ./postgres.ts; ./open.ts
 * picks one.
 *
 * Conventions both engines agree on only because this file makes them:
 * - `bigint`/`bigserial` columns come back as JS numbers (pg would give strings, PGlite bigints);
 *   the broker's sequences never approach 2^53.
 * - `timestamptz` comes back as `Date`, `jsonb` as parsed JSON.
 * - Pass JSON parameters as text (`json(value)`) and cast them (`$1::jsonb`): pg turns a JS array
 *   parameter into a Postgres array literal, which is not JSON.
 */

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

export function checkChannel(channel: string): void {
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

/** Postgres' type id of `int8`, and how both engines return it (see the file comment). */
export const INT8 = 20;
export const parseInt8 = (text: string): number => Number(text);

/** One line, no stack: the broker prints it and stops. */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}

/** An error as one line, for messages that name what failed. */
export function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message || e.name : String(e);
  return text.replace(/\s+/g, ' ').trim() || 'unknown error';
}
