/**
 * Which roles a GCP grant binds: the smallest predefined role(s) containing the requested
 * permissions (the pure choice is in roles.ts), or with `targets[].gcp.customRoles` a
 * one-permission custom role per permission, created in the project on first use.
 */
import { ProvisionError } from '../../provision/types';
import type { GcpContext } from './context';
import { chooseRoles, customRoleId, customRoleName, isPermission, type IamRole } from './roles';

/** The grant's actions as distinct GCP permissions, or a non-retryable error naming what is not one. */
export function checkPermissions(actions: readonly string[]): string[] {
  if (actions.length === 0)
    throw new ProvisionError('the grant names no GCP permission (actions is empty)', false);
  const bad = actions.filter((a) => !isPermission(a));
  if (bad.length > 0) {
    throw new ProvisionError(
      `not GCP permissions (expected service.resource.verb, e.g. compute.instances.start): ${bad.join(', ')}`,
      false,
      'INVALID_ARGUMENT',
    );
  }
  return [...new Set(actions)];
}

/** Whether the project grants one-permission custom roles (`targets[].gcp.customRoles`). */
export const usesCustomRoles = (ctx: GcpContext, projectId: string): boolean =>
  (ctx.targetConfig(projectId) ?? { customRoles: false }).customRoles;

/** Predefined roles for `permissions`, or a non-retryable error naming what no role contains. */
export async function choosePredefined(
  ctx: GcpContext,
  permissions: readonly string[],
): Promise<readonly IamRole[]> {
  const choice = chooseRoles(await ctx.predefinedRoles(), permissions);
  if (choice.missing.length > 0) {
    throw ProvisionError.permanent(`no grantable predefined role contains ${choice.missing.join(', ')}`, {
      advice:
        'set targets[].gcp.customRoles: true on this project’s target to grant exactly the permission (a one-permission custom role)',
    });
  }
  return choice.roles;
}

/** The full name of the project's custom role for exactly `permission`, created if it is not there yet. */
export async function ensureCustomRole(
  ctx: GcpContext,
  projectId: string,
  permission: string,
): Promise<string> {
  const name = customRoleName(projectId, permission);
  if (ctx.customRolesReady.has(name)) return name;
  try {
    await ctx.google.call({
      method: 'POST',
      url: `${ctx.endpoints.iam}/v1/projects/${encodeURIComponent(projectId)}/roles`,
      body: {
        roleId: customRoleId(permission),
        role: {
          title: `Unblock: ${permission}`.slice(0, 100),
          description: `Exactly ${permission}, bound for a limited time by Unblock grants.`,
          includedPermissions: [permission],
          stage: 'GA',
        },
      },
      what: `create the custom role ${name}`,
      permission: 'iam.roles.create',
    });
  } catch (e) {
    // Created earlier (by this broker or one before a restart): one stable role per permission.
    if (!(e instanceof ProvisionError && e.code === 'ALREADY_EXISTS')) throw e;
  }
  ctx.customRolesReady.add(name);
  return name;
}
