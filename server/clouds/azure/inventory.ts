/**
 * What an Azure subscription holds that Unblock made, for the reconciler (server/reconcile/): the
 * live PIM assignments (RoleAssignmentScheduleInstances at, above or below the subscription) that
 * a provisioned schedule request of the broker's put or kept in place (RoleAssignmentScheduleRequests,
 * `asRequestor()`, with Unblock's justification: handover.ts). Each lists every Unblock grant that
 * wrote to it, oldest first; it belongs to the last. Removing one is an `AdminRemove`, refused by
 * Azure within 5 minutes of the activation (the reconciler tries again next run). Plain role
 * assignments (`assignment` targets) are not listed.
 */
import type { Grant } from '../../domain';
import { ProvisionError, type HeldAccess } from '../../provision/types';
import { armError } from './arm';
import type { AzureContext } from './context';
import { sameAssignment, unblockWrites } from './handover';
import { settle } from './pim';
import { deterministicGuid } from './ref';
import { isObject, MAX_PAGES, PIM_API_VERSION, props, requestPath, str } from './wire';

interface LiveInstance {
  readonly scope: string;
  readonly principalId: string;
  readonly roleDefinitionId: string;
  readonly end: string | null;
  readonly createdOn: string | null;
}

async function liveInstances(ctx: AzureContext, scope: string): Promise<LiveInstance[]> {
  const live: LiveInstance[] = [];
  let target: { path: string; apiVersion: string } | { url: string } = {
    path: `${scope}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances`,
    apiVersion: PIM_API_VERSION,
  };
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await ctx.arm.call('GET', target);
    if (res.status !== 200) throw armError(res, 'list the active PIM assignments', ctx.now());
    const body = isObject(res.body) ? res.body : {};
    for (const item of Array.isArray(body.value) ? body.value : []) {
      const p = props(item);
      if (str(p.status) !== 'Provisioned') continue;
      live.push({
        scope: str(p.scope) ?? '',
        principalId: str(p.principalId) ?? '',
        roleDefinitionId: str(p.roleDefinitionId) ?? '',
        end: str(p.endDateTime),
        createdOn: str(p.createdOn),
      });
    }
    const next = str(body.nextLink);
    if (!next) break;
    target = { url: next };
  }
  return live;
}

export async function inventoryAzure(ctx: AzureContext, target: Grant['target']): Promise<HeldAccess[]> {
  const scope = `/subscriptions/${target.account}`;
  const [writes, live] = await Promise.all([unblockWrites(ctx, scope, null), liveInstances(ctx, scope)]);
  const held: HeldAccess[] = [];
  for (const instance of live) {
    const claimants = writes
      .filter((w) => sameAssignment(w, instance.scope, instance.principalId, instance.roleDefinitionId))
      .sort((a, b) => a.createdOn - b.createdOn)
      .map((w) => w.grantId);
    if (claimants.length === 0) continue; // not Unblock's
    const grantIds = claimants.filter((id, i) => claimants.lastIndexOf(id) === i);
    const role = instance.roleDefinitionId.split('/').pop()!.toLowerCase();
    held.push({
      key: `azure:${instance.scope}:${instance.principalId}:${role}`,
      target: { cloud: 'azure', account: target.account },
      grantIds,
      description: `role ${role} to ${instance.principalId} at ${instance.scope} until ${instance.end ?? 'no end'}`,
      detail: {
        kind: 'azure-pim',
        scope: instance.scope,
        principalId: instance.principalId,
        roleDefinitionId: instance.roleDefinitionId,
        activatedAt: instance.createdOn,
      },
    });
  }
  return held;
}

export async function removeHeldAzure(ctx: AzureContext, held: HeldAccess): Promise<void> {
  const scope = String(held.detail.scope);
  const name = deterministicGuid('pim-reconcile', held.key, String(held.detail.activatedAt));
  const what = `remove the orphaned ${held.description}`;
  const res = await ctx.arm.call(
    'PUT',
    { path: requestPath(scope, name), apiVersion: PIM_API_VERSION },
    {
      properties: {
        principalId: held.detail.principalId,
        roleDefinitionId: held.detail.roleDefinitionId,
        requestType: 'AdminRemove',
        justification: `Unblock reconciler: no live grant owns this assignment (grants ${held.grantIds.join(', ')})`,
      },
    },
  );
  if (res.status === 200 || res.status === 201) {
    await settle(ctx, { scope, name, what, removal: true }, res);
    return;
  }
  if (res.code === 'RoleAssignmentDoesNotExist') return;
  if (res.code === 'ActiveDurationTooShort') {
    throw new ProvisionError(
      `Azure does not remove it yet (5-minute floor): ${res.message ?? ''}`,
      true,
      res.code,
    );
  }
  throw armError(res, what, ctx.now());
}
