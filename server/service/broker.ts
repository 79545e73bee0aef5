/**
 * The broker's use cases: what the API (and the operator CLI) can ask for, each one a load →
 * pure domain transition (server/domain) → one transaction that saves the result with
 * compare-and-set and records its audit and event rows (server/store). Policy (server/policy)
 * decides who may; the domain enforces the invariants whatever policy says.
 *
 * The caller is always a `Principal` resolved from a token; nothing here trusts a user name from a
 * request body. A lost compare-and-set race (two approvers at once) rolls back and replays the
 * whole use case from a fresh read, so the second approver gets the honest answer
 * ("already decided") rather than a second grant.
 */
import { randomUUID } from 'node:crypto';
import type {
  AccessRequestList,
  AccessRequestView,
  ActivityList,
  AuditList,
  CreateRequestBody,
  DecisionBody,
  DecodeBody,
  DecodedView,
  LandingBody,
  LandingView,
  MeView,
  PreviewView,
  ExtendBody,
  GrantList,
  GrantView,
  ListAuditQuery,
  ListGrantsQuery,
  ListRequestsQuery,
  RevokeBody,
} from '../../lib/contract/api';
import { GUARDRAIL_KINDS } from '../../lib/contract/denial';
import { actionRisk } from '../../lib/risk';
import type { Principal } from '../auth/principal';
import type { BrokerConfig, TargetConfig } from '../config/schema';
import {
  MERGEABLE_STATUSES,
  applyExtension,
  approve,
  cancel,
  deny,
  issueGrant,
  revoke,
  submitRequest,
  type AccessRequest,
  type DomainEvent,
  type Grant,
  type PolicyDecisionSnapshot,
  type Result,
  type Target,
} from '../domain';
import type { PolicyEngine, PolicyRequest, PolicyTarget } from '../policy/engine';
import type { CloudIdentities, Provisioner } from '../provision/types';
import { appendAudit, readAudit } from '../store/audit';
import type { Db, Tx } from '../store/db';
import {
  MAX_LIST_LIMIT,
  getGrant,
  getRequest,
  insertGrant,
  insertRequest,
  listGrants,
  listRequests,
  recordTransition,
  requestAudience,
  saveGrant,
  saveRequest,
  type EventAudience,
} from '../store/repo';
import { done, fromDomain, invalidField, refuse, type ServiceResult } from './errors';
import { grantView, requestView } from './views';

const MINUTE_MS = 60_000;
const PAGE_SIZE = 50;
/** Compare-and-set retries before answering 409; each retry is a full fresh read. */
const MAX_ATTEMPTS = 5;

/** Called inside every transition's transaction, after its audit/event rows (webhook outbox). */
export type TransitionHook = (
  tx: Tx,
  events: readonly DomainEvent[],
  subject: { request: AccessRequest | null; grant: Grant | null },
) => Promise<void>;

export interface BrokerDeps {
  readonly db: Db;
  readonly config: BrokerConfig;
  readonly policy: PolicyEngine;
  readonly now?: () => Date;
  readonly newId?: (kind: 'req' | 'grt') => string;
  readonly onTransition?: TransitionHook;
  /** Called after a commit that left grants needing the worker (new, revoked, extended). */
  readonly onGrantsChanged?: (grantIds: readonly string[]) => void;
  /** The provisioner serving a target (landing, preview, decode, activity). */
  readonly provisionerFor?: (target: TargetConfig) => Provisioner;
  /** A user's cloud identities (config or IdP). */
  readonly identities?: (user: string) => Promise<CloudIdentities>;
}

/** Thrown inside a transaction to roll it back and replay the use case from a fresh read. */
class LostRace extends Error {}

export type Broker = ReturnType<typeof createBroker>;

