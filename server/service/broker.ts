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
 *
 * This file composes the use cases, written by capability: requests.ts (create, get, list,
 * cancel), approval.ts (approve, deny, and the grant an approval makes), grants.ts (get, list,
 * extend, revoke, landing, activity, preview, decode), tokens.ts (API tokens: list, revoke) and
 * visibility.ts (who can see what), over the shared context.ts.
 */
import type {
  CreateRequestBody,
  DecisionBody,
  DecodeBody,
  ExtendBody,
  LandingBody,
  ListAuditQuery,
  ListGrantsQuery,
  ListRequestsQuery,
  RevokeBody,
} from '../../lib/contract/api';
import type { ListTokensQuery } from '../../lib/contract/tokens';
import type { Principal } from '../auth/principal';
import type { TargetRef } from '../config/targets';
import { reviewRequest } from './approval';
import { createBrokerContext, type BrokerDeps } from './context';
import * as grants from './grants';
import * as requests from './requests';
import * as tokens from './tokens';
import { listAudit, me } from './visibility';

export type { BrokerDeps } from './context';
export type { TransitionHook } from './transition';

export type Broker = ReturnType<typeof createBroker>;

export function createBroker(deps: BrokerDeps) {
  const ctx = createBrokerContext(deps);
  return {
    /** The configured target for a cloud account, if any. */
    target: (t: TargetRef) => ctx.targets.find(t),
    createRequest: (p: Principal, body: CreateRequestBody) => requests.createRequest(ctx, p, body),
    getRequest: (p: Principal, id: string) => requests.getRequest(ctx, p, id),
    listRequests: (p: Principal, q: ListRequestsQuery) => requests.listRequests(ctx, p, q),
    approveRequest: (p: Principal, id: string, body: DecisionBody) =>
      reviewRequest(ctx, p, id, body, 'approve'),
    denyRequest: (p: Principal, id: string, body: DecisionBody) => reviewRequest(ctx, p, id, body, 'deny'),
    cancelRequest: (p: Principal, id: string, body: DecisionBody) => requests.cancelRequest(ctx, p, id, body),
    getGrant: (p: Principal, id: string) => grants.getGrant(ctx, p, id),
    listGrants: (p: Principal, q: ListGrantsQuery) => grants.listGrants(ctx, p, q),
    extendGrant: (p: Principal, id: string, body: ExtendBody) => grants.extendGrant(ctx, p, id, body),
    revokeGrant: (p: Principal, id: string, body: RevokeBody) => grants.revokeGrant(ctx, p, id, body),
    me: (p: Principal) => me(ctx, p),
    landGrant: (p: Principal, id: string, body: LandingBody) => grants.landGrant(ctx, p, id, body),
    listGrantActivity: (p: Principal, id: string) => grants.listGrantActivity(ctx, p, id),
    previewRequest: (p: Principal, id: string) => grants.previewRequest(ctx, p, id),
    decodeDenial: (p: Principal, body: DecodeBody) => grants.decodeDenial(ctx, p, body),
    listAudit: (p: Principal, q: ListAuditQuery) => listAudit(ctx, p, q),
    listTokens: (p: Principal, q: ListTokensQuery) => tokens.listTokens(ctx, p, q),
    revokeToken: (p: Principal, id: string) => tokens.revokeToken(ctx, p, id),
  };
}
