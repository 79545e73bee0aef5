/**
 * What the broker's use cases (requests.ts, approval.ts, grants.ts, visibility.ts) share: the
 * dependencies with their defaults filled in, the configured targets and groups, and the few
 * steps every use case takes the same way (a compare-and-set transaction, recording a
 * transition, reaching a target's provisioner, asking policy about an existing request).
 */
import { randomUUID } from 'node:crypto';
import type { BrokerConfig, TargetConfig } from '../config/schema';
import { targetIndex, type TargetIndex } from '../config/targets';
import type { AccessRequest, DomainEvent, Target } from '../domain';
import type { PolicyEngine, PolicyRequest, PolicyTarget } from '../policy/engine';
import type { CloudIdentities, Provisioner } from '../provision/types';
import { withCompareAndSet } from '../store/compare-and-set';
import type { Db, Tx } from '../store/db';
import type { EventAudience } from '../store/transitions';
import { done, refuse, type ServiceResult } from './errors';
import { recordEvents, type TransitionHook, type TransitionSubject } from './transition';
import type { GroupMembers, TargetLookup } from './views';

export const MINUTE_MS = 60_000;
/** Items per page of a request or grant listing. */
export const PAGE_SIZE = 50;

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

export interface BrokerContext extends BrokerDeps {
  readonly now: () => Date;
  readonly newId: (kind: 'req' | 'grt') => string;
  /** How long a request may wait for a decision. */
  readonly pendingTtlMs: number;
  /** Provisioning attempts before the worker gives up (config `provisioning.maxAttempts`), for the views. */
  readonly provisionAttempts: number;
  /** The configured targets, found by cloud and account. */
  readonly targets: TargetIndex<TargetConfig>;
  /** `targets.find` as a function value (views name targets with it). */
  readonly lookup: TargetLookup;
  /** The configured users in a group. */
  readonly members: GroupMembers;
}

export function createBrokerContext(deps: BrokerDeps): BrokerContext {
  const targets = targetIndex(deps.config.targets);
  const groupMembers = new Map<string, string[]>();
  for (const u of deps.config.users)
    for (const g of u.groups) groupMembers.set(g, [...(groupMembers.get(g) ?? []), u.name]);
  return {
    ...deps,
    now: deps.now ?? (() => new Date()),
    newId: deps.newId ?? ((kind) => `${kind}_${randomUUID()}`),
    pendingTtlMs: deps.config.pendingTtlHours * 60 * MINUTE_MS,
    provisionAttempts: deps.config.provisioning.maxAttempts,
    targets,
    lookup: (t) => targets.find(t),
    members: (group) => groupMembers.get(group) ?? [],
  };
}

/**
 * Runs `fn` in a transaction, replaying it from scratch when a compare-and-set save lost a race;
 * answers `conflict` when it kept losing.
 */
export function transact<T>(
  ctx: BrokerContext,
  fn: (tx: Tx) => Promise<ServiceResult<T>>,
): Promise<ServiceResult<T>> {
  return withCompareAndSet(ctx.db, fn, {
    onExhausted: () =>
      refuse<T>('conflict', 'the record kept changing while we tried to update it; try again'),
  });
}

/** Records a transition's events (audit, SSE, webhook outbox) for the caller `actor`. */
export function record(
  ctx: BrokerContext,
  tx: Tx,
  events: readonly DomainEvent[],
  audience: EventAudience,
  actor: string,
  subject: TransitionSubject,
): Promise<void> {
  return recordEvents(tx, ctx.onTransition, { events, audience, actor }, subject);
}

/** The provisioner of a configured target (for landing, preview, decode, activity). */
export function serving(
  ctx: BrokerContext,
  t: Pick<Target, 'cloud' | 'account'>,
): ServiceResult<Provisioner> {
  const target = ctx.targets.find(t);
  if (!target) return refuse('conflict', `${t.cloud} ${t.account} is no longer a configured target`);
  if (!ctx.provisionerFor) return refuse('conflict', 'this broker has no provisioner configured');
  return done(ctx.provisionerFor(target));
}

export function identitiesOf(ctx: BrokerContext, user: string): Promise<CloudIdentities> {
  return ctx.identities ? ctx.identities(user) : Promise.resolve({});
}

export function policyTarget(t: TargetConfig): PolicyTarget {
  return {
    id: t.id,
    cloud: t.cloud,
    account: t.account,
    environment: t.environment,
    approverGroup: t.approverGroup,
  };
}

/** An existing request as the approve and revoke policies see it. */
export function policyRequest(ctx: BrokerContext, r: AccessRequest): PolicyRequest {
  const t = ctx.targets.find(r.target);
  return {
    requester: r.requester,
    requesterGroups: ctx.config.users.find((u) => u.name === r.requester)?.groups ?? [],
    target: t
      ? policyTarget(t)
      : { cloud: r.target.cloud, account: r.target.account, environment: r.target.environment },
    actions: r.actions,
    resource: r.resource,
    durationMinutes: r.durationMinutes,
    // Members of these groups may approve too (server/policy/approve.cedar).
    escalatedTo: r.followUp?.escalatedTo ?? [],
  };
}
