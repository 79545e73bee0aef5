/**
 * Choosing the Azure role and scope (server/clouds/azure/roles.ts): wildcard matching, notActions,
 * the data plane, and "smallest wins", over the fake's built-in catalogue (real role GUIDs and
 * permissions) plus hand-made roles where a case needs one.
 */
import { describe, expect, it } from 'vitest';
import {
  alsoGrants,
  chooseRole,
  chooseScope,
  isDataAction,
  matchesPattern,
  patternWeight,
  roleSize,
  type RoleDefinition,
} from '../../server/clouds/azure/roles';
import { BUILT_IN_ROLES } from '../../sim/clouds/azure/fake.ts';

const catalogue: RoleDefinition[] = BUILT_IN_ROLES.map((r) => ({
  name: r.name,
  roleName: r.roleName,
  type: 'BuiltInRole',
  permissions: [
    {
      actions: r.actions,
      notActions: r.notActions ?? [],
      dataActions: r.dataActions ?? [],
      notDataActions: r.notDataActions ?? [],
    },
  ],
}));

const role = (
  roleName: string,
  actions: string[],
  extra: Partial<RoleDefinition['permissions'][0]> = {},
) => ({
  name: roleName.toLowerCase().replace(/\W/g, '-'),
  roleName,
  type: 'BuiltInRole',
  permissions: [{ actions, notActions: [], dataActions: [], notDataActions: [], ...extra }],
});

describe('matchesPattern', () => {
  it.each([
    ['*', 'Microsoft.Compute/virtualMachines/start/action', true],
    ['*/read', 'Microsoft.Compute/virtualMachines/read', true],
    ['*/read', 'Microsoft.Compute/virtualMachines/write', false],
    ['Microsoft.Compute/*', 'microsoft.compute/virtualmachines/start/action', true],
    ['Microsoft.Compute/*', 'Microsoft.Network/virtualNetworks/read', false],
    ['Microsoft.Compute/*/read', 'Microsoft.Compute/disks/read', true],
    ['Microsoft.Compute/*/read', 'Microsoft.Compute/disks/write', false],
    ['Microsoft.Authorization/*/Write', 'Microsoft.Authorization/roleAssignments/write', true],
    ['Microsoft.Compute/disks/read', 'MICROSOFT.COMPUTE/DISKS/READ', true],
    ['Microsoft.Compute/disks/read', 'Microsoft.Compute/disks/readx', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'ac', false],
    ['a*bc*c', 'abcc', true],
  ])('%s vs %s → %s', (pattern, action, expected) => {
    expect(matchesPattern(pattern, action)).toBe(expected);
  });
});

describe('chooseRole over the built-in catalogue', () => {
  it.each([
    // Service role beats Reader, Contributor and Owner for a VM action.
    [['Microsoft.Compute/virtualMachines/start/action'], 'Virtual Machine Contributor'],
    // A read anywhere: Reader (`*/read`) is the smallest role carrying it.
    [['Microsoft.Web/sites/read'], 'Reader'],
    // Lowest risk first: a VM read gets read-only Reader, not the narrower Virtual Machine
    // Contributor, which could also delete the VM.
    [['Microsoft.Compute/virtualMachines/read'], 'Reader'],
    // A write outside any service role: Contributor (`*` less the authorization writes) beats Owner.
    [['Microsoft.Web/sites/write'], 'Contributor'],
    // Contributor's notActions exclude authorization writes: User Access Administrator, not Owner, not Contributor.
    [['Microsoft.Authorization/roleAssignments/write'], 'User Access Administrator'],
    // Contributor's elevateAccess exclusion is honoured too; Owner has `*`; UAA has Microsoft.Authorization/*.
    [['Microsoft.Authorization/elevateAccess/Action'], 'User Access Administrator'],
    // Data plane: Reader's `*/read` does not read blobs; the Storage Blob Data Reader does.
    [['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'], 'Storage Blob Data Reader'],
    [
      ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'],
      'Storage Blob Data Contributor',
    ],
    // Both planes at once.
    [
      [
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
        'Microsoft.Storage/storageAccounts/blobServices/containers/write',
      ],
      'Storage Blob Data Contributor',
    ],
    [['Microsoft.KeyVault/vaults/secrets/getSecret/action'], 'Key Vault Secrets User'],
    // A control-plane Key Vault write is not a data action although Key Vault Administrator's
    // dataActions `Microsoft.KeyVault/vaults/*` would match it.
    [['Microsoft.KeyVault/vaults/write'], 'Key Vault Contributor'],
    // Key Vault Contributor's notActions exclude purging: Contributor does not, and is next.
    [['Microsoft.KeyVault/locations/deletedVaults/purge/action'], 'Contributor'],
    [['Microsoft.Compute/virtualMachines/login/action'], 'Virtual Machine User Login'],
    // Several actions: the role must carry all of them.
    [['Microsoft.Compute/virtualMachines/start/action', 'Microsoft.Web/sites/write'], 'Contributor'],
  ])('%j → %s', (actions, expected) => {
    expect(chooseRole(catalogue, actions)?.roleName).toBe(expected);
  });

  it('is case-insensitive', () => {
    expect(chooseRole(catalogue, ['MICROSOFT.COMPUTE/VIRTUALMACHINES/START/ACTION'])?.roleName).toBe(
      'Virtual Machine Contributor',
    );
  });

  it('tells the data plane from the control plane by what the catalogue names', () => {
    expect(isDataAction(catalogue, 'Microsoft.Compute/virtualMachines/login/action')).toBe(true);
    expect(isDataAction(catalogue, 'Microsoft.Compute/virtualMachines/start/action')).toBe(false);
    expect(isDataAction(catalogue, 'Microsoft.KeyVault/vaults/write')).toBe(false);
    // No role names it, but Key Vault Secrets User names data actions on secrets: only a
    // data-action wildcard (Key Vault Administrator's `Microsoft.KeyVault/vaults/*`) carries it.
    expect(isDataAction(catalogue, 'Microsoft.KeyVault/vaults/secrets/delete')).toBe(true);
    expect(chooseRole(catalogue, ['Microsoft.KeyVault/vaults/secrets/delete'])?.roleName).toBe(
      'Key Vault Administrator',
    );
  });

  it('finds nothing for no actions, or when no role carries them', () => {
    expect(chooseRole(catalogue, [])).toBeNull();
    expect(
      chooseRole([role('Reader', ['*/read'])], ['Microsoft.Compute/virtualMachines/start/action']),
    ).toBeNull();
  });
});

