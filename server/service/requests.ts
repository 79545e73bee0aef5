/**
 * Requests: submitting one (from a denial, or an extension of a grant), reading and listing
 * them, and the requester cancelling one. Policy decides a new request at once; one it
 * approves is settled (granted) in the same transaction (approval.ts).
 */
import type {
  AccessRequestList,
  AccessRequestView,
  CreateRequestBody,
  DecisionBody,
  ListRequestsQuery,
} from '../../lib/contract/api';
import { DENY_KIND_FACTS, grantCanHelp } from '../../lib/deny-kinds';
import type { Principal } from '../auth/principal';
import type { TargetConfig } from '../config/schema';
import { cancel, submitRequest, type FollowUpPlan, type PolicyDecisionSnapshot } from '../domain';
import type { PolicyEngine } from '../policy/engine';
import { storedOrConflict } from '../store/compare-and-set';
import { insertRequest, listRequests as listStoredRequests, saveRequest } from '../store/requests';
import { recordTransition, requestAudience } from '../store/transitions';
import { settle } from './approval';
import { PAGE_SIZE, policyTarget, record, transact, type BrokerContext } from './context';
import { done, fromDomain, invalidField, type ServiceResult } from './errors';
import { BAD_CURSOR, decodeCursor, encodeCursor } from './paging';
import { requestView } from './views';
import { loadVisibleRequest, seesEverything } from './visibility';

function snapshot(
  target: TargetConfig,
  decision: ReturnType<PolicyEngine['decideRequest']>,
): PolicyDecisionSnapshot {
  return {
    decision: decision.decision,
    requiredApprovals: decision.requiredApprovals,
    policyIds: decision.policyIds,
    advice: decision.advice,
    approverGroups: [target.approverGroup],
  };
}

/** The target's reminders and escalation, kept with a request that waits for approvers. */
function followUpPlan(target: TargetConfig): FollowUpPlan | null {
  const f = target.followUp;
  if (!f) return null;
  return {
    remindAfterMinutes: f.remindAfterMinutes,
    remindEveryMinutes: f.remindEveryMinutes ?? f.remindAfterMinutes,
    maxReminders: f.maxReminders,
    escalateAfterMinutes: f.escalateAfterMinutes ?? null,
    escalateTo: [...f.escalateTo],
  };
}

/** Submits a new request or an extension (`linkedGrant`), decided by policy at once. */
export async function submit(
  ctx: BrokerContext,
  p: Principal,
  target: TargetConfig,
  draft: Parameters<typeof submitRequest>[0],
): Promise<ServiceResult<AccessRequestView>> {
  if (draft.durationMinutes > target.maxDurationMinutes) {
    return invalidField(
      'durationMinutes',
      `durationMinutes: at most ${target.maxDurationMinutes} minutes on ${target.name}`,
    );
  }
  const decision = ctx.policy.decideRequest({
    user: p.user,
    groups: p.groups,
    target: policyTarget(target),
    actions: draft.actions,
    resource: draft.resource,
    durationMinutes: draft.durationMinutes,
  });
  const at = ctx.now();
  const submitted = submitRequest(draft, {
    id: ctx.newId('req'),
    requester: p.user,
    now: at,
    policy: snapshot(target, decision),
    pendingTtlMs: ctx.pendingTtlMs,
    followUp: decision.decision === 'needs-approval' ? followUpPlan(target) : null,
  });
  if (!submitted.ok) return fromDomain(submitted.error);
  let changedGrant: string | null = null;
  const result = await transact(ctx, async (tx) => {
    if (submitted.value.status !== 'approved') {
      // Nothing to grant: the request row, its audit rows and events in one statement.
      await recordTransition(tx, {
        events: submitted.events,
        audience: requestAudience(submitted.value),
        actor: p.user,
        insertRequest: submitted.value,
      });
      await ctx.onTransition?.(tx, submitted.events, { request: submitted.value, grant: null });
      return done(requestView(submitted.value, ctx.lookup, ctx.members));
    }
    storedOrConflict(await insertRequest(tx, submitted.value));
    const settled = await settle(ctx, tx, p, submitted.value, at, submitted.events);
    changedGrant = settled.grantId;
    return done(settled.view);
  });
  if (result.ok && changedGrant) ctx.onGrantsChanged?.([changedGrant]);
  return result;
}

