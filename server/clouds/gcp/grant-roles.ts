/**
 * Which roles a GCP grant binds: the smallest predefined role(s) grantable on the project that
 * contain the requested permissions (the pure choice is in roles.ts, the grantable set from
 * grantable.ts), or with `targets[].gcp.customRoles` a one-permission custom role per
 * permission, created in the project on first use.
 */
import { ProvisionError } from '../../provision/types';
import type { GcpContext } from './context';
import { projectResource, type PolicyResource } from './grantable';
import {
  chooseRoles,
  customRoleId,
  customRoleName,
  isPermission,
  isPredefined,
  otherCaseSpellings,
  type IamRole,
} from './roles';

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

/**
 * The predefined roles grantable on the project for `permissions`, or a non-retryable error naming
 * what none of them contains and what to do about it.
 */
export async function choosePredefined(
  ctx: GcpContext,
  projectId: string,
  permissions: readonly string[],
): Promise<readonly IamRole[]> {
  const resource = projectResource(projectId);
  const grantable = (await ctx.grantableRoles(resource)).filter(isPredefined);
  const choice = chooseRoles(grantable, permissions);
  if (choice.missing.length > 0) {
    const { reason, advice } = noRoleReason(resource, grantable, choice.missing);
    throw ProvisionError.permanent(reason, { advice });
  }
  return choice.roles;
}

/**
 * Why no role fits, per permission: one IAM spells in another case is named (a custom role of the
 * misspelt permission would be refused too); for the others, the custom-role mode is the way.
 */
function noRoleReason(
  resource: PolicyResource,
  grantable: readonly IamRole[],
  missing: readonly string[],
): { reason: string; advice: string } {
  const reasons: string[] = [];
  const advice: string[] = [];
  const plain: string[] = [];
  for (const permission of missing) {
    const spellings = otherCaseSpellings(grantable, permission);
    if (spellings.length === 0) plain.push(permission);
    else {
      reasons.push(
        `no predefined role grantable on ${resource.name} contains ${permission}; GCP permissions are case-sensitive ` +
          `and IAM spells it ${spellings.join(' or ')}`,
      );
      advice.push(`request ${spellings.join(' or ')} instead of ${permission}`);
    }
  }
  if (plain.length > 0) {
    reasons.unshift(`no predefined role grantable on ${resource.name} contains ${plain.join(', ')}`);
    advice.unshift(
      'set targets[].gcp.customRoles: true on this project’s target to grant exactly the permission (a one-permission custom role; docs/clouds/gcp.md)',
    );
  }
  return { reason: reasons.join('; '), advice: advice.join('; ') };
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
