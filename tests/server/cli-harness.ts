/**
 * Running `unblock-server` commands in-process (server/cli.ts `main`) against a store from the
 * test harness: a PostgreSQL database (`DATABASE_URL`) or a PGlite directory (`UNBLOCK_DATA_DIR`),
 * with the audit files in a fresh directory (`UNBLOCK_AUDIT_DIR`). `withDb` reaches the same store
 * between commands, as an operator (or an attacker) with database access would. Both are migrated.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../server/cli';
import type { Db } from '../../server/store/db';
import { migrate } from '../../server/store/migrate';
import { openPglite } from '../../server/store/pglite';
import { pgliteDataDirFromTemplate, type StoreFixture } from './pg-harness';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  let out = '';
  let err = '';
  return main(argv, {
    out: (s) => (out += s),
    err: (s) => (err += s),
    env,
    stopSignal: () => new Promise(() => undefined),
  }).then((code) => ({ code, out, err }));
}

export interface CliStore {
  readonly env: NodeJS.ProcessEnv;
  readonly auditDir: string;
  /** The store, between commands (PGlite: opened for `fn` and closed again, as it allows one process). */
  withDb<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  run(argv: string[]): Promise<CliRun>;
}

export async function cliStore(fixture: StoreFixture): Promise<CliStore> {
  const root = mkdtempSync(join(tmpdir(), 'unblock-cli-'));
  const auditDir = join(root, 'audit');
  let env: NodeJS.ProcessEnv;
  let withDb: CliStore['withDb'];
  if (fixture.engine === 'postgres') {
    const db = await fixture.migrated();
    env = { DATABASE_URL: fixture.urlOf(db)!, UNBLOCK_AUDIT_DIR: auditDir };
    withDb = (fn) => fn(db);
  } else {
    const dataDir = join(root, 'store');
    await pgliteDataDirFromTemplate(dataDir);
    env = { UNBLOCK_DATA_DIR: dataDir, UNBLOCK_AUDIT_DIR: auditDir };
    withDb = async (fn) => {
      const db = await openPglite(dataDir);
      try {
        return await fn(db);
      } finally {
        await db.close();
      }
    };
    await withDb((db) => migrate(db)); // as the postgres fixture's database is
  }
  return { env, auditDir, withDb, run: (argv) => runCli(argv, env) };
}

/** Tamper as a database superuser would: with the table's append-only triggers switched off. */
export async function tamper(db: Db, table: string, sql: string): Promise<void> {
  await db.exec(
    `ALTER TABLE ${table} DISABLE TRIGGER USER; ${sql}; ALTER TABLE ${table} ENABLE TRIGGER USER;`,
  );
}
