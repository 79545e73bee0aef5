/**
 * The built-in role definitions the Azure provisioner chooses from, and the choice for one grant.
 * Built-in role GUIDs are the same in every tenant and subscription, so one cached catalogue
 * serves all; it is read through whichever subscription asks first.
 */
import { ProvisionError } from '../../provision/types';
import { armError, type ArmClient } from './arm';
import { chooseRole, chooseScope, type RoleDefinition } from './roles';
import { isObject, MAX_PAGES, props, RBAC_API_VERSION, str, strings } from './wire';

/** Built-in roles change rarely (new ones appear monthly); a few hours' staleness is harmless. */
export const DEFAULT_CATALOGUE_TTL_MS = 6 * 60 * 60_000;

/** The built-in role definitions, read through `subscriptionId` when the cache is stale. */
export type RoleCatalogue = (subscriptionId: string) => Promise<RoleDefinition[]>;

export interface RoleCatalogueOptions {
  readonly arm: ArmClient;
  readonly now: () => Date;
  readonly log: (line: string) => void;
  /** How long a fetched catalogue is reused. */
  readonly ttlMs: number;
}

function parseRole(value: unknown): RoleDefinition | null {
  if (!isObject(value) || typeof value.name !== 'string') return null;
  const p = props(value);
  const permissions = Array.isArray(p.permissions) ? p.permissions.filter(isObject) : [];
  return {
    name: value.name,
    roleName: str(p.roleName) ?? value.name,
    type: str(p.type) ?? '',
    permissions: permissions.map((x) => ({
      actions: strings(x.actions),
      notActions: strings(x.notActions),
      dataActions: strings(x.dataActions),
      notDataActions: strings(x.notDataActions),
    })),
  };
}

async function fetchCatalogue(
  options: RoleCatalogueOptions,
  subscriptionId: string,
): Promise<RoleDefinition[]> {
  const { arm, now, log } = options;
  const roles: RoleDefinition[] = [];
  let res = await arm.call('GET', {
    path: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions?$filter=${encodeURIComponent("type eq 'BuiltInRole'")}`,
    apiVersion: RBAC_API_VERSION,
  });
  for (let page = 1; ; page++) {
    if (res.status !== 200) throw armError(res, 'list the built-in role definitions', now());
    const body = isObject(res.body) ? res.body : {};
    for (const value of Array.isArray(body.value) ? body.value : []) {
      const role = parseRole(value);
      if (role) roles.push(role);
    }
    const next = str(body.nextLink);
    if (!next) break;
    if (page >= MAX_PAGES) {
      throw new ProvisionError(`the role definition catalogue has more than ${MAX_PAGES} pages`, false);
    }
    res = await arm.call('GET', { url: next });
  }
  log(`azure: fetched ${roles.length} built-in role definitions`);
  return roles;
}

/** A cached catalogue; concurrent callers while it loads share one fetch. */
export function createRoleCatalogue(options: RoleCatalogueOptions): RoleCatalogue {
  const { now, ttlMs } = options;
  let catalogue: { roles: RoleDefinition[]; fetchedAt: number } | null = null;
  let loading: Promise<RoleDefinition[]> | null = null;
  return async (subscriptionId) => {
    if (catalogue && now().getTime() - catalogue.fetchedAt < ttlMs) return catalogue.roles;
    loading ??= fetchCatalogue(options, subscriptionId)
      .then((roles) => {
        catalogue = { roles, fetchedAt: now().getTime() };
        return roles;
      })
      .finally(() => {
        loading = null;
      });
    return loading;
  };
}

/** The role and scope a grant of `actions` on `resource` gets in `subscriptionId`. */
export async function planGrant(
  roleCatalogue: RoleCatalogue,
  subscriptionId: string,
  actions: readonly string[],
  resource: string | null,
) {
  const roles = await roleCatalogue(subscriptionId);
  const role = chooseRole(roles, actions);
  if (!role) {
    throw new ProvisionError(
      `no built-in Azure role grants ${actions.join(', ')} (checked ${roles.length} roles; actions are matched case-insensitively with wildcards)`,
      false,
      'NoMatchingRole',
    );
  }
  return {
    role,
    scope: chooseScope(subscriptionId, resource),
    roleDefinitionId: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role.name}`,
  };
}
