/**
 * One chaos run on one store: the clouds in their own process (`sim:clouds`), broker replicas as
 * child processes, flows from a pool of concurrent users, SIGKILLs at random flow counts; while
 * the brokers are down some active grants are made overdue (their `expires_at` moved into the
 * past: to the broker, the store is its memory, so that is what a long outage looks like) and
 * the clouds' clock moves on. After each restart it times the revocation of every overdue grant.
 * At the end the brokers settle (Azure's 5-minute removal floor passed on the clouds' clock,
 * retries due now), are stopped, and the store and the clouds are compared (counting.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrokerConfig } from '../../server/config/schema';
import { spawnSimClouds, type SimCloudsProcess } from '../../sim/clouds/standalone/client';
import { runCli } from './broker-process';
import { countAll, type ChaosCounts, type StoredGrant, type StoredRequest } from './counting';
import { Fleet } from './fleet';
import { Ledger, pickKind, runFlow } from './flows';
import { OverdueWatch } from './overdue';
import { seededRandom } from './random';
import { chaosStore, type ChaosStore, type StoreName } from './stores';

/** How far the clouds' clock moves on while brokers are down. */
const OUTAGE_MS = 10_000;

export interface ChaosOptions {
  readonly flows: number;
  readonly kills: number;
  readonly seed: number;
  readonly log: (line: string) => void;
}

export interface ChaosResult {
  readonly store: StoreName;
  readonly replicas: number;
  readonly ledger: Ledger;
  readonly kills: number;
  readonly overdue: { readonly grants: number; readonly timesMs: readonly number[]; readonly missed: number };
  readonly settled: boolean;
  readonly counts: ChaosCounts;
  readonly seconds: number;
}

/** Slow and failing cloud calls, so kills land mid-call and retries are exercised. */
async function injectFaults(clouds: SimCloudsProcess): Promise<void> {
  await clouds.control.addFault({ cloud: '*', delayMs: 120, probability: 0.3 });
  for (const operation of [
    'setIamPolicy',
    'PUT roleAssignmentScheduleRequests',
    'AssumeRole',
    'PutRolePolicy',
  ])
    await clouds.control.addFault({ cloud: '*', operation, fail: { status: 503 }, probability: 0.05 });
}

/** While every broker is down: a few active grants become overdue; returns their ids. */
async function makeOverdue(store: ChaosStore, random: () => number): Promise<string[]> {
  const db = await store.open();
  try {
    const { rows } = await db.query<{ id: string }>(
      `UPDATE grants SET expires_at = now() - interval '1 second'
         WHERE id IN (SELECT id FROM grants WHERE status = 'active'
                        AND (target_cloud <> 'azure' OR starts_at < now() - interval '5 minutes')
                      ORDER BY random() LIMIT $1)
       RETURNING id`,
      [1 + Math.floor(random() * 2)],
    );
    return rows.map((r) => r.id);
  } finally {
    await db.close();
  }
}

async function readStore(store: ChaosStore): Promise<{ grants: StoredGrant[]; requests: StoredRequest[] }> {
  const db = await store.open();
  try {
    const grants = await db.query<{
      id: string;
      request_id: string;
      status: string;
      expires_at: Date;
      provider_ref: Record<string, unknown> | null;
    }>('SELECT id, request_id, status, expires_at, provider_ref FROM grants');
    const requests = await db.query<{
      id: string;
      status: string;
      grant_id: string | null;
      linked_grant_id: string | null;
    }>('SELECT id, status, grant_id, linked_grant_id FROM access_requests');
    return {
      grants: grants.rows.map((g) => ({
        id: g.id,
        requestId: g.request_id,
        status: g.status,
        expiresAt: new Date(g.expires_at),
        providerRef: g.provider_ref,
      })),
      requests: requests.rows.map((r) => ({
        id: r.id,
        status: r.status,
        grantId: r.grant_id,
        linkedGrantId: r.linked_grant_id,
      })),
    };
  } finally {
    await db.close();
  }
}

/** Retries due now (after the clouds' clock passed Azure's removal floor), instead of after backoff. */
async function retriesDueNow(store: ChaosStore): Promise<void> {
  const db = await store.open();
  try {
    await db.query(
      `UPDATE grants SET next_attempt_at = now() WHERE status NOT IN ('active', 'revoked', 'ended', 'failed')`,
    );
  } finally {
    await db.close();
  }
}

const SETTLING = new Set(['approved', 'provisioning', 'provision-failed', 'revoking', 'revoke-failed']);

