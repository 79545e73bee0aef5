/**
 * Crash safety: the broker process is killed with SIGKILL at random moments while it provisions
 * and revokes grants (the simulated cloud answers slowly, so kills land mid-call), time passes
 * while it is down, and it is restarted. Afterwards no grant may be left in the cloud past its
 * expiry, every approved request must have its grant, and the audit chain must be intact.
 *
 * The broker runs as a real child process (`unblock-server start`), on each store engine. Time
 * "passes" by moving grants' `expires_at` into the past while the broker is down: the store is
 * the broker's only memory, so that is exactly what a long outage looks like to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { GrantView } from '../../lib/contract/api';
import { AccessRequestView } from '../../lib/contract/api';
import { verifyAudit } from '../../server/store/audit';
import type { Db } from '../../server/store/db';
import { openStore } from '../../server/store/open';
import { startSimCloud, type SimCloud } from '../../sim/clouds/entitlements';
import { PRODUCTION, body, testConfig } from './broker-fixtures';
import { forEachStore, freePort } from './pg-harness';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'bin/unblock-server.js');
const ROUNDS = 5;

let sim: SimCloud;
beforeAll(async () => {
  sim = await startSimCloud();
});
afterAll(() => sim.close());

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}: ${err}`)),
    );
  });
}

/** Starts the broker and resolves once it listens. */
function startBrokerProcess(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'start'], { env: { ...process.env, ...env }, cwd: ROOT });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolve(child);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`broker exited (${code}) before listening: ${err}`)));
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  children.delete(child);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

