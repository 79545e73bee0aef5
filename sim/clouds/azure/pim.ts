/**
 * Privileged Identity Management's schedule requests on ARM (docs/cloud-mechanics.md §2.3):
 * `AdminAssign`, `AdminRemove`, `AdminUpdate`/`Extend`/`Renew`, checked against the role's PIM
 * policy (./pim-policy.ts), read back and cancelled. A request moves through PIM's statuses; by
 * default straight to `Provisioned` (`Revoked` for a removal), or along a script a test sets
 * (`scriptNextRequest`), the assignment appearing (or going) when the request reaches that status.
 * While a request is still pending, another for the same principal, role and scope is refused
 * with `RoleAssignmentRequestExists` (the code PIM clients meet; undocumented).
 */
import { randomUUID } from 'node:crypto';
import type { FakeRoleDefinition } from './catalogue';
import { principalOf } from './entra';
import { expandedProperties } from './pim-instances';
import { checkAdminSchedule, FIVE_MINUTES } from './pim-policy';
import { roleById } from './role-definitions';
import {
  covers,
  findActive,
  sameScope,
  subscriptionOf,
  type AzureState,
  type RequestProgress,
} from './state';
import type { FakeAssignment } from './types';
import { ArmFailure, GUID, isObject, str, type Reply } from './wire';

const REQUEST_TYPES = [
  'AdminAssign',
  'AdminRemove',
  'AdminUpdate',
  'AdminExtend',
  'AdminRenew',
  'SelfActivate',
  'SelfDeactivate',
  'SelfExtend',
  'SelfRenew',
];

/** Statuses after which nothing more happens to a request; any other is still pending (cancellable). */
const FINAL = new Set([
  'Provisioned',
  'Revoked',
  'Canceled',
  'Denied',
  'Failed',
  'FailedAsResourceIsLocked',
  'AdminDenied',
  'TimedOut',
  'Invalid',
]);
/** Statuses in which a request waits for a PIM approver (it then has an `approvalId`). */
const AWAITING_APPROVAL = new Set(['PendingApproval', 'PendingApprovalProvisioning', 'PendingAdminDecision']);

/** A schedule request's target, as checked: who gets which role where, and how. */
interface RequestTarget {
  readonly requestType: string;
  readonly subscription: string;
  readonly name: string;
  readonly scope: string;
  readonly principalId: string;
  readonly role: FakeRoleDefinition;
  readonly properties: Record<string, unknown>;
}

const scheduleJson = (start: Date, end: Date | null) => ({
  startDateTime: start.toISOString(),
  expiration:
    end === null
      ? { type: 'NoExpiration', endDateTime: null, duration: null }
      : { type: 'AfterDateTime', endDateTime: end.toISOString(), duration: null },
});

/** The request's type, principal and role, checked; `Self*` requests are refused (no eligibility here). */
function requestTarget(state: AzureState, scope: string, name: string, body: unknown): RequestTarget {
  const subscription = subscriptionOf(state, scope);
  if (!GUID.test(name)) {
    throw new ArmFailure(
      400,
      'InvalidRoleAssignmentScheduleRequestName',
      `The role assignment schedule request name '${name}' is not a valid GUID.`,
    );
  }
  const properties = isObject(body) && isObject(body.properties) ? body.properties : null;
  if (!properties)
    throw new ArmFailure(
      400,
      'InvalidRequestContent',
      "The request content must have a 'properties' object.",
    );
  const requestType = str(properties.requestType) ?? '';
  if (!REQUEST_TYPES.includes(requestType)) {
    throw new ArmFailure(
      400,
      'InvalidRequestType',
      `The request type '${requestType}' is not valid. Valid types are ${REQUEST_TYPES.join(', ')}.`,
    );
  }
  const principalId = principalOf(state, properties.principalId);
  const role = roleById(state, properties.roleDefinitionId, subscription);
  if (requestType.startsWith('Self')) {
    throw new ArmFailure(
      400,
      'RoleAssignmentRequestPolicyValidationFailed',
      'The following policy rules failed: ["EligibilityRule"]',
    );
  }
  return { name, scope, principalId, role, properties, requestType, subscription };
}

/** What a request does once it reaches its effect status, and that status. */
type Effect = RequestProgress['effect'] & {
  readonly at: 'Provisioned' | 'Revoked';
  readonly schedule: Record<string, unknown> | null;
};

