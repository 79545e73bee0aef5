/**
 * The Azure fake against Azure's own published examples (x-ms-examples of
 * Azure/azure-rest-api-specs, vendored in tests/fixtures/conformance/azure/ with their sources):
 * for every operation the Azure provisioner calls, the example's request is replayed against the
 * fake, which must answer with the example's status code and the example's shape
 * (./conformance-azure-examples.ts). The provisioner's reading of the same answers is
 * ./conformance-azure-provisioner.test.ts. No network: the fake listens on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { azureWorld, type AzureWorld } from './clouds-azure-fixtures';
import {
  example,
  PIM_PRINCIPAL,
  PIM_PUT,
  PIM_SCOPE,
  requestPath,
  rulesFor,
  scopeOf,
  shapeProblems,
  SPEC,
  subscriptionIn,
  type Example,
  type ShapeRules,
} from './conformance-azure-examples';

/** The example's 2xx answer and the fake's must agree on status and shape. */
function expectConforms(
  e: Example,
  status: number,
  actual: { status: number; body: unknown },
  rules: ShapeRules,
) {
  expect(actual.status).toBe(status);
  const expected = e.responses[String(status)];
  expect(expected, `the example has a ${status} answer`).toBeDefined();
  if (expected!.body === undefined) {
    expect(actual.body).toBeNull();
    return;
  }
  expect(shapeProblems(expected!.body, actual.body, rules)).toEqual([]);
}

let world: AzureWorld;
afterEach(async () => {
  await world.fake.close();
});

/** A fake holding the example's subscription and principal, its clock at `at`. */
async function worldFor(
  subscription: string,
  principal: { objectId: string; upn: string },
  at: string,
  pim = {},
) {
  world = await azureWorld({ subscriptions: [subscription], principals: [principal], pimPolicy: pim });
  world.clock.freeze(new Date(at));
  return world;
}

const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';

/**
 * The example's request as the broker sends it: an `AdminAssign` (the example's `SelfActivate`
 * needs an eligibility, which the fake does not model, so its `linkedRoleEligibilityScheduleId`
 * goes too) for the built-in Contributor the example names (its GUID is not a built-in one).
 */
