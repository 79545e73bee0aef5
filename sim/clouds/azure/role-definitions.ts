/**
 * ARM's role definitions (`Microsoft.Authorization/roleDefinitions`): the built-in catalogue,
 * listed with `$filter` and `nextLink` paging, and the permission check RBAC makes with them:
 * whether a principal's active assignments let it perform an operation on a resource.
 */
import type { FakeRoleDefinition } from './catalogue';
import { covers, isActive, type AzureState } from './state';
import { ArmFailure, nextLink, str } from './wire';

/** `*` wildcard, case-insensitive, as RBAC matches actions. */
function glob(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}
const matches = (patterns: readonly string[] | undefined, action: string) =>
  (patterns ?? []).some((p) => glob(p).test(action));

/**
 * Whether the role grants `action`: data operations are matched against `dataActions` minus
 * `notDataActions`, control-plane ones against `actions` minus `notActions` (RBAC's rule).
 */
const roleGrants = (state: AzureState, role: FakeRoleDefinition, action: string) =>
  state.dataOperations.has(action.toLowerCase())
    ? matches(role.dataActions, action) && !matches(role.notDataActions, action)
    : matches(role.actions, action) && !matches(role.notActions, action);

/**
 * Whether `objectId` may perform `action` on `resourceId` (default: the subscription) at `now`:
 * some active assignment at a scope containing the resource carries a role granting it.
 */
export function allows(
  state: AzureState,
  objectId: string,
  subscriptionId: string,
  action: string,
  resourceId: string | null | undefined,
  now: Date = state.clock.now(),
): boolean {
  const subscription = `/subscriptions/${subscriptionId}`;
  const resource = resourceId ?? subscription;
  if (!covers(subscription, resource)) return false;
  return roleAllowing(state, objectId, action, resource, now) !== null;
}

/** The name of a role that lets `objectId` perform `action` on `resource` at `now`; null if none does. */
export function roleAllowing(
  state: AzureState,
  objectId: string,
  action: string,
  resource: string,
  now: Date,
): string | null {
  for (const a of state.assignments) {
    if (a.principalId.toLowerCase() !== objectId.toLowerCase() || !isActive(state, a, now)) continue;
    // An assignment at a scope applies to everything under it.
    if (!covers(a.scope, resource)) continue;
    const role = state.roles.get(a.roleDefinitionName.toLowerCase());
    if (role !== undefined && roleGrants(state, role, action)) return role.roleName;
  }
  return null;
}

function roleDefinitionJson(role: FakeRoleDefinition, scope: string) {
  const prefix = scope === '' || scope === '/' ? '' : scope;
  return {
    id: `${prefix}/providers/Microsoft.Authorization/roleDefinitions/${role.name}`,
    name: role.name,
    type: 'Microsoft.Authorization/roleDefinitions',
    properties: {
      roleName: role.roleName,
      type: 'BuiltInRole',
      description: role.description,
      assignableScopes: ['/'],
      permissions: [
        {
          actions: role.actions,
          notActions: role.notActions ?? [],
          dataActions: role.dataActions ?? [],
          notDataActions: role.notDataActions ?? [],
        },
      ],
    },
  };
}

/** `GET …/roleDefinitions`: the filters ARM supports for them, one page at a time. */
function listRoleDefinitions(state: AzureState, url: URL, scope: string) {
  const filter = url.searchParams.get('$filter');
  let list = [...state.roles.values()];
  if (filter) {
    const type = /^type eq '(BuiltInRole|CustomRole)'$/i.exec(filter);
    const name = /^roleName eq '([^']+)'$/i.exec(filter);
    if (type) list = type[1]!.toLowerCase() === 'builtinrole' ? list : [];
    else if (name) list = list.filter((r) => r.roleName.toLowerCase() === name[1]!.toLowerCase());
    else if (!/^atScopeAndBelow\(\)$/i.test(filter)) {
      throw new ArmFailure(400, 'InvalidFilterInQueryString', `The filter '${filter}' is not supported.`);
    }
  }
  const perPage = state.rolesPerPage;
  const skip = Number(url.searchParams.get('$skipToken') ?? 0);
  const page = list.slice(skip, skip + perPage);
  return {
    value: page.map((r) => roleDefinitionJson(r, scope)),
    ...(skip + perPage < list.length ? { nextLink: nextLink(state.base, url, skip + perPage) } : {}),
  };
}

/** `GET …/roleDefinitions[/{name}]` under a subscription. */
export function getRoleDefinitions(
  state: AzureState,
  url: URL,
  subscription: string,
  name: string | undefined,
) {
  const scope = `/subscriptions/${subscription}`;
  if (!name) return listRoleDefinitions(state, url, scope);
  const role = state.roles.get(name.toLowerCase());
  if (!role)
    throw new ArmFailure(
      404,
      'RoleDefinitionDoesNotExist',
      `The role definition '${name}' could not be found.`,
    );
  return roleDefinitionJson(role, scope);
}

/** The built-in role a `roleDefinitionId` names, if it is one and lives where it is used. */
export function roleById(state: AzureState, id: unknown, subscription: string): FakeRoleDefinition {
  const text = str(id) ?? '';
  const m =
    /^(?:\/subscriptions\/([^/]+))?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i.exec(
      text,
    );
  const role = m ? state.roles.get(m[2]!.toLowerCase()) : undefined;
  if (!m || !role || (m[1] !== undefined && m[1].toLowerCase() !== subscription.toLowerCase())) {
    throw new ArmFailure(
      400,
      'RoleDefinitionDoesNotExist',
      `The specified role definition with ID '${m?.[2] ?? text}' does not exist.`,
    );
  }
  return role;
}
