/**
 * Granting on Azure: the smallest built-in role carrying the denied action(s), at the narrowest
 * scope the denial names, for exactly the grant's lifetime (docs/cloud-mechanics.md §2).
 *
 * - `pim` targets: a PIM `AdminAssign` schedule request ending at `grant.expiresAt`; Azure ends it
 *   by itself. A retry, or an extension of the grant, finds the request in place and moves its end
 *   with an `AdminUpdate` request when it differs.
 * - `assignment` targets (tenants without Entra ID P2): a plain role assignment, which the broker
 *   deletes at revoke (Azure has no expiry of its own here).
 */
import type { Grant } from '../../domain';
import { ProvisionError, type CloudIdentities, type GrantContext } from '../../provision/types';
import { armError } from './arm';
import { planGrant } from './catalogue';
import { principalOf, targetOf, type AzureContext } from './context';
import { activation, activeEnd, justification, scheduleInfo, settle } from './pim';
import { deterministicGuid, type AzureRef } from './ref';
import { assignmentPath, isObject, PIM_API_VERSION, props, RBAC_API_VERSION, requestPath, str } from './wire';

export async function grantAzure(
  ctx: AzureContext,
  grant: Grant,
  identities: CloudIdentities,
  context: GrantContext,
): Promise<AzureRef> {
  const mode = targetOf(ctx, grant.target.account).mode;
  const principalId = principalOf(grant, identities);
  return mode === 'pim'
    ? grantPim(ctx, grant, principalId, context)
    : grantAssignment(ctx, grant, principalId);
}

async function grantPim(
  ctx: AzureContext,
  grant: Grant,
  principalId: string,
  context: GrantContext,
): Promise<AzureRef> {
  const { arm, now, log } = ctx;
  const { role, scope, roleDefinitionId } = await planGrant(
    ctx.roleCatalogue,
    grant.target.account,
    grant.actions,
    grant.resource,
  );
  const name = deterministicGuid('pim-assign', grant.id);
  const start = new Date(Math.max(now().getTime(), grant.startsAt.getTime()));
  const what = `give ${grant.user} the role ${role.roleName} at ${scope}`;
  const res = await arm.call(
    'PUT',
    { path: requestPath(scope, name), apiVersion: PIM_API_VERSION },
    {
      properties: {
        principalId,
        roleDefinitionId,
        requestType: 'AdminAssign',
        justification: justification(grant, context),
        ...(context.ticket ? { ticketInfo: { ticketNumber: context.ticket, ticketSystem: 'Unblock' } } : {}),
        scheduleInfo: scheduleInfo(start, grant.expiresAt),
      },
    },
  );
  const base = {
    kind: 'azure',
    mode: 'pim',
    scope,
    roleDefinitionId,
    roleName: role.roleName,
    principalId,
    name,
  } as const;
  if (res.status === 200 || res.status === 201) {
    const body = await settle(ctx, scope, name, res, what);
    return {
      ...base,
      owned: true,
      activatedAt: activation(body, start),
      endsAt: grant.expiresAt.toISOString(),
    };
  }
  if (res.code !== 'RoleAssignmentExists') throw armError(res, what, now());

  // Already active: either this grant's own request landed before a crash (or this is an
  // extension pushing a new expiry), or the user holds the role from elsewhere. Read ours back.
  const own = await arm.call('GET', { path: requestPath(scope, name), apiVersion: PIM_API_VERSION });
  if (own.status === 404) {
    log(
      `azure: ${grant.user} already holds ${role.roleName} at ${scope} from outside grant ${grant.id}; leaving it alone`,
    );
    return { ...base, owned: false, activatedAt: null, endsAt: grant.expiresAt.toISOString() };
  }
  if (own.status !== 200) throw armError(own, `read back PIM request ${name}`, now());
  const info = props(own.body);
  const schedule = isObject(info.scheduleInfo) ? info.scheduleInfo : {};
  const activatedAt = activation(own.body, start);
  // The end in force is the active instance's: an earlier extension may have moved it.
  const end = await activeEnd(ctx, scope, principalId, roleDefinitionId);
  if (end === grant.expiresAt.getTime()) {
    log(`azure: PIM request ${name} for grant ${grant.id} was already in place`);
    return { ...base, owned: true, activatedAt, endsAt: grant.expiresAt.toISOString() };
  }
  // The grant was extended (or shortened): move the active assignment's end.
  const updateName = deterministicGuid('pim-update', grant.id, grant.expiresAt.toISOString());
  const updated = await arm.call(
    'PUT',
    { path: requestPath(scope, updateName), apiVersion: PIM_API_VERSION },
    {
      properties: {
        principalId,
        roleDefinitionId,
        requestType: 'AdminUpdate',
        justification: justification(grant, context),
        ...(context.ticket ? { ticketInfo: { ticketNumber: context.ticket, ticketSystem: 'Unblock' } } : {}),
        scheduleInfo: scheduleInfo(new Date(str(schedule.startDateTime) ?? start), grant.expiresAt),
      },
    },
  );
  const whatUpdate = `move the end of ${grant.user}'s ${role.roleName} at ${scope} to ${grant.expiresAt.toISOString()}`;
  if (updated.status !== 200 && updated.status !== 201) throw armError(updated, whatUpdate, now());
  await settle(ctx, scope, updateName, updated, whatUpdate);
  return { ...base, owned: true, activatedAt, endsAt: grant.expiresAt.toISOString() };
}

async function grantAssignment(ctx: AzureContext, grant: Grant, principalId: string): Promise<AzureRef> {
  const { arm, now, log } = ctx;
  const { role, scope, roleDefinitionId } = await planGrant(
    ctx.roleCatalogue,
    grant.target.account,
    grant.actions,
    grant.resource,
  );
  const name = deterministicGuid('assignment', grant.id);
  const res = await arm.call(
    'PUT',
    { path: assignmentPath(scope, name), apiVersion: RBAC_API_VERSION },
    {
      properties: {
        roleDefinitionId,
        principalId,
        principalType: 'User',
        // Says who made it and until when, so an operator can sweep leftovers by hand.
        description: `Unblock grant ${grant.id} (request ${grant.requestId}) until ${grant.expiresAt.toISOString()}`,
      },
    },
  );
  const base = {
    kind: 'azure',
    mode: 'assignment',
    scope,
    roleDefinitionId,
    roleName: role.roleName,
    principalId,
    name,
  } as const;
  if (res.status === 200 || res.status === 201) {
    return {
      ...base,
      owned: true,
      activatedAt: now().toISOString(),
      endsAt: grant.expiresAt.toISOString(),
    };
  }
  if (res.code === 'RoleAssignmentExists') {
    // The same role for the same user at the same scope under another name: not ours to delete.
    log(
      `azure: ${grant.user} already holds ${role.roleName} at ${scope} from outside grant ${grant.id}; leaving it alone`,
    );
    return { ...base, owned: false, activatedAt: null, endsAt: grant.expiresAt.toISOString() };
  }
  if (res.code === 'PrincipalNotFound') {
    // Entra replicates new users to ARM with a delay; a wrong id never heals, and says so.
    throw new ProvisionError(
      `Azure does not know the principal ${principalId} (users[].identities.azure); if the user is new, Entra may still be replicating it: ${res.message ?? ''}`,
      true,
      res.code,
    );
  }
  throw armError(res, `give ${grant.user} the role ${role.roleName} at ${scope}`, now());
}
