/**
 * PIM schedule requests as the grant and revoke paths share them: the request body's wording and
 * schedule, waiting for Azure to provision a request it accepted, and reading back what is active.
 * Wire shapes: docs/cloud-mechanics.md §2.
 */
import type { Grant } from '../../domain';
import { ProvisionError, type GrantContext } from '../../provision/types';
import { armError, type ArmResponse } from './arm';
import type { AzureContext } from './context';
import { isObject, PIM_API_VERSION, props, requestPath, str } from './wire';

/** PIM request states that mean "in place", "still working" and "will not happen". */
const DONE = new Set(['Provisioned', 'Granted']);
const WORKING = new Set(['PendingProvisioning', 'Accepted', 'PendingScheduleCreation', 'PendingEvaluation']);

/** Polls of a request Azure answered as pending, spaced 1, 2, 4, 8 s. */
const POLL_DELAYS_MS = [1000, 2000, 4000, 8000];
/** PIM's justification is free text; keep it short enough for any policy (limit unconf.). */
const JUSTIFICATION_MAX = 500;

export function justification(grant: Grant, context: GrantContext): string {
  const text = `Unblock request ${grant.requestId} (grant ${grant.id}): ${context.justification}`;
  return text.length <= JUSTIFICATION_MAX ? text : `${text.slice(0, JUSTIFICATION_MAX - 1)}…`;
}

export function scheduleInfo(start: Date, end: Date) {
  return {
    startDateTime: start.toISOString(),
    // An absolute end rather than a duration: a retry minutes later must not move it.
    expiration: { type: 'AfterDateTime', endDateTime: end.toISOString(), duration: null },
  };
}

/** Wait for a request Azure accepted but has not provisioned yet; throws unless it ends `Provisioned`. */
export async function settle(
  ctx: AzureContext,
  scope: string,
  name: string,
  first: ArmResponse,
  what: string,
): Promise<unknown> {
  let res = first;
  for (let attempt = 0; ; attempt++) {
    const status = str(props(res.body).status) ?? 'Provisioned';
    if (DONE.has(status)) return res.body;
    if (!WORKING.has(status)) {
      const approval = status === 'PendingApproval' || status === 'PendingApprovalProvisioning';
      throw new ProvisionError(
        approval
          ? `Azure PIM requires approval to ${what} (request ${name} is ${status}); turn off "Require approval to activate" for this role in the subscription's PIM settings or approve it in PIM`
          : `Azure PIM did not ${what}: request ${name} ended ${status}`,
        false,
        status,
      );
    }
    const delay = POLL_DELAYS_MS[attempt];
    if (delay === undefined) {
      throw new ProvisionError(`Azure PIM is still working on request ${name} (${status})`, true, status);
    }
    await ctx.sleep(delay);
    res = await ctx.arm.call('GET', { path: requestPath(scope, name), apiVersion: PIM_API_VERSION });
    if (res.status !== 200) throw armError(res, what, ctx.now());
  }
}

/** The end time (ms) of the principal's active PIM instance of the role at exactly `scope`; NaN if none. */
export async function activeEnd(
  ctx: AzureContext,
  scope: string,
  principalId: string,
  roleDefinitionId: string,
): Promise<number> {
  const filter = encodeURIComponent(`principalId eq '${principalId}'`);
  const res = await ctx.arm.call('GET', {
    path: `${scope}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances?$filter=${filter}`,
    apiVersion: PIM_API_VERSION,
  });
  if (res.status !== 200) throw armError(res, 'list the active PIM assignments', ctx.now());
  const roleGuid = roleDefinitionId.split('/').pop()!.toLowerCase();
  const body = isObject(res.body) ? res.body : {};
  const instance = (Array.isArray(body.value) ? body.value : [])
    .map(props)
    .find(
      (p) =>
        str(p.scope)?.toLowerCase() === scope.toLowerCase() &&
        str(p.roleDefinitionId)?.toLowerCase().endsWith(`/${roleGuid}`),
    );
  return Date.parse(str(instance?.endDateTime) ?? '');
}

/** When the assignment became active: Azure's `createdOn`, or the start the broker asked for. */
export function activation(body: unknown, fallback: Date): string {
  const p = props(body);
  const created = Date.parse(str(p.createdOn) ?? '');
  const schedule = isObject(p.scheduleInfo) ? p.scheduleInfo : {};
  const start = Date.parse(str(schedule.startDateTime) ?? '');
  const at = Math.max(Number.isNaN(created) ? 0 : created, Number.isNaN(start) ? 0 : start);
  return new Date(at > 0 ? at : fallback.getTime()).toISOString();
}
