/**
 * A grant the cloud will not take, through the broker's use cases and worker (issue 11): a
 * permanent refusal ends the grant `failed` in the same worker pass, errors worth retrying end it
 * after the configured attempts, every step is audited and reaches the transition hook, and the
 * requester, the target's approvers and auditors (not others) read the reason and the advice.
 * Runs on PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GrantView as GrantViewSchema } from '../../lib/contract/api';
import type { DomainEvent } from '../../server/domain';
import { createPolicyEngine } from '../../server/policy/engine';
import { createSimProvisioner } from '../../server/provision/sim';
import { ProvisionError, type Provisioner } from '../../server/provision/types';
import { createBroker } from '../../server/service/broker';
import type { ServiceResult } from '../../server/service/errors';
import { createWorker } from '../../server/service/worker';
import type { Db } from '../../server/store/db';
import { startSimCloud, type SimCloud } from '../../sim/clouds/entitlements';
import { Clock, alice, bob, body, carol, erin, testConfig } from './broker-fixtures';
import { forEachStore } from './pg-harness';

const policy = createPolicyEngine();
let sim: SimCloud;
beforeAll(async () => {
  sim = await startSimCloud();
});
afterAll(() => sim.close());

function value<T>(r: ServiceResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

const faults = (f: { failNext: number; status: number }) =>
  fetch(`${sim.url}/sim/v1/faults`, { method: 'POST', body: JSON.stringify(f) });

async function setup(db: Db, options: { provisioner?: Provisioner; provisionAttempts?: number } = {}) {
  const config = await testConfig();
  const clock = new Clock();
  const provisioner = options.provisioner ?? createSimProvisioner(sim.url);
  const hooked: DomainEvent[] = [];
  const identities = (user: string) =>
    Promise.resolve(config.users.find((u) => u.name === user)?.identities ?? {});
  const worker = createWorker({
    db,
    provisionerFor: () => provisioner,
    identities,
    workerId: 'test-worker',
    now: clock.now,
    retry: { baseMs: 5_000, capMs: 60_000, provisionAttempts: options.provisionAttempts ?? 8 },
    onTransition: (_tx, events) => {
      hooked.push(...events);
      return Promise.resolve();
    },
  });
  const broker = createBroker({
    db,
    config,
    policy,
    now: clock.now,
    provisionerFor: () => provisioner,
    identities,
  });
  return { broker, worker, clock, hooked };
}

forEachStore('grant failures', (fixture) => {
  it('a permanent refusal ends the grant failed in one worker pass, audited, with reason and advice', async () => {
    const db = await fixture.migrated();
    await faults({ failNext: 1, status: 403 });
    const { broker, worker, hooked } = await setup(db);
    const request = value(await broker.createRequest(alice, body()));
    await worker.runOnce();

    const grant = value(await broker.getGrant(alice, request.grantId!));
    expect(GrantViewSchema.safeParse(grant).success).toBe(true);
    expect(grant).toMatchObject({
      status: 'failed',
      nextAttemptAt: null,
      maxAttempts: 8,
      failure: {
        cause: 'permanent',
        reason: expect.stringMatching(/simulated cloud answered 403/) as unknown,
        advice: expect.stringMatching(/^fix what the reason names/) as unknown,
        attempts: 1,
      },
    });
    expect(grant.endedAt).not.toBeNull();
    // One attempt, no retry: the old behaviour scheduled retries for as long as the grant lived.
    expect(sim.list().some((e) => e.grantId === grant.id)).toBe(false);
    expect(value(await broker.getRequest(alice, request.id)).status).toBe('approved');

    const audit = value(await broker.listAudit(carol, {})).items.filter((e) => e.subject === grant.id);
    expect(audit.map((e) => e.type)).toEqual([
      'grant.issued',
      'grant.provisioning',
      'grant.provision-failed',
      'grant.revoking',
      'grant.failed',
    ]);
    expect(audit.at(-1)).toMatchObject({
      actor: 'system',
      details: { cause: 'permanent', reason: grant.failure!.reason, advice: grant.failure!.advice },
    });
    // Every step reached the transition hook (the webhook outbox), the last one included.
    expect(hooked.map((e) => e.type)).toEqual([
      'grant.provisioning',
      'grant.provision-failed',
      'grant.revoking',
      'grant.failed',
    ]);
  });

  it('retries errors worth retrying, visibly, and gives up after the configured attempts', async () => {
    const db = await fixture.migrated();
    await faults({ failNext: 3, status: 503 });
    const { broker, worker, clock } = await setup(db, { provisionAttempts: 3 });
    const request = value(await broker.createRequest(alice, body()));
    await worker.runOnce();
    const first = value(await broker.getGrant(alice, request.grantId!));
    expect(first).toMatchObject({ status: 'provision-failed', attempts: 1, maxAttempts: 8 });
    expect(first.lastError).toMatch(/503/);
    clock.advance(5_000);
    await worker.runOnce();
    expect(value(await broker.getGrant(alice, request.grantId!))).toMatchObject({
      status: 'provision-failed',
      attempts: 2,
    });
    clock.advance(10_000);
    await worker.runOnce();
    expect(value(await broker.getGrant(alice, request.grantId!))).toMatchObject({
      status: 'failed',
      failure: { cause: 'attempts-exhausted', attempts: 3 },
    });
    await faults({ failNext: 0, status: 503 });
  });

  it('cleans up what a provisioner put in place before it failed for good', async () => {
    const db = await fixture.migrated();
    const sims = createSimProvisioner(sim.url);
    // Puts the entitlement in place, then fails for good (one role of two assigned, the other refused).
    const halfway: Provisioner = {
      ...sims,
      async grant(grant, identities, context) {
        await sims.grant(grant, identities, context);
        throw ProvisionError.permanent('the second role assignment was refused by policy', {
          code: 'RequestDisallowedByPolicy',
          advice: 'exempt the JIT scope from the policy assignment',
        });
      },
    };
    const { broker, worker } = await setup(db, { provisioner: halfway });
    const request = value(await broker.createRequest(alice, body()));
    await worker.runOnce();
    const grant = value(await broker.getGrant(alice, request.grantId!));
    expect(grant).toMatchObject({
      status: 'failed',
      failure: {
        cause: 'permanent',
        code: 'RequestDisallowedByPolicy',
        advice: 'exempt the JIT scope from the policy assignment',
      },
    });
    expect(sim.list().some((e) => e.grantId === grant.id)).toBe(false);
  });

  it('shows failed grants to the requester, the target’s approvers and auditors, not to others', async () => {
    const db = await fixture.migrated();
    await faults({ failNext: 1, status: 400 });
    const { broker, worker } = await setup(db);
    const request = value(await broker.createRequest(alice, body()));
    await worker.runOnce();
    for (const who of [alice, bob, carol]) {
      const list = value(await broker.listGrants(who, { status: 'failed' }));
      expect(list.items.map((g) => [g.id, g.failure?.cause])).toEqual([[request.grantId, 'permanent']]);
    }
    expect(value(await broker.listGrants(erin, { status: 'failed' })).items).toEqual([]);
    const stranger = await broker.getGrant(erin, request.grantId!);
    expect(stranger.ok || stranger.error.code).toBe('forbidden');
    // Nothing is left to revoke: a failed grant is final.
    const revoke = await broker.revokeGrant(bob, request.grantId!, {});
    expect(revoke.ok || revoke.error.code).toBe('conflict');
  });

  it('lets the requester ask again once it failed: the new request is a new grant, not merged', async () => {
    const db = await fixture.migrated();
    await faults({ failNext: 1, status: 403 });
    const { broker, worker } = await setup(db);
    const first = value(await broker.createRequest(alice, body()));
    await worker.runOnce();
    const again = value(await broker.createRequest(alice, body()));
    expect(again.grantId).not.toBe(first.grantId);
    await worker.runOnce();
    expect(value(await broker.getGrant(alice, again.grantId!)).status).toBe('active');
  });
});
