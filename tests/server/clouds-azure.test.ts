/**
 * The Azure provisioner (server/clouds/azure) against the wire-level Azure fake
 * (sim/clouds/azure): PIM and plain assignments, idempotent retries, the 5-minute removal floor,
 * expiry on the fake clock, the role catalogue's paging and cache, the Activity Log, ARM's error
 * shapes and the token cache. Cloud time is frozen and moved by hand: no test waits.
 */
import { grantFixture } from './domain-fixtures';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAzureProvisioner, deterministicGuid } from '../../server/clouds/azure';
import type { AzureCloudConfig, AzureTargetConfig } from '../../server/clouds/azure/config';
import type { Grant } from '../../server/domain';
import { ProvisionError, type GrantContext, type Provisioner } from '../../server/provision/types';
import { FakeClock } from '../../sim/clouds/clock';
import { startAzureFake, type AzureFake, type AzureFakeOptions } from '../../sim/clouds/azure/fake.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SUB = '00000000-0000-0000-0000-0000000000aa';
const ALICE = { objectId: '00000000-0000-0000-0000-000000000001', upn: 'alice@example.com' };
const BOB = { objectId: '00000000-0000-0000-0000-000000000002', upn: 'bob@example.com' };
const CLIENT_ID = 'a0a0a0a0-0000-4000-8000-000000000001';
const SECRET = 'broker-secret';
const VM = `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1`;
const START_VM = 'Microsoft.Compute/virtualMachines/start/action';
const VM_CONTRIBUTOR = '9980e02c-c2be-4d73-94e8-173b1dc7cf3c';
const T0 = new Date('2026-01-05T09:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const CONTEXT: GrantContext = { justification: 'Restart the stuck build agent', ticket: 'OPS-42' };

let clock: FakeClock;
let fake: AzureFake;

async function startFake(overrides: Partial<AzureFakeOptions> = {}) {
  clock = new FakeClock();
  clock.freeze(T0);
  fake = await startAzureFake({
    clock,
    tenantId: TENANT,
    subscriptions: [SUB],
    principals: [ALICE, BOB],
    brokerClientId: CLIENT_ID,
    brokerClientSecret: SECRET,
    ...overrides,
  });
}

function provisioner(
  mode: AzureTargetConfig['mode'] = 'pim',
  cloud: Partial<AzureCloudConfig> = {},
): Provisioner {
  return createAzureProvisioner(
    {
      tenantId: TENANT,
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      endpoints: { login: fake.endpoints.login, arm: fake.endpoints.arm, portal: 'https://portal.azure.com' },
      ...cloud,
    },
    (sub) => (sub === SUB ? { mode } : undefined),
    { now: () => clock.now(), sleep: () => Promise.resolve() },
  );
}

function grant(overrides: Partial<Grant> = {}): Grant {
  return grantFixture({
    id: 'g-1',
    requestId: 'r-123',
    user: 'alice@example.com',
    target: { cloud: 'azure', account: SUB, environment: 'dev' },
    actions: [START_VM],
    resource: VM,
    status: 'provisioning',
    startsAt: clock.now(),
    ...overrides,
  });
}

const identities = { azure: ALICE.objectId };
const armCalls = () => fake.state.requests.filter((r) => !r.path.endsWith('/oauth2/v2.0/token'));
const calls = (fragment: string, method?: string) =>
  armCalls().filter((r) => r.path.includes(fragment) && (!method || r.method === method));

async function rejection(promise: Promise<unknown>): Promise<ProvisionError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProvisionError);
  return error as ProvisionError;
}

beforeEach(async () => {
  await startFake();
});

afterEach(async () => {
  await fake.close();
});

