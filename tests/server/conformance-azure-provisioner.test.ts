/**
 * The Azure provisioner reading Azure's own published answers (the x-ms-examples vendored in
 * tests/fixtures/conformance/azure/): for every operation it calls, a stand-in for ARM answers with
 * the example's answer and the provisioner must make of it what the example says. The fake's
 * answers to the same requests are checked in ./conformance-azure.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createAzureProvisioner, deterministicGuid } from '../../server/clouds/azure';
import { createAzureContext } from '../../server/clouds/azure/context';
import { activeEnd } from '../../server/clouds/azure/pim';
import { activeAssignmentSettings } from '../../server/clouds/azure/pim-policy';
import { TENANT } from './clouds-azure-fixtures';
import {
  example,
  PIM_PRINCIPAL,
  PIM_PUT,
  PIM_SCOPE,
  requestPath,
  subscriptionIn,
} from './conformance-azure-examples';
import { grantFixture } from './domain-fixtures';

const ARM = 'https://management.azure.com';

/**
 * A stand-in for Entra and ARM answering the provisioner with the examples' own answers: `route`
 * gets each ARM call and returns the status and body to send.
 */
function provisionerOn(
  route: (method: string, url: URL) => { status: number; body?: unknown },
  mode: 'pim' | 'assignment' = 'pim',
) {
  const seen: string[] = [];
  const stub: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? 'GET';
    if (url.pathname.endsWith('/oauth2/v2.0/token')) {
      return Promise.resolve(Response.json({ access_token: 'token', expires_in: 3599 }));
    }
    seen.push(`${method} ${url.pathname}`);
    const { status, body } = route(method, url);
    return Promise.resolve(
      body === undefined ? new Response(null, { status }) : Response.json(body, { status }),
    );
  };
  const provisioner = createAzureProvisioner(
    { tenantId: TENANT, clientId: 'client', clientSecret: 'secret', endpoints: { arm: ARM } },
    () => ({ mode }),
    { fetch: stub, now: () => new Date('2020-09-09T21:35:27.910Z'), sleep: () => Promise.resolve() },
  );
  return { provisioner, seen };
}

