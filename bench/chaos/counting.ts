/**
 * What a chaos run counts, as pure functions of what it recorded, what the store holds and what
 * the clouds hold (the `npm run sim:clouds` state API), so they can be tested on crafted states:
 * - lost requests: the API answered 201 for them, the store does not have them;
 * - lost approvals: the API acknowledged the approval, the request is not approved with a grant;
 * - duplicate grants: a request linked to more than one live grant;
 * - orphaned access: access live in a cloud that no active grant owns (by its provider ref);
 * - active grants without access: an active grant whose access is not live in its cloud.
 * Access is keyed per cloud by what the broker's provider ref names (server/clouds/<cloud>/ref.ts,
 * server/clouds/aws/session.ts): GCP project, member, role and condition title; Azure scope, role
 * definition and principal; AWS role and session name; sim entitlements by grant id.
 */
import type { CloudsState } from '../../sim/clouds/standalone/state';

export interface StoredGrant {
  readonly id: string;
  readonly requestId: string;
  readonly status: string;
  readonly expiresAt: Date;
  readonly providerRef: Readonly<Record<string, unknown>> | null;
}

export interface StoredRequest {
  readonly id: string;
  readonly status: string;
  readonly grantId: string | null;
  /** The grant an extension request would lengthen (null for a request for new access). */
  readonly linkedGrantId?: string | null;
}

export interface ChaosCounts {
  readonly lostRequests: readonly string[];
  readonly lostApprovals: readonly string[];
  readonly duplicateGrants: readonly string[];
  /** Access keys (see `accessKeysOfRef`) live in a cloud with no active grant owning them. */
  readonly orphanedAccess: readonly string[];
  /** Active grants whose access is not (all) live: `<id> (<provider ref kind>)`. */
  readonly activeWithoutAccess: readonly string[];
}

/** Statuses in which a grant may still hold access (lib/contract/status.ts GRANT_LIVE_STATUSES). */
const FINISHED = new Set(['revoked', 'ended', 'failed']);

const lower = (v: unknown) => String(v).toLowerCase();
const lastSegment = (id: string) => id.split('/').filter(Boolean).pop() ?? id;

/** The access units a grant's provider ref names, as keys comparable with `liveAccessKeys`. */
export function accessKeysOfRef(grantId: string, ref: Readonly<Record<string, unknown>> | null): string[] {
  if (ref === null) return [];
  switch (ref.kind) {
    case 'gcp-iam-binding': {
      const roles = Array.isArray(ref.roles) ? (ref.roles as unknown[]) : [];
      return roles.map(
        (role) =>
          `gcp|${String(ref.project)}|${String(ref.member)}|${String(role)}|${String(ref.conditionTitle)}`,
      );
    }
    case 'azure':
      return [
        `azure|${lower(ref.scope)}|${lower(lastSegment(String(ref.roleDefinitionId)))}|${lower(ref.principalId)}`,
      ];
    case 'aws':
      return [`aws|${String(ref.roleArn)}|${String(ref.sessionName)}`];
    case 'sim':
      return [`sim|${grantId}`];
    default:
      return [`unknown|${grantId}`];
  }
}

/**
 * Every access unit live in the clouds now. GCP: only bindings the broker writes (a condition
 * titled `unblock …`), not the projects' own; AWS: sessions still allowed their policy.
 */
export function liveAccessKeys(state: CloudsState): Set<string> {
  const keys = new Set<string>();
  for (const b of state.gcp.bindings) {
    if (!b.live || !b.conditionTitle?.startsWith('unblock ')) continue;
    for (const m of b.members) keys.add(`gcp|${b.project}|${m}|${b.role}|${b.conditionTitle}`);
  }
  for (const a of state.azure.assignments) {
    if (a.live) keys.add(`azure|${lower(a.scope)}|${lower(a.roleDefinitionName)}|${lower(a.principalId)}`);
  }
  for (const s of state.aws.sessions) if (s.live) keys.add(`aws|${s.roleArn}|${s.sessionName}`);
  for (const e of state.sim.entitlements)
    if (Date.parse(e.expiresAt) > Date.parse(state.now)) keys.add(`sim|${e.grantId}`);
  return keys;
}