describe('PIM grants', () => {
  it('sends an AdminAssign schedule request for the smallest role at the resource, and nothing more is allowed', async () => {
    const p = provisioner();
    const g = grant();
    const ref = await p.grant(g, identities, CONTEXT);

    const [put] = calls('/roleAssignmentScheduleRequests/', 'PUT');
    const name = deterministicGuid('pim-assign', 'g-1');
    expect(put!.path).toBe(`${VM}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${name}`);
    expect(put!.query['api-version']).toBe('2020-10-01');
    expect(put!.status).toBe(201);
    expect(put!.body).toEqual({
      properties: {
        principalId: ALICE.objectId,
        roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${VM_CONTRIBUTOR}`,
        requestType: 'AdminAssign',
        justification: 'Unblock request r-123 (grant g-1): Restart the stuck build agent',
        ticketInfo: { ticketNumber: 'OPS-42', ticketSystem: 'Unblock' },
        scheduleInfo: {
          startDateTime: T0.toISOString(),
          expiration: { type: 'AfterDateTime', endDateTime: g.expiresAt.toISOString(), duration: null },
        },
      },
    });
    expect(ref).toMatchObject({
      kind: 'azure',
      mode: 'pim',
      scope: VM,
      roleName: 'Virtual Machine Contributor',
      principalId: ALICE.objectId,
      name,
      owned: true,
      activatedAt: T0.toISOString(),
    });

    expect(fake.state.allows(ALICE.objectId, SUB, START_VM, VM)).toBe(true);
    // Another action the role does not carry, another VM, another user: still denied.
    expect(fake.state.allows(ALICE.objectId, SUB, 'Microsoft.Network/virtualNetworks/write', VM)).toBe(false);
    expect(fake.state.allows(ALICE.objectId, SUB, START_VM, VM.replace('vm1', 'vm2'))).toBe(false);
    expect(fake.state.allows(BOB.objectId, SUB, START_VM, VM)).toBe(false);
    // The instance shows up where PIM lists it.
    const instances = (await (
      await fetch(
        `${fake.endpoints.arm}/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances?api-version=2020-10-01&$filter=${encodeURIComponent(`principalId eq '${ALICE.objectId}'`)}`,
        { headers: { authorization: `Bearer ${await token()}` } },
      )
    ).json()) as { value: { properties: { scope: string } }[] };
    expect(instances.value.map((i) => i.properties.scope)).toEqual([VM]);
  });

  it('is idempotent: a retry after a crash sends the same GUID and takes RoleAssignmentExists as done', async () => {
    const p = provisioner();
    const first = await p.grant(grant(), identities, CONTEXT);
    // The worker crashed before storing `first`, and calls again.
    const second = await p.grant(grant(), identities, CONTEXT);

    const puts = calls('/roleAssignmentScheduleRequests/', 'PUT');
    expect(puts.map((r) => r.path)).toEqual([puts[0]!.path, puts[0]!.path]);
    expect(puts.map((r) => r.status)).toEqual([201, 400]);
    expect(calls('/roleAssignmentScheduleRequests/', 'GET').map((r) => r.status)).toEqual([200]);
    expect(calls('/roleAssignmentScheduleInstances', 'GET')[0]!.query.$filter).toBe(
      `principalId eq '${ALICE.objectId}'`,
    );
    expect(second).toEqual(first);
    expect(fake.state.assignmentsFor(ALICE.objectId)).toHaveLength(1);
  });

  it('leaves alone an assignment the user already had from elsewhere', async () => {
    // An administrator gave Alice the same role at the same scope outside Unblock.
    await provisioner('assignment').grant(grant({ id: 'admin-made' }), identities, CONTEXT);
    const p = provisioner();
    const ref = await p.grant(grant(), identities, CONTEXT);
    expect(ref).toMatchObject({ owned: false });
    clock.advance(10 * MINUTE);
    await p.revoke(grant(), ref, identities);
    expect(calls('/roleAssignmentScheduleRequests/', 'PUT')).toHaveLength(1);
    expect(fake.state.allows(ALICE.objectId, SUB, START_VM, VM)).toBe(true);
  });

  it('refuses to remove within 5 minutes of activation (retryable, saying when), then removes', async () => {
    const p = provisioner();
    const g = grant();
    const ref = await p.grant(g, identities, CONTEXT);
    clock.advance(2 * MINUTE);

    const early = await rejection(p.revoke(g, ref, identities));
    expect(early.retryable).toBe(true);
    expect(early.code).toBe('ActiveDurationTooShort');
    expect(early.message).toContain(
      `can be removed from ${new Date(T0.getTime() + 5 * MINUTE).toISOString()}`,
    );
    expect(fake.state.allows(ALICE.objectId, SUB, START_VM, VM)).toBe(true);

    clock.advance(4 * MINUTE);
    await p.revoke(g, ref, identities);
    const remove = calls('/roleAssignmentScheduleRequests/', 'PUT').at(-1)!;
    expect(remove.path).toContain(deterministicGuid('pim-remove', 'g-1'));
    expect(remove.body).toMatchObject({
      properties: { requestType: 'AdminRemove', principalId: ALICE.objectId },
    });
    expect(fake.state.allows(ALICE.objectId, SUB, START_VM, VM)).toBe(false);

    // Revoking again (a retry) finds nothing and succeeds.
    await p.revoke(g, ref, identities);
    expect(calls('/roleAssignmentScheduleRequests/', 'PUT').at(-1)!.status).toBe(400);
  });

  it('revokes without a ref: finds its own request, or knows it never landed', async () => {
    const p = provisioner();
    const g = grant();
    await p.revoke(g, null, identities);
    expect(calls('/roleAssignmentScheduleRequests/', 'PUT')).toHaveLength(0);

    await p.grant(g, identities, CONTEXT);
    clock.advance(6 * MINUTE);
    await p.revoke(g, null, identities);
    expect(fake.state.allows(ALICE.objectId, SUB, START_VM, VM)).toBe(false);
  });

  it('ends on the fake clock by itself; revoking after expiry calls nothing', async () => {
    const p = provisioner();
    const g = grant();
    const ref = await p.grant(g, identities, CONTEXT);
    clock.advance(HOUR - 1);
    expect(fake.state.allows(ALICE.objectId, SUB, START_VM, VM)).toBe(true);
    clock.advance(1);
    expect(fake.state.allows(ALICE.objectId, SUB, START_VM, VM)).toBe(false);
    const before = armCalls().length;
    await p.revoke(g, ref, identities);
    expect(armCalls()).toHaveLength(before);
  });

  it('pushes an extended expiry with AdminUpdate', async () => {
    const p = provisioner();
    await p.grant(grant(), identities, CONTEXT);
    clock.advance(30 * MINUTE);
    const extended = grant({ startsAt: T0, expiresAt: new Date(T0.getTime() + 2 * HOUR) });
    const ref = await p.grant(extended, identities, CONTEXT);
    expect(ref).toMatchObject({ owned: true, endsAt: extended.expiresAt.toISOString() });
    expect(calls('/roleAssignmentScheduleRequests/', 'PUT').at(-1)!.body).toMatchObject({
      properties: { requestType: 'AdminUpdate' },
    });
    // Pushing the same expiry again (a retry) finds it in force and sends no second update.
    await p.grant(extended, identities, CONTEXT);
    expect(
      calls('/roleAssignmentScheduleRequests/', 'PUT').filter(
        (r) => (r.body as { properties: { requestType: string } }).properties.requestType === 'AdminUpdate',
      ),
    ).toHaveLength(1);
    clock.advance(HOUR);
    expect(fake.state.allows(ALICE.objectId, SUB, START_VM, VM)).toBe(true);
    clock.advance(30 * MINUTE);
    expect(fake.state.allows(ALICE.objectId, SUB, START_VM, VM)).toBe(false);
  });

  it('grants at the subscription when the denial names no resource', async () => {
    const ref = await provisioner().grant(grant({ resource: null }), identities, CONTEXT);
    expect(ref).toMatchObject({ scope: `/subscriptions/${SUB}` });
    expect(fake.state.allows(ALICE.objectId, SUB, START_VM, VM.replace('vm1', 'vm2'))).toBe(true);
  });
});

describe('plain role assignments (no PIM)', () => {
  it('PUTs a role assignment, which stays until the broker DELETEs it', async () => {
    const p = provisioner('assignment');
    const g = grant();
    const ref = await p.grant(g, identities, CONTEXT);
    const [put] = calls('/roleAssignments/', 'PUT');
    expect(put!.path).toBe(
      `${VM}/providers/Microsoft.Authorization/roleAssignments/${deterministicGuid('assignment', 'g-1')}`,
    );
    expect(put!.query['api-version']).toBe('2022-04-01');
    expect(put!.body).toMatchObject({ properties: { principalId: ALICE.objectId, principalType: 'User' } });
    expect(put!.status).toBe(201);
    expect(ref).toMatchObject({ mode: 'assignment', owned: true });

    // A retry: 200, the same assignment.
    await p.grant(g, identities, CONTEXT);
    expect(calls('/roleAssignments/', 'PUT').map((r) => r.status)).toEqual([201, 200]);

    // No native expiry: still allowed after the grant's end, until revoked.
    clock.advance(2 * HOUR);
    expect(fake.state.allows(ALICE.objectId, SUB, START_VM, VM)).toBe(true);
    await p.revoke(g, ref, identities);
    expect(fake.state.allows(ALICE.objectId, SUB, START_VM, VM)).toBe(false);
    // Already gone: 204 (the 2022-04-01 spec's "already deleted or does not exist"), still a success.
    await p.revoke(g, ref, identities);
    expect(calls('/roleAssignments/', 'DELETE').map((r) => r.status)).toEqual([200, 204]);
  });
});

describe('role catalogue', () => {
  it('follows nextLink across pages and is fetched once for later grants and previews', async () => {
    const p = provisioner();
    await p.grant(grant(), identities, CONTEXT);
    const pages = calls('/roleDefinitions', 'GET');
    expect(pages.length).toBeGreaterThan(1);
    expect(pages[0]!.query).toMatchObject({ 'api-version': '2022-04-01', $filter: "type eq 'BuiltInRole'" });
    expect(pages.slice(1).every((r) => r.query.$skipToken !== undefined)).toBe(true);

    await p.grant(
      grant({ id: 'g-2', resource: null, actions: ['Microsoft.Web/sites/write'] }),
      identities,
      CONTEXT,
    );
    const preview = await p.preview!(grant().target, [START_VM], VM);
    expect(calls('/roleDefinitions', 'GET')).toHaveLength(pages.length);
    expect(preview.role).toEqual({
      id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${VM_CONTRIBUTOR}`,
      name: 'Virtual Machine Contributor',
      scope: VM,
    });
    expect(preview.alsoGrants).toContain('Microsoft.Compute/virtualMachines/*');
    expect(preview.alsoGrants!.length).toBeLessThanOrEqual(20);
  });

  it('refetches after its TTL', async () => {
    const p = provisioner();
    await p.preview!(grant().target, [START_VM], VM);
    const first = calls('/roleDefinitions', 'GET').length;
    clock.advance(7 * HOUR);
    await p.preview!(grant().target, [START_VM], VM);
    expect(calls('/roleDefinitions', 'GET')).toHaveLength(2 * first);
  });

  it('says so when no built-in role carries the action', async () => {
    // A blob data operation (the type has data actions) that no data role of the catalogue names.
    const action = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/deleteBlobVersion/action';
    const error = await rejection(provisioner().grant(grant({ actions: [action] }), identities, CONTEXT));
    expect(error).toMatchObject({ retryable: false, code: 'NoMatchingRole' });
    expect(error.message).toContain(action);
    expect(calls('/roleAssignmentScheduleRequests/')).toHaveLength(0);
  });
});

describe('activity', () => {
  it('reads the Activity Log for the grant window and the user, across pages', async () => {
    const p = provisioner();
    const g = grant();
    clock.advance(5 * MINUTE);
    fake.state.recordActivity({
      objectId: ALICE.objectId,
      subscriptionId: SUB,
      action: START_VM,
      resourceId: VM,
    });
    clock.advance(5 * MINUTE);
    fake.state.recordActivity({
      objectId: ALICE.objectId,
      subscriptionId: SUB,
      action: 'Microsoft.Compute/virtualMachines/deallocate/action',
      resourceId: VM,
      status: 'Failed',
    });
    // Reads are not logged; Bob's work and work outside the window are not Alice's grant.
    fake.state.recordActivity({
      objectId: ALICE.objectId,
      subscriptionId: SUB,
      action: 'Microsoft.Compute/virtualMachines/read',
      resourceId: VM,
    });
    fake.state.recordActivity({
      objectId: BOB.objectId,
      subscriptionId: SUB,
      action: START_VM,
      resourceId: VM,
    });
    fake.state.recordActivity({
      objectId: ALICE.objectId,
      subscriptionId: SUB,
      action: START_VM,
      resourceId: VM,
      at: new Date(T0.getTime() - HOUR),
    });

    clock.advance(MINUTE);
    const entries = await p.activity!(g, null, identities);
    expect(entries).toEqual([
      {
        at: new Date(T0.getTime() + 5 * MINUTE + 1000).toISOString(),
        action: START_VM,
        resource: VM,
        outcome: 'success',
      },
      {
        at: new Date(T0.getTime() + 10 * MINUTE + 1000).toISOString(),
        action: 'Microsoft.Compute/virtualMachines/deallocate/action',
        resource: VM,
        outcome: 'Forbidden',
      },
    ]);
    const reads = calls('/eventtypes/management/values', 'GET');
    expect(reads.length).toBeGreaterThan(1);
    expect(reads[0]!.query).toMatchObject({
      'api-version': '2015-04-01',
      $filter: `eventTimestamp ge '${T0.toISOString()}' and eventTimestamp le '${new Date(T0.getTime() + 11 * MINUTE).toISOString()}' and caller eq 'alice@example.com'`,
    });
  });

  it('matches events on the object id claim when the broker user is not a UPN', async () => {
    clock.advance(MINUTE);
    fake.state.recordActivity({
      objectId: ALICE.objectId,
      subscriptionId: SUB,
      action: START_VM,
      resourceId: VM,
    });
    fake.state.recordActivity({
      objectId: BOB.objectId,
      subscriptionId: SUB,
      action: START_VM,
      resourceId: VM,
    });
    clock.advance(MINUTE);
    const entries = await provisioner().activity!(grant({ user: 'alice', startsAt: T0 }), null, identities);
    expect(entries.map((e) => e.action)).toEqual([START_VM]);
    const [read] = calls('/eventtypes/management/values', 'GET');
    expect(read!.query.$filter).not.toContain('caller');
  });

  it('needs the Azure identity', async () => {
    const error = await rejection(provisioner().activity!(grant(), null, {}));
    expect(error.message).toContain('users[].identities.azure');
  });
});

describe('errors', () => {
  it('the broker lacking rights is not retryable and names the permission', async () => {
    fake.state.failNext(1, {
      status: 403,
      code: 'AuthorizationFailed',
      match: 'roleAssignmentScheduleRequests',
    });
    const error = await rejection(provisioner().grant(grant(), identities, CONTEXT));
    expect(error).toMatchObject({ retryable: false, code: 'AuthorizationFailed' });
    expect(error.message).toContain('Microsoft.Authorization/roleAssignmentScheduleRequests/write');
    expect(error.message).toContain(VM);
  });

  it('throttling (429, Retry-After) and server errors are retryable', async () => {
    fake.state.failNext(1, { status: 429, code: 'TooManyRequests', retryAfterSeconds: 30 });
    const throttled = await rejection(provisioner().grant(grant(), identities, CONTEXT));
    expect(throttled).toMatchObject({ retryable: true, code: 'TooManyRequests' });
    expect(throttled.message).toContain('retry after 30 s');

    fake.state.failNext(1, { status: 500, code: 'InternalServerError', match: 'PUT' });
    const failing = await rejection(provisioner().grant(grant(), identities, CONTEXT));
    expect(failing).toMatchObject({ retryable: true, code: 'InternalServerError' });

    // Once Azure recovers, the same grant goes through.
    await provisioner().grant(grant(), identities, CONTEXT);
    expect(fake.state.allows(ALICE.objectId, SUB, START_VM, VM)).toBe(true);
  });

  it("an assignment shorter than PIM's 5 minutes is refused, not retryable", async () => {
    const short = await rejection(
      provisioner().grant(grant({ expiresAt: new Date(T0.getTime() + 3 * MINUTE) }), identities, CONTEXT),
    );
    expect(short).toMatchObject({ retryable: false, code: 'ActiveDurationTooShort' });
  });

  it('names what is missing in the configuration', async () => {
    const noIdentity = await rejection(provisioner().grant(grant(), {}, CONTEXT));
    expect(noIdentity.retryable).toBe(false);
    expect(noIdentity.message).toContain('users[].identities.azure');

    const other = '00000000-0000-0000-0000-0000000000bb';
    const noTarget = await rejection(
      provisioner().grant(
        grant({ target: { cloud: 'azure', account: other, environment: 'dev' } }),
        identities,
        CONTEXT,
      ),
    );
    expect(noTarget.message).toContain('targets[].azure');

    delete process.env.UNBLOCK_TEST_AZURE_SECRET;
    expect(() => provisioner('pim', { clientSecret: 'env:UNBLOCK_TEST_AZURE_SECRET' })).toThrow(
      /clouds\.azure\.clientSecret: the environment variable UNBLOCK_TEST_AZURE_SECRET is not set/,
    );
    process.env.UNBLOCK_TEST_AZURE_SECRET = SECRET;
    try {
      await provisioner('pim', { clientSecret: 'env:UNBLOCK_TEST_AZURE_SECRET' }).grant(
        grant(),
        identities,
        CONTEXT,
      );
    } finally {
      delete process.env.UNBLOCK_TEST_AZURE_SECRET;
    }
  });

  it('a wrong client secret is an invalid_client error naming the field', async () => {
    const error = await rejection(
      provisioner('pim', { clientSecret: 'wrong' }).grant(grant(), identities, CONTEXT),
    );
    expect(error).toMatchObject({ retryable: false, code: 'invalid_client' });
    expect(error.message).toContain('AADSTS7000215');
    expect(error.message).toContain('clouds.azure.clientSecret');
  });
});

describe('the wire', () => {
  it('always sends api-version and a bearer token (which the fake insists on)', async () => {
    const p = provisioner();
    const g = grant();
    const ref = await p.grant(g, identities, CONTEXT);
    await p.preview!(g.target, [START_VM], VM);
    await p.activity!(g, ref, identities);
    clock.advance(6 * MINUTE);
    await p.revoke(g, ref, identities);
    await provisioner('assignment').grant(grant({ id: 'g-2' }), identities, CONTEXT);

    expect(armCalls().length).toBeGreaterThan(5);
    for (const call of armCalls()) {
      expect(call.query['api-version'], `${call.method} ${call.path}`).toBeTruthy();
      expect(call.status, `${call.method} ${call.path}`).not.toBe(401);
    }
    const url = `${fake.endpoints.arm}/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions`;
    const bare = await fetch(url, { headers: { authorization: `Bearer ${await token()}` } });
    expect(bare.status).toBe(400);
    expect(await bare.json()).toEqual({
      error: {
        code: 'MissingApiVersionParameter',
        message: 'The api-version query parameter (?api-version=) is required for all requests.',
      },
    });
    const anonymous = await fetch(`${url}?api-version=2022-04-01`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer authorization_uri=');
    expect(await anonymous.json()).toMatchObject({ error: { code: 'AuthenticationFailed' } });
  });

  it('caches the token and gets a new one before it expires on the fake clock', async () => {
    const p = provisioner();
    await p.grant(grant(), identities, CONTEXT);
    await p.preview!(grant().target, [START_VM], VM);
    expect(fake.state.tokensIssued).toBe(1);
    const tokenCall = fake.state.requests.find((r) => r.path.endsWith('/oauth2/v2.0/token'))!;
    expect(tokenCall.path).toBe(`/${TENANT}/oauth2/v2.0/token`);
    expect(tokenCall.body).toMatchObject({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      scope: `${fake.endpoints.arm}/.default`,
    });

    // Entra's token lives 3,599 s; the broker renews 5 minutes early.
    clock.advance(50 * MINUTE);
    await p.activity!(grant(), null, identities);
    expect(fake.state.tokensIssued).toBe(1);
    clock.advance(10 * MINUTE);
    await p.activity!(grant(), null, identities);
    expect(fake.state.tokensIssued).toBe(2);
    expect(armCalls().every((r) => r.status !== 401)).toBe(true);
  });
});

describe('the token, when ARM disagrees about its expiry', () => {
  it('gets a new token once after a 401 and carries on', async () => {
    // The broker's clock lags cloud time by two hours: its cached token looks fresh to it.
    const p = createAzureProvisioner(
      {
        tenantId: TENANT,
        clientId: CLIENT_ID,
        clientSecret: SECRET,
        endpoints: { login: fake.endpoints.login, arm: fake.endpoints.arm },
      },
      () => ({ mode: 'pim' }),
      { now: () => T0, sleep: () => Promise.resolve() },
    );
    await p.preview!(grant().target, [START_VM], VM);
    clock.advance(2 * HOUR);
    await p.activity!(grant(), null, identities);
    const reads = calls('/eventtypes/management/values', 'GET');
    expect(reads.map((r) => r.status)).toEqual([401, 200]);
    expect(fake.state.tokensIssued).toBe(2);
  });
});

describe('landing', () => {
  it('reloads the denied portal page at once (or the portal home), within ARM’s 10-minute cache', async () => {
    const p = provisioner();
    const page = 'https://portal.azure.com/#@contoso.onmicrosoft.com/resource' + VM + '/overview';
    const landing = await p.landing(grant(), null, identities, page);
    expect(landing).toMatchObject({
      kind: 'reload',
      url: page,
      expectedMs: 120_000,
      maxMs: 600_000,
      message: 'Access granted; reloading the page while Azure applies it',
    });
    // No fixed wait any more: the extension watches the reloaded page instead.
    expect(landing).not.toHaveProperty('afterMs');
    if (landing.kind === 'reload') expect(landing.advice).toMatch(/Sign out of the portal and sign in again/);
    // `clouds.azure.propagationMs` sets the limit (and caps the typical time).
    expect(
      await provisioner('pim', { propagationMs: 20_000 }).landing(grant(), null, identities, page),
    ).toMatchObject({ expectedMs: 20_000, maxMs: 20_000 });
    for (const elsewhere of [
      'https://evil.example/#portal.azure.com',
      'http://portal.azure.com/',
      'https://user@portal.azure.com/',
      'javascript:alert(1)',
      null,
    ]) {
      expect((await p.landing(grant(), null, identities, elsewhere)).url).toBe('https://portal.azure.com/');
    }
    // Azure denials are plain text: nothing to decode.
    expect(await p.decode!(grant().target, 'anything')).toBeNull();
  });
});

/** A token from the fake's Entra endpoint, for raw calls. */
async function token(): Promise<string> {
  const res = await fetch(`${fake.endpoints.login}/${TENANT}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: SECRET,
      scope: `${fake.endpoints.arm}/.default`,
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}
