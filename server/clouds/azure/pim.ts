/**
 * PIM schedule requests as the grant and revoke paths share them: the request body's wording and
 * schedule, following a request by its status until it is in place, and reading back what is active.
 * Wire shapes: docs/cloud-mechanics.md §2.
 */
import type { Grant } from '../../domain';
import { ProvisionError, type GrantContext } from '../../provision/types';
import { armError, type ArmResponse } from './arm';
import type { AzureContext } from './context';
import { requestStatus } from './request-status';
import { isObject, PIM_API_VERSION, props, requestPath, str } from './wire';

/** Polls of a request Azure reports in progress, spaced 1, 2, 4, 8 and 15 s: half a minute in all. */
const POLL_DELAYS_MS = [1000, 2000, 4000, 8000, 15_000];
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

/** The schedule request being waited on, and what it is for (in the broker's words). */
export interface WatchedRequest {
  readonly scope: string;
  readonly name: string;
  readonly what: string;
  /** An `AdminRemove`: the assignment ending (`revoked`) is the goal, not a failure. */
  readonly removal?: boolean;
}

/**
 * Follow a request Azure accepted until it is in place, by the class of its status
 * (./request-status.ts): done → its body; failed (or, for a grant, revoked) → a non-retryable error
 * naming the status; in progress → polled for half a minute, then a request still waiting for a
 * PIM approver is cancelled and fails, and one Azure is still working on fails as retryable.
 */
export async function settle(ctx: AzureContext, watch: WatchedRequest, first: ArmResponse): Promise<unknown> {
  const { scope, name, what } = watch;
  let res = first;
  for (let attempt = 0; ; attempt++) {
    // A 2xx answer without a status is taken for provisioned, as Azure's examples always carry one.
    const status = str(props(res.body).status) ?? 'Provisioned';
    const meaning = requestStatus(status);
    if (meaning.class === 'done' || (watch.removal && meaning.class === 'revoked')) return res.body;
    if (meaning.class !== 'in-progress') {
      throw new ProvisionError(
        `Azure PIM did not ${what}: request ${name} is ${status}: ${meaning.reason}`,
        false,
        status,
      );
    }
    const delay = POLL_DELAYS_MS[attempt];
    if (delay === undefined) return giveUp(ctx, watch, status, meaning.waitsFor, meaning.reason);
    await ctx.sleep(delay);
    res = await ctx.arm.call('GET', { path: requestPath(scope, name), apiVersion: PIM_API_VERSION });
    if (res.status !== 200) throw armError(res, what, ctx.now());
  }
}

const WAITED_S = POLL_DELAYS_MS.reduce((a, b) => a + b, 0) / 1000;

async function giveUp(
  ctx: AzureContext,
  { scope, name, what }: WatchedRequest,
  status: string,
  waitsFor: 'azure' | 'approver' | undefined,
  reason: string,
): Promise<never> {
  if (waitsFor !== 'approver') {
    throw new ProvisionError(
      `Azure PIM is still working on request ${name} to ${what}: ${status} (${reason}) after ${WAITED_S} s; the broker will look again`,
      true,
      status,
    );
  }
  // The broker's own approval already happened; a PIM approval on top would leave the grant
  // hanging, and a pending request blocks the next one for the same role and scope. Withdraw it.
  const cancel = await ctx.arm.call('POST', {
    path: `${requestPath(scope, name)}/cancel`,
    apiVersion: PIM_API_VERSION,
  });
  const cancelled =
    cancel.status === 200 || cancel.status === 204
      ? 'the broker cancelled it'
      : `cancelling it failed (${cancel.code ?? `HTTP ${cancel.status}`}): withdraw it in PIM`;
  throw new ProvisionError(
    `Azure PIM did not ${what}: request ${name} is ${status} (${reason}) after ${WAITED_S} s, and ${cancelled}. Approval is an activation setting of PIM and does not govern the broker's active assignments (docs/clouds/azure.md §3): check the role's PIM settings at ${scope}`,
    false,
    status,
  );
}

/** The end time (ms) of the principal's active PIM instance of the role at exactly `scope`; NaN if none. */
export async function activeEnd(
  ctx: AzureContext,
  scope: string,
  principalId: string,
  roleDefinitionId: string,
): Promise<number> {
  return (await activeInstance(ctx, scope, principalId, roleDefinitionId))?.end ?? NaN;
}

/** The principal's active PIM instance of the role at exactly `scope`: its start, end (ms) and creation. */
export async function activeInstance(
  ctx: AzureContext,
  scope: string,
  principalId: string,
  roleDefinitionId: string,
): Promise<{ start: number; end: number; createdOn: string | null } | null> {
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
  if (!instance) return null;
  return {
    start: Date.parse(str(instance.startDateTime) ?? ''),
    end: Date.parse(str(instance.endDateTime) ?? ''),
    createdOn: str(instance.createdOn),
  };
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
