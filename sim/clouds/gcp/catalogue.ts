/**
 * A realistic subset of Google's predefined-role catalogue (`GET /v1/roles?view=FULL`): the basic
 * roles and the predefined roles the simulated consoles' denials need, with permission lists
 * trimmed from the real ones but keeping their shape (basic roles broadest, the instance admin
 * carrying far more than `compute.instances.start`). Enough for role choice to be meaningful.
 * Also where each role may be bound (`grantableOn`): the legacy Cloud Storage roles are the
 * smallest roles holding some object permissions, yet only a bucket's policy accepts them, which
 * is the trap `roles:queryGrantableRoles` exists for (docs/cloud-mechanics.md §3.2).
 */

export interface FakeRole {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly includedPermissions: readonly string[];
  readonly stage: 'GA' | 'BETA' | 'ALPHA' | 'DEPRECATED';
  readonly etag: string;
}

const COMPUTE_READ = [
  'compute.disks.get',
  'compute.disks.list',
  'compute.instances.get',
  'compute.instances.getSerialPortOutput',
  'compute.instances.list',
  'compute.machineTypes.list',
  'compute.networks.list',
  'compute.zones.get',
  'compute.zones.list',
];
const COMPUTE_INSTANCE_WRITE = [
  'compute.disks.create',
  'compute.disks.use',
  'compute.instances.attachDisk',
  'compute.instances.create',
  'compute.instances.delete',
  'compute.instances.reset',
  'compute.instances.setLabels',
  'compute.instances.setMachineType',
  'compute.instances.setMetadata',
  'compute.instances.start',
  'compute.instances.stop',
  'compute.instances.suspend',
  'compute.instances.update',
  'compute.subnetworks.use',
];
const PROJECT_READ = ['resourcemanager.projects.get', 'resourcemanager.projects.list'];
const STORAGE_OBJECT_READ = ['storage.objects.get', 'storage.objects.list'];
const STORAGE_OBJECT_WRITE = [
  'storage.multipartUploads.abort',
  'storage.multipartUploads.create',
  'storage.multipartUploads.list',
  'storage.objects.create',
  'storage.objects.delete',
  'storage.objects.getIamPolicy',
  'storage.objects.setIamPolicy',
  'storage.objects.update',
];
const LOGGING_READ = [
  'logging.buckets.get',
  'logging.buckets.list',
  'logging.logEntries.list',
  'logging.logs.list',
];
const BIGQUERY_USER = ['bigquery.datasets.create', 'bigquery.jobs.create', 'bigquery.jobs.list'];
const IAM_READ = ['iam.roles.get', 'iam.roles.list', 'iam.serviceAccounts.get', 'iam.serviceAccounts.list'];

const VIEWER = [
  ...COMPUTE_READ,
  ...PROJECT_READ,
  ...LOGGING_READ,
  ...IAM_READ,
  'resourcemanager.projects.getIamPolicy',
  'storage.buckets.list',
  'bigquery.datasets.get',
];
const EDITOR = [
  ...VIEWER,
  ...COMPUTE_INSTANCE_WRITE,
  ...STORAGE_OBJECT_READ,
  ...STORAGE_OBJECT_WRITE,
  ...BIGQUERY_USER,
  'iam.serviceAccounts.actAs',
  'storage.buckets.create',
];
const OWNER = [
  ...EDITOR,
  'iam.roles.create',
  'iam.roles.delete',
  'iam.roles.update',
  'resourcemanager.projects.delete',
  'resourcemanager.projects.setIamPolicy',
];

const role = (
  name: string,
  title: string,
  includedPermissions: readonly string[],
  stage: FakeRole['stage'] = 'GA',
): FakeRole => ({
  name,
  title,
  description: `${title} (simulated catalogue)`,
  includedPermissions: [...new Set(includedPermissions)].sort(),
  stage,
  etag: 'AA==',
});

export const BASIC_ROLE_NAMES: ReadonlySet<string> = new Set(['roles/owner', 'roles/editor', 'roles/viewer']);

/** The resource types whose IAM policies the fake knows how to grant on. */
export type FakeResourceType = 'organization' | 'folder' | 'project' | 'bucket';