export async function createRequest(
  ctx: BrokerContext,
  p: Principal,
  body: CreateRequestBody,
): Promise<ServiceResult<AccessRequestView>> {
  if (body.target.account === null) {
    return invalidField(
      'target.account',
      'target.account: the denial did not name the account; choose the account to request access on',
    );
  }
  // The same table the parser classifies with: what the banner declines, the API refuses too.
  const kind = body.denial.denyKind;
  if (!grantCanHelp(kind)) {
    const facts = DENY_KIND_FACTS[kind];
    return invalidField(
      'denial.denyKind',
      `denial.denyKind: ${kind}: ${facts.noGrant} Who can lift it: ${facts.owner}`,
    );
  }
  const target = ctx.targets.find({ cloud: body.target.cloud, account: body.target.account });
  if (!target) {
    return invalidField(
      'target.account',
      `target.account: ${body.target.account} is not a ${body.target.cloud} target this broker manages`,
    );
  }
  return submit(ctx, p, target, {
    target: { cloud: target.cloud, account: target.account, environment: target.environment },
    actions: body.actions,
    resource: body.resource,
    durationMinutes: body.durationMinutes,
    justification: body.justification,
    ticket: body.ticket ?? null,
    denial: body.denial,
  });
}

export async function getRequest(
  ctx: BrokerContext,
  p: Principal,
  id: string,
): Promise<ServiceResult<AccessRequestView>> {
  const r = await loadVisibleRequest(ctx, ctx.db, p, id);
  return r.ok ? done(requestView(r.value, ctx.lookup, ctx.members)) : r;
}

/**
 * Requests the caller may see (visibility.ts), newest first: auditors and admins every request;
 * anyone else their own plus the queues of their groups (`mine=true`: their own only). One query;
 * a page costs O(page) whatever the table's size.
 */
export async function listRequests(
  ctx: BrokerContext,
  p: Principal,
  q: ListRequestsQuery,
): Promise<ServiceResult<AccessRequestList>> {
  const before = decodeCursor('requests', q.cursor);
  if (before === 'invalid') return invalidField('cursor', BAD_CURSOR);
  const seen =
    q.mine === 'true'
      ? { requester: p.user }
      : seesEverything(ctx, p)
        ? {}
        : { visibleTo: { user: p.user, approverGroups: p.groups } };
  const rows = await listStoredRequests(ctx.db, {
    ...seen,
    ...(q.status ? { status: q.status } : {}),
    ...(before ? { before: { createdAt: before.at, id: before.id } } : {}),
    limit: PAGE_SIZE + 1,
  });
  const page = rows.slice(0, PAGE_SIZE);
  const last = page[page.length - 1];
  return done({
    items: page.map((r) => requestView(r, ctx.lookup, ctx.members)),
    nextCursor: rows.length > PAGE_SIZE && last ? encodeCursor('requests', last.createdAt, last.id) : null,
  });
}

export async function cancelRequest(
  ctx: BrokerContext,
  p: Principal,
  id: string,
  body: DecisionBody,
): Promise<ServiceResult<AccessRequestView>> {
  return transact(ctx, async (tx) => {
    const loaded = await loadVisibleRequest(ctx, tx, p, id);
    if (!loaded.ok) return loaded;
    const r = loaded.value;
    // The requester's reason stays in the audit trail with the cancellation.
    const step = cancel(r, p.user, ctx.now(), body.comment ?? null);
    if (!step.ok) return fromDomain(step.error);
    storedOrConflict(await saveRequest(tx, step.value, r.version));
    await record(ctx, tx, step.events, requestAudience(step.value), p.user, {
      request: step.value,
      grant: null,
    });
    return done(requestView(step.value, ctx.lookup, ctx.members));
  });
}