function brokerRequest(e: Example) {
  const { properties } = e.parameters.parameters as { properties: Record<string, unknown> };
  const { linkedRoleEligibilityScheduleId: _eligibility, ...rest } = properties;
  return {
    properties: {
      ...rest,
      requestType: 'AdminAssign',
      roleDefinitionId: `/subscriptions/${subscriptionIn(PIM_SCOPE)}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
    },
  };
}

describe('PIM (Microsoft.Authorization 2020-10-01) examples replayed against the fake', () => {
  // The example's tenant asks no justification of an active assignment (the request has none).
  const noJustification = { requireJustificationOnActiveAssignment: false };

  it('RoleAssignmentScheduleRequests_Create (PutRoleAssignmentScheduleRequest): 201', async () => {
    await worldFor(subscriptionIn(PIM_SCOPE), PIM_PRINCIPAL, '2020-09-09T21:35:27.910Z', noJustification);
    const res = await world.arm('PUT', requestPath(PIM_PUT), brokerRequest(PIM_PUT));
    expectConforms(PIM_PUT, 201, res, rulesFor('RoleAssignmentScheduleRequest'));
  });

  it('RoleAssignmentScheduleRequests_Get (GetRoleAssignmentScheduleRequestByName): 200', async () => {
    const get = example('GetRoleAssignmentScheduleRequestByName');
    await worldFor(subscriptionIn(PIM_SCOPE), PIM_PRINCIPAL, '2020-09-09T21:35:27.910Z', noJustification);
    expect((await world.arm('PUT', requestPath(PIM_PUT), brokerRequest(PIM_PUT))).status).toBe(201);
    expectConforms(
      get,
      200,
      await world.arm('GET', requestPath(get)),
      rulesFor('RoleAssignmentScheduleRequest'),
    );
  });

  it('RoleAssignmentScheduleRequests_ListForScope: each listed request has the shape GET by name answers', async () => {
    // Azure's own list example (GetRoleAssignmentScheduleRequestByScope) lists items of the same
    // RoleAssignmentScheduleRequest model as the vendored GET example, under `value`.
    const get = example('GetRoleAssignmentScheduleRequestByName');
    await worldFor(subscriptionIn(PIM_SCOPE), PIM_PRINCIPAL, '2020-09-09T21:35:27.910Z', noJustification);
    expect((await world.arm('PUT', requestPath(PIM_PUT), brokerRequest(PIM_PUT))).status).toBe(201);
    for (const filter of [
      `assignedTo('${PIM_PRINCIPAL.objectId}')`,
      `principalId eq '${PIM_PRINCIPAL.objectId}'`,
      'asRequestor()',
    ]) {
      const res = await world.arm(
        'GET',
        `/subscriptions/${subscriptionIn(PIM_SCOPE)}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests?$filter=${encodeURIComponent(filter)}&api-version=2020-10-01`,
      );
      const items = (res.body as { value: unknown[] }).value;
      expect(items, filter).toHaveLength(1);
      expectConforms(
        get,
        200,
        { status: res.status, body: items[0] },
        rulesFor('RoleAssignmentScheduleRequest'),
      );
    }
  });

  it('RoleAssignmentScheduleRequests_Cancel (CancelRoleAssignmentScheduleRequestByName): 200, no body', async () => {
    const cancel = example('CancelRoleAssignmentScheduleRequestByName');
    await worldFor(subscriptionIn(PIM_SCOPE), PIM_PRINCIPAL, '2020-09-09T21:35:27.910Z', noJustification);
    // Only a pending request can be cancelled: this one waits for a PIM approver.
    world.fake.state.scriptNextRequest(['PendingApproval']);
    expect((await world.arm('PUT', requestPath(PIM_PUT), brokerRequest(PIM_PUT))).status).toBe(201);
    const path = requestPath(cancel).replace('?', '/cancel?');
    expectConforms(cancel, 200, await world.arm('POST', path), {});
  });

  it('RoleAssignmentScheduleInstances_ListForScope (GetRoleAssignmentScheduleInstancesByScope): 200', async () => {
    const list = example('GetRoleAssignmentScheduleInstancesByScope');
    await worldFor(subscriptionIn(PIM_SCOPE), PIM_PRINCIPAL, '2020-09-09T21:35:27.910Z', noJustification);
    expect((await world.arm('PUT', requestPath(PIM_PUT), brokerRequest(PIM_PUT))).status).toBe(201);
    const filter = encodeURIComponent(String(list.parameters.$filter));
    const res = await world.arm(
      'GET',
      `${scopeOf(list)}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances?$filter=${filter}&api-version=2020-10-01`,
    );
    expect((res.body as { value: unknown[] }).value).toHaveLength(1);
    expectConforms(list, 200, res, rulesFor('RoleAssignmentScheduleInstanceListResult'));
  });

  it('RoleManagementPolicyAssignments_ListForScope (GetRoleManagementPolicyAssignmentByScope): 200', async () => {
    const list = example('GetRoleManagementPolicyAssignmentByScope');
    await worldFor(subscriptionIn(scopeOf(list)), PIM_PRINCIPAL, '2021-03-17T02:54:27.167Z');
    const res = await world.arm(
      'GET',
      `${scopeOf(list)}/providers/Microsoft.Authorization/roleManagementPolicyAssignments?api-version=2020-10-01`,
    );
    expect((res.body as { value: unknown[] }).value.length).toBeGreaterThan(0);
    expectConforms(
      list,
      200,
      res,
      rulesFor('RoleManagementPolicyAssignmentListResult', { 'value[].properties.effectiveRules': 'id' }),
    );
  });
});

describe('RBAC (Microsoft.Authorization 2022-04-01) examples replayed against the fake', () => {
  const RBAC_PRINCIPAL = { objectId: 'ce2ce14e-85d7-4629-bdbc-454d0519d987', upn: 'rbac-user@example.com' };
  /** The example's request for the built-in Reader (the example's role GUID is no built-in the fake knows). */
  const assignmentRequest = (e: Example) => {
    const { properties } = e.parameters.parameters as { properties: Record<string, unknown> };
    return {
      properties: {
        ...properties,
        roleDefinitionId: `/subscriptions/${subscriptionIn(scopeOf(e))}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
      },
    };
  };
  const assignmentPath = (e: Example) =>
    `${scopeOf(e)}/providers/Microsoft.Authorization/roleAssignments/${String(e.parameters.roleAssignmentName)}?api-version=2022-04-01`;

  it('RoleAssignments_Create (RoleAssignments_CreateForSubscription): 201, then 200 for the same again', async () => {
    const create = example('RoleAssignments_CreateForSubscription');
    await worldFor(subscriptionIn(scopeOf(create)), RBAC_PRINCIPAL, '2022-04-01T00:00:00.000Z');
    const first = await world.arm('PUT', assignmentPath(create), assignmentRequest(create));
    expectConforms(create, 201, first, rulesFor('RoleAssignment'));
    const again = await world.arm('PUT', assignmentPath(create), assignmentRequest(create));
    expectConforms(create, 200, again, rulesFor('RoleAssignment'));
  });

  it('RoleAssignments_Delete (RoleAssignments_Delete): 200 with the assignment, then 204 when gone', async () => {
    const create = example('RoleAssignments_CreateForSubscription');
    const del = example('RoleAssignments_Delete');
    await worldFor(subscriptionIn(scopeOf(del)), RBAC_PRINCIPAL, '2022-04-01T00:00:00.000Z');
    expect((await world.arm('PUT', assignmentPath(del), assignmentRequest(create))).status).toBe(201);
    expectConforms(del, 200, await world.arm('DELETE', assignmentPath(del)), rulesFor('RoleAssignment'));
    expectConforms(del, 204, await world.arm('DELETE', assignmentPath(del)), {});
  });

  it('RoleDefinitions_List (GetRoleDefinitionAtScope; items as GetRoleDefinitionByName at 2022-04-01): 200', async () => {
    const list = example('GetRoleDefinitionAtScope');
    const one = example('GetRoleDefinitionByName');
    await worldFor('00000000-0000-0000-0000-0000000000aa', RBAC_PRINCIPAL, '2022-04-01T00:00:00.000Z');
    // The example's scope is the placeholder "scope": the broker lists at a subscription.
    const listPath = (version: string) =>
      `/subscriptions/00000000-0000-0000-0000-0000000000aa/providers/Microsoft.Authorization/roleDefinitions?api-version=${version}`;
    const old = await world.arm('GET', listPath(String(list.parameters['api-version'])));
    expect((old.body as { value: unknown[] }).value.length).toBeGreaterThan(0);
    expectConforms(list, 200, old, rulesFor('RoleDefinitionListResult'));
    const current = (await world.arm('GET', listPath('2022-04-01'))).body as { value: unknown[] };
    const item = one.responses['200']!.body;
    const itemRules: ShapeRules = {
      declared: { properties: SPEC.declared.RoleDefinitionListResult!['value[].properties']! },
    };
    for (const role of current.value) expect(shapeProblems(item, role, itemRules)).toEqual([]);
  });
});

