/**
 * The built-in roles the Azure fake serves from `roleDefinitions`: real GUIDs and names, and their
 * permissions as Azure publishes them (azure/role-based-access-control/built-in-roles), trimmed
 * where a long list adds nothing to what the broker must get right: wildcards at every depth
 * (`*`, `*\/read`, `Microsoft.Compute/virtualMachines/*`), `notActions` (Contributor, Key Vault
 * Contributor), and data-plane roles (Storage Blob Data …, Key Vault Secrets User).
 */

export interface FakeRoleDefinition {
  readonly name: string;
  readonly roleName: string;
  readonly description: string;
  readonly actions: readonly string[];
  readonly notActions?: readonly string[];
  readonly dataActions?: readonly string[];
  readonly notDataActions?: readonly string[];
}

export const BUILT_IN_ROLES: readonly FakeRoleDefinition[] = [
  {
    name: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
    roleName: 'Owner',
    description:
      'Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.',
    actions: ['*'],
  },
  {
    name: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
    roleName: 'Contributor',
    description:
      'Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC.',
    actions: ['*'],
    notActions: [
      'Microsoft.Authorization/*/Delete',
      'Microsoft.Authorization/*/Write',
      'Microsoft.Authorization/elevateAccess/Action',
      'Microsoft.Blueprint/blueprintAssignments/write',
      'Microsoft.Blueprint/blueprintAssignments/delete',
      'Microsoft.Compute/galleries/share/action',
    ],
  },
  {
    name: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
    roleName: 'Reader',
    description: 'View all resources, but does not allow you to make any changes.',
    actions: ['*/read'],
  },
  {
    name: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
    roleName: 'User Access Administrator',
    description: 'Lets you manage user access to Azure resources.',
    actions: ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'],
  },
  {
    name: '9980e02c-c2be-4d73-94e8-173b1dc7cf3c',
    roleName: 'Virtual Machine Contributor',
    description: 'Create and manage virtual machines, manage disks, install and run software…',
    actions: [
      'Microsoft.Authorization/*/read',
      'Microsoft.Compute/availabilitySets/*',
      'Microsoft.Compute/locations/*',
      'Microsoft.Compute/virtualMachines/*',
      'Microsoft.Compute/virtualMachineScaleSets/*',
      'Microsoft.Compute/disks/write',
      'Microsoft.Compute/disks/read',
      'Microsoft.Compute/disks/delete',
      'Microsoft.DevTestLab/schedules/*',
      'Microsoft.Insights/alertRules/*',
      'Microsoft.Network/networkInterfaces/*',
      'Microsoft.Network/networkSecurityGroups/join/action',
      'Microsoft.Network/networkSecurityGroups/read',
      'Microsoft.Network/publicIPAddresses/join/action',
      'Microsoft.Network/publicIPAddresses/read',
      'Microsoft.Network/virtualNetworks/read',
      'Microsoft.Network/virtualNetworks/subnets/join/action',
      'Microsoft.ResourceHealth/availabilityStatuses/read',
      'Microsoft.Resources/deployments/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Storage/storageAccounts/listKeys/action',
      'Microsoft.Storage/storageAccounts/read',
      'Microsoft.Support/*',
    ],
  },
  {
    name: 'fb879df8-f326-4884-b1cf-06f3ad86be52',
    roleName: 'Virtual Machine User Login',
    description: 'View Virtual Machines in the portal and login as a regular user.',
    actions: [
      'Microsoft.Network/publicIPAddresses/read',
      'Microsoft.Network/virtualNetworks/read',
      'Microsoft.Network/loadBalancers/read',
      'Microsoft.Network/networkInterfaces/read',
      'Microsoft.Compute/virtualMachines/*/read',
    ],
    dataActions: ['Microsoft.Compute/virtualMachines/login/action'],
  },
  {
    name: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
    roleName: 'Storage Blob Data Reader',
    description: 'Read and list Azure Storage containers and blobs.',
    actions: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/read',
      'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
    ],
    dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'],
  },
  {
    name: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
    roleName: 'Storage Blob Data Contributor',
    description: 'Read, write, and delete Azure Storage containers and blobs.',
    actions: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/delete',
      'Microsoft.Storage/storageAccounts/blobServices/containers/read',
      'Microsoft.Storage/storageAccounts/blobServices/containers/write',
      'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
    ],
    dataActions: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action',
    ],
  },
  {
    name: 'f25e0fa2-a7c8-4377-a976-54943a77a395',
    roleName: 'Key Vault Contributor',
    description: 'Manage key vaults, but does not allow you to assign roles in Azure RBAC.',
    actions: [
      'Microsoft.Authorization/*/read',
      'Microsoft.Insights/alertRules/*',
      'Microsoft.KeyVault/*',
      'Microsoft.Resources/deployments/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Support/*',
    ],
    notActions: [
      'Microsoft.KeyVault/locations/deletedVaults/purge/action',
      'Microsoft.KeyVault/hsmPools/*',
      'Microsoft.KeyVault/managedHsms/*',
    ],
  },
  {
    name: '00482a5a-887f-4fb3-b363-3b7fe8e74483',
    roleName: 'Key Vault Administrator',
    description: 'Perform all data plane operations on a key vault and all objects in it.',
    actions: [
      'Microsoft.Authorization/*/read',
      'Microsoft.Insights/alertRules/*',
      'Microsoft.Resources/deployments/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Support/*',
      'Microsoft.KeyVault/checkNameAvailability/read',
      'Microsoft.KeyVault/deletedVaults/read',
      'Microsoft.KeyVault/locations/*/read',
      'Microsoft.KeyVault/vaults/*/read',
      'Microsoft.KeyVault/operations/read',
    ],
    dataActions: ['Microsoft.KeyVault/vaults/*'],
  },
  {
    name: '4633458b-17de-408a-b874-0445c86b69e6',
    roleName: 'Key Vault Secrets User',
    description: 'Read secret contents.',
    actions: [],
    dataActions: [
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
    ],
  },
];

/**
 * The data-plane operations the fake knows of (what ARM's provider operations list marks
 * `isDataAction`). `allows` checks these against `dataActions` only, as Azure does: Reader's
 * `*\/read` does not read a blob.
 */
export const DATA_OPERATIONS: readonly string[] = [
  'Microsoft.Compute/virtualMachines/login/action',
  'Microsoft.Compute/virtualMachines/loginAsAdmin/action',
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete',
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action',
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action',
  'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  'Microsoft.KeyVault/vaults/keys/read',
];
