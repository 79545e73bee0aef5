/**
 * Revoking on Azure. A PIM assignment ends by itself at its end time, so an early revoke is an
 * `AdminRemove` request (refused within 5 minutes of activation); a plain role assignment is
 * deleted. Either way only what this grant created is removed: a role the user already held from
 * elsewhere (`owned: false`) is left alone.
 */
import type { Grant } from '../../domain';
import { ProvisionError, type ProviderRef } from '../../provision/types';
import { armError } from './arm';
import { targetOf, type AzureContext } from './context';
import { lastUnblockWriter } from './handover';
import { activation, settle } from './pim';
import { deterministicGuid, readRef, type AzureRef } from './ref';
import { chooseScope } from './roles';
import { assignmentPath, PIM_API_VERSION, props, RBAC_API_VERSION, requestPath, str } from './wire';

/** Azure refuses to remove a PIM assignment within 5 minutes of its activation. */
export const REMOVAL_FLOOR_MS = 5 * 60_000;

export async function revokeAzure(ctx: AzureContext, grant: Grant, ref: ProviderRef | null): Promise<void> {
  const parsed = readRef(ref);
  const mode = parsed?.mode ?? targetOf(ctx, grant.target.account).mode;
  return mode === 'pim' ? revokePim(ctx, grant, parsed) : revokeAssignment(ctx, grant, parsed);
}

async function revokePim(ctx: AzureContext, grant: Grant, ref: AzureRef | null): Promise<void> {
  const { arm, now } = ctx;
  if (now().getTime() >= grant.expiresAt.getTime()) {
    // PIM ends the assignment itself at its end time (within seconds, per the PIM docs).
    return;
  }
  if (ref && !ref.owned) return;
  let current = ref;
  if (!current) {
    // `grant` never returned: find out whether its request reached Azure before the crash.
    const scope = chooseScope(grant.target.account, grant.resource);
    const name = deterministicGuid('pim-assign', grant.id);
    const own = await arm.call('GET', { path: requestPath(scope, name), apiVersion: PIM_API_VERSION });
    if (own.status === 404) return;
    if (own.status !== 200) throw armError(own, `read back PIM request ${name}`, now());
    const p = props(own.body);
    current = {
      kind: 'azure',
      mode: 'pim',
      scope,
      roleDefinitionId: str(p.roleDefinitionId) ?? '',
      roleName: '',
      principalId: str(p.principalId) ?? '',
      name,
      owned: true,
      activatedAt: activation(own.body, grant.startsAt),
      endsAt: grant.expiresAt.toISOString(),
    };
  }
  // Handed over to a newer grant for the same role (handover.ts): that grant owns it now.
  const owner = await lastUnblockWriter(ctx, current.scope, current.principalId, current.roleDefinitionId);
  if (owner !== null && owner !== grant.id) {
    ctx.log(
      `azure: grant ${owner} took over grant ${grant.id}'s assignment at ${current.scope}; left in place`,
    );
    return;
  }
  const name = deterministicGuid('pim-remove', grant.id);
  const res = await arm.call(
    'PUT',
    { path: requestPath(current.scope, name), apiVersion: PIM_API_VERSION },
    {
      properties: {
        principalId: current.principalId,
        roleDefinitionId: current.roleDefinitionId,
        requestType: 'AdminRemove',
        justification: `Unblock grant ${grant.id} revoked`,
      },
    },
  );
  const what = `remove ${current.roleName || current.roleDefinitionId} at ${current.scope}`;
  if (res.status === 200 || res.status === 201) {
    // Done only once Azure says the assignment is gone (docs/cloud-mechanics.md §2.3, statuses).
    await settle(ctx, { scope: current.scope, name, what, removal: true }, res);
    return;
  }
  if (res.code === 'RoleAssignmentDoesNotExist') return;
  if (res.code === 'ActiveDurationTooShort') {
    const activated = Date.parse(current.activatedAt ?? '');
    const when = new Date(
      (Number.isNaN(activated) ? now().getTime() : activated) + REMOVAL_FLOOR_MS,
    ).toISOString();
    throw new ProvisionError(
      `Azure does not remove a PIM assignment within 5 minutes of its activation; it can be removed from ${when} (Azure said: ${res.message ?? res.code})`,
      true,
      res.code,
    );
  }
  throw armError(res, what, now());
}

async function revokeAssignment(ctx: AzureContext, grant: Grant, ref: AzureRef | null): Promise<void> {
  if (ref && !ref.owned) return;
  const scope = ref?.scope ?? chooseScope(grant.target.account, grant.resource);
  const name = ref?.name ?? deterministicGuid('assignment', grant.id);
  const res = await ctx.arm.call('DELETE', {
    path: assignmentPath(scope, name),
    apiVersion: RBAC_API_VERSION,
  });
  if (res.status === 200 || res.status === 204) return;
  if (res.status === 404 && res.code !== 'SubscriptionNotFound') return;
  throw armError(res, `delete role assignment ${name} at ${scope}`, ctx.now());
}
