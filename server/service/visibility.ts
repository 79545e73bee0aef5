/**
 * Who can see what. A request is visible to its requester, to members of its approver groups
 * (resolved when it was submitted), to auditors and to admins; a grant to its holder, to members
 * of its target's approver group (from config now), to auditors and to admins. The audit log is
 * for auditors and admins only.
 */
import type { AuditList, ListAuditQuery, MeView } from '../../lib/contract/api';
import type { Principal } from '../auth/principal';
import type { TargetRef } from '../config/targets';
import type { AccessRequest, Grant } from '../domain';
import { readAudit } from '../store/audit';
import { latestAuditCheckpoint } from '../store/audit-checkpoints';
import type { Db, Tx } from '../store/db';
import { getGrant } from '../store/grants';
import { getRequest } from '../store/requests';
import { MAX_LIST_LIMIT } from '../store/rows';
import type { BrokerContext } from './context';
import { done, refuse, type ServiceResult } from './errors';

/** The admins group sees and may do what auditors and approvers may. */
const ADMINS = 'admins';

export function isAuditor(ctx: BrokerContext, p: Principal): boolean {
  return p.groups.some((g) => ctx.config.auditorGroups.includes(g));
}

export function isAdmin(p: Principal): boolean {
  return p.groups.includes(ADMINS);
}

/** Auditors and admins see every request and grant. */
export function seesEverything(ctx: BrokerContext, p: Principal): boolean {
  return isAuditor(ctx, p) || isAdmin(p);
}

/** Whether `p` is in one of the groups that review `r`. */
function reviews(p: Principal, r: AccessRequest): boolean {
  return r.policy.approverGroups.some((g) => p.groups.includes(g));
}

export function canSeeRequest(ctx: BrokerContext, p: Principal, r: AccessRequest): boolean {
  return r.requester === p.user || reviews(p, r) || seesEverything(ctx, p);
}

export function canSeeGrant(ctx: BrokerContext, p: Principal, g: Grant): boolean {
  const group = ctx.targets.find(g.target)?.approverGroup;
  return g.user === p.user || (group !== undefined && p.groups.includes(group)) || seesEverything(ctx, p);
}

/**
 * The configured targets whose grants `p` sees as an approver: exactly those for which
 * canSeeGrant's group test holds (the target `find` answers for a key, whose approver group is
 * one of p's). Grant listings filter by these in SQL instead of calling canSeeGrant per row.
 */
export function reviewedTargets(ctx: BrokerContext, p: Principal): TargetRef[] {
  return ctx.targets.all.filter((t) => ctx.targets.find(t) === t && p.groups.includes(t.approverGroup));
}

export async function loadVisibleRequest(
  ctx: BrokerContext,
  tx: Db | Tx,
  p: Principal,
  id: string,
): Promise<ServiceResult<AccessRequest>> {
  const r = await getRequest(tx, id);
  if (!r) return refuse('not_found', `no request ${id}`);
  if (!canSeeRequest(ctx, p, r))
    return refuse('forbidden', 'this request is not yours, and you do not review it');
  return done(r);
}

export async function loadVisibleGrant(
  ctx: BrokerContext,
  tx: Db | Tx,
  p: Principal,
  id: string,
): Promise<ServiceResult<Grant>> {
  const g = await getGrant(tx, id);
  if (!g) return refuse('not_found', `no grant ${id}`);
  if (!canSeeGrant(ctx, p, g))
    return refuse('forbidden', 'this grant is not yours, and you do not review it');
  return done(g);
}

/** The caller as the UI needs to know them: name, groups, and which views are theirs. */
export function me(ctx: BrokerContext, p: Principal): Promise<ServiceResult<MeView>> {
  const approverGroups = new Set(ctx.config.targets.map((t) => t.approverGroup));
  return Promise.resolve(
    done({
      user: p.user,
      displayName: ctx.config.users.find((u) => u.name === p.user)?.displayName ?? null,
      groups: [...p.groups],
      approver: p.groups.some((g) => approverGroups.has(g)),
      auditor: seesEverything(ctx, p),
      targets: ctx.config.targets.map((t) => ({
        cloud: t.cloud,
        account: t.account,
        environment: t.environment,
        name: t.name,
      })),
    }),
  );
}

export async function listAudit(
  ctx: BrokerContext,
  p: Principal,
  q: ListAuditQuery,
): Promise<ServiceResult<AuditList>> {
  if (!seesEverything(ctx, p)) {
    return refuse(
      'forbidden',
      `the audit log is for auditors (groups: ${ctx.config.auditorGroups.join(', ')})`,
    );
  }
  const after = q.after === undefined ? 0 : Number(q.after);
  const limit = Math.min(Math.max(q.limit === undefined ? 100 : Number(q.limit), 1), MAX_LIST_LIMIT);
  const rows = await readAudit(ctx.db, after, limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return done({
    items: page,
    nextCursor: rows.length > limit && last ? String(last.seq) : null,
    // The latest signed head, so an export through the API can be checked against it.
    checkpoint: await latestAuditCheckpoint(ctx.db),
  });
}