describe('Activity Log (Microsoft.Insights 2015-04-01) example replayed against the fake', () => {
  it('ActivityLogs_List (GetActivityLogsFiltered): 200, only the resource group asked for, paged', async () => {
    const list = example('GetActivityLogsFiltered');
    const sub = String(list.parameters.subscriptionId);
    const admin = { objectId: '2468adf0-8211-44e3-95xq-85137af64708', upn: 'admin@contoso.com' };
    await worldFor(sub, admin, '2015-01-21T22:14:26.979Z');
    const ticket = (group: string) =>
      `/subscriptions/${sub}/resourceGroups/${group}/providers/microsoft.support/supporttickets/115012112305841`;
    for (const group of ['MSSupportGroup', 'MSSupportGroup', 'OtherGroup']) {
      world.fake.state.recordActivity({
        objectId: admin.objectId,
        subscriptionId: sub,
        action: 'microsoft.support/supporttickets/write',
        resourceId: ticket(group),
      });
    }
    const filter = encodeURIComponent(String(list.parameters.$filter));
    const res = await world.arm(
      'GET',
      `/subscriptions/${sub}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01&$filter=${filter}`,
    );
    const body = res.body as { value: { resourceGroupName: string }[] };
    expect(body.value.length).toBeGreaterThan(0);
    expect(body.value.every((e) => e.resourceGroupName === 'MSSupportGroup')).toBe(true);
    expectConforms(list, 200, res, rulesFor('EventDataCollection'));
  });
});

describe('the shape comparison', () => {
  it('reports a missing key, a wrong type, an undeclared key, a map value of the wrong type and a missing keyed element', () => {
    const exampleBody = { a: 'x', b: { c: 1 }, m: { k: 'v' }, rules: [{ id: 'R1', on: true }], n: null };
    const answer = { a: 2, b: {}, m: { other: 3 }, rules: [{ id: 'R2', on: true }], n: 'anything', extra: 1 };
    expect(
      shapeProblems(exampleBody, answer, {
        declared: { '': ['a', 'b', 'm', 'rules', 'n'] },
        maps: ['m'],
        keyedBy: { rules: 'id' },
      }),
    ).toEqual([
      'a: number where the example has string',
      'b.c: missing',
      'm.other: number in a map of string',
      'rules[]: no element with id R1',
      'extra: not declared by the spec',
    ]);
    // Null stands in for an unset string, never for an object.
    expect(shapeProblems({ s: 'x', o: { p: 1 } }, { s: null, o: null })).toEqual([
      'o: null where the example has object',
    ]);
  });
});
