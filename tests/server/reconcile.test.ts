/**
 * The reconciler (issue 12): what the clouds hold that Unblock made, against what the grants own.
 * On the sim entitlements, the GCP fake and the Azure fake: access no live grant owns (a revoked
 * grant's, an unknown grant's) is removed and audited `reconcile.orphan_removed`; an active grant
 * whose access is missing is audited `reconcile.reapplied` and the worker puts it back under its
 * lease; a grant in the middle of provisioning is left alone; one replica reconciles at a time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CreateRequestBody } from '../../lib/contract/api';
import type { BrokerConfig } from '../../server/config/schema';
import { planReconcile, type GrantFacts } from '../../server/reconcile/plan';
import { reconcileOnce } from '../../server/reconcile/run';
import { createPolicyEngine } from '../../server/policy/engine';
import { createSimProvisioner } from '../../server/provision/sim';
import type { HeldAccess, Provisioner } from '../../server/provision/types';
import { createBroker } from '../../server/service/broker';
import { createWorker } from '../../server/service/worker';
import { readAudit } from '../../server/store/audit';
import { getGrant, getProviderRef } from '../../server/store/grants';
import type { Db } from '../../server/store/db';
import { takeSingletonLease } from '../../server/store/reconcile';
import { startSimCloud, type SimCloud } from '../../sim/clouds/entitlements';
import { Clock, alice, body, testConfig } from './broker-fixtures';
import {
  ALICE as AZURE_ALICE,
  CONTEXT as AZURE_CONTEXT,
  MINUTE,
  START_VM,
  SUB,
  VM,
  azureWorld,
  identities as azureIdentities,
} from './clouds-azure-fixtures';
import { bindingsOf, closeGcpFakes, setupGcp } from './gcp-fixtures';
import { gated, gcpReadBody } from './leases-fixtures';
import { forEachStore } from './pg-harness';

const GRACE_MS = 30_000;
let sim: SimCloud;
beforeAll(async () => {
  sim = await startSimCloud();
});
afterAll(() => sim.close());
afterEach(() => closeGcpFakes());

function facts(over: Partial<GrantFacts> & { id: string }): GrantFacts {
  return { status: 'active', endedAt: null, appliedAt: null, leased: false, ownsAccess: true, ...over };
}
const held = (grantIds: string[]): HeldAccess => ({
  key: grantIds.join('+'),
  target: { cloud: 'gcp', account: 'acme-dev' },
  grantIds,
  description: 'x',
  detail: {},
});

describe('the reconciler’s plan', () => {
  const now = new Date('2026-06-01T12:00:00.000Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);
  it('removes only what every claimant left more than the grace ago, or no grant claims', () => {
    const claimants = new Map(
      [
        facts({ id: 'ended-long-ago', status: 'revoked', endedAt: ago(GRACE_MS + 1) }),
        facts({ id: 'ended-just-now', status: 'ended', endedAt: ago(1000) }),
        facts({ id: 'revoking', status: 'revoking' }),
        facts({ id: 'revoke-failed', status: 'revoke-failed' }),
        facts({ id: 'provisioning', status: 'provisioning' }),
        facts({ id: 'active', appliedAt: ago(GRACE_MS * 2) }),
      ].map((g) => [g.id, g]),
    );
    const items = [
      'ended-long-ago',
      'ended-just-now',
      'revoking',
      'revoke-failed',
      'provisioning',
      'active',
      'unknown',
    ].map((id) => held([id]));
    items.push(held(['ended-long-ago', 'active'])); // taken over by a live grant
    const plan = planReconcile({ held: items, listedAt: now, claimants, active: [], now, graceMs: GRACE_MS });
    expect(plan.orphans.map((h) => h.key)).toEqual(['ended-long-ago', 'unknown']);
  });

  it('re-applies an active grant the listing misses, unless it is leased, fresh or holds nothing of its own', () => {
    const active = [
      facts({ id: 'missing', appliedAt: ago(GRACE_MS + 1) }),
      facts({ id: 'shown', appliedAt: ago(GRACE_MS + 1) }),
      facts({ id: 'leased', appliedAt: ago(GRACE_MS + 1), leased: true }),
      facts({ id: 'fresh', appliedAt: ago(1000) }),
      facts({ id: 'not-owned', appliedAt: ago(GRACE_MS + 1), ownsAccess: false }),
    ];
    const plan = planReconcile({
      held: [held(['shown'])],
      listedAt: now,
      claimants: new Map(),
      active,
      now,
      graceMs: GRACE_MS,
    });
    expect(plan.missing.map((g) => g.id)).toEqual(['missing']);
  });
});

async function world(db: Db, provisioner: Provisioner) {
  const config: BrokerConfig = {
    ...(await testConfig()),
    reconcile: { intervalSeconds: 0, graceSeconds: GRACE_MS / 1000 },
  };
  const clock = new Clock();
  const identities = (user: string) =>
    Promise.resolve(config.users.find((u) => u.name === user)?.identities ?? {});
  const broker = createBroker({
    db,
    config,
    policy: createPolicyEngine(),
    now: clock.now,
    provisionerFor: () => provisioner,
    identities,
  });
  const worker = (p: Provisioner = provisioner) =>
    createWorker({ db, provisionerFor: () => p, identities, workerId: 'w', now: clock.now });
  const grant = async (b: CreateRequestBody) => {
    const r = await broker.createRequest(alice, b);
    if (!r.ok) throw new Error(r.error.message);
    return r.value.grantId!;
  };
  const reconcile = () =>
    reconcileOnce({
      db,
      targets: config.targets,
      provisionerFor: () => provisioner,
      owner: 'test-reconciler',
      graceMs: GRACE_MS,
      now: clock.now,
      log: () => undefined,
    });
  const audit = async (type: string) =>
    (await readAudit(db, 0, 1000)).filter((e) => e.type === type).map((e) => e.subject);
  return { broker, worker, grant, reconcile, audit, clock, config };
}

forEachStore('reconciler', (store) => {
  it('sim: removes a revoked grant’s and an unknown grant’s entitlement, re-applies a missing one, leaves a provisioning grant alone', async () => {
    const db = await store.migrated();
    const sims = createSimProvisioner(sim.url);
    const w = await world(db, sims);
    const revokedId = await w.grant(body({ actions: ['s3:GetObject'] }));
    const missingId = await w.grant(body({ actions: ['s3:ListBucket'] }));
    await w.worker().runOnce();
    expect((await w.broker.revokeGrant(alice, revokedId, {})).ok).toBe(true);
    await w.worker().runOnce();
    // The access comes back behind the broker's back (the bug this closes), and one nobody made.
    const leftover = { cloud: 'aws', account: '111111111111', identity: 'alice', actions: ['s3:GetObject'] };
    for (const grantId of [revokedId, 'grt_unknown']) {
      await fetch(`${sim.url}/sim/v1/entitlements/${grantId}`, {
        method: 'PUT',
        body: JSON.stringify({ grantId, ...leftover, resource: null, expiresAt: '2030-01-01T00:00:00.000Z' }),
      });
    }
    await fetch(`${sim.url}/sim/v1/entitlements/${missingId}`, { method: 'DELETE' });

    // A third grant stops mid-provisioning: its access is in the cloud, the worker has not seen it yet.
    w.clock.advance(GRACE_MS + 1);
    const provisioningId = await w.grant(body({ actions: ['s3:GetBucketLocation'] }));
    const paused = gated(sims, 1, 'w', true);
    const pass = w.worker(paused.provisioner).runOnce();
    await paused.entered;

    const report = await w.reconcile();
    expect(report.removed.map((h) => h.grantIds)).toEqual(
      expect.arrayContaining([[revokedId], ['grt_unknown']]) as unknown,
    );
    expect(report.removed).toHaveLength(2);
    expect(report.reapplied).toEqual([missingId]);
    const ids = () => sim.list().map((e) => e.grantId);
    expect(ids()).not.toContain(revokedId);
    expect(ids()).not.toContain('grt_unknown');
    expect(ids()).toContain(provisioningId);
    expect(await w.audit('reconcile.orphan_removed')).toEqual(
      expect.arrayContaining([revokedId, 'grt_unknown']),
    );
    expect(await w.audit('reconcile.reapplied')).toEqual([missingId]);

    paused.open();
    await pass;
    await w.worker().runOnce();
    expect(ids()).toContain(missingId);
    expect(ids()).toContain(provisioningId);
    const after = await w.broker.getGrant(alice, provisioningId);
    expect(after.ok && after.value.status).toBe('active');
    // Nothing left to do on the next run.
    w.clock.advance(GRACE_MS + 1);
    expect(await w.reconcile()).toMatchObject({ removed: [], reapplied: [] });
  });

  it('GCP: removes an orphan binding and re-applies a missing one, audited', async () => {
    const db = await store.migrated();
    const ghost = {
      role: 'roles/compute.viewer',
      members: ['user:mallory@acme-corp.dev'],
      condition: {
        title: 'unblock grt_gone',
        expression: 'request.time < timestamp("2030-01-01T00:00:00Z")',
      },
    };
    const foreign = { role: 'roles/viewer', members: ['user:ops@acme-corp.dev'] };
    const { fake, provisioner } = await setupGcp({ bindings: [ghost, foreign] });
    const w = await world(db, provisioner);
    const grantId = await w.grant(gcpReadBody());
    await w.worker().runOnce();
    const mine = () => bindingsOf(fake).filter((b) => b.condition?.title === `unblock ${grantId}`);
    expect(mine()).toHaveLength(1);
    // Someone removes the grant's binding in the console.
    const stored = await getGrant(db, grantId);
    await provisioner.revoke(stored!, await getProviderRef(db, grantId), {});
    expect(mine()).toHaveLength(0);
    w.clock.advance(GRACE_MS + 1);

    const report = await w.reconcile();
    expect(report.removed.map((h) => h.grantIds)).toEqual([['grt_gone']]);
    expect(report.reapplied).toEqual([grantId]);
    expect(bindingsOf(fake).some((b) => b.condition?.title === 'unblock grt_gone')).toBe(false);
    expect(bindingsOf(fake)).toContainEqual(foreign);
    await w.worker().runOnce();
    expect(mine()).toHaveLength(1);
    expect(await w.audit('reconcile.orphan_removed')).toEqual(['grt_gone']);
    expect(await w.audit('reconcile.reapplied')).toEqual([grantId]);
  });

  it('runs on one replica at a time', async () => {
    const db = await store.migrated();
    const w = await world(db, createSimProvisioner(sim.url));
    const at = w.clock.now();
    expect(
      await takeSingletonLease(db, 'reconciler', 'other-replica', at, new Date(at.getTime() + 60_000)),
    ).toBe(true);
    expect(await w.reconcile()).toMatchObject({ ran: false });
    w.clock.advance(60_001);
    expect(await w.reconcile()).toMatchObject({ ran: true });
  });
});

describe('Azure inventory', () => {
  it('lists the live assignments Unblock made with every grant that wrote to them, and removes an orphan', async () => {
    const az = await azureWorld();
    try {
      const p = az.provisioner();
      const a = az.grant({ id: 'g-A', requestId: 'r-A' });
      const refA = await p.grant(a, azureIdentities, AZURE_CONTEXT);
      az.clock.advance(2 * MINUTE);
      await p.revoke(a, refA, azureIdentities).catch(() => undefined); // within the 5-minute floor
      const b = az.grant({ id: 'g-B', requestId: 'r-B', startsAt: az.clock.now() });
      await p.grant(b, azureIdentities, AZURE_CONTEXT);
      const target = { cloud: 'azure' as const, account: SUB, environment: 'dev' };
      const [item] = await p.inventory!(target);
      expect(item).toMatchObject({ grantIds: ['g-A', 'g-B'], target: { cloud: 'azure', account: SUB } });
      expect(await p.inventory!(target)).toHaveLength(1);
      az.clock.advance(4 * MINUTE);
      await p.removeHeld!(item!);
      expect(az.fake.state.allows(AZURE_ALICE.objectId, SUB, START_VM, VM)).toBe(false);
      expect(await p.inventory!(target)).toEqual([]);
    } finally {
      await az.fake.close();
    }
  });
});
