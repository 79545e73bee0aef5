/**
 * PIM's rules as Azure enforces them, in the Azure provisioner and the fake alike
 * (docs/cloud-mechanics.md §2.3): an `AdminAssign` answers to the role's active-assignment rules
 * (expiry, MFA, justification) and never to its activation rules (approval, ticket); a refusal
 * tells the operator which rule, on which role and scope, and which setting to change. And every
 * status a schedule request can report, each handled by its class.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { deterministicGuid } from '../../server/clouds/azure';
import { REQUEST_STATUSES } from '../../server/clouds/azure/request-status';
import {
  ALICE,
  azureWorld,
  CONTEXT,
  HOUR,
  identities,
  MINUTE,
  rejection,
  START_VM,
  SUB,
  T0,
  VM,
  VM_CONTRIBUTOR,
  type AzureWorld,
} from './clouds-azure-fixtures';

const SPEC = JSON.parse(
  readFileSync(new URL('../fixtures/conformance/azure/spec-excerpt.json', import.meta.url), 'utf8'),
) as { requestStatuses: string[] };
const POLICY_REFUSED = 'RoleAssignmentRequestPolicyValidationFailed';
const OWN_REQUEST = `${VM}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${deterministicGuid('pim-assign', 'g-1')}`;

let world: AzureWorld;
afterEach(async () => {
  await world.fake.close();
});

const allowed = () => world.fake.state.allows(ALICE.objectId, SUB, START_VM, VM);

describe('PIM policy: the active-assignment rules govern AdminAssign', () => {
  it('approval and tickets are activation rules: a role requiring both on activation still takes the assignment', async () => {
    world = await azureWorld({
      pimPolicy: { requireApprovalToActivate: true, requireTicketOnActivation: true },
    });
    const ref = await world.provisioner().grant(world.grant(), identities, { ...CONTEXT, ticket: null });
    expect(ref).toMatchObject({ owned: true });
    expect(allowed()).toBe(true);
    const [put] = world.calls('/roleAssignmentScheduleRequests/', 'PUT');
    expect(put!.status).toBe(201);
  });

  it('a role requiring MFA on active assignment refuses the broker, and the error says which setting, role and scope', async () => {
    world = await azureWorld({
      pimPolicyByRole: { [VM_CONTRIBUTOR]: { requireMfaOnActiveAssignment: true } },
    });
    const error = await rejection(world.provisioner().grant(world.grant(), identities, CONTEXT));
    expect(error).toMatchObject({ retryable: false, code: POLICY_REFUSED });
    for (const words of [
      'MfaRule',
      'Enablement_Admin_Assignment',
      'service principal',
      '"Require Azure Multi-Factor Authentication on active assignment"',
      'the role Virtual Machine Contributor',
      `Azure resources → ${VM} → Settings → Virtual Machine Contributor`,
      'on active assignment require MultiFactorAuthentication, Justification',
      'Azure said: The following policy rules failed: ["MfaRule"]',
    ]) {
      expect(error.message).toContain(words);
    }
    expect(allowed()).toBe(false);
    // The fake refuses on its own, as Azure does, whoever asks.
    const direct = await world.arm(
      'PUT',
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${deterministicGuid('x')}?api-version=2020-10-01`,
      {
        properties: {
          principalId: ALICE.objectId,
          roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${VM_CONTRIBUTOR}`,
          requestType: 'AdminAssign',
          justification: 'by hand',
          scheduleInfo: {
            startDateTime: T0.toISOString(),
            expiration: { type: 'AfterDuration', duration: 'PT1H' },
          },
        },
      },
    );
    expect(direct).toEqual({
      status: 400,
      body: { error: { code: POLICY_REFUSED, message: 'The following policy rules failed: ["MfaRule"]' } },
    });
  });

  it('a grant longer than "Expire active assignments after" fails with ExpirationRule, the limit and what to change', async () => {
    world = await azureWorld({ pimPolicy: { expireActiveAssignmentsAfter: 'PT1H' } });
    const long = world.grant({ expiresAt: new Date(T0.getTime() + 2 * HOUR) });
    const error = await rejection(world.provisioner().grant(long, identities, CONTEXT));
    expect(error).toMatchObject({ retryable: false, code: POLICY_REFUSED });
    for (const words of [
      'ExpirationRule',
      'Expiration_Admin_Assignment',
      'the grant lasts 120 minutes',
      '"Expire active assignments after" PT1H',
      'targets[].maxDurationMinutes',
    ]) {
      expect(error.message).toContain(words);
    }
  });

  it('with permanent active assignments allowed no maximum applies', async () => {
    world = await azureWorld({
      pimPolicy: { allowPermanentActiveAssignment: true, expireActiveAssignmentsAfter: 'PT1H' },
    });
    await world
      .provisioner()
      .grant(world.grant({ expiresAt: new Date(T0.getTime() + 3 * HOUR) }), identities, CONTEXT);
    expect(allowed()).toBe(true);
  });

  it('an extension (AdminUpdate) answers to the same rules', async () => {
    world = await azureWorld({ pimPolicy: { expireActiveAssignmentsAfter: 'PT90M' } });
    const p = world.provisioner();
    await p.grant(world.grant(), identities, CONTEXT);
    const extended = world.grant({ expiresAt: new Date(T0.getTime() + 2 * HOUR) });
    const error = await rejection(p.grant(extended, identities, CONTEXT));
    expect(error).toMatchObject({ code: POLICY_REFUSED });
    expect(error.message).toContain(
      `refused to move the end of alice@example.com's Virtual Machine Contributor`,
    );
    expect(error.message).toContain('ExpirationRule');
  });

  it("without leave to read the role's settings the advice still names the rule, and says what would show them", async () => {
    world = await azureWorld({ pimPolicy: { requireMfaOnActiveAssignment: true } });
    world.fake.state.failNext(1, {
      status: 403,
      code: 'AuthorizationFailed',
      match: 'roleManagementPolicyAssignments',
    });
    const error = await rejection(world.provisioner().grant(world.grant(), identities, CONTEXT));
    expect(error.message).toContain('MfaRule');
    expect(error.message).toContain("could not read the role's PIM settings (AuthorizationFailed");
    expect(error.message).toContain('Microsoft.Authorization/roleManagementPolicyAssignments/read');
  });

  it("serves each role's policy with Azure's rule ids, the settings in the rules they belong to", async () => {
    world = await azureWorld({
      pimPolicy: {
        requireApprovalToActivate: true,
        requireTicketOnActivation: true,
        expireActiveAssignmentsAfter: 'P30D',
      },
      pimPolicyByRole: { [VM_CONTRIBUTOR]: { requireMfaOnActiveAssignment: true } },
    });
    const res = await world.arm(
      'GET',
      `${VM}/providers/Microsoft.Authorization/roleManagementPolicyAssignments?api-version=2020-10-01`,
    );
    expect(res.status).toBe(200);
    type Rule = { id: string; [k: string]: unknown };
    const list = (
      res.body as { value: { properties: { roleDefinitionId: string; effectiveRules: Rule[] } }[] }
    ).value;
    const vmc = list.find((a) => a.properties.roleDefinitionId.endsWith(VM_CONTRIBUTOR))!;
    const rule = (id: string) => vmc.properties.effectiveRules.find((r) => r.id === id);
    expect(vmc.properties.effectiveRules).toHaveLength(17);
    expect(rule('Enablement_Admin_Assignment')).toMatchObject({
      enabledRules: ['MultiFactorAuthentication', 'Justification'],
    });
    expect(rule('Expiration_Admin_Assignment')).toMatchObject({
      isExpirationRequired: true,
      maximumDuration: 'P30D',
    });
    expect(rule('Approval_EndUser_Assignment')).toMatchObject({ setting: { isApprovalRequired: true } });
    expect(rule('Enablement_EndUser_Assignment')).toMatchObject({
      enabledRules: ['Justification', 'Ticketing'],
    });
    const other = list.find((a) => !a.properties.roleDefinitionId.endsWith(VM_CONTRIBUTOR))!;
    expect(other.properties.effectiveRules.find((r) => r.id === 'Enablement_Admin_Assignment')).toMatchObject(
      {
        enabledRules: ['Justification'],
      },
    );
  });
});

const byClass = (cls: string, waitsFor?: string) =>
  SPEC.requestStatuses.filter(
    (s) =>
      REQUEST_STATUSES[s]?.class === cls &&
      (waitsFor === undefined || REQUEST_STATUSES[s]?.waitsFor === waitsFor),
  );

describe('request statuses: all 22, each handled by its class', () => {
  it("classifies exactly the API's statuses, each with a reason", () => {
    expect(Object.keys(REQUEST_STATUSES)).toEqual(SPEC.requestStatuses);
    expect(SPEC.requestStatuses).toHaveLength(22);
    for (const meaning of Object.values(REQUEST_STATUSES)) {
      expect(['in-progress', 'done', 'revoked', 'failed']).toContain(meaning.class);
      expect(meaning.reason.length).toBeGreaterThan(10);
      expect(meaning.waitsFor !== undefined).toBe(meaning.class === 'in-progress');
    }
  });

  // PendingRevocation belongs to removals: the last test follows one.
  const provisioning = byClass('in-progress', 'azure').filter((s) => s !== 'PendingRevocation');
  it.each(provisioning)('%s: polls until Azure provisions it', async (status) => {
    world = await azureWorld();
    world.fake.state.scriptNextRequest([status, status, 'Provisioned']);
    await world.provisioner().grant(world.grant(), identities, CONTEXT);
    expect(world.sleeps).toEqual([1000, 2000]);
    expect(world.calls(OWN_REQUEST, 'GET')).toHaveLength(2);
    expect(allowed()).toBe(true);
  });

  it.each(byClass('in-progress', 'approver'))(
    '%s: waits half a minute, then withdraws the request and fails naming the status',
    async (status) => {
      world = await azureWorld();
      world.fake.state.scriptNextRequest([status]);
      const error = await rejection(world.provisioner().grant(world.grant(), identities, CONTEXT));
      expect(error).toMatchObject({ retryable: false, code: status });
      expect(error.message).toContain(`is ${status}`);
      expect(error.message).toContain('the broker cancelled it');
      expect(world.sleeps.reduce((a, b) => a + b, 0)).toBe(30_000);
      expect(world.calls(`${OWN_REQUEST}/cancel`, 'POST').map((r) => r.status)).toEqual([200]);
      const read = await world.arm('GET', `${OWN_REQUEST}?api-version=2020-10-01`);
      expect(read.body).toMatchObject({ properties: { status: 'Canceled' } });
      expect(allowed()).toBe(false);
    },
  );

  it.each([...byClass('failed'), ...byClass('revoked')])(
    '%s: fails at once with the reason',
    async (status) => {
      world = await azureWorld();
      world.fake.state.scriptNextRequest([status]);
      const error = await rejection(world.provisioner().grant(world.grant(), identities, CONTEXT));
      expect(error).toMatchObject({ retryable: false, code: status });
      expect(error.message).toContain(
        `request ${deterministicGuid('pim-assign', 'g-1')} is ${status}: ${REQUEST_STATUSES[status]!.reason}`,
      );
      expect(world.sleeps).toEqual([]);
      expect(allowed()).toBe(false);
    },
  );

  it('a status outside the list fails loudly instead of being waited on', async () => {
    world = await azureWorld();
    world.fake.state.scriptNextRequest(['SomethingNew']);
    const error = await rejection(world.provisioner().grant(world.grant(), identities, CONTEXT));
    expect(error).toMatchObject({ retryable: false, code: 'SomethingNew' });
    expect(error.message).toContain("the status 'SomethingNew' is not one the broker knows");
  });

  it('still working after the bounded wait: retryable, naming the status; the retry picks the same request up', async () => {
    world = await azureWorld();
    world.fake.state.scriptNextRequest([...Array<string>(6).fill('PendingProvisioning'), 'Provisioned']);
    const p = world.provisioner();
    const slow = await rejection(p.grant(world.grant(), identities, CONTEXT));
    expect(slow).toMatchObject({ retryable: true, code: 'PendingProvisioning' });
    expect(slow.message).toContain('still working on request');
    expect(slow.message).toContain('after 30 s');
    expect(allowed()).toBe(false);

    // The worker tries again: Azure refuses a second request while the first is pending, and the
    // broker follows its own.
    const ref = await p.grant(world.grant(), identities, CONTEXT);
    const puts = world.calls('/roleAssignmentScheduleRequests/', 'PUT');
    expect(puts.map((r) => r.status)).toEqual([201, 400]);
    expect(ref).toMatchObject({ owned: true, name: deterministicGuid('pim-assign', 'g-1') });
    expect(allowed()).toBe(true);
  });

  it("someone else's pending request for the same role and scope is reported, not taken for the broker's", async () => {
    world = await azureWorld();
    world.fake.state.scriptNextRequest(['PendingApproval']);
    const theirs = await world.arm(
      'PUT',
      `${VM}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${deterministicGuid('theirs')}?api-version=2020-10-01`,
      {
        properties: {
          principalId: ALICE.objectId,
          roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${VM_CONTRIBUTOR}`,
          requestType: 'AdminAssign',
          justification: 'by hand',
          scheduleInfo: {
            startDateTime: T0.toISOString(),
            expiration: { type: 'AfterDuration', duration: 'PT1H' },
          },
        },
      },
    );
    expect(theirs.status).toBe(201);
    const error = await rejection(world.provisioner().grant(world.grant(), identities, CONTEXT));
    expect(error).toMatchObject({ retryable: true, code: 'RoleAssignmentRequestExists' });
    expect(error.message).toContain("another PIM request (not the broker's)");
  });

  it('its own request having failed, a role Alice then holds from elsewhere is left alone on the retry', async () => {
    world = await azureWorld();
    world.fake.state.scriptNextRequest(['Failed']);
    await rejection(world.provisioner().grant(world.grant(), identities, CONTEXT));
    await world.provisioner('assignment').grant(world.grant({ id: 'admin-made' }), identities, CONTEXT);
    const ref = await world.provisioner().grant(world.grant(), identities, CONTEXT);
    expect(ref).toMatchObject({ owned: false });
    expect(allowed()).toBe(true);
  });

  it('a removal is done only once Azure reports the assignment gone (PendingRevocation, then Revoked)', async () => {
    world = await azureWorld();
    const p = world.provisioner();
    const g = world.grant();
    const ref = await p.grant(g, identities, CONTEXT);
    world.clock.advance(10 * MINUTE);
    world.fake.state.scriptNextRequest(['PendingRevocation', 'Revoked']);
    await p.revoke(g, ref, identities);
    expect(world.sleeps).toEqual([1000]);
    expect(allowed()).toBe(false);
  });

  it('a removal that fails says so, naming the status', async () => {
    world = await azureWorld();
    const p = world.provisioner();
    const g = world.grant();
    const ref = await p.grant(g, identities, CONTEXT);
    world.clock.advance(10 * MINUTE);
    world.fake.state.scriptNextRequest(['FailedAsResourceIsLocked']);
    const error = await rejection(p.revoke(g, ref, identities));
    expect(error).toMatchObject({ code: 'FailedAsResourceIsLocked' });
    expect(error.message).toContain('resource lock');
    expect(allowed()).toBe(true);
  });
});
