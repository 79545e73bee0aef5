/**
 * Test harness for the broker's store: a throwaway PostgreSQL cluster, a cached PGlite template,
 * and `forEachStore`, which runs a block of tests once per engine so the whole server suite covers
 * both. `UNBLOCK_TEST_ENGINES=pglite` (or `postgres`) narrows the run, for machines without a
 * PostgreSQL install; CI runs both.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import type { Db } from '../../server/store/db';
import { openPglite } from '../../server/store/pglite';
import { openPostgres } from '../../server/store/postgres';
import { migrate } from '../../server/store/migrate';

export type Engine = 'pglite' | 'postgres';

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin). */
export function findPgBin(): string | null {
  if (process.env.PG_BIN && fs.existsSync(path.join(process.env.PG_BIN, 'initdb'))) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return majors[0] ? path.join(root, majors[0], 'bin') : null;
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for servers started by tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const isRoot = process.getuid?.() === 0;

/** initdb and pg_ctl refuse to run as root: as root, run them as the `postgres` system user. */
function runPg(bin: string, tool: string, args: string[]): void {
  const exe = path.join(bin, tool);
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
  execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

export interface PgCluster {
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  port: number;
  /** Create a database (empty, or a copy of `template`) and return its URL. */
  createDatabase(name: string, template?: string): Promise<string>;
  stop(): Promise<void>;
}

/** initdb + start a cluster on a temp dir and a free 127.0.0.1 port; fsync off (tests only). */
export async function startPostgres(): Promise<PgCluster> {
  const bin = findPgBin();
  if (!bin) {
    throw new Error(
      'no PostgreSQL server found under /usr/lib/postgresql/*/bin (install Debian `postgresql`, set PG_BIN, or run with UNBLOCK_TEST_ENGINES=pglite)',
    );
  }
  // /tmp: every parent must be traversable by the postgres user, which a home directory may not be.
  const dir = fs.mkdtempSync(path.join('/tmp', 'unblock-pg-'));
  if (isRoot) execFileSync('chown', ['postgres:postgres', dir]);
  fs.chmodSync(dir, 0o700);
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'pg.log');
  try {
    runPg(bin, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${stderrOf(e)}`, { cause: e });
  }
  let port = 0;
  // A free port can be taken between probing and binding; try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      runPg(bin, 'pg_ctl', [
        '-D',
        data,
        '-l',
        log,
        '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
        '-w',
        'start',
      ]);
      break;
    } catch (e) {
      if (attempt >= 2) {
        const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-500) : '';
        fs.rmSync(dir, { recursive: true, force: true });
        throw new Error(`pg_ctl start failed: ${stderrOf(e)} ${tail}`, { cause: e });
      }
    }
  }
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    adminUrl,
    port,
    async createDatabase(name, template) {
      const quote = (id: string) => `"${id.replace(/"/g, '')}"`;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${quote(name)}${template ? ` TEMPLATE ${quote(template)}` : ''}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    },
    stop() {
      if (stopped) return Promise.resolve();
      stopped = true;
      try {
        runPg(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      return Promise.resolve();
    },
  };
}

function stderrOf(e: unknown): string {
  const err = e as { stderr?: Buffer; message?: string };
  return (err.stderr?.toString() || err.message || String(e)).trim().replace(/\s+/g, ' ');
}

// ---------------------------------------------------------------------------------------------
// PGlite

// Read from disk: the package's `exports` do not expose package.json.
const pgliteVersion = (
  JSON.parse(
    fs.readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8'),
  ) as { version: string }
).version;

/**
 * A freshly initialised PGlite data directory as a tarball, cached in the temp dir per PGlite
 * version: initdb inside PGlite takes ~6 s, loading the tarball under 1 s. Written to a unique
 * name and renamed into place so parallel test workers never read a half-written file.
 */
export async function pgliteTemplate(): Promise<Blob> {
  const file = path.join(os.tmpdir(), `unblock-pglite-${pgliteVersion}-template.tar`);
  if (!fs.existsSync(file)) {
    const db = await PGlite.create();
    const dump = await db.dumpDataDir('none');
    await db.close();
    const tmp = `${file}.${process.pid}.${Date.now()}`;
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(tmp, file);
  }
  return new Blob([fs.readFileSync(file)]);
}

/** A new in-memory PGlite store, from the template (fast). */
export async function openPgliteFromTemplate(): Promise<Db> {
  return openPglite('memory', { loadDataDir: await pgliteTemplate() });
}

/** A directory-backed PGlite store initialised from the template (for tests that need files). */
export async function pgliteDataDirFromTemplate(dir: string): Promise<void> {
  const db = await PGlite.create({ dataDir: dir, loadDataDir: await pgliteTemplate() });
  await db.close();
}

// ---------------------------------------------------------------------------------------------
// forEachStore

export interface StoreFixture {
  readonly engine: Engine;
  /**
   * An empty database (no tables) for this test. PostgreSQL: a new database per call. PGlite: the
   * file's one in-memory instance with its schema dropped and recreated (opening another costs ~1 s).
   * Closed, or reset, after the test; calling close() yourself is fine.
   */
  empty(): Promise<Db>;
  /** `empty()` with all migrations applied. */
  migrated(): Promise<Db>;
  /**
   * A second, independent handle on the same database, for concurrency tests. PostgreSQL: its own
   * pool (separate connections). PGlite is single-connection: the same instance again.
   */
  another(db: Db): Promise<Db>;
  /** PostgreSQL only: the URL of the database behind `db`. */
  urlOf(db: Db): string | undefined;
}

export function selectedEngines(): Engine[] {
  const wanted = (process.env.UNBLOCK_TEST_ENGINES ?? 'pglite,postgres').split(',').map((s) => s.trim());
  return (['pglite', 'postgres'] as const).filter((e) => wanted.includes(e));
}

let dbCounter = 0;

// One PostgreSQL cluster and one PGlite instance per test file, however many `forEachStore`
// blocks it has (each costs a second or more to start). Vitest evaluates this module afresh for
// every test file, and this top-level hook is registered while the importing file is being
// collected, so it runs once, after the file's last test.
let fileCluster: Promise<PgCluster> | undefined;
let filePglite: Promise<Db> | undefined;
let migratedTemplate: Promise<string> | undefined;
// Outside vitest (a script borrowing startPostgres) there is no suite to attach a hook to.
if (process.env.VITEST) afterAll(closeFileStores);
async function closeFileStores(): Promise<void> {
  const [cluster, pglite] = [fileCluster, filePglite];
  fileCluster = filePglite = migratedTemplate = undefined;
  await (await pglite?.catch(() => undefined))?.close();
  await (await cluster?.catch(() => undefined))?.stop();
}

/** A migrated database to copy (CREATE DATABASE … TEMPLATE): cheaper than migrating each test's. */
function migratedTemplateDb(cluster: PgCluster): Promise<string> {
  migratedTemplate ??= (async () => {
    const name = `tmpl_migrated_${process.pid}`;
    const db = await openPostgres(await cluster.createDatabase(name));
    try {
      await migrate(db);
    } finally {
      await db.close(); // a template must have no connections when it is copied
    }
    return name;
  })();
  return migratedTemplate;
}

function makeFixture(engine: Engine): StoreFixture {
  let cluster: PgCluster | undefined;
  let shared: Db | undefined;
  const urls = new WeakMap<Db, string>();
  let opened: Db[] = [];

  beforeAll(async () => {
    if (engine === 'postgres') cluster = await (fileCluster ??= startPostgres());
    else shared = await (filePglite ??= openPgliteFromTemplate());
  });
  afterEach(async () => {
    const toClose = opened;
    opened = [];
    await Promise.all(toClose.map((db) => db.close().catch(() => undefined)));
  });

  /** PGlite handles share the instance: close() is a no-op so one test cannot close it for the next. */
  function pgliteHandle(db: Db): Db {
    return { ...db, engine: db.engine, close: () => Promise.resolve() };
  }

  async function fresh(migrated: boolean): Promise<Db> {
    if (engine === 'pglite') {
      if (!shared) throw new Error('PGlite fixture used outside its describe block');
      await shared.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      if (migrated) await migrate(shared);
      return pgliteHandle(shared);
    }
    if (!cluster) throw new Error('PostgreSQL fixture used outside its describe block');
    const template = migrated ? await migratedTemplateDb(cluster) : undefined;
    const url = await cluster.createDatabase(`t_${process.pid}_${++dbCounter}`, template);
    const db = await openPostgres(url);
    urls.set(db, url);
    opened.push(db);
    return db;
  }

  return {
    engine,
    empty: () => fresh(false),
    migrated: () => fresh(true),
    async another(db) {
      if (engine === 'pglite') return db;
      const url = urls.get(db);
      if (!url) throw new Error('another(): not a database from this fixture');
      const second = await openPostgres(url);
      urls.set(second, url);
      opened.push(second);
      return second;
    },
    urlOf: (db) => urls.get(db),
  };
}

/**
 * `describe` the block once per selected engine ("pglite: name", "postgres: name"). All blocks in
 * a test file share one PostgreSQL cluster and one PGlite instance; every `empty()`/`migrated()`
 * call gives a fresh database.
 */
export function forEachStore(name: string, fn: (store: StoreFixture) => void): void {
  describe.each(selectedEngines())(`%s: ${name}`, (engine) => {
    fn(makeFixture(engine));
  });
}
