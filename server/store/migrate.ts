/**
 * Versioned schema migrations: `migrations/NNN-name.sql`, applied in order, each in its own
 * transaction, recorded in `schema_migrations` with the sha256 of the file.
 *
 * Several broker replicas may start at once against one PostgreSQL: every migration transaction
 * first takes a transaction-scoped advisory lock, then re-reads what is applied, so exactly one
 * replica applies each migration and the others see it done. The broker refuses to start when the
 * database does not match this code: an applied migration whose file changed (the schema is not
 * what the file says), or a database migrated by a newer broker (this code would misread it).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db, Tx } from './db';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Advisory lock key for migrations (ASCII "unbl" + 1); audit.ts uses + 2. Any fixed bigint works. */
export const MIGRATION_LOCK_KEY = 0x756e626c0001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  applied_at: Date;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

const FILE_PATTERN = /^(\d{3,})-([a-z0-9][a-z0-9-]*)\.sql$/;

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => {
      const m = FILE_PATTERN.exec(file);
      if (!m) throw new MigrationError(`migration file name ${file} is not NNN-name.sql`);
      // Line endings are normalised before hashing so a checkout with CRLF does not look "changed".
      const sql = fs.readFileSync(path.join(dir, file), 'utf8').replace(/\r\n/g, '\n');
      return { version: Number(m[1]), name: m[2]!, sql, checksum: sha256(sql) };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new MigrationError(
        `migrations must be numbered 1, 2, 3… without gaps; found ${m.version} at position ${i + 1}`,
      );
    }
  });
  return migrations;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function ensureTable(tx: Tx): Promise<void> {
  await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
}

/** Throws a MigrationError when the database and the code disagree; see the file comment. */
function check(applied: AppliedMigration[], known: Migration[]): void {
  const byVersion = new Map(known.map((m) => [m.version, m]));
  const newest = known.at(-1)?.version ?? 0;
  for (const a of applied) {
    const file = byVersion.get(a.version);
    if (!file) {
      throw new MigrationError(
        a.version > newest
          ? `the database schema is at version ${Math.max(...applied.map((x) => x.version))} but this broker knows migrations only up to ${newest}: a newer broker migrated it; run that version (or newer) instead`
          : `the database has migration ${a.version} (${a.name}) which this broker does not have; refusing to start`,
      );
    }
    if (file.checksum !== a.checksum) {
      throw new MigrationError(
        `migration ${String(a.version).padStart(3, '0')}-${file.name}.sql changed after it was applied (database sha256 ${a.checksum.slice(0, 12)}…, file ${file.checksum.slice(0, 12)}…); restore the original file and put the change in a new migration`,
      );
    }
  }
}

async function readApplied(tx: Tx): Promise<AppliedMigration[]> {
  const { rows } = await tx.query<AppliedMigration>(
    'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
  );
  return rows;
}

export interface MigrateResult {
  /** Versions applied by this call (empty when the schema was already current). */
  applied: number[];
  /** The schema version afterwards. */
  version: number;
}

/**
 * Bring the schema up to date. Safe to call from every replica on every start. Throws a
 * MigrationError (and applies nothing further) when the database does not match the code.
 */
export async function migrate(db: Db, options: { dir?: string } = {}): Promise<MigrateResult> {
  const known = loadMigrations(options.dir);
  const appliedNow: number[] = [];
  for (;;) {
    // One transaction per migration: a failing migration leaves the earlier ones applied and
    // itself not at all (Postgres DDL is transactional), and the lock is held only briefly.
    const next = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await ensureTable(tx);
      const applied = await readApplied(tx);
      check(applied, known);
      const done = new Set(applied.map((a) => a.version));
      const pending = known.find((m) => !done.has(m.version));
      if (!pending) return null;
      try {
        await tx.exec(pending.sql);
      } catch (e) {
        throw new MigrationError(
          `migration ${pending.version}-${pending.name} failed: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        pending.version,
        pending.name,
        pending.checksum,
      ]);
      return pending.version;
    });
    if (next === null) break;
    appliedNow.push(next);
  }
  return { applied: appliedNow, version: known.at(-1)?.version ?? 0 };
}

/** Read-only: what is applied, what is pending; throws like migrate() on a mismatch. */
export async function migrationStatus(
  db: Db,
  options: { dir?: string } = {},
): Promise<{ applied: AppliedMigration[]; pending: Migration[] }> {
  const known = loadMigrations(options.dir);
  const { rows } = await db.query<{ present: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
  );
  const applied = rows[0]?.present ? await readApplied(db) : [];
  check(applied, known);
  const done = new Set(applied.map((a) => a.version));
  return { applied, pending: known.filter((m) => !done.has(m.version)) };
}
