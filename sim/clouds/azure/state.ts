/**
 * The Azure fake's state, shared by Entra, ARM and PIM: the tenant's subscriptions and principals,
 * the role catalogue, issued tokens, every role assignment (PIM or plain) and the stored request
 * objects, the Activity Log, injected faults and the request log. Plus the scope arithmetic they
 * all use (which scope contains which, which assignment is active).
 */
import type { FakeClock } from '../clock';
import { BUILT_IN_ROLES, DATA_OPERATIONS, type FakeRoleDefinition } from './catalogue';
import type {
  AzureFakeOptions,
  AzureFakePimPolicy,
  AzureFakePrincipal,
  FakeAssignment,
  FakeFailure,
  LoggedRequest,
} from './types';
import { ArmFailure } from './wire';

/** An unfinished schedule request: the status at which it takes effect, the effect, the statuses still to come. */
export interface RequestProgress {
  readonly effect: { readonly at: string; readonly apply: () => void };
  readonly remaining: string[];
}

/** Everything the fake's APIs share; one per running fake. */
export interface AzureState {
  readonly clock: FakeClock;
  readonly tenantId: string;
  readonly brokerClientId: string;
  readonly brokerClientSecret: string;
  /** The broker's service principal object id (in tokens and `AuthorizationFailed` messages). */
  readonly brokerObjectId: string;
  readonly pimPolicy: AzureFakePimPolicy;
  /** Per-role PIM settings by lower-case role definition GUID. */
  readonly pimPolicyByRole: ReadonlyMap<string, AzureFakePimPolicy>;
  readonly tokenLifetimeSeconds: number;
  readonly rolesPerPage: number;
  readonly eventsPerPage: number;
  /** Subscription ids by their lower-case form. */
  readonly subscriptions: ReadonlyMap<string, string>;
  /** Principals by lower-case object id. */
  readonly principals: ReadonlyMap<string, AzureFakePrincipal>;
  /** Role definitions by lower-case name (GUID). */
  readonly roles: ReadonlyMap<string, FakeRoleDefinition>;
  /** Data-plane operations, lower-case (they match `dataActions`, not `actions`). */
  readonly dataOperations: ReadonlySet<string>;
  /** Access tokens issued. */
  readonly issued: Set<string>;
  readonly assignments: FakeAssignment[];
  /** Schedule requests by lower-case id. */
  readonly scheduleRequests: Map<string, Record<string, unknown>>;
  /** Where each unfinished schedule request goes next, by lower-case id. */
  readonly requestProgress: Map<string, RequestProgress>;
  /** Status scripts for the next schedule requests, oldest first (`scriptNextRequest`). */
  readonly requestScripts: string[][];
  /** Plain role assignments by lower-case id. */
  readonly plainAssignments: Map<string, Record<string, unknown>>;
  readonly events: Record<string, unknown>[];
  readonly faults: { remaining: number; failure: FakeFailure }[];
  readonly requests: LoggedRequest[];
  tokensIssued: number;
  /** The fake's base URL (login and ARM alike), known once it listens. */
  base: string;
}

export function createAzureState(options: AzureFakeOptions): AzureState {
  return {
    clock: options.clock,
    tenantId: options.tenantId,
    brokerClientId: options.brokerClientId,
    brokerClientSecret: options.brokerClientSecret,
    brokerObjectId: options.brokerObjectId ?? '99999999-0000-4000-8000-000000000001',
    pimPolicy: options.pimPolicy ?? {},
    pimPolicyByRole: new Map(
      Object.entries(options.pimPolicyByRole ?? {}).map(([role, policy]) => [role.toLowerCase(), policy]),
    ),
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3599,
    rolesPerPage: options.pageSize?.roleDefinitions ?? 4,
    eventsPerPage: options.pageSize?.activity ?? 2,
    subscriptions: new Map(options.subscriptions.map((s) => [s.toLowerCase(), s])),
    principals: new Map(options.principals.map((p) => [p.objectId.toLowerCase(), p])),
    roles: new Map(BUILT_IN_ROLES.map((r) => [r.name.toLowerCase(), r])),
    dataOperations: new Set(DATA_OPERATIONS.map((o) => o.toLowerCase())),
    issued: new Set(),
    assignments: [],
    scheduleRequests: new Map(),
    requestProgress: new Map(),
    requestScripts: [],
    plainAssignments: new Map(),
    events: [],
    faults: [],
    requests: [],
    tokensIssued: 0,
    base: '',
  };
}

/** Whether an assignment is in force at `now`: started, not yet ended, not removed. */
export const isActive = (state: AzureState, a: FakeAssignment, now = state.clock.now()) =>
  a.removedAt === null &&
  a.startsAt.getTime() <= now.getTime() &&
  (a.endsAt === null || now.getTime() < a.endsAt.getTime());

/** Whether `scope` contains `resource` (ARM ids compare case-insensitively; a scope covers its children). */
export const covers = (scope: string, resource: string) => {
  const s = scope.toLowerCase();
  const r = resource.toLowerCase();
  return r === s || r.startsWith(`${s}/`);
};

export const sameScope = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The active assignment of this role to this principal at exactly this scope (of this kind, unless null). */
export const findActive = (
  state: AzureState,
  kind: FakeAssignment['kind'] | null,
  principalId: string,
  role: string,
  scope: string,
) =>
  state.assignments.find(
    (a) =>
      (kind === null || a.kind === kind) &&
      a.principalId.toLowerCase() === principalId.toLowerCase() &&
      a.roleDefinitionName.toLowerCase() === role.toLowerCase() &&
      sameScope(a.scope, scope) &&
      isActive(state, a),
  );

/** `/subscriptions/{sub}[/…]` → the subscription as configured; 404 for unknown ones. */
export function subscriptionOf(state: AzureState, scope: string): string {
  const m = /^\/subscriptions\/([^/]+)(?:\/|$)/i.exec(scope);
  const sub = m ? state.subscriptions.get(m[1]!.toLowerCase()) : undefined;
  if (!m) throw new ArmFailure(400, 'InvalidScope', `The scope '${scope}' is not valid.`);
  if (!sub)
    throw new ArmFailure(404, 'SubscriptionNotFound', `The subscription '${m[1]!}' could not be found.`);
  return sub;
}