export function createBroker(deps: BrokerDeps) {
  const { db, config, policy } = deps;
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? ((kind) => `${kind}_${randomUUID()}`);
  const pendingTtlMs = config.pendingTtlHours * 60 * MINUTE_MS;

  const targets = new Map<string, TargetConfig>();
  for (const t of config.targets) targets.set(targetKey(t), t);
  const lookup = (t: Pick<Target, 'cloud' | 'account'>) => targets.get(targetKey(t));
  const auditors = new Set(config.auditorGroups);
  const groupMembers = new Map<string, string[]>();
  for (const u of config.users)
    for (const g of u.groups) groupMembers.set(g, [...(groupMembers.get(g) ?? []), u.name]);
  const members = (group: string) => groupMembers.get(group) ?? [];

  const isAuditor = (p: Principal) => p.groups.some((g) => auditors.has(g));
  const isAdmin = (p: Principal) => p.groups.includes('admins');
  const reviews = (p: Principal, r: AccessRequest) =>
    r.policy.approverGroups.some((g) => p.groups.includes(g));
  const canSeeRequest = (p: Principal, r: AccessRequest) =>
    r.requester === p.user || reviews(p, r) || isAuditor(p) || isAdmin(p);
  const approverGroupOf = (t: Target) => lookup(t)?.approverGroup;
  const canSeeGrant = (p: Principal, g: Grant) => {
    const group = approverGroupOf(g.target);
    return (
      g.user === p.user || (group !== undefined && p.groups.includes(group)) || isAuditor(p) || isAdmin(p)
    );
  };

  /** The provisioner of a configured target (for landing, preview, decode, activity). */
  function serving(t: Pick<Target, 'cloud' | 'account'>): ServiceResult<Provisioner> {
    const target = lookup(t);
    if (!target) return refuse('conflict', `${t.cloud} ${t.account} is no longer a configured target`);
    if (!deps.provisionerFor) return refuse('conflict', 'this broker has no provisioner configured');
    return done(deps.provisionerFor(target));
  }

  /** What the provisioner created for a grant (kept beside the grant row, see the worker). */
  async function providerRef(grantId: string): Promise<Record<string, unknown> | null> {
    const { rows } = await db.query<{ provider_ref: Record<string, unknown> | null }>(
      'SELECT provider_ref FROM grants WHERE id = $1',
      [grantId],
    );
    return rows[0]?.provider_ref ?? null;
  }

  const identitiesOf = (user: string): Promise<CloudIdentities> =>
    deps.identities ? deps.identities(user) : Promise.resolve({});

  function policyTarget(t: TargetConfig): PolicyTarget {
    return {
      id: t.id,
      cloud: t.cloud,
      account: t.account,
      environment: t.environment,
      approverGroup: t.approverGroup,
    };
  }

  function policyRequest(r: AccessRequest): PolicyRequest {
    const t = lookup(r.target);
    return {
      requester: r.requester,
      requesterGroups: config.users.find((u) => u.name === r.requester)?.groups ?? [],
      target: t
        ? policyTarget(t)
        : { cloud: r.target.cloud, account: r.target.account, environment: r.target.environment },
      actions: r.actions,
      durationMinutes: r.durationMinutes,
    };
  }

  /** Runs `fn` in a transaction, replaying it from scratch when a compare-and-set save lost a race. */
  async function transact<T>(fn: (tx: Tx) => Promise<ServiceResult<T>>): Promise<ServiceResult<T>> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try {
        return await db.transaction(fn);
      } catch (e) {
        if (!(e instanceof LostRace)) throw e;
      }
    }
    return refuse('conflict', 'the record kept changing while we tried to update it; try again');
  }

  async function saveR(tx: Tx, next: AccessRequest, expected: number): Promise<void> {
    const saved = await saveRequest(tx, next, expected);
    if (!saved.ok) throw new LostRace(saved.message);
  }

  async function saveG(tx: Tx, next: Grant, expected: number): Promise<void> {
    const saved = await saveGrant(tx, next, expected);
    if (!saved.ok) throw new LostRace(saved.message);
  }

  async function record(
    tx: Tx,
    events: readonly DomainEvent[],
    audience: EventAudience,
    actor: string,
    subject: { request: AccessRequest | null; grant: Grant | null },
  ): Promise<void> {
    if (events.length === 0) return;
    await recordTransition(tx, { events, audience, actor });
    await deps.onTransition?.(tx, events, subject);
  }

  /**
   * The grant side of an approval, inside the approval's transaction: a new grant (or a merge
   * into a live one with the same entitlement), or — for an extension request — its linked
   * grant's expiry moved. Returns the request as saved and the events.
   */
  async function grantApproved(
    tx: Tx,
    request: AccessRequest,
    at: Date,
  ): Promise<{ request: AccessRequest; grant: Grant | null; events: DomainEvent[] }> {
    if (request.linkedGrantId !== null) {
      const grant = await getGrant(tx, request.linkedGrantId);
      const target = lookup(request.target);
      if (!grant || !target) return { request, grant: null, events: [] };
      const applied = applyExtension(request, grant, {
        at,
        maxExpiresAt: new Date(at.getTime() + target.maxDurationMinutes * MINUTE_MS),
      });
      // The grant ended meanwhile (or is already as long as allowed): the approval stands in
      // the audit trail, there is just nothing left to extend.
      if (!applied.ok) return { request, grant, events: [] };
      await saveG(tx, applied.value.grant, grant.version);
      await saveR(tx, applied.value.request, request.version);
      return { request: applied.value.request, grant: applied.value.grant, events: [...applied.events] };
    }
    // Only grants that could be the same entitlement (mergeOverlapping compares the rest).
    const live = await listGrants(tx, {
      user: request.requester,
      target: request.target,
      resource: request.resource,
      status: MERGEABLE_STATUSES,
    });
    const issued = issueGrant(request, { id: newId('grt'), at, liveGrants: live });
    if (!issued.ok) return { request, grant: null, events: [] };
    const { grant, merged } = issued.value;
    if (merged) {
      const before = live.find((g) => g.id === grant.id);
      if (!before) throw new LostRace('merged grant vanished');
      await saveG(tx, grant, before.version);
    } else {
      const inserted = await insertGrant(tx, grant);
      if (!inserted.ok) throw new LostRace(inserted.message);
    }
    await saveR(tx, issued.value.request, request.version);
    return { request: issued.value.request, grant, events: [...issued.events] };
  }

  /**
   * The end of every transaction that may have approved a request: issue (or extend) its grant,
   * then record all the events with their audit rows. Returns the view and the grant to wake.
   */
  async function settle(
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
      const granted = await grantApproved(tx, request, at);
      request = granted.request;
      grant = granted.grant;
      events.push(...granted.events);
    }
    await record(tx, events, requestAudience(request), p.user, { request, grant });
    return { view: requestView(request, lookup, members), grantId: grant?.id ?? null };
  }

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

  /** Submits a new request or an extension (`linkedGrant`), decided by policy at once. */
  async function submit(
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
    const decision = policy.decideRequest({
      user: p.user,
      groups: p.groups,
      target: policyTarget(target),
      actions: draft.actions,
      durationMinutes: draft.durationMinutes,
    });
    const at = now();
    const submitted = submitRequest(draft, {
      id: newId('req'),
      requester: p.user,
      now: at,
      policy: snapshot(target, decision),
      pendingTtlMs,
    });
    if (!submitted.ok) return fromDomain(submitted.error);
    let changedGrant: string | null = null;
    const result = await transact(async (tx) => {
      if (submitted.value.status !== 'approved') {
        // Nothing to grant: the request row, its audit rows and events in one statement.
        await recordTransition(tx, {
          events: submitted.events,
          audience: requestAudience(submitted.value),
          actor: p.user,
          insertRequest: submitted.value,
        });
        await deps.onTransition?.(tx, submitted.events, { request: submitted.value, grant: null });
        return done(requestView(submitted.value, lookup, members));
      }
      const inserted = await insertRequest(tx, submitted.value);
      if (!inserted.ok) throw new LostRace(inserted.message);
      const settled = await settle(tx, p, submitted.value, at, submitted.events);
      changedGrant = settled.grantId;
      return done(settled.view);
    });
    if (result.ok && changedGrant) deps.onGrantsChanged?.([changedGrant]);
    return result;
  }

  async function loadVisibleRequest(
    tx: Db | Tx,
    p: Principal,
    id: string,
  ): Promise<ServiceResult<AccessRequest>> {
    const r = await getRequest(tx, id);
    if (!r) return refuse('not_found', `no request ${id}`);
    if (!canSeeRequest(p, r))
      return refuse('forbidden', 'this request is not yours, and you do not review it');
    return done(r);
  }

  async function loadVisibleGrant(tx: Db | Tx, p: Principal, id: string): Promise<ServiceResult<Grant>> {
    const g = await getGrant(tx, id);
    if (!g) return refuse('not_found', `no grant ${id}`);
    if (!canSeeGrant(p, g)) return refuse('forbidden', 'this grant is not yours, and you do not review it');
    return done(g);
  }

  /** approve and deny: the same checks, a different transition. */
  async function review(
    p: Principal,
    id: string,
    body: DecisionBody,
    kind: 'approve' | 'deny',
  ): Promise<ServiceResult<AccessRequestView>> {
    let changedGrant: string | null = null;
    const result = await transact(async (tx) => {
      const loaded = await loadVisibleRequest(tx, p, id);
      if (!loaded.ok) return loaded;
      const r = loaded.value;
      const permission = policy.canApprove({ approver: p.user, groups: p.groups, request: policyRequest(r) });
      if (!permission.allowed) {
        return refuse('forbidden', permission.advice[0] ?? 'you may not review this request', {
          advice: permission.advice,
        });
      }
      const input = { approver: p.user, at: now(), comment: body.comment ?? null, approverGroups: p.groups };
      const step: Result<AccessRequest> = kind === 'approve' ? approve(r, input) : deny(r, input);
      if (!step.ok) return fromDomain(step.error);
      await saveR(tx, step.value, r.version);
      const settled = await settle(tx, p, step.value, input.at, step.events);
      changedGrant = settled.grantId;
      return done(settled.view);
    });
    if (result.ok && changedGrant) deps.onGrantsChanged?.([changedGrant]);
    return result;
  }

  return {
    /** The configured target for a cloud account, if any. */
    target: lookup,

    async createRequest(p: Principal, body: CreateRequestBody): Promise<ServiceResult<AccessRequestView>> {
      if (body.target.account === null) {
        return invalidField(
          'target.account',
          'target.account: the denial did not name the account; choose the account to request access on',
        );
      }
      if (GUARDRAIL_KINDS.includes(body.denial.denyKind)) {
        return invalidField(
          'denial.denyKind',
          `denial.denyKind: ${body.denial.denyKind} is an organisation guardrail; no grant can lift it — ask the team that owns the guardrail`,
        );
      }
      const target = lookup({ cloud: body.target.cloud, account: body.target.account });
      if (!target) {
        return invalidField(
          'target.account',
          `target.account: ${body.target.account} is not a ${body.target.cloud} target this broker manages`,
        );
      }
      return submit(p, target, {
        target: { cloud: target.cloud, account: target.account, environment: target.environment },
        actions: body.actions,
        resource: body.resource,
        durationMinutes: body.durationMinutes,
        justification: body.justification,
        ticket: body.ticket ?? null,
        denial: body.denial,
      });
    },

    async getRequest(p: Principal, id: string): Promise<ServiceResult<AccessRequestView>> {
      const r = await loadVisibleRequest(db, p, id);
      return r.ok ? done(requestView(r.value, lookup, members)) : r;
    },

    async listRequests(p: Principal, q: ListRequestsQuery): Promise<ServiceResult<AccessRequestList>> {
      const before = decodeCursor(q.cursor);
      if (before === 'invalid') return invalidField('cursor', 'cursor: not a cursor this broker issued');
      const base = {
        limit: PAGE_SIZE + 1,
        ...(q.status ? { status: q.status } : {}),
        ...(before ? { before } : {}),
      };
      let rows: AccessRequest[];
      if (q.mine !== 'true' && (isAuditor(p) || isAdmin(p))) {
        rows = await listRequests(db, base);
      } else {
        rows = await listRequests(db, { ...base, requester: p.user });
        if (q.mine !== 'true' && p.groups.length > 0) {
          const queue = await listRequests(db, { ...base, approverGroups: p.groups });
          const seen = new Set(rows.map((r) => r.id));
          rows = [...rows, ...queue.filter((r) => !seen.has(r.id))].sort(newestFirst);
        }
      }
      const page = rows.slice(0, PAGE_SIZE);
      const last = page[page.length - 1];
      return done({
        items: page.map((r) => requestView(r, lookup, members)),
        nextCursor: rows.length > PAGE_SIZE && last ? encodeCursor(last.createdAt, last.id) : null,
      });
    },

    approveRequest: (p: Principal, id: string, body: DecisionBody) => review(p, id, body, 'approve'),
    denyRequest: (p: Principal, id: string, body: DecisionBody) => review(p, id, body, 'deny'),

    async cancelRequest(
      p: Principal,
      id: string,
      body: DecisionBody,
    ): Promise<ServiceResult<AccessRequestView>> {
      return transact(async (tx) => {
        const loaded = await loadVisibleRequest(tx, p, id);
        if (!loaded.ok) return loaded;
        const r = loaded.value;
        // The requester's reason stays in the audit trail with the cancellation.
        const step = cancel(r, p.user, now(), body.comment ?? null);
        if (!step.ok) return fromDomain(step.error);
        await saveR(tx, step.value, r.version);
        await record(tx, step.events, requestAudience(step.value), p.user, {
          request: step.value,
          grant: null,
        });
        return done(requestView(step.value, lookup, members));
      });
    },

    async getGrant(p: Principal, id: string): Promise<ServiceResult<GrantView>> {
      const g = await loadVisibleGrant(db, p, id);
      return g.ok ? done(grantView(g.value, lookup)) : g;
    },

    async listGrants(p: Principal, q: ListGrantsQuery): Promise<ServiceResult<GrantList>> {
      const before = decodeCursor(q.cursor);
      if (before === 'invalid') return invalidField('cursor', 'cursor: not a cursor this broker issued');
      const mineOnly = q.mine === 'true' || p.groups.length === 0;
      // Grants are few per user; the visibility filter runs here over the newest MAX_LIST_LIMIT.
      const rows = (
        await listGrants(db, {
          ...(mineOnly ? { user: p.user } : {}),
          ...(q.status ? { status: q.status } : {}),
          limit: MAX_LIST_LIMIT,
        })
      ).filter(
        (g) =>
          canSeeGrant(p, g) &&
          (!before ||
            g.startsAt.getTime() < before.createdAt.getTime() ||
            (g.startsAt.getTime() === before.createdAt.getTime() && g.id < before.id)),
      );
      const page = rows.slice(0, PAGE_SIZE);
      const last = page[page.length - 1];
      return done({
        items: page.map((g) => grantView(g, lookup)),
        nextCursor: rows.length > PAGE_SIZE && last ? encodeCursor(last.startsAt, last.id) : null,
      });
    },

    async extendGrant(p: Principal, id: string, body: ExtendBody): Promise<ServiceResult<AccessRequestView>> {
      const loaded = await loadVisibleGrant(db, p, id);
      if (!loaded.ok) return loaded;
      const g = loaded.value;
      if (g.user !== p.user) return refuse('forbidden', 'only the holder of a grant can ask to extend it');
      if (g.status !== 'active')
        return refuse('conflict', `only an active grant can be extended (this one is ${g.status})`);
      const target = lookup(g.target);
      if (!target) return refuse('conflict', 'the grant’s target is no longer configured');
      return submit(p, target, {
        target: g.target,
        actions: g.actions,
        resource: g.resource,
        durationMinutes: body.durationMinutes,
        justification: body.justification,
        ticket: null,
        denial: null,
        linkedGrantId: g.id,
      });
    },

    async revokeGrant(p: Principal, id: string, body: RevokeBody): Promise<ServiceResult<GrantView>> {
      const result = await transact(async (tx) => {
        const loaded = await loadVisibleGrant(tx, p, id);
        if (!loaded.ok) return loaded;
        const g = loaded.value;
        const request = await getRequest(tx, g.requestId);
        if (!request) return refuse('not_found', `no request behind grant ${id}`);
        const permission = policy.canRevoke({
          actor: p.user,
          groups: p.groups,
          request: policyRequest(request),
        });
        if (!permission.allowed) {
          return refuse('forbidden', permission.advice[0] ?? 'you may not revoke this grant', {
            advice: permission.advice,
          });
        }
        const step = revoke(g, p.user, now(), body.reason ?? null);
        if (!step.ok) return fromDomain(step.error);
        await saveG(tx, step.value, g.version);
        await record(
          tx,
          step.events,
          { users: [g.user], groups: [...request.policy.approverGroups] },
          p.user,
          { request, grant: step.value },
        );
        return done(grantView(step.value, lookup));
      });
      if (result.ok) deps.onGrantsChanged?.([id]);
      return result;
    },

    me(p: Principal): Promise<ServiceResult<MeView>> {
      const approverGroups = new Set(config.targets.map((t) => t.approverGroup));
      return Promise.resolve(
        done({
          user: p.user,
          displayName: config.users.find((u) => u.name === p.user)?.displayName ?? null,
          groups: [...p.groups],
          approver: p.groups.some((g) => approverGroups.has(g)),
          auditor: isAuditor(p) || isAdmin(p),
        }),
      );
    },

    async landGrant(p: Principal, id: string, body: LandingBody): Promise<ServiceResult<LandingView>> {
      const loaded = await loadVisibleGrant(db, p, id);
      if (!loaded.ok) return loaded;
      const g = loaded.value;
      // The landing URL signs its holder into the cloud as this grant: only the grant holder gets it.
      if (g.user !== p.user) return refuse('forbidden', 'only the holder of a grant can land on it');
      if (g.status !== 'active') return refuse('conflict', `the grant is ${g.status}, not active`);
      const served = serving(g.target);
      if (!served.ok) return served;
      const landing = await served.value.landing(
        g,
        await providerRef(id),
        await identitiesOf(p.user),
        body.destination ?? null,
      );
      // Who received a way into the console, and when (never the URL itself: it is a credential).
      await appendAudit(db, {
        actor: p.user,
        type: 'grant.landing-issued',
        subject: g.id,
        details: { kind: landing.kind, destination: body.destination ?? null },
        at: now(),
      });
      return done(landing);
    },

    async listGrantActivity(p: Principal, id: string): Promise<ServiceResult<ActivityList>> {
      const loaded = await loadVisibleGrant(db, p, id);
      if (!loaded.ok) return loaded;
      const g = loaded.value;
      const served = serving(g.target);
      if (!served.ok) return served;
      if (!served.value.activity) return done({ items: [] });
      const items = await served.value.activity(g, await providerRef(id), await identitiesOf(g.user));
      return done({ items: [...items] });
    },

    async previewRequest(p: Principal, id: string): Promise<ServiceResult<PreviewView>> {
      const loaded = await loadVisibleRequest(db, p, id);
      if (!loaded.ok) return loaded;
      const r = loaded.value;
      const served = serving(r.target);
      if (!served.ok) return served;
      const provisioner = served.value;
      if (!provisioner.preview) {
        return done({
          provisioner: provisioner.name,
          summary: `${r.actions.join(', ')} on ${r.resource ?? 'any resource'} in ${r.target.account}`,
        });
      }
      const preview = await provisioner.preview(r.target, r.actions, r.resource);
      return done({
        provisioner: provisioner.name,
        summary: preview.summary,
        ...(preview.sessionPolicy === undefined ? {} : { sessionPolicy: preview.sessionPolicy }),
        ...(preview.role ? { role: { ...preview.role } } : {}),
        ...(preview.alsoGrants ? { alsoGrants: [...preview.alsoGrants] } : {}),
        ...(preview.notes ? { notes: [...preview.notes] } : {}),
      });
    },

    async decodeDenial(p: Principal, body: DecodeBody): Promise<ServiceResult<DecodedView>> {
      const target = lookup(body.target);
      if (!target) {
        return invalidField(
          'target.account',
          `target.account: ${body.target.account} is not a ${body.target.cloud} target this broker manages`,
        );
      }
      const served = serving(target);
      if (!served.ok) return served;
      const decoded = served.value.decode ? await served.value.decode(target, body.encodedMessage) : null;
      if (!decoded) {
        return invalidField('encodedMessage', `encodedMessage: ${target.cloud} cannot decode this message`);
      }
      await appendAudit(db, {
        actor: p.user,
        type: 'denial.decoded',
        subject: `${target.cloud}:${target.account}`,
        details: { actions: [...decoded.actions], resource: decoded.resource },
        at: now(),
      });
      return done({
        actions: decoded.actions.map((action) => ({ action, risk: actionRisk(target.cloud, action) })),
        resource: decoded.resource,
        summary: decoded.summary,
      });
    },

    async listAudit(p: Principal, q: ListAuditQuery): Promise<ServiceResult<AuditList>> {
      if (!isAuditor(p) && !isAdmin(p)) {
        return refuse(
          'forbidden',
          `the audit log is for auditors (groups: ${config.auditorGroups.join(', ')})`,
        );
      }
      const after = q.after === undefined ? 0 : Number(q.after);
      const limit = Math.min(Math.max(q.limit === undefined ? 100 : Number(q.limit), 1), MAX_LIST_LIMIT);
      const rows = await readAudit(db, after, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return done({
        items: page,
        nextCursor: rows.length > limit && last ? String(last.seq) : null,
      });
    },
  };
}

function targetKey(t: Pick<Target, 'cloud' | 'account'>): string {
  // Azure subscription ids are GUIDs, compared case-insensitively by Azure itself.
  return `${t.cloud}:${t.account.toLowerCase()}`;
}

function newestFirst(a: AccessRequest, b: AccessRequest): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

function decodeCursor(cursor: string | undefined): { createdAt: Date; id: string } | undefined | 'invalid' {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string') {
      const createdAt = new Date(value[0]);
      if (!Number.isNaN(createdAt.getTime())) return { createdAt, id: value[1] };
    }
  } catch {
    // fall through
  }
  return 'invalid';
}
