import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { StoreOpenError } from '../../server/store/db';
import { openPglite } from '../../server/store/pglite';
import { openPostgres } from '../../server/store/postgres';
import { migrate } from '../../server/store/migrate';
import { pgliteDataDirFromTemplate } from './pg-harness';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-store-'));
  dirs.push(d);
  return d;
}

/** A port nothing listens on: bound once to learn a free number, then released. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

it('an unreachable PostgreSQL gives one clear line, without the password', async () => {
  const port = await closedPort();
  const err = await openPostgres(`postgres://broker:s3cret@127.0.0.1:${port}/unblock`, {
    connectTimeoutMs: 2_000,
  }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreOpenError);
  const message = (err as Error).message;
  expect(message).toMatch(
    new RegExp(
      `^cannot connect to PostgreSQL at postgres://broker@127\\.0\\.0\\.1:${port}/unblock: .*ECONNREFUSED`,
    ),
  );
  expect(message).not.toContain('s3cret');
  expect(message).not.toContain('\n');
});

it('refuses a non-empty directory that is not a PGlite store, and leaves it untouched', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'precious');
  await expect(openPglite(dir)).rejects.toThrow(
    /^refusing to open .* as the PGlite store: the directory is not empty and holds no PGlite data/,
  );
  expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
});

it('refuses a path that is a file', async () => {
  const file = path.join(tempDir(), 'store');
  fs.writeFileSync(file, '');
  await expect(openPglite(file)).rejects.toThrow(/exists and is not a directory/);
});

it('a corrupt PGlite store fails with a clear message and is not re-created', async () => {
  const dir = path.join(tempDir(), 'data');
  await pgliteDataDirFromTemplate(dir);
  fs.writeFileSync(path.join(dir, 'global', 'pg_control'), 'garbage');
  const before = fs.readdirSync(dir).sort();
  const err = await openPglite(dir).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreOpenError);
  expect((err as Error).message).toMatch(/^cannot open the PGlite store in .*: it is corrupt or unreadable/);
  expect((err as Error).message).not.toContain('\n');
  expect(fs.readdirSync(dir).sort()).toEqual(before);
  expect(fs.readFileSync(path.join(dir, 'global', 'pg_control'), 'utf8')).toBe('garbage');
});

it('a directory that only looks like a store (PG_VERSION, nothing usable) is refused, not initialised over', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'PG_VERSION'), '18\n');
  await expect(openPglite(dir)).rejects.toThrow(
    /^cannot open the PGlite store in .*: it is corrupt or unreadable/,
  );
  expect(fs.readdirSync(dir)).toEqual(['PG_VERSION']);
});

it('a PGlite directory keeps its data across reopening', async () => {
  const dir = path.join(tempDir(), 'data');
  await pgliteDataDirFromTemplate(dir);
  const db = await openPglite(dir);
  await migrate(db);
  await db.query("INSERT INTO users (id) VALUES ('alice')");
  await db.close();
  const again = await openPglite(dir);
  expect((await migrate(again)).applied).toEqual([]);
  expect((await again.query('SELECT id FROM users')).rows).toEqual([{ id: 'alice' }]);
  await again.close();
});

it('an empty existing directory is a new store', async () => {
  const dir = tempDir();
  const db = await openPglite(dir);
  expect(fs.existsSync(path.join(dir, 'PG_VERSION'))).toBe(true);
  await db.close();
}, 60_000);
