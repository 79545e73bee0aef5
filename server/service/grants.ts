/**
 * Grants: reading and listing them, asking to extend one (a new request linked to it), revoking
 * one early, and what the target's provisioner tells about a grant or a request: the landing
 * into the console, the cloud's activity log, a preview of what approving would grant, and the
 * decoding of an encoded denial message.
 */
import type {
  AccessRequestView,
  ActivityList,
  DecodeBody,
  DecodedView,
  ExtendBody,
  GrantList,
  GrantView,
  LandingBody,
  LandingView,
  ListGrantsQuery,
  PreviewView,
  RevokeBody,
} from '../../lib/contract/api';
import { actionRisk } from '../../lib/risk';
import type { Principal } from '../auth/principal';
import { errorText, revoke } from '../domain';
import { ProvisionError, type Provisioner } from '../provision/types';
import { appendAudit } from '../store/audit';
import { storedOrConflict } from '../store/compare-and-set';
import { getProviderRef, listGrants as listStoredGrants, saveGrant } from '../store/grants';
import { getRequest } from '../store/requests';
import {
  PAGE_SIZE,
  identitiesOf,
  policyRequest,
  record,
  serving,
  transact,
  type BrokerContext,
} from './context';
import { done, fromDomain, invalidField, refuse, type ServiceResult } from './errors';
import { BAD_CURSOR, decodeCursor, encodeCursor } from './paging';
import { submit } from './requests';
import { grantView } from './views';
import { loadVisibleGrant, loadVisibleRequest, reviewedTargets, seesEverything } from './visibility';

export async function getGrant(
  ctx: BrokerContext,
  p: Principal,
  id: string,
): Promise<ServiceResult<GrantView>> {
  const g = await loadVisibleGrant(ctx, ctx.db, p, id);
  return g.ok ? done(grantView(g.value, ctx.lookup, ctx.provisionAttempts)) : g;
}

/**
 * Grants the caller may see (visibility.ts), newest first: their own (`mine=true`, or callers in
 * no group), every grant (auditors and admins), else their own plus those on the targets their
 * groups approve. One query; a page costs O(page) whatever the table's size.
 */
export async function listGrants(
  ctx: BrokerContext,
  p: Principal,
  q: ListGrantsQuery,
): Promise<ServiceResult<GrantList>> {
  const before = decodeCursor('grants', q.cursor);
  if (before === 'invalid') return invalidField('cursor', BAD_CURSOR);
  const seen =
    q.mine === 'true' || p.groups.length === 0
      ? { user: p.user }
      : seesEverything(ctx, p)
        ? {}
        : { visibleTo: { user: p.user, targets: reviewedTargets(ctx, p) } };
  const rows = await listStoredGrants(ctx.db, {
    ...seen,
    ...(q.status ? { status: q.status } : {}),
    ...(before ? { before: { startsAt: before.at, id: before.id } } : {}),
    limit: PAGE_SIZE + 1,
  });
  const page = rows.slice(0, PAGE_SIZE);
  const last = page[page.length - 1];
  return done({
    items: page.map((g) => grantView(g, ctx.lookup, ctx.provisionAttempts)),
    nextCursor: rows.length > PAGE_SIZE && last ? encodeCursor('grants', last.startsAt, last.id) : null,
  });
}

/** The holder asks for more time: an extension request linked to the grant, decided like any request. */
export async function extendGrant(
  ctx: BrokerContext,
  p: Principal,
  id: string,
  body: ExtendBody,
): Promise<ServiceResult<AccessRequestView>> {
  const loaded = await loadVisibleGrant(ctx, ctx.db, p, id);
  if (!loaded.ok) return loaded;
  const g = loaded.value;
  if (g.user !== p.user) return refuse('forbidden', 'only the holder of a grant can ask to extend it');
  if (g.status !== 'active')
    return refuse('conflict', `only an active grant can be extended (this one is ${g.status})`);
  const target = ctx.targets.find(g.target);
  if (!target) return refuse('conflict', 'the grant’s target is no longer configured');
  return submit(ctx, p, target, {
    target: g.target,
    actions: g.actions,
    resource: g.resource,
    durationMinutes: body.durationMinutes,
    justification: body.justification,
    ticket: null,
    denial: null,
    linkedGrantId: g.id,
  });
}

export async function revokeGrant(
  ctx: BrokerContext,
  p: Principal,
  id: string,
  body: RevokeBody,
): Promise<ServiceResult<GrantView>> {
  const result = await transact(ctx, async (tx) => {
    const loaded = await loadVisibleGrant(ctx, tx, p, id);
    if (!loaded.ok) return loaded;
    const g = loaded.value;
    const request = await getRequest(tx, g.requestId);
    if (!request) return refuse('not_found', `no request behind grant ${id}`);
    const permission = ctx.policy.canRevoke({
      actor: p.user,
      groups: p.groups,
      request: policyRequest(ctx, request),
    });
    if (!permission.allowed) {
      return refuse('forbidden', permission.advice[0] ?? 'you may not revoke this grant', {
        advice: permission.advice,
      });
    }
    const step = revoke(g, p.user, ctx.now(), body.reason ?? null);
    if (!step.ok) return fromDomain(step.error);
    storedOrConflict(await saveGrant(tx, step.value, g.version));
    await record(
      ctx,
      tx,
      step.events,
      { users: [g.user], groups: [...request.policy.approverGroups] },
      p.user,
      { request, grant: step.value },
    );
    return done(grantView(step.value, ctx.lookup, ctx.provisionAttempts));
  });
  if (result.ok) ctx.onGrantsChanged?.([id]);
  return result;
}

