import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { MIGRATIONS_DIR, loadMigrations, migrate, migrationStatus } from '../../server/store/migrate';
import { forEachStore } from './pg-harness';

const tempDirs: string[] = [];
afterEach(() => {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A copy of the real migrations that a test may change. */
function copyMigrations(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-migrations-'));
  tempDirs.push(dir);
  for (const f of fs.readdirSync(MIGRATIONS_DIR))
    fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(dir, f));
  return dir;
}

const known = loadMigrations();
const latest = known.at(-1)!.version;

forEachStore('migrations', (store) => {
  it('applies every migration once, records it, and is idempotent', async () => {
    const db = await store.empty();
    expect(await migrationStatus(db)).toMatchObject({ applied: [], pending: known });

    const first = await migrate(db);
    expect(first).toEqual({ applied: known.map((m) => m.version), version: latest });
    const second = await migrate(db);
    expect(second).toEqual({ applied: [], version: latest });

    const { rows } = await db.query<{ version: number; name: string; checksum: string; applied_at: Date }>(
      'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
    );
    expect(rows.map((r) => [r.version, r.name, r.checksum])).toEqual(
      known.map((m) => [m.version, m.name, m.checksum]),
    );
    expect(rows[0]!.applied_at).toBeInstanceOf(Date);
    expect((await migrationStatus(db)).pending).toEqual([]);

    const tables = await db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'access_requests',
      'approvals',
      'audit_checkpoints',
      'audit_log',
      'audit_signing_keys',
      'events',
      'grants',
      'oauth_codes',
      'oauth_transactions',
      'refresh_tokens',
      'request_approver_groups',
      'schema_migrations',
      'singleton_leases',
      'tokens',
      'users',
      'webhook_deliveries',
    ]);
  });

  it('applies a new migration on top, in order', async () => {
    const db = await store.migrated();
    const dir = copyMigrations();
    const next = String(latest + 1).padStart(3, '0');
    fs.writeFileSync(path.join(dir, `${next}-add-note.sql`), 'ALTER TABLE users ADD COLUMN note text;');
    expect(await migrate(db, { dir })).toEqual({ applied: [latest + 1], version: latest + 1 });
    await db.query("INSERT INTO users (id, note) VALUES ('u', 'n')");
  });

  it('a failing migration applies nothing of itself and leaves the earlier ones', async () => {
    const db = await store.migrated();
    const dir = copyMigrations();
    const next = String(latest + 1).padStart(3, '0');
    fs.writeFileSync(
      path.join(dir, `${next}-broken.sql`),
      'CREATE TABLE half_done (id int); SELECT * FROM no_such_table;',
    );
    await expect(migrate(db, { dir })).rejects.toThrow(/migration \d+-broken failed: .*no_such_table/);
    const { rows } = await db.query("SELECT to_regclass('half_done') IS NULL AS gone");
    expect(rows[0]).toEqual({ gone: true });
    expect((await migrationStatus(db, { dir })).pending.map((m) => m.name)).toEqual(['broken']);
  });

  it('refuses to start when an applied migration file changed', async () => {
    const db = await store.migrated();
    const dir = copyMigrations();
    const file = fs.readdirSync(dir).find((f) => f.startsWith('001-'))!;
    fs.appendFileSync(path.join(dir, file), '\n-- a harmless-looking edit\n');
    await expect(migrate(db, { dir })).rejects.toThrow(
      /migration 001-initial\.sql changed after it was applied .*new migration/,
    );
    await expect(migrationStatus(db, { dir })).rejects.toThrow(/changed after it was applied/);
  });

  it('refuses a checksum recorded differently in the database', async () => {
    const db = await store.migrated();
    await db.query("UPDATE schema_migrations SET checksum = 'deadbeef' WHERE version = 1");
    await expect(migrate(db)).rejects.toThrow(/001-initial\.sql changed after it was applied/);
  });

  it('refuses a database migrated by a newer broker', async () => {
    const db = await store.migrated();
    await db.query(
      "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, 'from-the-future', 'x')",
      [latest + 1],
    );
    await expect(migrate(db)).rejects.toThrow(
      new RegExp(`schema is at version ${latest + 1} but this broker knows migrations only up to ${latest}`),
    );
  });

  it('replicas starting at once apply each migration exactly once', async () => {
    const db = await store.empty();
    const others = await Promise.all([store.another(db), store.another(db), store.another(db)]);
    const results = await Promise.all([db, ...others].map((d) => migrate(d)));
    expect(results.flatMap((r) => r.applied).sort()).toEqual(known.map((m) => m.version));
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
    expect(rows[0]!.n).toBe(known.length);
  });
});

it('rejects migration files that are misnamed or numbered with gaps', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-migrations-'));
  tempDirs.push(dir);
  fs.writeFileSync(path.join(dir, '001-a.sql'), '');
  fs.writeFileSync(path.join(dir, '003-c.sql'), '');
  expect(() => loadMigrations(dir)).toThrow(/without gaps/);
  fs.writeFileSync(path.join(dir, 'two.sql'), '');
  expect(() => loadMigrations(dir)).toThrow(/two\.sql is not NNN-name\.sql/);
});