/** `AdminAssign`: a new active assignment for the checked schedule. */
function adminAssign(state: AzureState, t: RequestTarget, existing: FakeAssignment | undefined): Effect {
  if (existing) throw new ArmFailure(400, 'RoleAssignmentExists', 'The Role assignment already exists.');
  const schedInfo = isObject(t.properties.scheduleInfo) ? t.properties.scheduleInfo : {};
  const requestedStart = Date.parse(str(schedInfo.startDateTime) ?? '');
  const start = new Date(Number.isNaN(requestedStart) ? state.clock.now().getTime() : requestedStart);
  const end = checkAdminSchedule(state, t.role, t.properties, start);
  const apply = () => {
    const now = state.clock.now();
    state.assignments.push({
      kind: 'pim',
      name: t.name,
      principalId: t.principalId,
      roleDefinitionName: t.role.name,
      roleName: t.role.roleName,
      scope: t.scope,
      startsAt: start,
      endsAt: end,
      activatedAt: new Date(Math.max(start.getTime(), now.getTime())),
      removedAt: null,
      condition: str(t.properties.condition),
      conditionVersion: str(t.properties.conditionVersion),
    });
  };
  return { at: 'Provisioned', apply, schedule: scheduleJson(start, end) };
}

/** `AdminRemove`: ends the active assignment, no sooner than 5 minutes after it became active. */
function adminRemove(state: AzureState, existing: FakeAssignment | undefined): Effect {
  if (!existing)
    throw new ArmFailure(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
  if (state.clock.now().getTime() - existing.activatedAt.getTime() < FIVE_MINUTES) {
    throw new ArmFailure(
      400,
      'ActiveDurationTooShort',
      `The role assignment was activated at ${existing.activatedAt.toISOString()} and cannot be removed until 5 minutes after its activation.`,
    );
  }
  return { at: 'Revoked', apply: () => (existing.removedAt = state.clock.now()), schedule: null };
}

/** `AdminUpdate` / `AdminExtend` / `AdminRenew`: a new schedule for the active assignment. */
function adminReschedule(state: AzureState, t: RequestTarget, existing: FakeAssignment | undefined): Effect {
  if (!existing)
    throw new ArmFailure(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
  const end = checkAdminSchedule(state, t.role, t.properties, existing.startsAt);
  return {
    at: 'Provisioned',
    apply: () => (existing.endsAt = end),
    schedule: scheduleJson(existing.startsAt, end),
  };
}

/** Sets a stored request's status, applying its effect when it reaches the effect's status. */
function moveTo(state: AzureState, id: string, status: string): void {
  const stored = state.scheduleRequests.get(id)!;
  const p = stored.properties as Record<string, unknown>;
  p.status = status;
  p.approvalId = AWAITING_APPROVAL.has(status) ? (str(p.approvalId) ?? randomUUID()) : null;
  const progress = state.requestProgress.get(id);
  if (progress && status === progress.effect.at) progress.effect.apply();
  if (FINAL.has(status)) state.requestProgress.delete(id);
}

/** A request still pending for this principal, role and scope, if any. */
function pendingFor(state: AzureState, t: RequestTarget) {
  return [...state.scheduleRequests.entries()].find(([, stored]) => {
    const p = stored.properties as Record<string, unknown>;
    return (
      !FINAL.has(String(p.status)) &&
      str(p.principalId)?.toLowerCase() === t.principalId.toLowerCase() &&
      str(p.roleDefinitionId)?.toLowerCase().endsWith(`/${t.role.name.toLowerCase()}`) &&
      sameScope(str(p.scope) ?? '', t.scope)
    );
  });
}

/** `PUT …/roleAssignmentScheduleRequests/{guid}`. */
function putScheduleRequest(state: AzureState, scope: string, name: string, body: unknown) {
  const t = requestTarget(state, scope, name, body);
  const pending = pendingFor(state, t);
  if (pending) {
    throw new ArmFailure(
      400,
      'RoleAssignmentRequestExists',
      `A role assignment request with Id: ${String(pending[1].name)} already exists.`,
    );
  }
  const existing =
    findActive(state, 'pim', t.principalId, t.role.name, scope) ??
    findActive(state, null, t.principalId, t.role.name, scope);
  const effect =
    t.requestType === 'AdminAssign'
      ? adminAssign(state, t, existing)
      : t.requestType === 'AdminRemove'
        ? adminRemove(state, existing)
        : adminReschedule(state, t, existing);
  const id = `${scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${name}`;
  const ticket = isObject(t.properties.ticketInfo) ? t.properties.ticketInfo : {};
  state.scheduleRequests.set(id.toLowerCase(), {
    properties: {
      targetRoleAssignmentScheduleId: `${scope}/providers/Microsoft.Authorization/roleAssignmentSchedules/${name}`,
      targetRoleAssignmentScheduleInstanceId: null,
      scope,
      roleDefinitionId: `/subscriptions/${t.subscription}/providers/Microsoft.Authorization/roleDefinitions/${t.role.name}`,
      principalId: t.principalId,
      principalType: 'User',
      requestType: t.requestType,
      status: 'Accepted',
      approvalId: null,
      scheduleInfo: effect.schedule,
      ticketInfo: { ticketNumber: str(ticket.ticketNumber), ticketSystem: str(ticket.ticketSystem) },
      justification: str(t.properties.justification),
      requestorId: state.brokerObjectId,
      createdOn: state.clock.now().toISOString(),
      condition: str(t.properties.condition),
      conditionVersion: str(t.properties.conditionVersion),
      expandedProperties: expandedProperties(state, scope, t.role, t.principalId),
    },
    name,
    id,
    type: 'Microsoft.Authorization/RoleAssignmentScheduleRequests',
  });
  const [first = effect.at, ...rest] = state.requestScripts.shift() ?? [];
  state.requestProgress.set(id.toLowerCase(), { effect, remaining: rest });
  moveTo(state, id.toLowerCase(), first);
  return state.scheduleRequests.get(id.toLowerCase())!;
}

/** `PUT` (create), `GET` (read, moving a scripted request on) or `POST …/cancel`; null for anything else. */
export function scheduleRequestRoute(
  state: AzureState,
  method: string,
  scope: string,
  name: string,
  cancel: boolean,
  body: unknown,
): Reply | null {
  if (method === 'PUT' && !cancel) return { status: 201, body: putScheduleRequest(state, scope, name, body) };
  const id =
    `${scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${name}`.toLowerCase();
  const stored = state.scheduleRequests.get(id);
  if (!stored) {
    subscriptionOf(state, scope);
    throw new ArmFailure(
      404,
      'RoleAssignmentScheduleRequestNotFound',
      `The role assignment schedule request '${name}' could not be found.`,
    );
  }
  const status = String((stored.properties as Record<string, unknown>).status);
  if (method === 'GET' && !cancel) {
    const next = state.requestProgress.get(id)?.remaining.shift();
    if (next) moveTo(state, id, next);
    return { status: 200, body: stored };
  }
  if (method === 'POST' && cancel) {
    // "Cancels a pending role assignment schedule request": one that has not finished.
    if (FINAL.has(status))
      throw new ArmFailure(
        400,
        'RequestCannotBeCancelled',
        `Only pending requests can be cancelled; this one is ${status}.`,
      );
    state.requestProgress.delete(id);
    moveTo(state, id, 'Canceled');
    return { status: 200, body: null };
  }
  return null;
}

/**
 * `GET …/roleAssignmentScheduleRequests?$filter=…` (RoleAssignmentScheduleRequests_ListForScope):
 * the stored requests at, above or below the scope, in the shape `GET` by name answers, filtered
 * as the API documents: `principalId eq '…'` or `assignedTo('…')` (that principal's), `asRequestor()` (the caller's:
 * the broker's), `atScope()` (at or above the scope), or none.
 */
export function listScheduleRequests(state: AzureState, url: URL, scope: string) {
  subscriptionOf(state, scope);
  const filter = url.searchParams.get('$filter');
  const byPrincipal = filter
    ? (/^principalId eq '([^']+)'$/i.exec(filter) ?? /^assignedTo\('([^']+)'\)$/i.exec(filter))
    : null;
  const asRequestor = filter !== null && /^asRequestor\(\)$/i.test(filter);
  const atScope = filter !== null && /^atScope\(\)$/i.test(filter);
  if (filter && !byPrincipal && !asRequestor && !atScope) {
    throw new ArmFailure(400, 'InvalidFilterInQueryString', `The filter '${filter}' is not supported.`);
  }
  const within = (other: string) =>
    atScope
      ? scope.toLowerCase().startsWith(other.toLowerCase())
      : covers(other, scope) || covers(scope, other);
  const value = [...state.scheduleRequests.values()].filter((stored) => {
    const p = stored.properties as Record<string, unknown>;
    if (!within(str(p.scope) ?? '')) return false;
    if (byPrincipal) return str(p.principalId)?.toLowerCase() === byPrincipal[1]!.toLowerCase();
    if (asRequestor) return str(p.requestorId)?.toLowerCase() === state.brokerObjectId.toLowerCase();
    return true;
  });
  return { value };
}