describe('smallest wins', () => {
  it('ranks a literal below a service wildcard below a provider wildcard below everything', () => {
    const weights = [
      'a/b/c',
      'Microsoft.Compute/virtualMachines/*',
      'Microsoft.Compute/*',
      '*/read',
      '*',
    ].map(patternWeight);
    expect([...weights].sort((a, b) => a - b)).toEqual(weights);
  });

  it('prefers the role with fewer effective permissions, whatever the catalogue order', () => {
    const big = role('Big', ['Microsoft.Compute/*']);
    const small = role('Small', [
      'Microsoft.Compute/virtualMachines/start/action',
      'Microsoft.Compute/disks/read',
    ]);
    const action = ['Microsoft.Compute/virtualMachines/start/action'];
    expect(chooseRole([big, small], action)?.roleName).toBe('Small');
    expect(chooseRole([small, big], action)?.roleName).toBe('Small');
  });

  it('counts notActions as taking permissions away, but a role excluding the action is no candidate', () => {
    const owner = role('Owner', ['*']);
    const contributor = role('Contributor', ['*'], { notActions: ['Microsoft.Authorization/*/Write'] });
    expect(roleSize(contributor)).toBeLessThan(roleSize(owner));
    expect(chooseRole([owner, contributor], ['Microsoft.Web/sites/write'])?.roleName).toBe('Contributor');
    expect(chooseRole([owner, contributor], ['Microsoft.Authorization/locks/write'])?.roleName).toBe('Owner');
  });

  it('honours notDataActions', () => {
    const reader = role('Blob All', [], {
      dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*'],
      notDataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete'],
    });
    const blobDelete = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete';
    expect(isDataAction([reader], blobDelete)).toBe(true);
    expect(chooseRole([reader], [blobDelete])).toBeNull();
  });

  it('breaks ties by fewer wildcards, then by name, so the choice is stable', () => {
    const b = role('B', ['Microsoft.Compute/virtualMachines/start/action']);
    const a = role('A', ['Microsoft.Compute/virtualMachines/start/action']);
    expect(chooseRole([b, a], ['Microsoft.Compute/virtualMachines/start/action'])?.roleName).toBe('A');
  });
});

describe('alsoGrants', () => {
  it('lists what the role carries beyond the request, wildcards as written, capped', () => {
    const vmc = catalogue.find((r) => r.roleName === 'Virtual Machine Contributor')!;
    const lines = alsoGrants(vmc, ['Microsoft.Compute/disks/read'], 10);
    expect(lines).toHaveLength(10);
    expect(lines).toContain('Microsoft.Compute/virtualMachines/*');
    expect(lines).not.toContain('Microsoft.Compute/disks/read');
    expect(lines[9]).toMatch(/^… and \d+ more$/);
    const contributor = catalogue.find((r) => r.roleName === 'Contributor')!;
    expect(alsoGrants(contributor, ['Microsoft.Web/sites/write'])).toEqual(
      expect.arrayContaining(['*', 'except Microsoft.Authorization/*/Write']),
    );
    const blob = catalogue.find((r) => r.roleName === 'Storage Blob Data Reader')!;
    expect(alsoGrants(blob, [])).toContain(
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read (data)',
    );
  });
});

describe('chooseScope', () => {
  const sub = '00000000-0000-0000-0000-000000000000';
  const vm = `/subscriptions/${sub}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1`;
  it.each([
    [null, `/subscriptions/${sub}`],
    [vm, vm],
    [`${vm}/`, vm],
    [vm.replace(sub, sub.toUpperCase()), vm],
    [`/subscriptions/${sub}/resourceGroups/rg1`, `/subscriptions/${sub}/resourceGroups/rg1`],
    // Another subscription, a path trick, a query, not a resource id: the subscription.
    [vm.replace(sub, '11111111-1111-1111-1111-111111111111'), `/subscriptions/${sub}`],
    [`/subscriptions/${sub}/resourceGroups/../../other`, `/subscriptions/${sub}`],
    [`${vm}?x=1`, `/subscriptions/${sub}`],
    ['arn:aws:s3:::bucket', `/subscriptions/${sub}`],
    [`/subscriptions/${sub}-evil/resourceGroups/rg1`, `/subscriptions/${sub}`],
  ])('%s → %s', (resource, expected) => {
    expect(chooseScope(sub, resource)).toBe(expected);
  });
});
