/**
 * Every provisioning write under the worker's lease (issue 12, point 1).
 *
 * (a) A revoke racing the re-apply of a merged grant's new expiry ends with no access in the cloud
 *     (the sim entitlements and the GCP fake's IAM policy): the re-apply's cloud call is paused
 *     mid-call while the holder revokes; before, the re-apply ran beside the worker, unleased, and
 *     wrote the access back after the revoke had removed it.
 * (b) A worker whose lease ran out while it called the cloud neither overwrites the provider ref
 *     the newer holder saved nor leaves behind what it wrote once the grant was taken away.
 * The broker runs as `startBroker` composes it (server/main.ts), driven over HTTP.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { AccessRequestView, GrantView, type CreateRequestBody } from '../../lib/contract/api';
import { startBroker, type RunningBroker } from '../../server/main';
import { createPolicyEngine } from '../../server/policy/engine';
import { createSimProvisioner } from '../../server/provision/sim';
import type { Provisioner } from '../../server/provision/types';
import { createBroker } from '../../server/service/broker';
import { createWorker } from '../../server/service/worker';
import type { Db } from '../../server/store/db';
import { getProviderRef } from '../../server/store/grants';
import { startSimCloud, type SimCloud } from '../../sim/clouds/entitlements';
import { Clock, alice, body, testConfig } from './broker-fixtures';
import { bindingsOf, closeGcpFakes, setupGcp } from './gcp-fixtures';
import { gated, gcpReadBody, within } from './leases-fixtures';
import { forEachStore } from './pg-harness';

const HOUR_MS = 3_600_000;
let sim: SimCloud;
beforeAll(async () => {
  sim = await startSimCloud();
});
afterAll(() => sim.close());
afterEach(() => closeGcpFakes());

const running: RunningBroker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((b) => b.close()));
});

async function api<T>(
  broker: RunningBroker,
  token: string,
  method: string,
  path: string,
  schema: { parse(v: unknown): T },
  payload?: unknown,
): Promise<T> {
  const res = await fetch(`${broker.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
  });
  const json: unknown = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return schema.parse(json);
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Grant → merge a second request into it (a later expiry: due for re-apply) → the re-apply's
 * cloud call paused → the holder revokes → the call goes on. Returns the grant id.
 */
async function revokeDuringReapply(db: Db, provisioner: Provisioner, request: CreateRequestBody) {
  const pausing = gated(provisioner, 2);
  const broker = await startBroker({
    db,
    config: await testConfig(),
    provisioners: () => pausing.provisioner,
    port: 0,
    host: '127.0.0.1',
    sweepMs: 50,
    log: () => undefined,
  });
  running.push(broker);
  const { token } = await broker.createApiToken('alice', HOUR_MS, 'leases test');
  const first = await api(broker, token, 'POST', '/api/v1/requests', AccessRequestView, request);
  const grantId = first.grantId!;
  const grant = () => api(broker, token, 'GET', `/api/v1/grants/${grantId}`, GrantView);
  await waitFor(async () => (await grant()).status === 'active', 'the grant to be active');

  // The same entitlement again, a moment later: merged, its expiry moved, due for re-apply.
  await new Promise((r) => setTimeout(r, 5));
  const merged = await api(broker, token, 'POST', '/api/v1/requests', AccessRequestView, request);
  expect(merged.grantId).toBe(grantId);
  await pausing.entered;

  await api(broker, token, 'POST', `/api/v1/grants/${grantId}/revoke`, GrantView, { reason: 'done' });
  // Leave a revoke that does not wait for the paused write time to land first (the old broker's).
  await within(pausing.revoked, 1500);
  pausing.open();
  await pausing.passed;
  await waitFor(async () => (await grant()).status === 'revoked', 'the grant to be revoked');
  return grantId;
}