/** Active at `now`: status `active` and not yet expired. */
export const isActive = (g: StoredGrant, now: Date) => g.status === 'active' && g.expiresAt > now;

export function lostRequests(filed: readonly string[], stored: readonly StoredRequest[]): string[] {
  const ids = new Set(stored.map((r) => r.id));
  return [...new Set(filed)].filter((id) => !ids.has(id));
}

/**
 * Approvals the API acknowledged that did not end approved with a grant. An approved extension
 * whose grant had already ended (or was being taken away) by the approval applies to nothing
 * (server/service/approval.ts): not lost, as long as its linked grant is no longer active.
 */
export function lostApprovals(
  approved: readonly string[],
  stored: readonly StoredRequest[],
  grants: readonly StoredGrant[] = [],
): string[] {
  const byId = new Map(stored.map((r) => [r.id, r]));
  const grantStatus = new Map(grants.map((g) => [g.id, g.status]));
  const extendedNothing = (r: StoredRequest) =>
    r.linkedGrantId != null &&
    grantStatus.has(r.linkedGrantId) &&
    grantStatus.get(r.linkedGrantId) !== 'active';
  return [...new Set(approved)]
    .filter((id) => {
      const r = byId.get(id);
      return !r || r.status !== 'approved' || (r.grantId === null && !extendedNothing(r));
    })
    .map((id) => {
      const r = byId.get(id);
      return `${id} (${r ? `${r.status}, ${r.grantId ?? 'no grant'}` : 'not stored'})`;
    });
}

/**
 * Requests with more than one grant that may still hold access: its own grant row (grants are
 * unique per request in the store) and the grant it points at (a merged or extending request
 * points at the grant it joined) when those differ.
 */
export function duplicateGrants(
  grants: readonly StoredGrant[],
  requests: readonly StoredRequest[],
): string[] {
  const live = new Set(grants.filter((g) => !FINISHED.has(g.status)).map((g) => g.id));
  const linked = new Map<string, Set<string>>();
  const link = (requestId: string, grantId: string) => {
    if (!live.has(grantId)) return;
    const set = linked.get(requestId) ?? new Set<string>();
    set.add(grantId);
    linked.set(requestId, set);
  };
  for (const g of grants) link(g.requestId, g.id);
  for (const r of requests) if (r.grantId !== null) link(r.id, r.grantId);
  return [...linked]
    .filter(([, ids]) => ids.size > 1)
    .map(([id]) => id)
    .sort();
}

export function orphanedAccess(state: CloudsState, grants: readonly StoredGrant[], now: Date): string[] {
  const owned = new Set(
    grants.filter((g) => isActive(g, now)).flatMap((g) => accessKeysOfRef(g.id, g.providerRef)),
  );
  return [...liveAccessKeys(state)].filter((k) => !owned.has(k)).sort();
}

export function activeWithoutAccess(state: CloudsState, grants: readonly StoredGrant[], now: Date): string[] {
  const live = liveAccessKeys(state);
  return grants
    .filter((g) => isActive(g, now))
    .filter((g) => {
      const keys = accessKeysOfRef(g.id, g.providerRef);
      return keys.length === 0 || keys.some((k) => !live.has(k));
    })
    .map(
      (g) => `${g.id} (${typeof g.providerRef?.kind === 'string' ? g.providerRef.kind : 'no provider ref'})`,
    )
    .sort();
}

export function countAll(input: {
  filed: readonly string[];
  approved: readonly string[];
  requests: readonly StoredRequest[];
  grants: readonly StoredGrant[];
  state: CloudsState;
  now: Date;
}): ChaosCounts {
  return {
    lostRequests: lostRequests(input.filed, input.requests),
    lostApprovals: lostApprovals(input.approved, input.requests, input.grants),
    duplicateGrants: duplicateGrants(input.grants, input.requests),
    orphanedAccess: orphanedAccess(input.state, input.grants, input.now),
    activeWithoutAccess: activeWithoutAccess(input.state, input.grants, input.now),
  };
}

/** Whether the run failed: any count above zero. */
export const anyCounted = (c: ChaosCounts) =>
  c.lostRequests.length +
    c.lostApprovals.length +
    c.duplicateGrants.length +
    c.orphanedAccess.length +
    c.activeWithoutAccess.length >
  0;
