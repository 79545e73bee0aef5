/**
 * Which Unblock grant owns a live PIM assignment (issue 12, point 2). One user, role and scope has
 * at most one active assignment, and Azure refuses to remove one within 5 minutes of its
 * activation, so a revoked grant can still hold the role when a newer grant for the same role
 * arrives. The newer grant then takes the live assignment over with an `AdminUpdate` of its own
 * (its justification names it, its end is the newer grant's), and from then on the assignment
 * belongs to whichever Unblock grant wrote to it last: the older grant's revoke leaves it in place.
 *
 * Read from the PIM schedule requests Unblock made for the principal (RoleAssignmentScheduleRequests
 * ListForScope, `principalId eq '…'`; docs/cloud-mechanics.md §2.3): Unblock's requests say
 * `Unblock request <id> (grant <id>): …` in their justification (pim.ts `justification`).
 */
import { armError } from './arm';
import type { AzureContext } from './context';
import { isObject, MAX_PAGES, PIM_API_VERSION, props, str } from './wire';

/** The grant id in the justification of a schedule request Unblock made; null for anyone else's. */
export function grantOfJustification(text: string | null): string | null {
  const m = /^Unblock request \S+ \(grant ([^)\s]+)\)/.exec(text ?? '');
  return m ? m[1]! : null;
}

/** Request types that put or keep an assignment in place (a removal is none of them). */
const WRITES = new Set(['AdminAssign', 'AdminUpdate', 'AdminExtend', 'AdminRenew']);

/** One schedule request Unblock made that put its role in place, as listed. */
export interface UnblockWrite {
  readonly grantId: string;
  readonly requestType: string;
  readonly scope: string;
  readonly roleDefinitionId: string;
  readonly principalId: string;
  readonly createdOn: number;
  /** The schedule it created or changed (what the assignment is in PIM). */
  readonly scheduleId: string | null;
}

/** Every provisioned request Unblock made at, above or below `scope` (for `principalId`, if given). */
export async function unblockWrites(
  ctx: AzureContext,
  scope: string,
  principalId: string | null,
): Promise<UnblockWrite[]> {
  const filter = encodeURIComponent(principalId ? `principalId eq '${principalId}'` : 'asRequestor()');
  const writes: UnblockWrite[] = [];
  let target: { path: string; apiVersion: string } | { url: string } = {
    path: `${scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests?$filter=${filter}`,
    apiVersion: PIM_API_VERSION,
  };
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await ctx.arm.call('GET', target);
    if (res.status !== 200) throw armError(res, 'list the PIM schedule requests', ctx.now());
    const body = isObject(res.body) ? res.body : {};
    for (const item of Array.isArray(body.value) ? body.value : []) {
      const p = props(item);
      const grantId = grantOfJustification(str(p.justification));
      const requestType = str(p.requestType) ?? '';
      if (grantId === null || !WRITES.has(requestType) || str(p.status) !== 'Provisioned') continue;
      writes.push({
        grantId,
        requestType,
        scope: str(p.scope) ?? '',
        roleDefinitionId: str(p.roleDefinitionId) ?? '',
        principalId: str(p.principalId) ?? '',
        createdOn: Date.parse(str(p.createdOn) ?? '') || 0,
        scheduleId: str(p.targetRoleAssignmentScheduleId),
      });
    }
    const next = str(body.nextLink);
    if (!next) break;
    target = { url: next };
  }
  return writes;
}

const roleGuid = (roleDefinitionId: string) => roleDefinitionId.split('/').pop()!.toLowerCase();

/** Whether a write is to this principal's role at exactly this scope. */
export const sameAssignment = (
  w: Pick<UnblockWrite, 'scope' | 'roleDefinitionId' | 'principalId'>,
  scope: string,
  principalId: string,
  roleDefinitionId: string,
) =>
  w.scope.toLowerCase() === scope.toLowerCase() &&
  w.principalId.toLowerCase() === principalId.toLowerCase() &&
  roleGuid(w.roleDefinitionId) === roleGuid(roleDefinitionId);

/**
 * The Unblock grant that wrote last to the principal's role at `scope` (the owner of the live
 * assignment, if one is live), or null when Unblock never wrote to it.
 */
export async function lastUnblockWriter(
  ctx: AzureContext,
  scope: string,
  principalId: string,
  roleDefinitionId: string,
): Promise<string | null> {
  const mine = (await unblockWrites(ctx, scope, principalId)).filter((w) =>
    sameAssignment(w, scope, principalId, roleDefinitionId),
  );
  mine.sort((a, b) => a.createdOn - b.createdOn);
  return mine.at(-1)?.grantId ?? null;
}