/** Waits until no grant is mid-way or overdue (as the API lists them), up to `timeoutMs`. */
async function settle(fleet: Fleet, timeoutMs: number, log: (line: string) => void): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let unsettled: unknown[] = [];
  while (Date.now() < deadline) {
    unsettled = [];
    let cursor: string | null = null;
    let busy = false;
    do {
      const page = await fleet.api('bob', 'GET', `/api/v1/grants${cursor ? `?cursor=${cursor}` : ''}`);
      if (page.status !== 200) {
        busy = true;
        break;
      }
      const { items, nextCursor } = page.json as {
        items: { status: string; expiresAt: string }[];
        nextCursor: string | null;
      };
      busy ||= items.some(
        (g) => SETTLING.has(g.status) || (g.status === 'active' && Date.parse(g.expiresAt) <= Date.now()),
      );
      cursor = nextCursor;
    } while (cursor && !busy);
    if (!busy) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`  not settled: ${unsettled.slice(0, 5).join('; ')}`);
  return false;
}

export async function chaosRun(storeName: StoreName, options: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const random = seededRandom(options.seed);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `unblock-chaos-${storeName}-`));
  const cloudConfig = path.join(tmp, 'clouds.json');
  const clouds = await spawnSimClouds(cloudConfig);
  const store = await chaosStore(storeName, tmp);
  try {
    const config = JSON.parse(fs.readFileSync(cloudConfig, 'utf8')) as BrokerConfig;
    const brokerConfig = path.join(tmp, 'broker.json');
    fs.writeFileSync(
      brokerConfig,
      JSON.stringify({ ...config, rateLimit: { perMinute: 1_000_000, burst: 100_000 } }),
    );
    const env = { ...store.env, UNBLOCK_CONFIG: brokerConfig, UNBLOCK_SIM_URL: clouds.simUrl };
    const tokens = {
      alice: await runCli(['token', 'create', '--user', 'alice', '--ttl', '1d'], env),
      bob: await runCli(['token', 'create', '--user', 'bob', '--ttl', '1d'], env),
    };
    await injectFaults(clouds);
    const fleet = new Fleet(
      store.replicas,
      (i) => ({ ...env, UNBLOCK_WORKER_ID: `chaos-${storeName}-${i}` }),
      tokens,
      random,
    );
    const ledger = new Ledger();
    const watch = new OverdueWatch(fleet);
    await fleet.startAll();
    const killAt = new Set<number>();
    while (killAt.size < Math.min(options.kills, options.flows - 1))
      killAt.add(1 + Math.floor(random() * (options.flows - 1)));
    let kills = 0;
    let next = 0;
    let gate: Promise<void> = Promise.resolve();
    const crash = async () => {
      await new Promise((r) => setTimeout(r, Math.floor(random() * 400)));
      watch.interrupt();
      kills += await fleet.kill(fleet.victims());
      // PGlite serves one process at a time: its store opens only while the broker is down.
      if (fleet.allDown || store.name === 'postgres') {
        const overdue = await makeOverdue(store, random);
        // Not an Azure grant activated under 5 minutes ago: Azure itself refuses to remove those.
        ledger.done.expiry += overdue.length;
        watch.add(overdue);
      }
      // Time passes in the clouds while the brokers are down (less than the 5 minutes of clock skew
      // the AWS revocation cutoff allows for, server/clouds/aws/revoke.ts).
      await clouds.control.advanceClock(OUTAGE_MS);
      await fleet.startAll();
      watch.restarted();
      options.log(
        `  ${storeName}: kill ${kills} after ${next} flows; ${watch.pending} overdue grant(s) watched`,
      );
    };
    const worker = async () => {
      for (;;) {
        await gate;
        const n = next++;
        if (n >= options.flows) return;
        if (killAt.has(n)) {
          gate = gate.then(crash);
          await gate;
        }
        await runFlow(pickKind(random), n, fleet.api, ledger, random);
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    await gate;
    await watch.drain();

    // The end: past Azure's removal floor on the clouds' clock, retries due now, then settle.
    await fleet.kill();
    await clouds.control.advanceClock(6 * 60_000);
    await retriesDueNow(store);
    await fleet.startAll();
    const settled = await settle(fleet, 120_000, options.log);
    await fleet.kill();
    const state = await clouds.control.state();
    const { grants, requests } = await readStore(store);
    const counts = countAll({
      filed: ledger.filed,
      approved: ledger.approved,
      requests,
      grants,
      state,
      now: new Date(),
    });
    return {
      store: storeName,
      replicas: store.replicas,
      ledger,
      kills,
      overdue: watch.summary(),
      settled,
      counts,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await clouds.stop();
    await store.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