export async function landGrant(
  ctx: BrokerContext,
  p: Principal,
  id: string,
  body: LandingBody,
): Promise<ServiceResult<LandingView>> {
  const loaded = await loadVisibleGrant(ctx, ctx.db, p, id);
  if (!loaded.ok) return loaded;
  const g = loaded.value;
  // The landing URL signs its holder into the cloud as this grant: only the grant holder gets it.
  if (g.user !== p.user) return refuse('forbidden', 'only the holder of a grant can land on it');
  if (g.status !== 'active') return refuse('conflict', `the grant is ${g.status}, not active`);
  const served = serving(ctx, g.target);
  if (!served.ok) return served;
  const landing = await served.value.landing(
    g,
    await getProviderRef(ctx.db, id),
    await identitiesOf(ctx, p.user),
    body.destination ?? null,
  );
  // Who received a way into the console, and when (never the URL itself: it is a credential).
  await appendAudit(ctx.db, {
    actor: p.user,
    type: 'grant.landing-issued',
    subject: g.id,
    details: { kind: landing.kind, destination: body.destination ?? null },
    at: ctx.now(),
  });
  return done(landing);
}

export async function listGrantActivity(
  ctx: BrokerContext,
  p: Principal,
  id: string,
): Promise<ServiceResult<ActivityList>> {
  const loaded = await loadVisibleGrant(ctx, ctx.db, p, id);
  if (!loaded.ok) return loaded;
  const g = loaded.value;
  const served = serving(ctx, g.target);
  if (!served.ok) return served;
  if (!served.value.activity) return done({ items: [] });
  const items = await served.value.activity(
    g,
    await getProviderRef(ctx.db, id),
    await identitiesOf(ctx, g.user),
  );
  return done({ items: [...items] });
}

export async function previewRequest(
  ctx: BrokerContext,
  p: Principal,
  id: string,
): Promise<ServiceResult<PreviewView>> {
  const loaded = await loadVisibleRequest(ctx, ctx.db, p, id);
  if (!loaded.ok) return loaded;
  const r = loaded.value;
  const served = serving(ctx, r.target);
  if (!served.ok) return served;
  const provisioner = served.value;
  if (!provisioner.preview) {
    return done({
      provisioner: provisioner.name,
      summary: `${r.actions.join(', ')} on ${r.resource ?? 'any resource'} in ${r.target.account}`,
    });
  }
  let preview: Awaited<ReturnType<NonNullable<Provisioner['preview']>>>;
  try {
    preview = await provisioner.preview(r.target, r.actions, r.resource);
  } catch (e) {
    // The cloud cannot grant this as configured (no role holds the permission…): the approver
    // reads why before approving, instead of an error, and approval would end the grant `failed`.
    if (!(e instanceof ProvisionError && e.permanent)) throw e;
    return done({
      provisioner: provisioner.name,
      summary: `Cannot be granted as the broker is configured: ${errorText(e.message)}`,
      notes: e.advice ? [`What an operator can do: ${errorText(e.advice)}`] : [],
    });
  }
  return done({
    provisioner: provisioner.name,
    summary: preview.summary,
    ...(preview.sessionPolicy === undefined ? {} : { sessionPolicy: preview.sessionPolicy }),
    ...(preview.role ? { role: { ...preview.role } } : {}),
    ...(preview.alsoGrants ? { alsoGrants: [...preview.alsoGrants] } : {}),
    ...(preview.notes ? { notes: [...preview.notes] } : {}),
  });
}

export async function decodeDenial(
  ctx: BrokerContext,
  p: Principal,
  body: DecodeBody,
): Promise<ServiceResult<DecodedView>> {
  const target = ctx.targets.find(body.target);
  if (!target) {
    return invalidField(
      'target.account',
      `target.account: ${body.target.account} is not a ${body.target.cloud} target this broker manages`,
    );
  }
  const served = serving(ctx, target);
  if (!served.ok) return served;
  let decoded: Awaited<ReturnType<NonNullable<typeof served.value.decode>>>;
  try {
    decoded = served.value.decode ? await served.value.decode(target, body.encodedMessage) : null;
  } catch (e) {
    // The cloud refused this message for good (malformed, expired, not this account's): say so
    // as a 400 on the field, in the cloud's words, rather than as an internal error.
    if (e instanceof ProvisionError && !e.retryable) {
      return invalidField('encodedMessage', `encodedMessage: ${e.message}`);
    }
    throw e;
  }
  if (!decoded) {
    return invalidField('encodedMessage', `encodedMessage: ${target.cloud} cannot decode this message`);
  }
  await appendAudit(ctx.db, {
    actor: p.user,
    type: 'denial.decoded',
    subject: `${target.cloud}:${target.account}`,
    details: { actions: [...decoded.actions], resource: decoded.resource },
    at: ctx.now(),
  });
  return done({
    actions: decoded.actions.map((action) => ({ action, risk: actionRisk(target.cloud, action) })),
    resource: decoded.resource,
    summary: decoded.summary,
  });
}
