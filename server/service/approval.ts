/**
 * Reviewing a request (approve, deny) and what an approval leads to: a new grant, a merge into a
 * live grant with the same entitlement, or — for an extension request — its linked grant's
 * expiry moved. A request the policy approves at submission goes through the same `settle`.
 */
import type { AccessRequestView, DecisionBody } from '../../lib/contract/api';
import type { Principal } from '../auth/principal';
import {
  MERGEABLE_STATUSES,
  applyExtension,
  approve,
  deny,
  issueGrant,
  type AccessRequest,
  type DomainEvent,
  type Grant,
  type Result,
} from '../domain';
import { CompareAndSetConflict, storedOrConflict } from '../store/compare-and-set';
import type { Tx } from '../store/db';
import { getGrant, insertGrant, listGrants, saveGrant } from '../store/grants';
import { saveRequest } from '../store/requests';
import { requestAudience } from '../store/transitions';
import { MINUTE_MS, policyRequest, record, transact, type BrokerContext } from './context';
import { done, fromDomain, refuse, type ServiceResult } from './errors';
import { requestView } from './views';
import { loadVisibleRequest } from './visibility';

interface Granted {
  readonly request: AccessRequest;
  readonly grant: Grant | null;
  readonly events: readonly DomainEvent[];
}

/** An approved extension request: its linked grant lasts longer, within the target's maximum. */
async function extendLinkedGrant(
  ctx: BrokerContext,
  tx: Tx,
  request: AccessRequest,
  linkedGrantId: string,
  at: Date,
): Promise<Granted> {
  const grant = await getGrant(tx, linkedGrantId);
  const target = ctx.targets.find(request.target);
  if (!grant || !target) return { request, grant: null, events: [] };
  const applied = applyExtension(request, grant, {
    at,
    maxExpiresAt: new Date(at.getTime() + target.maxDurationMinutes * MINUTE_MS),
  });
  // The grant ended meanwhile (or is already as long as allowed): the approval stands in
  // the audit trail, there is just nothing left to extend.
  if (!applied.ok) return { request, grant, events: [] };
  storedOrConflict(await saveGrant(tx, applied.value.grant, grant.version));
  storedOrConflict(await saveRequest(tx, applied.value.request, request.version));
  return { request: applied.value.request, grant: applied.value.grant, events: applied.events };
}

/**
 * The grant side of an approval, inside the approval's transaction: a new grant (or a merge
 * into a live one with the same entitlement), or — for an extension request — its linked
 * grant's expiry moved. Returns the request as saved and the events.
 */
async function grantApproved(ctx: BrokerContext, tx: Tx, request: AccessRequest, at: Date): Promise<Granted> {
  if (request.linkedGrantId !== null) return extendLinkedGrant(ctx, tx, request, request.linkedGrantId, at);
  // Only grants that could be the same entitlement (mergeOverlapping compares the rest).
  const live = await listGrants(tx, {
    user: request.requester,
    target: request.target,
    resource: request.resource,
    status: MERGEABLE_STATUSES,
  });
  const issued = issueGrant(request, { id: ctx.newId('grt'), at, liveGrants: live });
  if (!issued.ok) return { request, grant: null, events: [] };
  const { grant, merged } = issued.value;
  if (merged) {
    const before = live.find((g) => g.id === grant.id);
    if (!before) throw new CompareAndSetConflict('merged grant vanished');
    storedOrConflict(await saveGrant(tx, grant, before.version));
  } else {
    storedOrConflict(await insertGrant(tx, grant));
  }
  storedOrConflict(await saveRequest(tx, issued.value.request, request.version));
  return { request: issued.value.request, grant, events: issued.events };
}

/**
 * The end of every transaction that may have approved a request: issue (or extend) its grant,
 * then record all the events with their audit rows. Returns the view and the grant to wake.
 */
export async function settle(
  ctx: BrokerContext,
  tx: Tx,
  p: Principal,
  decided: AccessRequest,
  at: Date,
  transitionEvents: readonly DomainEvent[],
): Promise<{ view: AccessRequestView; grantId: string | null }> {
  let request = decided;
  let grant: Grant | null = null;
  const events = [...transitionEvents];
  if (request.status === 'approved') {
    const granted = await grantApproved(ctx, tx, request, at);
    request = granted.request;
    grant = granted.grant;
    events.push(...granted.events);
  }
  await record(ctx, tx, events, requestAudience(request), p.user, { request, grant });
  return { view: requestView(request, ctx.lookup, ctx.members), grantId: grant?.id ?? null };
}

/** approve and deny: the same checks, a different transition. */
export async function reviewRequest(
  ctx: BrokerContext,
  p: Principal,
  id: string,
  body: DecisionBody,
  kind: 'approve' | 'deny',
): Promise<ServiceResult<AccessRequestView>> {
  let changedGrant: string | null = null;
  const result = await transact(ctx, async (tx) => {
    const loaded = await loadVisibleRequest(ctx, tx, p, id);
    if (!loaded.ok) return loaded;
    const r = loaded.value;
    const permission = ctx.policy.canApprove({
      approver: p.user,
      groups: p.groups,
      request: policyRequest(ctx, r),
    });
    if (!permission.allowed) {
      return refuse('forbidden', permission.advice[0] ?? 'you may not review this request', {
        advice: permission.advice,
      });
    }
    const input = {
      approver: p.user,
      at: ctx.now(),
      comment: body.comment ?? null,
      approverGroups: p.groups,
    };
    const step: Result<AccessRequest> = kind === 'approve' ? approve(r, input) : deny(r, input);
    if (!step.ok) return fromDomain(step.error);
    storedOrConflict(await saveRequest(tx, step.value, r.version));
    const settled = await settle(ctx, tx, p, step.value, input.at, step.events);
    changedGrant = settled.grantId;
    return done(settled.view);
  });
  if (result.ok && changedGrant) ctx.onGrantsChanged?.([changedGrant]);
  return result;
}