forEachStore('leased provisioning', (store) => {
  it('a revoke racing the re-apply after a merge leaves no entitlement in the sim cloud', async () => {
    const db = await store.migrated();
    const grantId = await revokeDuringReapply(db, createSimProvisioner(sim.url), body());
    // Whatever the paused write did, nothing of the grant is left once both are done.
    await new Promise((r) => setTimeout(r, 100));
    expect(sim.list().filter((e) => e.grantId === grantId)).toEqual([]);
  });

  it('a revoke racing the re-apply after a merge leaves no binding in the GCP fake', async () => {
    const db = await store.migrated();
    const { fake, provisioner } = await setupGcp();
    const grantId = await revokeDuringReapply(db, provisioner, gcpReadBody());
    await new Promise((r) => setTimeout(r, 100));
    expect(bindingsOf(fake).filter((b) => b.condition?.title === `unblock ${grantId}`)).toEqual([]);
  });

  it('a worker whose lease ran out keeps its hands off the newer holder’s provider ref', async () => {
    const db = await store.migrated();
    const config = await testConfig();
    const clock = new Clock();
    const identities = (user: string) =>
      Promise.resolve(config.users.find((u) => u.name === user)?.identities ?? {});
    const broker = createBroker({
      db,
      config,
      policy: createPolicyEngine(),
      now: clock.now,
      provisionerFor: () => createSimProvisioner(sim.url),
      identities,
    });
    const slow = gated(createSimProvisioner(sim.url), 1, 'worker-a');
    const fast = gated(createSimProvisioner(sim.url), 0, 'worker-b');
    const worker = (id: string, provisioner: Provisioner) =>
      createWorker({
        db,
        provisionerFor: () => provisioner,
        identities,
        workerId: id,
        now: clock.now,
        leaseMs: 10_000,
      });
    const request = await broker.createRequest(alice, body());
    if (!request.ok) throw new Error(request.error.message);
    const grantId = request.value.grantId!;

    const a = worker('worker-a', slow.provisioner).runOnce();
    await slow.entered;
    clock.advance(10_001); // worker A's lease runs out mid-call; B takes the grant over
    await worker('worker-b', fast.provisioner).runOnce();
    expect(await getProviderRef(db, grantId)).toMatchObject({ by: 'worker-b' });
    slow.open();
    await a;
    expect(await getProviderRef(db, grantId)).toMatchObject({ by: 'worker-b' });
    const after = await broker.getGrant(alice, grantId);
    expect(after.ok && after.value.status).toBe('active');
  });

  it('a worker whose lease ran out removes what it wrote after the grant was taken away', async () => {
    const db = await store.migrated();
    const config = await testConfig();
    const clock = new Clock();
    const identities = (user: string) =>
      Promise.resolve(config.users.find((u) => u.name === user)?.identities ?? {});
    const broker = createBroker({
      db,
      config,
      policy: createPolicyEngine(),
      now: clock.now,
      provisionerFor: () => createSimProvisioner(sim.url),
      identities,
    });
    const slow = gated(createSimProvisioner(sim.url), 1, 'worker-a');
    const worker = (id: string, provisioner: Provisioner) =>
      createWorker({
        db,
        provisionerFor: () => provisioner,
        identities,
        workerId: id,
        now: clock.now,
        leaseMs: 10_000,
      });
    const request = await broker.createRequest(alice, body());
    if (!request.ok) throw new Error(request.error.message);
    const grantId = request.value.grantId!;

    const a = worker('worker-a', slow.provisioner).runOnce();
    await slow.entered;
    clock.advance(10_001);
    const b = worker('worker-b', createSimProvisioner(sim.url));
    await b.runOnce();
    expect((await broker.revokeGrant(alice, grantId, {})).ok).toBe(true);
    await b.runOnce();
    expect(sim.list().filter((e) => e.grantId === grantId)).toEqual([]);
    slow.open(); // A's write lands after the revoke
    await a;
    expect(sim.list().filter((e) => e.grantId === grantId)).toEqual([]);
    const after = await broker.getGrant(alice, grantId);
    expect(after.ok && after.value.status).toBe('revoked');
  });
});
