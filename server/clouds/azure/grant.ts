/**
 * Granting on Azure: the smallest built-in role carrying the denied action(s), at the narrowest
 * scope the denial names, for exactly the grant's lifetime (docs/cloud-mechanics.md §2).
 *
 * - `pim` targets: a PIM `AdminAssign` schedule request ending at `grant.expiresAt`; Azure ends it
 *   by itself. The request is followed by its status until it is in place; a refusal by the role's
 *   PIM settings says which rule and what to change (pim-policy.ts). A retry, or an extension of
 *   the grant, finds the request in place (or still pending) and moves its end with an
 *   `AdminUpdate` request when it differs.
 * - `assignment` targets (tenants without Entra ID P2): a plain role assignment, which the broker
 *   deletes at revoke (Azure has no expiry of its own here).
 */
import type { Grant } from '../../domain';
import { ProvisionError, type CloudIdentities, type GrantContext } from '../../provision/types';
import { armError, type ArmResponse } from './arm';
import { planGrant } from './catalogue';
import { principalOf, targetOf, type AzureContext } from './context';
import { lastUnblockWriter } from './handover';
import { activation, activeEnd, activeInstance, justification, scheduleInfo, settle } from './pim';
import { POLICY_REFUSED, policyRefusal } from './pim-policy';
import { deterministicGuid, type AzureRef } from './ref';
import { requestStatus } from './request-status';
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
  const request = { principalId, roleDefinitionId, grant, context };
  const refused = (res: ArmResponse, doing: string, from: Date) =>
    policyRefusal(ctx, res, {
      what: doing,
      roleName: role.roleName,
      roleDefinitionId,
      scope,
      start: from,
      end: grant.expiresAt,
      ticket: context.ticket,
    });
  const res = await arm.call(
    'PUT',
    { path: requestPath(scope, name), apiVersion: PIM_API_VERSION },
    requestBody(request, 'AdminAssign', start),
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
  const owned = (activatedAt: string) => ({
    ...base,
    owned: true,
    activatedAt,
    endsAt: grant.expiresAt.toISOString(),
  });
  if (res.status === 200 || res.status === 201) {
    return owned(activation(await settle(ctx, { scope, name, what }, res), start));
  }
  if (res.code === POLICY_REFUSED) throw await refused(res, what, start);
  if (res.code !== 'RoleAssignmentExists' && res.code !== 'RoleAssignmentRequestExists') {
    throw armError(res, what, now());
  }

  // The role is active, or a request for it is pending: either this grant's own request (a retry
  // after a crash or after Azure took long, or an extension pushing a new expiry), or someone
  // else's. Read ours back.
  const own = await arm.call('GET', { path: requestPath(scope, name), apiVersion: PIM_API_VERSION });
  const ownStatus = own.status === 200 ? requestStatus(str(props(own.body).status) ?? 'Provisioned') : null;
  // Ours is absent, or ended without (or after) giving the role: what Azure has is someone else's.
  if (own.status === 404 || ownStatus?.class === 'revoked' || ownStatus?.class === 'failed') {
    if (res.code === 'RoleAssignmentRequestExists') {
      throw new ProvisionError(
        `another PIM request (not the broker's) for ${role.roleName} at ${scope} for ${grant.user} is pending; it must be decided or withdrawn in PIM first. Azure said: ${res.message ?? res.code}`,
        true,
        res.code,
      );
    }
    const owner = await lastUnblockWriter(ctx, scope, principalId, roleDefinitionId);
    if (owner === null) {
      log(
        `azure: ${grant.user} already holds ${role.roleName} at ${scope} from outside grant ${grant.id}; leaving it alone`,
      );
      return { ...base, owned: false, activatedAt: null, endsAt: grant.expiresAt.toISOString() };
    }
    // Another Unblock grant's assignment, still live (being revoked within Azure's 5-minute
    // floor, most likely): this grant takes it over, so the older grant's revoke leaves it.
    const activatedAt = await takeOver(ctx, request, { scope, owner, what, refused, start });
    return owned(activatedAt);
  }
  if (own.status !== 200) throw armError(own, `read back PIM request ${name}`, now());
  const activatedAt = activation(await settle(ctx, { scope, name, what }, own), start);
  // The end in force is the active instance's: an earlier extension may have moved it.
  const end = await activeEnd(ctx, scope, principalId, roleDefinitionId);
  if (end === grant.expiresAt.getTime()) {
    log(`azure: PIM request ${name} for grant ${grant.id} was already in place`);
    return owned(activatedAt);
  }
  // The grant was extended (or shortened): move the active assignment's end.
  const schedule = props(own.body).scheduleInfo;
  const from = new Date(str(isObject(schedule) ? schedule.startDateTime : null) ?? start);
  const updateName = deterministicGuid('pim-update', grant.id, grant.expiresAt.toISOString());
  const updated = await arm.call(
    'PUT',
    { path: requestPath(scope, updateName), apiVersion: PIM_API_VERSION },
    requestBody(request, 'AdminUpdate', from),
  );
  const whatUpdate = `move the end of ${grant.user}'s ${role.roleName} at ${scope} to ${grant.expiresAt.toISOString()}`;
  if (updated.code === POLICY_REFUSED) throw await refused(updated, whatUpdate, from);
  if (updated.status !== 200 && updated.status !== 201) throw armError(updated, whatUpdate, now());
  await settle(ctx, { scope, name: updateName, what: whatUpdate }, updated);
  return owned(activatedAt);
}

