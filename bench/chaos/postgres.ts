/**
 * A throwaway PostgreSQL cluster for the chaos run, from the machine's Debian binaries
 * (/usr/lib/postgresql/<major>/bin, or PG_BIN) on a temp dir, as tests/server/pg-harness.ts starts
 * one for the tests (bench/ cannot import tests/server: the tests import bench, and folders may
 * not import each other both ways). fsync is off: the run is about the broker being killed, not
 * the database.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../broker-load';

function pgBin(): string {
  if (process.env.PG_BIN && fs.existsSync(path.join(process.env.PG_BIN, 'initdb'))) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root)
    ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest)
    throw new Error(
      'no PostgreSQL server under /usr/lib/postgresql/*/bin (install Debian `postgresql` or set PG_BIN)',
    );
  return path.join(root, newest, 'bin');
}

const isRoot = process.getuid?.() === 0;

/** initdb and pg_ctl refuse to run as root: as root, they run as the `postgres` system user. */
function runPg(bin: string, tool: string, args: string[]): void {
  const exe = path.join(bin, tool);
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
  execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

export interface ChaosPostgres {
  /** URL of a fresh database for the brokers. */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startChaosPostgres(): Promise<ChaosPostgres> {
  const bin = pgBin();
  // /tmp: every parent must be traversable by the postgres user.
  const dir = fs.mkdtempSync(path.join('/tmp', 'unblock-chaos-pg-'));
  if (isRoot) execFileSync('chown', ['postgres:postgres', dir]);
  fs.chmodSync(dir, 0o700);
  const data = path.join(dir, 'data');
  const stop = () => {
    try {
      runPg(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // not running
    }
    fs.rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  };
  try {
    runPg(bin, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200`;
    runPg(bin, 'pg_ctl', ['-D', data, '-l', path.join(dir, 'pg.log'), '-o', options, '-w', 'start']);
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await client.connect();
    await client.query('CREATE DATABASE chaos').finally(() => client.end());
    return { url: `postgres://postgres@127.0.0.1:${port}/chaos`, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
