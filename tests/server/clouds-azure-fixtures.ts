/**
 * What the Azure provisioner's tests share: the fake's tenant, subscription and users, a fake on a
 * frozen clock, the provisioner pointed at it (sleeping no time), a grant, and helpers to read the
 * fake's request log.
 */
import { expect } from 'vitest';
import { createAzureProvisioner } from '../../server/clouds/azure';
import type { AzureCloudConfig, AzureTargetConfig } from '../../server/clouds/azure/config';
import type { Grant } from '../../server/domain';
import { ProvisionError, type GrantContext, type Provisioner } from '../../server/provision/types';
import { startAzureFake, type AzureFake, type AzureFakeOptions } from '../../sim/clouds/azure/fake.ts';
import { FakeClock } from '../../sim/clouds/clock';
import { grantFixture } from './domain-fixtures';

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const SUB = '00000000-0000-0000-0000-0000000000aa';
export const ALICE = { objectId: '00000000-0000-0000-0000-000000000001', upn: 'alice@example.com' };
export const CLIENT_ID = 'a0a0a0a0-0000-4000-8000-000000000001';
export const SECRET = 'broker-secret';
export const VM = `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1`;
export const START_VM = 'Microsoft.Compute/virtualMachines/start/action';
export const VM_CONTRIBUTOR = '9980e02c-c2be-4d73-94e8-173b1dc7cf3c';
export const T0 = new Date('2026-01-05T09:00:00.000Z');
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const CONTEXT: GrantContext = { justification: 'Restart the stuck build agent', ticket: 'OPS-42' };
export const identities = { azure: ALICE.objectId };

export interface AzureWorld {
  readonly clock: FakeClock;
  readonly fake: AzureFake;
  /** The provisioner against the fake; `sleeps` records each wait it asked for. */
  provisioner(mode?: AzureTargetConfig['mode'], cloud?: Partial<AzureCloudConfig>): Provisioner;
  readonly sleeps: number[];
  grant(overrides?: Partial<Grant>): Grant;
  /** ARM calls (token requests left out) whose path contains `fragment`, of `method` if given. */
  calls(fragment: string, method?: string): AzureFake['state']['requests'][number][];
  /** One ARM call straight to the fake, signed in as the broker: its status and parsed body. */
  arm(method: string, pathAndQuery: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

/** A fake with Alice in it on a clock frozen at T0, and what the tests do with it. */
export async function azureWorld(overrides: Partial<AzureFakeOptions> = {}): Promise<AzureWorld> {
  const clock = new FakeClock();
  clock.freeze(T0);
  const fake = await startAzureFake({
    clock,
    tenantId: TENANT,
    subscriptions: [SUB],
    principals: [ALICE],
    brokerClientId: CLIENT_ID,
    brokerClientSecret: SECRET,
    ...overrides,
  });
  const sleeps: number[] = [];
  return {
    clock,
    fake,
    sleeps,
    provisioner: (mode = 'pim', cloud = {}) =>
      createAzureProvisioner(
        {
          tenantId: TENANT,
          clientId: CLIENT_ID,
          clientSecret: SECRET,
          endpoints: {
            login: fake.endpoints.login,
            arm: fake.endpoints.arm,
            portal: 'https://portal.azure.com',
          },
          ...cloud,
        },
        (sub) => (sub === SUB ? { mode } : undefined),
        {
          now: () => clock.now(),
          sleep: (ms) => {
            sleeps.push(ms);
            return Promise.resolve();
          },
        },
      ),
    grant: (o = {}) =>
      grantFixture({
        id: 'g-1',
        requestId: 'r-123',
        user: 'alice@example.com',
        target: { cloud: 'azure', account: SUB, environment: 'dev' },
        actions: [START_VM],
        resource: VM,
        status: 'provisioning',
        startsAt: clock.now(),
        ...o,
      }),
    async arm(method, pathAndQuery, body) {
      const tokenRes = await fetch(`${fake.endpoints.login}/${TENANT}/oauth2/v2.0/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: CLIENT_ID,
          client_secret: SECRET,
          scope: `${fake.endpoints.arm}/.default`,
        }),
      });
      const { access_token } = (await tokenRes.json()) as { access_token: string };
      const res = await fetch(`${fake.endpoints.arm}${pathAndQuery}`, {
        method,
        headers: {
          authorization: `Bearer ${access_token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
    },
    calls: (fragment, method) =>
      fake.state.requests.filter(
        (r) =>
          !r.path.endsWith('/oauth2/v2.0/token') &&
          r.path.includes(fragment) &&
          (!method || r.method === method),
      ),
  };
}

/** The ProvisionError a promise rejects with (the test fails if it resolves or throws anything else). */
export async function rejection(promise: Promise<unknown>): Promise<ProvisionError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProvisionError);
  return error as ProvisionError;
}
