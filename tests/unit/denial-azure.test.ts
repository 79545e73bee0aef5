/**
 * Focused tests for the Azure phrase families of docs/denial-formats.md §3 that the first parser
 * missed: Key Vault's newer RBAC wording, storage data actions from the failed operation, every
 * scope of a linked failure, Microsoft Graph / Entra denials, portal panels that name no action,
 * other data planes (Cosmos DB, Synapse) and the national clouds. Illustrative texts use the guide's
 * placeholder values (alice@example.com, 00000000-…).
 */
import { describe, expect, it } from 'vitest';
import { mayContainDenial, parseDenials } from '../../lib/denial';
import type { Denial } from '../../lib/denial';
import { DENY_KIND_FACTS, grantCanHelp } from '../../lib/deny-kinds';

const SUB = '00000000-0000-0000-0000-000000000000';
const OID = '00000000-0000-0000-0000-000000000001';
const APPID = '44444444-4444-4444-4444-444444444444';
const RG = `/subscriptions/${SUB}/resourceGroups/rg1`;
const BLOB_DATA = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs';

function all(text: string): Denial[] {
  const ds = parseDenials(text);
  if (ds.length > 0) expect(mayContainDenial(text)).toBe(true);
  return ds;
}

function one(text: string): Denial {
  const ds = all(text);
  expect(ds).toHaveLength(1);
  return ds[0] as Denial;
}

function core(d: Denial): Partial<Denial> {
  const { cloud, actions, resource, principal, account, denyKind, requestable } = d;
  return { cloud, actions, resource, principal, account, denyKind, requestable };
}