export const PREDEFINED_ROLES: readonly FakeRole[] = [
  role('roles/owner', 'Owner', OWNER),
  role('roles/editor', 'Editor', EDITOR),
  role('roles/viewer', 'Viewer', VIEWER),
  role('roles/compute.viewer', 'Compute Viewer', [...COMPUTE_READ, ...PROJECT_READ]),
  role('roles/compute.instanceAdmin.v1', 'Compute Instance Admin (v1)', [
    ...COMPUTE_READ,
    ...COMPUTE_INSTANCE_WRITE,
    ...PROJECT_READ,
  ]),
  // The pre-v1 role: larger than v1 for nothing, and on its way out.
  role(
    'roles/compute.instanceAdmin',
    'Compute Instance Admin (beta)',
    [...COMPUTE_READ, ...COMPUTE_INSTANCE_WRITE, ...PROJECT_READ, 'compute.instances.setTags'],
    'BETA',
  ),
  role('roles/storage.objectViewer', 'Storage Object Viewer', [...STORAGE_OBJECT_READ, ...PROJECT_READ]),
  role('roles/storage.objectAdmin', 'Storage Object Admin', [
    ...STORAGE_OBJECT_READ,
    ...STORAGE_OBJECT_WRITE,
    ...PROJECT_READ,
  ]),
  role('roles/iam.serviceAccountUser', 'Service Account User', [
    'iam.serviceAccounts.actAs',
    'iam.serviceAccounts.get',
    'iam.serviceAccounts.list',
    ...PROJECT_READ,
  ]),
  role('roles/iam.roleViewer', 'Role Viewer', ['iam.roles.get', 'iam.roles.list', ...PROJECT_READ]),
  role('roles/iam.roleAdmin', 'Role Administrator', [
    'iam.roles.create',
    'iam.roles.delete',
    'iam.roles.get',
    'iam.roles.list',
    'iam.roles.undelete',
    'iam.roles.update',
    ...PROJECT_READ,
  ]),
  role('roles/logging.viewer', 'Logs Viewer', [...LOGGING_READ, ...PROJECT_READ]),
  role('roles/logging.privateLogViewer', 'Private Logs Viewer', [
    ...LOGGING_READ,
    'logging.privateLogEntries.list',
    ...PROJECT_READ,
  ]),
  role('roles/bigquery.jobUser', 'BigQuery Job User', ['bigquery.jobs.create', ...PROJECT_READ]),
  role('roles/bigquery.user', 'BigQuery User', [...BIGQUERY_USER, 'bigquery.datasets.get', ...PROJECT_READ]),
  role('roles/resourcemanager.projectIamAdmin', 'Project IAM Admin', [
    'resourcemanager.projects.get',
    'resourcemanager.projects.getIamPolicy',
    'resourcemanager.projects.setIamPolicy',
  ]),
  // The legacy bucket roles: smaller than any role a project accepts for these permissions, and
  // grantable on a bucket only (BUCKET_ONLY below).
  role('roles/storage.legacyObjectReader', 'Storage Legacy Object Reader', ['storage.objects.get']),
  role('roles/storage.legacyBucketReader', 'Storage Legacy Bucket Reader', [
    'storage.buckets.get',
    'storage.multipartUploads.list',
    'storage.objects.list',
  ]),
];

/** Roles a bucket's policy accepts and no project's, folder's or organization's does. */
const BUCKET_ONLY: ReadonlySet<string> = new Set([
  'roles/storage.legacyObjectReader',
  'roles/storage.legacyBucketReader',
]);

/** Permissions on a bucket or what it holds: a role with one of them is grantable on a bucket. */
const BUCKET_PERMISSION = /^storage\.(buckets|objects|multipartUploads)\./;

/**
 * Whether IAM accepts `role` in the policy of a resource of type `type`. Google grants a role on
 * a resource, or above it in the hierarchy, when the role holds permissions for that resource
 * type (docs/cloud-mechanics.md §3.2): every predefined role here applies to projects and what
 * contains them, except the legacy bucket roles, which only a bucket takes; a bucket takes the
 * non-basic roles with bucket or object permissions.
 */
export function grantableOn(role: FakeRole, type: FakeResourceType): boolean {
  if (type !== 'bucket') return !BUCKET_ONLY.has(role.name);
  return !BASIC_ROLE_NAMES.has(role.name) && role.includedPermissions.some((p) => BUCKET_PERMISSION.test(p));
}

/** The predefined roles a project's policy may bind: what `roles:queryGrantableRoles` lists for a project. */
export const PROJECT_GRANTABLE_ROLES: readonly FakeRole[] = PREDEFINED_ROLES.filter((r) =>
  grantableOn(r, 'project'),
);

/** Every permission some predefined role carries: what a custom role may include. */
export const KNOWN_PERMISSIONS: ReadonlySet<string> = new Set(
  PREDEFINED_ROLES.flatMap((r) => r.includedPermissions),
);