describe("the provisioner reads the examples' answers", () => {
  const PIM_SUB = subscriptionIn(PIM_SCOPE);
  const body = (name: string, status = '200') => example(name).responses[status]!.body;
  const roles = (method: string, url: URL) =>
    method === 'GET' && url.pathname.endsWith('/roleDefinitions')
      ? { status: 200, body: body('GetRoleDefinitionAtScope') }
      : null;
  const pimGrant = grantFixture({
    id: 'g-1',
    user: 'user@my-tenant.com',
    target: { cloud: 'azure', account: PIM_SUB, environment: 'dev' },
    actions: ['action'],
    resource: null,
    startsAt: new Date('2020-09-09T21:35:27.910Z'),
    expiresAt: new Date('2020-09-10T05:35:27.910Z'),
  });
  const pimIdentities = { azure: PIM_PRINCIPAL.objectId };
  const context = { justification: 'conformance', ticket: null };

  it('RoleDefinitions_List and RoleAssignmentScheduleRequests_Create: the role chosen, the request provisioned', async () => {
    const { provisioner, seen } = provisionerOn(
      (method, url) =>
        roles(method, url) ??
        (method === 'PUT'
          ? { status: 201, body: body('PutRoleAssignmentScheduleRequest', '201') }
          : { status: 404 }),
    );
    const preview = await provisioner.preview!(pimGrant.target, ['action'], null);
    expect(preview).toMatchObject({ role: { name: 'Role name', scope: `/subscriptions/${PIM_SUB}` } });
    expect(preview.alsoGrants).toEqual(['dataAction (data)']);
    const ref = await provisioner.grant(pimGrant, pimIdentities, context);
    expect(ref).toMatchObject({
      owned: true,
      roleName: 'Role name',
      activatedAt: '2020-09-09T21:35:27.910Z',
    });
    expect(seen.filter((s) => s.startsWith('PUT'))).toHaveLength(1);
  });

  it('RoleAssignmentScheduleRequests_Get and RoleAssignmentScheduleInstances_ListForScope: its own request read back, the end in force', async () => {
    const { provisioner, seen } = provisionerOn((method, url) => {
      if (roles(method, url)) return roles(method, url)!;
      if (url.pathname.endsWith('/roleAssignmentScheduleInstances'))
        return { status: 200, body: body('GetRoleAssignmentScheduleInstancesByScope') };
      if (method === 'GET') return { status: 200, body: body('GetRoleAssignmentScheduleRequestByName') };
      // The first PUT meets an active assignment (Azure's documented RoleAssignmentExists); the update goes through.
      return seen.filter((s) => s.startsWith('PUT')).length === 1
        ? {
            status: 400,
            body: { error: { code: 'RoleAssignmentExists', message: 'The Role assignment already exists.' } },
          }
        : { status: 201, body: body('PutRoleAssignmentScheduleRequest', '201') };
    });
    const ref = await provisioner.grant(pimGrant, pimIdentities, context);
    expect(ref).toMatchObject({ owned: true, activatedAt: '2020-09-09T21:35:27.910Z' });
    expect(seen.filter((s) => s.startsWith('PUT'))).toHaveLength(2);

    const ctx = createAzureContext(
      { tenantId: TENANT, clientId: 'client', clientSecret: 'secret', endpoints: { arm: ARM } },
      () => undefined,
      {
        fetch: (input) =>
          Promise.resolve(
            (input instanceof Request ? input.url : input.toString()).includes('/oauth2/')
              ? Response.json({ access_token: 't' })
              : Response.json(body('GetRoleAssignmentScheduleInstancesByScope')),
          ),
      },
    );
    const role = `/subscriptions/${PIM_SUB}/providers/Microsoft.Authorization/roleDefinitions/c8d4ff99-41c3-41a8-9f60-21dfdad59608`;
    expect(await activeEnd(ctx, `/subscriptions/${PIM_SUB}`, PIM_PRINCIPAL.objectId, role)).toBe(
      Date.parse('2020-09-10T05:35:17.91Z'),
    );
  });

  it('RoleAssignmentScheduleRequests_Cancel: an empty 200 is a withdrawn request', async () => {
    // The examples show no pending request: this answer is the create example's with the status
    // a request waiting for an approver has.
    const pending = structuredClone(body('PutRoleAssignmentScheduleRequest', '201')) as {
      properties: { status: string };
    };
    pending.properties.status = 'PendingApproval';
    const { provisioner, seen } = provisionerOn((method, url) => {
      if (roles(method, url)) return roles(method, url)!;
      if (method === 'POST') return { status: 200, body: body('CancelRoleAssignmentScheduleRequestByName') };
      return { status: method === 'PUT' ? 201 : 200, body: pending };
    });
    const error = await provisioner.grant(pimGrant, pimIdentities, context).catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: 'PendingApproval' });
    expect((error as Error).message).toContain('the broker cancelled it');
    expect(seen.filter((s) => s.startsWith('POST'))).toEqual([
      `POST ${
        requestPath(PIM_PUT)
          .replace(
            PIM_PUT.parameters.roleAssignmentScheduleRequestName as string,
            deterministicGuid('pim-assign', 'g-1'),
          )
          .split('?')[0]
      }/cancel`,
    ]);
  });

  it('RoleAssignments_Create and RoleAssignments_Delete: a plain assignment made, then deleted (200, and 204 once gone)', async () => {
    const deletes: number[] = [];
    const { provisioner } = provisionerOn((method, url) => {
      if (roles(method, url)) return roles(method, url)!;
      if (method === 'PUT')
        return { status: 201, body: body('RoleAssignments_CreateForSubscription', '201') };
      deletes.push(deletes.length === 0 ? 200 : 204);
      return deletes.at(-1) === 200 ? { status: 200, body: body('RoleAssignments_Delete') } : { status: 204 };
    }, 'assignment');
    const ref = await provisioner.grant(pimGrant, pimIdentities, context);
    expect(ref).toMatchObject({ mode: 'assignment', owned: true });
    await provisioner.revoke(pimGrant, ref, pimIdentities);
    await provisioner.revoke(pimGrant, ref, pimIdentities);
    expect(deletes).toEqual([200, 204]);
  });

  it('ActivityLogs_List: the write, its caller and outcome, following nextLink', async () => {
    const pages: string[] = [];
    const { provisioner } = provisionerOn((_method, url) => {
      pages.push(url.toString());
      return pages.length === 1
        ? { status: 200, body: body('GetActivityLogsFiltered') }
        : { status: 200, body: { value: [] } };
    });
    const g = grantFixture({
      user: 'admin@contoso.com',
      actions: ['microsoft.support/supporttickets/write'],
      resource: null,
      target: { cloud: 'azure', account: '089bd33f-d4ec-47fe-8ba5-0753aa5c5b33', environment: 'dev' },
      startsAt: new Date('2015-01-21T20:00:00Z'),
      expiresAt: new Date('2015-01-23T20:00:00Z'),
    });
    const entries = await provisioner.activity!(g, null, { azure: '2468adf0-8211-44e3-95xq-85137af64708' });
    expect(entries).toEqual([
      {
        at: '2015-01-21T22:14:26.9792776Z',
        action: 'microsoft.support/supporttickets/write',
        resource:
          '/subscriptions/089bd33f-d4ec-47fe-8ba5-0753aa5c5b33/resourceGroups/MSSupportGroup/providers/microsoft.support/supporttickets/115012112305841',
        outcome: 'success',
      },
    ]);
    expect(pages).toHaveLength(2);
  });

  it("RoleManagementPolicyAssignments: the role's active-assignment rules", () => {
    const list = example('GetRoleManagementPolicyAssignmentByScope');
    expect(
      activeAssignmentSettings(
        list.responses['200']!.body,
        '/subscriptions/129ff972-28f8-46b8-a726-e497be039368/providers/Microsoft.Authorization/roleDefinitions/a1705bd2-3a8f-45a5-8683-466fcfd5cc24',
      ),
    ).toEqual({
      expirationRequired: false,
      maximumDuration: 'P90D',
      enabledRules: ['MultiFactorAuthentication', 'Justification'],
    });
  });
});