describe('Key Vault data plane', () => {
  it('reads the "operation is not allowed by RBAC" wording with its labelled lines', () => {
    const d = one(
      `(Forbidden) The operation is not allowed by RBAC. If you recently changed permissions, note that it can take several minutes for them to take effect. Please try again later.
Resource: '/subscriptions/${SUB}/resourcegroups/rg1/providers/microsoft.keyvault/vaults/kv1'
Action: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'
Caller: appid=${APPID};oid=${OID};iss=https://sts.windows.net/55555555-5555-5555-5555-555555555555/
Assignment: (not found)
Vault: kv1;location=eastus`,
    );
    expect(core(d)).toEqual({
      cloud: 'azure',
      actions: ['Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
      resource: `/subscriptions/${SUB}/resourcegroups/rg1/providers/microsoft.keyvault/vaults/kv1`,
      principal: OID,
      account: SUB,
      denyKind: 'azure-rbac',
      requestable: true,
    });
  });

  it('reads the portal notification that names no action', () => {
    const d = one(
      'The operation is not allowed by RBAC. If role assignments were recently changed, please wait several minutes for role assignments to become effective.',
    );
    expect(core(d)).toMatchObject({ cloud: 'azure', actions: [], denyKind: 'azure-rbac', requestable: true });
    expect(d.confidence).not.toBe('high');
  });

  it('folds the portal notification into the raw error it quotes', () => {
    const d = one(
      `The operation is not allowed by RBAC. If role assignments were recently changed, please wait several minutes for role assignments to become effective.
Caller is not authorized to perform action on resource.
Caller: appid=${APPID};oid=${OID}
Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'
Resource: '/subscriptions/${SUB}/resourcegroups/rg1/providers/microsoft.keyvault/vaults/kv1/secrets/s1'`,
    );
    expect(d.actions).toEqual(['Microsoft.KeyVault/vaults/secrets/setSecret/action']);
    expect(d.account).toBe(SUB);
  });
});

describe('storage data plane', () => {
  const mismatch =
    'AuthorizationPermissionMismatch: This request is not authorized to perform this operation using this permission.';

  it('names the data action of a Terraform operation (Get Container Properties)', () => {
    const d = one(
      `Error: retrieving Container "tfstate" (Account "st1" / Resource Group "rg1"): containers.Client#GetProperties: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code="AuthorizationPermissionMismatch" Message="This request is not authorized to perform this operation using this permission."`,
    );
    expect(core(d)).toMatchObject({
      actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/read'],
      denyKind: 'azure-rbac',
      requestable: true,
    });
    expect(d.confidence).toBe('medium');
  });

  it.each([
    ['PUT https://st1.blob.core.usgovcloudapi.net/c1/report.csv', `${BLOB_DATA}/write`],
    ['GET https://st1.blob.core.chinacloudapi.cn/c1?restype=container&comp=list', `${BLOB_DATA}/read`],
    ['DELETE https://st1.blob.core.windows.net/c1/report.csv', `${BLOB_DATA}/delete`],
    [
      'GET https://st1.blob.core.windows.net/?comp=list',
      'Microsoft.Storage/storageAccounts/blobServices/containers/read',
    ],
    [
      'PUT https://st1.blob.core.windows.net/c1?restype=container',
      'Microsoft.Storage/storageAccounts/blobServices/containers/write',
    ],
    [
      'GET https://st1.queue.core.windows.net/q1/messages?peekonly=true',
      'Microsoft.Storage/storageAccounts/queueServices/queues/messages/read',
    ],
    [
      'POST https://st1.queue.core.windows.net/q1/messages',
      'Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action',
    ],
    [
      "GET https://st1.table.core.windows.net/t1()?$filter=PartitionKey%20eq%20'a'",
      'Microsoft.Storage/storageAccounts/tableServices/tables/entities/read',
    ],
  ])('names the data action of the request line %s', (line, action) => {
    const d = one(
      `${line}\n--------------------------------------------------------------------------------\nRESPONSE 403: 403 This request is not authorized to perform this operation using this permission.\nERROR CODE: AuthorizationPermissionMismatch`,
    );
    expect(d.actions).toEqual([action]);
    expect(d.denyKind).toBe('azure-rbac');
  });

  it('names no action when the operation is unknown or far away', () => {
    expect(one(mismatch).actions).toEqual([]);
    const far = `GET https://st1.blob.core.windows.net/c1/b\n${'log line\n'.repeat(400)}\n\n${mismatch}`;
    expect(one(far).actions).toEqual([]);
  });

  it('reads the Azure CLI storage hint as a missing data role', () => {
    const d = one(
      `You do not have the required permissions needed to perform this operation.
Depending on your operation, you may need to be assigned one of the following roles:
    "Storage Blob Data Owner"
    "Storage Blob Data Contributor"
    "Storage Blob Data Reader"

If you want to use the old authentication method and allow querying for the right account key, please use the "--auth-mode" parameter and "key" value.`,
    );
    expect(core(d)).toMatchObject({ cloud: 'azure', actions: [], denyKind: 'azure-rbac', requestable: true });
  });
});

describe('linked authorization failures', () => {
  const head = `The client 'alice@example.com' with object id '${OID}' has permission to perform action 'Microsoft.Compute/virtualMachines/write' on scope '${RG}/providers/Microsoft.Compute/virtualMachines/vm1'; however, it does not have permission to perform`;
  const id1 = `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1`;
  const id2 = `/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg2/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id2`;

  it('returns one denial per linked scope', () => {
    const ds = all(
      `${head} action 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '${id1},${id2}' or the linked scope(s) are invalid.`,
    );
    expect(ds.map(core)).toEqual([
      {
        cloud: 'azure',
        actions: ['Microsoft.ManagedIdentity/userAssignedIdentities/assign/action'],
        resource: id1,
        principal: 'alice@example.com',
        account: SUB,
        denyKind: 'azure-rbac',
        requestable: true,
      },
      {
        cloud: 'azure',
        actions: ['Microsoft.ManagedIdentity/userAssignedIdentities/assign/action'],
        resource: id2,
        principal: 'alice@example.com',
        account: '11111111-1111-1111-1111-111111111111',
        denyKind: 'azure-rbac',
        requestable: true,
      },
    ]);
  });

  it('reads the "action(s) … (respectively)" wording, pairing actions with scopes', () => {
    const subnet = `${RG}/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/app`;
    const ds = all(
      `${head} action(s) 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action,Microsoft.Network/virtualNetworks/subnets/join/action' on the linked scope(s) '${id1},${subnet}' (respectively) or the linked scope(s) are invalid.`,
    );
    expect(ds.map((d) => [d.actions, d.resource])).toEqual([
      [['Microsoft.ManagedIdentity/userAssignedIdentities/assign/action'], id1],
      [['Microsoft.Network/virtualNetworks/subnets/join/action'], subnet],
    ]);
  });

  it('reads a single "action(s)" with a masked scope', () => {
    const d = one(
      "The client '***' with object id '***' has permission to perform action 'Microsoft.Authorization/policyAssignments/write' on scope '***'; however, it does not have permission to perform action(s) 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '***' (respectively) or the linked scope(s) are invalid.",
    );
    expect(core(d)).toMatchObject({
      actions: ['Microsoft.ManagedIdentity/userAssignedIdentities/assign/action'],
      principal: null,
      account: null,
      denyKind: 'azure-rbac',
    });
  });

  it('names no action when the action slot holds a bare verb, so the requester can name one', () => {
    // The portal writes 'read' for the linked scope: no Azure operation string, and a request
    // carries the denial's actions as they are (components/banner/request-draft.ts), where the
    // contract would refuse it (lib/contract/request.ts isValidAction).
    const linked = `/subscriptions/${SUB}/providers/microsoft.insights/eventtypes/management`;
    const d = one(
      `The client 'alice@example.com' with object id '${OID}' has permission to perform action 'Microsoft.OperationalInsights/workspaces/datasources/write' on scope '${RG}'; however, it does not have permission to perform action 'read' on the linked scope(s) '${linked}' or the linked scope(s) are invalid.`,
    );
    expect(core(d)).toEqual({
      cloud: 'azure',
      actions: [],
      resource: linked,
      principal: 'alice@example.com',
      account: SUB,
      denyKind: 'azure-rbac',
      requestable: true,
    });
  });

  it('keeps every scope of a deny-assignment tail, none requestable', () => {
    const ds = all(
      `${head} action 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '${id1},${id2}' and is blocked by deny assignments on the '2' linked scope(s) '${id1},${id2}'.`,
    );
    expect(ds.map((d) => [d.resource, d.denyKind, d.requestable])).toEqual([
      [id1, 'azure-policy', false],
      [id2, 'azure-policy', false],
    ]);
  });
});

describe('Microsoft Entra ID and Microsoft Graph', () => {
  it('has a deny kind of its own that no grant of this broker helps', () => {
    expect(grantCanHelp('entra-directory')).toBe(false);
    expect(DENY_KIND_FACTS['entra-directory'].text).toMatch(/directory role|Graph/);
  });

  it('classifies Authorization_RequestDenied as a directory role or Graph permission', () => {
    const d = one(
      'UsersClient.BaseClient.Post(): unexpected status 403 with OData error: Authorization_RequestDenied: Insufficient privileges to complete the operation.',
    );
    expect(core(d)).toMatchObject({
      cloud: 'azure',
      actions: [],
      denyKind: 'entra-directory',
      requestable: false,
    });
    expect(d.reason).toMatch(/Graph/);
  });

  it('classifies the Azure CLI line "Insufficient privileges to complete the operation."', () => {
    const d = one('ERROR: Insufficient privileges to complete the operation.');
    expect(d.denyKind).toBe('entra-directory');
  });

  it('reads a bare Graph Forbidden by its Graph frame', () => {
    const d = one(
      `{"error":{"code":"Forbidden","message":"","innerError":{"request-id":"${OID}","date":"2024-01-01T00:00:00"}}}`,
    );
    expect(core(d)).toMatchObject({
      cloud: 'azure',
      actions: [],
      denyKind: 'entra-directory',
      requestable: false,
    });
  });

  it.each([
    'https://graph.microsoft.com/v1.0/identityProtection/riskyUsers',
    'https://graph.microsoft.us/v1.0/users',
    'https://microsoftgraph.chinacloudapi.cn/v1.0/users',
  ])('reads "403 Forbidden for url: %s"', (url) => {
    expect(one(`requests.exceptions.HTTPError: 403 Client Error: Forbidden for url: ${url}`).denyKind).toBe(
      'entra-directory',
    );
  });

  it('names the Graph permissions the API asks for in the reason', () => {
    const d = one(
      `{"error":{"code":"Forbidden","message":"Missing role permissions on the request. API requires one of 'ChannelMessage.Read.All, ChannelMessage.Read.Group'. Roles on the request ''."}}`,
    );
    expect(d.denyKind).toBe('entra-directory');
    expect(d.actions).toEqual([]);
    expect(d.reason).toContain('ChannelMessage.Read.All');
  });

  it('does not read Forbidden outside a Graph frame', () => {
    expect(
      all('requests.exceptions.HTTPError: 403 Client Error: Forbidden for url: https://example.com/api'),
    ).toEqual([]);
    expect(all('{"error":{"code":"Forbidden","message":"The request is forbidden."}}')).toEqual([]);
  });
});

describe('portal panels that name no action', () => {
  it('reads "You do not have access" with the panel text', () => {
    const d = one(
      "You do not have access\nLooks like you don't have access to this content. To get access, please contact the owner.",
    );
    expect(core(d)).toMatchObject({ cloud: 'azure', actions: [], resource: null, requestable: true });
    expect(d.source).toBe('console');
    expect(d.confidence).toBe('low');
  });

  it('reads the Key Vault "unauthorized to view these contents" panel', () => {
    const d = one('Secrets\nYou are unauthorized to view these contents.');
    expect(core(d)).toMatchObject({ cloud: 'azure', actions: [], denyKind: 'azure-rbac', requestable: true });
    expect(d.source).toBe('console');
  });

  it('takes the scope from the blade error details', () => {
    const d = one(
      `{ "shellProps": { "sessionId": "abc", "extName": "WebsitesExtension", "contentName": "AppAuth", "resourceId": "${RG}/providers/Microsoft.Web/sites/app1", "code": 403 }, "error": { "message": "No access", "code": 403 }}`,
    );
    expect(core(d)).toMatchObject({
      actions: [],
      resource: `${RG}/providers/Microsoft.Web/sites/app1`,
      account: SUB,
    });
  });

  it.each(['portal.azure.com', 'portal.azure.us', 'portal.azure.cn'])(
    'takes the scope from a %s resource link next to the panel',
    (host) => {
      const d = one(
        `You do not have access\nhttps://${host}/#@contoso.onmicrosoft.com/resource/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Web/sites/app1/overview`,
      );
      expect(d.resource).toBe(`${RG}/providers/Microsoft.Web/sites/app1`);
      expect(d.account).toBe(SUB);
    },
  );

  it.each([
    "You don't have any resources to display",
    'Sign in to your account to continue. You do not have access until you sign in.',
    'If you do not have access to a subscription, create a free account.',
    'No access keys are configured for this account.',
    'Contributors are unauthorized to view billing.',
  ])('does not fire on look-alike portal text: %s', (text) => {
    expect(all(text)).toEqual([]);
  });
});

describe('other data planes', () => {
  it('reads the Cosmos DB data-plane RBAC denial, not grantable by an Azure role', () => {
    const d = one(
      `Response status code does not indicate success: Forbidden (403); Substatus: 5301; Reason: (Request blocked by Auth cosmos1 : Request is blocked because principal [${OID}] does not have required RBAC permissions to perform action [Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/create] on resource [dbs/db1/colls/c1]. Learn more: https://aka.ms/cosmos-native-rbac.`,
    );
    expect(core(d)).toEqual({
      cloud: 'azure',
      actions: ['Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/create'],
      resource: 'dbs/db1/colls/c1',
      principal: OID,
      account: null,
      denyKind: 'azure-rbac',
      requestable: false,
    });
    expect(d.reason).toMatch(/Cosmos DB/);
  });

  it('reads the Synapse RBAC denial with its required permission', () => {
    const d = one(
      `The principal '${OID}' does not have the required Synapse RBAC permission to perform this action. Required permission: Action: Microsoft.Synapse/workspaces/read, Scope: workspaces/ws1/*.`,
    );
    expect(core(d)).toMatchObject({
      actions: ['Microsoft.Synapse/workspaces/read'],
      resource: 'workspaces/ws1/*',
      principal: OID,
      denyKind: 'azure-rbac',
      requestable: false,
    });
    expect(d.reason).toMatch(/Synapse/);
  });
});

describe('Azure RBAC for Kubernetes and Azure Monitor', () => {
  it('reads the AKS Azure RBAC refusal: no action named, the Kubernetes verb as the operation', () => {
    const d = one(
      'Error from server (Forbidden): pods is forbidden: User "alice@example.com" cannot list resource "pods" in API group "" in the namespace "default": User does not have access to the resource in Azure. Update role assignment to allow access.',
    );
    expect(core(d)).toMatchObject({
      cloud: 'azure',
      actions: [],
      principal: 'alice@example.com',
      denyKind: 'azure-rbac',
      requestable: true,
    });
    expect(d.operation).toBe('list pods');
  });

  it('leaves a plain Kubernetes RBAC refusal alone', () => {
    expect(
      all(
        'Error from server (Forbidden): pods is forbidden: User "alice@example.com" cannot list resource "pods" in API group "" in the namespace "default"',
      ),
    ).toEqual([]);
  });

  it('reads the Log Analytics query refusal', () => {
    const d = one(
      'Log Analytics query failed: 403 Forbidden - {"error":{"message":"The provided credentials have insufficient access to perform the requested operation","code":"InsufficientAccessError","correlationId":"00000000-0000-0000-0000-000000000002"}}',
    );
    expect(core(d)).toMatchObject({ cloud: 'azure', actions: [], denyKind: 'azure-rbac', requestable: true });
  });
});

describe('national clouds and wrappers', () => {
  it('reads AuthorizationFailed from a US Government management endpoint in PowerShell', () => {
    const d = one(
      `Invoke-AzRestMethod: GET https://management.usgovcloudapi.net/subscriptions/${SUB}/resourcegroups/rg1?api-version=2021-04-01
Status: 403 (Forbidden)
ErrorCode: AuthorizationFailed
ErrorMessage: The client 'alice@contoso.onmicrosoft.us' with object id '${OID}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/read' over scope '/subscriptions/${SUB}/resourcegroups/rg1' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
    expect(core(d)).toEqual({
      cloud: 'azure',
      actions: ['Microsoft.Resources/subscriptions/resourcegroups/read'],
      resource: `/subscriptions/${SUB}/resourcegroups/rg1`,
      principal: 'alice@contoso.onmicrosoft.us',
      account: SUB,
      denyKind: 'azure-rbac',
      requestable: true,
    });
  });

  it('reads an AuthorizationFailed sentence whose quotes a tool dropped', () => {
    const d = one(
      `AuthorizationFailed: The client alice@example.com with object id ${OID} does not have authorization to perform action Microsoft.Compute/virtualMachines/start/action over scope ${RG}/providers/Microsoft.Compute/virtualMachines/vm1 or the scope is invalid.`,
    );
    expect(core(d)).toMatchObject({
      actions: ['Microsoft.Compute/virtualMachines/start/action'],
      resource: `${RG}/providers/Microsoft.Compute/virtualMachines/vm1`,
      account: SUB,
      denyKind: 'azure-rbac',
    });
  });

  it('reads AuthorizationFailed nested as a JSON string inside another JSON error', () => {
    const inner = JSON.stringify({
      error: {
        code: 'AuthorizationFailed',
        message: `The client '${OID}' with object id '${OID}' does not have authorization to perform action 'Microsoft.Network/virtualNetworks/read' over scope '${RG}/providers/Microsoft.Network/virtualNetworks/vnet1' or the scope is invalid.`,
      },
    });
    const d = one(
      JSON.stringify({
        status: 'Failed',
        error: { code: 'DeploymentFailed', details: [{ message: inner }] },
      }),
    );
    expect(d.actions).toEqual(['Microsoft.Network/virtualNetworks/read']);
    expect(d.principal).toBe(OID);
  });
});