/**
 * Takes over the live assignment another Unblock grant made: an `AdminUpdate` in this grant's name
 * (handover.ts) moving its end to this grant's expiry. Idempotent: when this grant already wrote
 * last and the end is in force, nothing is sent. Returns when the assignment became active.
 */
async function takeOver(
  ctx: AzureContext,
  request: { principalId: string; roleDefinitionId: string; grant: Grant; context: GrantContext },
  at: {
    scope: string;
    owner: string;
    what: string;
    refused: (res: ArmResponse, doing: string, from: Date) => Promise<ProvisionError>;
    start: Date;
  },
): Promise<string> {
  const { grant, principalId, roleDefinitionId } = request;
  const { scope } = at;
  const live = await activeInstance(ctx, scope, principalId, roleDefinitionId);
  const activatedAt = live?.createdOn ?? at.start.toISOString();
  if (at.owner === grant.id && live?.end === grant.expiresAt.getTime()) return activatedAt;
  const from = new Date(live?.start ?? at.start.getTime());
  const name = deterministicGuid('pim-adopt', grant.id, grant.expiresAt.toISOString());
  const doing = `take over ${at.what} from grant ${at.owner}`;
  const res = await ctx.arm.call(
    'PUT',
    { path: requestPath(scope, name), apiVersion: PIM_API_VERSION },
    requestBody(request, 'AdminUpdate', from),
  );
  if (res.code === POLICY_REFUSED) throw await at.refused(res, doing, from);
  if (res.status !== 200 && res.status !== 201) throw armError(res, doing, ctx.now());
  await settle(ctx, { scope, name, what: doing }, res);
  ctx.log(`azure: grant ${grant.id} took over the live assignment of grant ${at.owner} at ${scope}`);
  return activatedAt;
}

/** The body of an `AdminAssign` or `AdminUpdate` request ending at the grant's expiry. */
function requestBody(
  r: { principalId: string; roleDefinitionId: string; grant: Grant; context: GrantContext },
  requestType: 'AdminAssign' | 'AdminUpdate',
  start: Date,
) {
  const { ticket } = r.context;
  return {
    properties: {
      principalId: r.principalId,
      roleDefinitionId: r.roleDefinitionId,
      requestType,
      justification: justification(r.grant, r.context),
      ...(ticket ? { ticketInfo: { ticketNumber: ticket, ticketSystem: 'Unblock' } } : {}),
      scheduleInfo: scheduleInfo(start, r.grant.expiresAt),
    },
  };
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
