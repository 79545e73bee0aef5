/**
 * Which IAM role a GCP grant binds: pure functions over the roles grantable on the project
 * (`roles:queryGrantableRoles`, view FULL; grantable.ts), kept apart from the HTTP code so the
 * choice is table-tested.
 *
 * Google has no "roles containing permission X" query (docs/cloud-mechanics.md §3.2), so the
 * provisioner lists what the project's policy may bind, caches it, and picks here. Permissions
 * are compared exactly: GCP permissions are case-sensitive (docs/denial-formats.md §1.5).
 */

/** One role as `roles:queryGrantableRoles` (view FULL) returns it (fields the choice needs). */
export interface IamRole {
  readonly name: string;
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly includedPermissions?: readonly string[] | undefined;
  /** `GA`, `BETA`, `ALPHA`, `DEPRECATED`, `DISABLED`, `EAP`. */
  readonly stage?: string | undefined;
}

/**
 * The basic roles: far too broad to hand out for one permission, and IAM refuses conditions on
 * them, so a time-bound binding of one is impossible anyway.
 */
export const BASIC_ROLES: ReadonlySet<string> = new Set(['roles/owner', 'roles/editor', 'roles/viewer']);

/** `service.resource.verb` (e.g. `compute.instances.start`, `bigquery.jobs.create`). */
const PERMISSION = /^[a-z][a-zA-Z0-9]*(\.[a-zA-Z0-9]+){2,}$/;

export function isPermission(value: string): boolean {
  return PERMISSION.test(value);
}

/** Stages a role may be granted at: deprecated and disabled roles are on their way out. */
const UNUSABLE_STAGES = new Set(['DEPRECATED', 'DISABLED']);

export interface RoleChoice {
  /** The roles to bind: one when a single role covers every permission (the usual case). */
  readonly roles: readonly IamRole[];
  /** Requested permissions no grantable predefined role contains. */
  readonly missing: readonly string[];
}

const size = (role: IamRole) => role.includedPermissions?.length ?? 0;

/** Fewest permissions first; GA before pre-GA stages on a tie; then by name, so the choice is stable. */
function compareRoles(a: IamRole, b: IamRole): number {
  const ga = (r: IamRole) => (r.stage === undefined || r.stage === 'GA' ? 0 : 1);
  return size(a) - size(b) || ga(a) - ga(b) || a.name.localeCompare(b.name);
}

/** A predefined role (`roles/…`), not a custom role of a project or organization. */
export const isPredefined = (role: IamRole): boolean => role.name.startsWith('roles/');

/** Worth binding for one permission: not basic, not on its way out, and holding something. */
function eligible(role: IamRole): boolean {
  return !BASIC_ROLES.has(role.name) && !UNUSABLE_STAGES.has(role.stage ?? 'GA') && size(role) > 0;
}

/**
 * The smallest predefined role containing every requested permission. When no single role does,
 * the smallest role for each permission in turn (skipping permissions an already chosen role
 * covers): several bindings, still the least the catalogue allows.
 */
export function chooseRoles(catalogue: readonly IamRole[], permissions: readonly string[]): RoleChoice {
  const wanted = [...new Set(permissions)];
  const candidates = catalogue.filter(eligible).sort(compareRoles);
  const contains = (role: IamRole, permission: string) =>
    role.includedPermissions?.includes(permission) ?? false;

  const single = candidates.find((role) => wanted.every((p) => contains(role, p)));
  if (single) return { roles: [single], missing: [] };

  const roles: IamRole[] = [];
  const missing: string[] = [];
  for (const permission of wanted) {
    if (roles.some((role) => contains(role, permission))) continue;
    const role = candidates.find((r) => contains(r, permission));
    if (role) roles.push(role);
    else missing.push(permission);
  }
  return { roles, missing };
}

/**
 * The permissions `roles` carry that differ from `permission` only in case
 * (`iam.serviceaccounts.actAs` → `iam.serviceAccounts.actAs`). They are other permissions, never
 * matches: some tools print a permission in another case than IAM's (docs/denial-formats.md §1.5),
 * and the requester should be told the spelling IAM knows rather than be granted a guess.
 */
export function otherCaseSpellings(roles: readonly IamRole[], permission: string): string[] {
  const lower = permission.toLowerCase();
  const found = new Set<string>();
  for (const role of roles) {
    for (const p of role.includedPermissions ?? [])
      if (p !== permission && p.toLowerCase() === lower) found.add(p);
  }
  return [...found].sort();
}

/** Permissions the chosen roles carry beyond those requested: what else the approver is granting. */
export function extraPermissions(roles: readonly IamRole[], permissions: readonly string[]): string[] {
  const requested = new Set(permissions);
  const extra = new Set<string>();
  for (const role of roles)
    for (const p of role.includedPermissions ?? []) if (!requested.has(p)) extra.add(p);
  return [...extra].sort();
}

/**
 * The id of the one-permission custom role for `permission` (`compute.instances.start` →
 * `unblock_compute_instances_start`). Stable, because a deleted custom role's id stays reserved
 * for weeks (docs/cloud-mechanics.md §3.2): one role per permission, created once and reused.
 * Role ids allow `[a-zA-Z0-9_.]{3,64}`; over-long ids keep their start and end a hash suffix so
 * two long permissions never collide.
 */
export function customRoleId(permission: string): string {
  const id = `unblock_${permission.replace(/[^a-zA-Z0-9_]/g, '_')}`;
  if (id.length <= 64) return id;
  return `${id.slice(0, 55)}_${fnv1a(permission)}`;
}

/** 8 hex digits of FNV-1a: enough to tell ids apart, no crypto import for a name. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** `projects/{p}/roles/{id}`: the full name a binding uses for a project's custom role. */
export function customRoleName(projectId: string, permission: string): string {
  return `projects/${projectId}/roles/${customRoleId(permission)}`;
}