forEachStore('crash safety', (fixture) => {
  it('survives SIGKILL during provisioning and revocation: nothing outlives its expiry, no approval is lost', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-crash-'));
    let storeEnv: NodeJS.ProcessEnv;
    let openDb: () => Promise<Db>;
    if (fixture.engine === 'postgres') {
      const seed = await fixture.migrated();
      const url = fixture.urlOf(seed)!;
      await seed.close(); // the broker processes own the database from here
      storeEnv = { DATABASE_URL: url };
      openDb = () => openStore({ databaseUrl: url, dataDir: '' });
    } else {
      const dataDir = path.join(tmp, 'store');
      storeEnv = { UNBLOCK_DATA_DIR: dataDir };
      openDb = () => openStore({ dataDir });
    }
    const port = await freePort();
    const configFile = path.join(tmp, 'broker.json');
    fs.writeFileSync(configFile, JSON.stringify(await testConfig()));
    const env: NodeJS.ProcessEnv = {
      ...storeEnv,
      PORT: String(port),
      HOST: '127.0.0.1',
      UNBLOCK_SIM_URL: sim.url,
      UNBLOCK_SWEEP_MS: '50',
      UNBLOCK_WORKER_ID: `crash-${fixture.engine}`,
      // Targets on the simulated entitlements API, which outlives the broker process and so shows
      // what the "cloud" still holds after each kill.
      UNBLOCK_CONFIG: configFile,
    };
    const tokens = {
      alice: await run(['token', 'create', '--user', 'alice', '--ttl', '1h'], env),
      bob: await run(['token', 'create', '--user', 'bob', '--ttl', '1h'], env),
    };
    const api = async (user: keyof typeof tokens, method: string, url: string, payload?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}${url}`, {
        method,
        headers: { authorization: `Bearer ${tokens[user]}`, 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
      });
      return { status: res.status, json: (await res.json()) as unknown };
    };

    // Every mutating call to the "cloud" takes 150 ms: a kill at a random moment often lands mid-call.
    await fetch(`${sim.url}/sim/v1/faults`, { method: 'POST', body: JSON.stringify({ delayMs: 150 }) });
    const approved: string[] = [];
    const random = seededRandom(fixture.engine === 'postgres' ? 7 : 3);

    for (let round = 0; round < ROUNDS; round++) {
      const broker = await startBrokerProcess(env);
      // New grants to provision: auto-approved reads on the sandbox, and an approved prod request.
      for (let i = 0; i < 3; i++) {
        const r = await api(
          'alice',
          'POST',
          '/api/v1/requests',
          body({ actions: [`s3:GetObject`], resource: `arn:aws:s3:::bucket-${round}-${i}/*` }),
        );
        expect(r.status).toBe(201);
        approved.push(AccessRequestView.parse(r.json).id);
      }
      const prod = AccessRequestView.parse(
        (
          await api(
            'alice',
            'POST',
            '/api/v1/requests',
            body({ target: { cloud: 'aws', account: PRODUCTION }, actions: ['ec2:StopInstances'] }),
          )
        ).json,
      );
      const decided = await api('bob', 'POST', `/api/v1/requests/${prod.id}/approve`, {});
      expect(decided.status).toBe(200);
      approved.push(prod.id);
      // Revoke one of the older grants early, so revocations are in flight too.
      const { json } = await api('alice', 'GET', '/api/v1/grants?status=active');
      const active = (json as { items: GrantView[] }).items;
      if (active.length > 0) await api('alice', 'POST', `/api/v1/grants/${active[0]!.id}/revoke`, {});

      await sleep(Math.floor(random() * 600));
      await kill(broker);

      // While it is down, time passes for some grants: they are now past their expiry.
      const db = await openDb();
      try {
        await db.query(
          `UPDATE grants SET expires_at = now() - interval '1 second'
             WHERE id IN (SELECT id FROM grants WHERE status NOT IN ('ended', 'revoked') ORDER BY id LIMIT 2)`,
        );
      } finally {
        await db.close();
      }
    }

    // Final start: let the broker reconcile, then check the cloud and the store agree.
    const broker = await startBrokerProcess(env);
    // Read through the API while the broker runs (PGlite serves one process at a time).
    const settled = async () => {
      const grants: GrantView[] = [];
      let cursor: string | null = null;
      do {
        const page = (await api('bob', 'GET', `/api/v1/grants${cursor ? `?cursor=${cursor}` : ''}`)).json as {
          items: GrantView[];
          nextCursor: string | null;
        };
        grants.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return grants.every(
        (g) =>
          g.status === 'ended' ||
          g.status === 'revoked' ||
          (g.status === 'active' && Date.parse(g.expiresAt) > Date.now()),
      );
    };
    await eventually(settled, 'every grant to settle');
    await kill(broker);

    const db = await openDb();
    try {
      const { rows: grants } = await db.query<{
        id: string;
        request_id: string;
        status: string;
        expires_at: Date;
      }>('SELECT id, request_id, status, expires_at FROM grants');
      const inCloud = new Set(sim.list().map((e) => e.grantId));
      for (const g of grants) {
        if (g.expires_at.getTime() <= Date.now() || g.status !== 'active') {
          const finished = g.status === 'ended' || g.status === 'revoked';
          expect({ id: g.id, status: g.status, finished, inCloud: inCloud.has(g.id) }).toEqual({
            id: g.id,
            status: g.status,
            finished: true,
            inCloud: false,
          });
        } else {
          expect({ id: g.id, inCloud: inCloud.has(g.id) }).toEqual({ id: g.id, inCloud: true });
        }
      }
      // Every approval the API acknowledged has its grant (merged requests point at the grant they joined).
      const { rows: requests } = await db.query<{ id: string; status: string; grant_id: string | null }>(
        `SELECT id, status, grant_id FROM access_requests WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
        [JSON.stringify(approved)],
      );
      expect(requests).toHaveLength(approved.length);
      for (const r of requests)
        expect({ id: r.id, status: r.status, hasGrant: r.grant_id !== null }).toEqual({
          id: r.id,
          status: 'approved',
          hasGrant: true,
        });
      expect(await verifyAudit(db)).toMatchObject({ ok: true });
    } finally {
      await db.close();
      await fetch(`${sim.url}/sim/v1/faults`, { method: 'POST', body: JSON.stringify({ delayMs: 0 }) });
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 240_000);
});

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
