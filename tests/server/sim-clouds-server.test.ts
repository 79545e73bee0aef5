/**
 * `npm run sim:clouds` as another process: a broker child process configured with the config it
 * writes provisions into it (a GCP binding and an Azure PIM assignment show in its state API), an
 * injected fault reaches the broker as the cloud's own error and the grant is retried into place,
 * and the clock control moves the clouds' time (a binding's condition runs out).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GrantView } from '../../lib/contract/api';
import { callApi, runCli, startBrokerProcess, type BrokerProcess } from '../../bench/chaos/broker-process';
import { spawnSimClouds, type SimCloudsProcess } from '../../sim/clouds/standalone/client';
import { body } from './broker-fixtures';
import { freePort } from './pg-harness';

const ALICE_OID = '3f2b9c1e-7d4a-4e8b-9a61-5c0d2e8f7b14';
const AZURE_PROD = '22222222-2222-2222-2222-222222222222';

let tmp: string;
let clouds: SimCloudsProcess;
let broker: BrokerProcess;
let tokens: { alice: string; bob: string };

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-simclouds-'));
  const configFile = path.join(tmp, 'broker.json');
  clouds = await spawnSimClouds(configFile);
  const env = {
    UNBLOCK_CONFIG: configFile,
    UNBLOCK_DATA_DIR: path.join(tmp, 'store'),
    UNBLOCK_SWEEP_MS: '50',
  };
  tokens = {
    alice: await runCli(['token', 'create', '--user', 'alice', '--ttl', '1h'], env),
    bob: await runCli(['token', 'create', '--user', 'bob', '--ttl', '1h'], env),
  };
  broker = await startBrokerProcess(await freePort(), env);
}, 60_000);

afterAll(async () => {
  await broker?.kill();
  await clouds?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const api = (user: keyof typeof tokens, method: string, route: string, payload?: unknown) =>
  callApi(broker.url, tokens[user], method, route, payload);

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const grant = async (id: string) => GrantView.parse((await api('alice', 'GET', `/api/v1/grants/${id}`)).json);
async function activeGrant(id: string): Promise<GrantView> {
  let last: GrantView | undefined;
  try {
    return await until(async () => {
      last = await grant(id);
      return last.status === 'active' ? last : undefined;
    }, `grant ${id} to become active`);
  } catch (e) {
    throw new Error(
      `${(e as Error).message}; last seen ${JSON.stringify(last)}; broker said: ${broker.stderr().slice(-2000)}`,
      { cause: e },
    );
  }
}

it('a broker configured by sim:clouds provisions into it: GCP binding, Azure PIM assignment', async () => {
  const read = await api(
    'alice',
    'POST',
    '/api/v1/requests',
    body({ target: { cloud: 'gcp', account: 'acme-dev' }, actions: ['compute.instances.list'] }),
  );
  expect(read.status, JSON.stringify(read.json)).toBe(201);
  const gcpGrant = await activeGrant((read.json as { grantId: string }).grantId);
  const bindings = (await clouds.control.state()).gcp.bindings;
  expect(bindings.filter((b) => b.conditionTitle === `unblock ${gcpGrant.id}`)).toEqual([
    expect.objectContaining({ project: 'acme-dev', members: ['user:alice@acme-corp.dev'], live: true }),
  ]);

  const write = await api(
    'alice',
    'POST',
    '/api/v1/requests',
    body({
      target: { cloud: 'azure', account: AZURE_PROD },
      actions: ['Microsoft.Compute/virtualMachines/restart/action'],
    }),
  );
  expect(write.status, JSON.stringify(write.json)).toBe(201);
  const requestId = (write.json as { id: string }).id;
  const approved = await api('bob', 'POST', `/api/v1/requests/${requestId}/approve`, {});
  expect(approved.status, JSON.stringify(approved.json)).toBe(200);
  await activeGrant((approved.json as { grantId: string }).grantId);
  const assignments = (await clouds.control.state()).azure.assignments;
  expect(assignments).toContainEqual(
    expect.objectContaining({
      kind: 'pim',
      principalId: ALICE_OID,
      scope: `/subscriptions/${AZURE_PROD}`,
      live: true,
    }),
  );
}, 60_000);

it('an injected fault fails provisioning with the cloud error; the retry puts the grant in place', async () => {
  await clouds.control.addFault({ cloud: 'gcp', operation: 'setIamPolicy', fail: { status: 503 } });
  const read = await api(
    'alice',
    'POST',
    '/api/v1/requests',
    body({ target: { cloud: 'gcp', account: 'acme-dev' }, actions: ['compute.instances.get'] }),
  );
  expect(read.status, JSON.stringify(read.json)).toBe(201);
  const grantId = (read.json as { grantId: string }).grantId;
  const failed = await until(async () => {
    const g = await grant(grantId);
    return g.attempts > 0 || g.status === 'active' ? g : undefined;
  }, 'the failed attempt');
  expect(failed.status, JSON.stringify(failed)).toBe('provision-failed');
  expect(failed.lastError).toMatch(/injected fault/);
  expect((await clouds.control.operations()).operations['gcp setIamPolicy']).toBeGreaterThan(0);
  expect(await clouds.control.clearFaults()).toBe(1);
  const active = await activeGrant(grantId);
  const bindings = (await clouds.control.state()).gcp.bindings;
  expect(bindings.some((b) => b.conditionTitle === `unblock ${active.id}` && b.live)).toBe(true);
}, 60_000);

it('the clock control moves the clouds time: a binding past its condition is no longer live', async () => {
  const before = await clouds.control.now();
  await clouds.control.advanceClock(2 * 3_600_000);
  expect((await clouds.control.now()).getTime() - before.getTime()).toBeGreaterThanOrEqual(2 * 3_600_000);
  const bindings = (await clouds.control.state()).gcp.bindings.filter((b) =>
    b.conditionTitle?.startsWith('unblock '),
  );
  expect(bindings.length).toBeGreaterThan(0);
  expect(bindings.every((b) => !b.live)).toBe(true);
  await clouds.control.advanceClock(-2 * 3_600_000);
});

it('the control API refuses a bad body naming the field', async () => {
  const res = await fetch(`${clouds.control.url}/v1/faults`, {
    method: 'POST',
    body: JSON.stringify({ cloud: 'aws', fail: { status: 200 } }),
  });
  expect(res.status).toBe(400);
  const answer = (await res.json()) as { error: { field: string; message: string } };
  expect(answer.error.field).toBe('fail.status');
  expect(answer.error.message).toMatch(/^fail\.status: /);
});
