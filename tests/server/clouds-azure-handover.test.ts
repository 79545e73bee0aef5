/**
 * An Azure grant "active" without access (issue 12, point 2). Azure refuses to remove a PIM
 * assignment within 5 minutes of its activation, so a revoked grant A can still hold the role when
 * grant B for the same role arrives. B takes the live assignment over (an `AdminUpdate` in its own
 * name, ending at B's expiry); A's revoke, retried after the floor, then leaves it to B, and B's
 * revoke removes it. Before, B took the assignment for someone else's and left it alone, and A's
 * late removal took B's access. On the provisioner, then through the broker and its worker.
 */
import { afterEach, expect, it } from 'vitest';
import { deterministicGuid } from '../../server/clouds/azure';
import { BrokerConfig } from '../../server/config/schema';
import { createPolicyEngine } from '../../server/policy/engine';
import { createBroker } from '../../server/service/broker';
import { createWorker } from '../../server/service/worker';
import { alice, bob, body, testConfig } from './broker-fixtures';
import {
  ALICE,
  CONTEXT,
  HOUR,
  MINUTE,
  START_VM,
  SUB,
  T0,
  VM,
  azureWorld,
  identities,
  rejection,
  type AzureWorld,
} from './clouds-azure-fixtures';
import { forEachStore } from './pg-harness';

let world: AzureWorld | undefined;
afterEach(async () => {
  await world?.fake.close();
  world = undefined;
});

it('a newer grant takes over the live assignment an older grant could not remove yet', async () => {
  world = await azureWorld();
  const { clock, fake } = world;
  const allowed = () => fake.state.allows(ALICE.objectId, SUB, START_VM, VM);
  const p = world.provisioner();
  const grantA = world.grant({ id: 'g-A', requestId: 'r-A' });
  const refA = await p.grant(grantA, identities, CONTEXT);
  expect(refA).toMatchObject({ owned: true });

  clock.advance(2 * MINUTE);
  const early = await rejection(p.revoke(grantA, refA, identities));
  expect(early.code).toBe('ActiveDurationTooShort');

  // B for the same role and scope, while A waits in revoke-failed still holding it.
  const grantB = world.grant({
    id: 'g-B',
    requestId: 'r-B',
    startsAt: clock.now(),
    expiresAt: new Date(T0.getTime() + 2 * HOUR),
  });
  const refB = await p.grant(grantB, identities, CONTEXT);
  expect(refB).toMatchObject({ owned: true, activatedAt: T0.toISOString() });
  const takeover = world.calls('/roleAssignmentScheduleRequests/', 'PUT').at(-1)!;
  expect(takeover.path).toContain(deterministicGuid('pim-adopt', 'g-B', grantB.expiresAt.toISOString()));
  expect(takeover.body).toMatchObject({
    properties: {
      requestType: 'AdminUpdate',
      justification: expect.stringContaining('(grant g-B)') as unknown,
    },
  });
  // B's retry (a crash before its ref was saved) finds its takeover in force and sends nothing.
  const updates = () =>
    world!
      .calls('/roleAssignmentScheduleRequests/', 'PUT')
      .filter(
        (r) => (r.body as { properties: { requestType: string } }).properties.requestType === 'AdminUpdate',
      );
  expect(updates()).toHaveLength(1);
  expect(await p.grant(grantB, identities, CONTEXT)).toMatchObject({ owned: true });
  expect(updates()).toHaveLength(1);

  // A's revoke, retried past the floor, succeeds and leaves B's access in place.
  clock.advance(4 * MINUTE);
  await p.revoke(grantA, refA, identities);
  expect(allowed()).toBe(true);
  // Past A's own expiry B still has it: its end is B's.
  clock.advance(HOUR);
  expect(allowed()).toBe(true);

  // B's revoke removes it.
  await p.revoke(grantB, refB, identities);
  expect(allowed()).toBe(false);
});

it('an assignment made outside Unblock is still left alone', async () => {
  world = await azureWorld();
  // An administrator's PIM assignment: its justification is not Unblock's.
  const roleDefinitionId = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/9980e02c-c2be-4d73-94e8-173b1dc7cf3c`;
  const made = await world.arm(
    'PUT',
    `${VM}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${deterministicGuid('admin')}?api-version=2020-10-01`,
    {
      properties: {
        principalId: ALICE.objectId,
        roleDefinitionId,
        requestType: 'AdminAssign',
        justification: 'on-call rota',
        scheduleInfo: {
          startDateTime: T0.toISOString(),
          expiration: { type: 'AfterDuration', endDateTime: null, duration: 'PT8H' },
        },
      },
    },
  );
  expect(made.status).toBe(201);
  const p = world.provisioner();
  const ref = await p.grant(world.grant(), identities, CONTEXT);
  expect(ref).toMatchObject({ owned: false });
  world.clock.advance(10 * MINUTE);
  await p.revoke(world.grant(), ref, identities);
  expect(world.fake.state.allows(ALICE.objectId, SUB, START_VM, VM)).toBe(true);
});

forEachStore('Azure takeover through the broker', (store) => {
  it('grant B, requested while revoked grant A still holds the role, keeps it after A’s late revoke', async () => {
    const db = await store.migrated();
    world = await azureWorld();
    const { clock, fake } = world;
    const base = await testConfig();
    const config = BrokerConfig.parse({
      ...base,
      users: base.users.map((u) =>
        u.name === 'alice' ? { ...u, identities: { azure: ALICE.objectId } } : u,
      ),
      targets: base.targets.map((t) => (t.id === 'azure-dev' ? { ...t, account: SUB } : t)),
    });
    const provisioner = world.provisioner();
    const now = () => clock.now();
    const identities = (user: string) =>
      Promise.resolve(config.users.find((u) => u.name === user)?.identities ?? {});
    const broker = createBroker({
      db,
      config,
      policy: createPolicyEngine(),
      now,
      provisionerFor: () => provisioner,
      identities,
    });
    const worker = createWorker({
      db,
      provisionerFor: () => provisioner,
      identities,
      workerId: 'w',
      now,
      retry: { baseMs: 5_000, capMs: 60_000, provisionAttempts: 8 },
    });
    const allowed = () => fake.state.allows(ALICE.objectId, SUB, START_VM, VM);
    const requestAndApprove = async () => {
      const filed = await broker.createRequest(
        alice,
        body({
          target: { cloud: 'azure', account: SUB },
          actions: [START_VM],
          resource: VM,
          pageUrl: 'https://portal.azure.com/',
        }),
      );
      if (!filed.ok) throw new Error(filed.error.message);
      const approved = await broker.approveRequest(bob, filed.value.id, {});
      if (!approved.ok) throw new Error(approved.error.message);
      await worker.runOnce();
      return approved.value.grantId!;
    };
    const status = async (id: string) => {
      const g = await broker.getGrant(alice, id);
      return g.ok ? g.value.status : null;
    };

    const a = await requestAndApprove();
    expect(await status(a)).toBe('active');
    clock.advance(2 * MINUTE);
    expect((await broker.revokeGrant(alice, a, {})).ok).toBe(true);
    await worker.runOnce();
    expect(await status(a)).toBe('revoke-failed');

    const b = await requestAndApprove();
    expect(b).not.toBe(a);
    expect(await status(b)).toBe('active');

    clock.advance(4 * MINUTE);
    await worker.runOnce();
    expect(await status(a)).toBe('revoked');
    expect(allowed()).toBe(true);

    expect((await broker.revokeGrant(alice, b, {})).ok).toBe(true);
    await worker.runOnce();
    expect(await status(b)).toBe('revoked');
    expect(allowed()).toBe(false);
  });
});
