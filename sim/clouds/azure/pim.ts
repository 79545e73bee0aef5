/**
 * Privileged Identity Management on ARM (docs/cloud-mechanics.md §2): role assignment schedule
 * requests (`AdminAssign`, `AdminRemove`, `AdminUpdate`/`Extend`/`Renew`), checked against the
 * PIM role settings (maximum duration, justification, ticket, approval), read back and cancelled,
 * and the schedule instances they produce.
 */
import { randomUUID } from 'node:crypto';
import { principalOf } from './entra';
import { roleById } from './role-definitions';
import { covers, findActive, isActive, subscriptionOf, type AzureState } from './state';
import type { FakeAssignment } from './types';
import { ArmFailure, GUID, isObject, str, type Reply } from './wire';

/** PIM's floor: an assignment lasts at least 5 minutes, and cannot be removed sooner after activation. */
const FIVE_MINUTES = 5 * 60_000;
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

/** ISO-8601 durations as PIM takes them (`PT1H`, `PT90M`, `P1DT2H`) → ms; null if unreadable. */
export function parseDuration(text: string): number | null {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text);
  if (!m || text === 'P' || /T$/i.test(text)) return null;
  const [, d, h, min, s] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
}

/** The role settings' maximum active assignment duration (8 h unless configured). */
const maxDurationMs = (state: AzureState) =>
  parseDuration(state.pimPolicy.maxDuration ?? 'PT8H') ?? 8 * 3_600_000;

/** The end a request's `scheduleInfo.expiration` asks for. */
function requestedEnd(properties: Record<string, unknown>, start: Date): Date | null {
  const schedule = isObject(properties.scheduleInfo) ? properties.scheduleInfo : null;
  const expiration = schedule && isObject(schedule.expiration) ? schedule.expiration : null;
  const type = str(expiration?.type);
  if (type === 'AfterDuration') {
    const ms = parseDuration(str(expiration?.duration) ?? '');
    if (ms === null)
      throw new ArmFailure(
        400,
        'InvalidDuration',
        `The duration '${String(expiration?.duration)}' is not a valid ISO-8601 duration.`,
      );
    return new Date(start.getTime() + ms);
  }
  if (type === 'AfterDateTime') {
    const at = Date.parse(str(expiration?.endDateTime) ?? '');
    if (Number.isNaN(at))
      throw new ArmFailure(400, 'InvalidEndDateTime', 'The endDateTime is missing or not a valid date-time.');
    return new Date(at);
  }
  if (type === 'NoExpiration' || type === null) return null;
  throw new ArmFailure(400, 'InvalidExpirationType', `The expiration type '${type}' is not valid.`);
}

/** PIM's policy checks on a schedule; throws Azure's errors. Returns the schedule's end. */
function checkSchedule(state: AzureState, properties: Record<string, unknown>, start: Date): Date {
  const policy = state.pimPolicy;
  const end = requestedEnd(properties, start);
  const failed: string[] = [];
  // Active assignments must expire (the role settings here never allow permanent ones).
  if (end === null) failed.push('ExpirationRule');
  if (end && end.getTime() - start.getTime() < FIVE_MINUTES) {
    throw new ArmFailure(
      400,
      'ActiveDurationTooShort',
      'The role assignment duration must be at least 5 minutes.',
    );
  }
  if (end && end.getTime() - start.getTime() > maxDurationMs(state)) failed.push('ExpirationRule');
  if (policy.requireJustification && !str(properties.justification)) failed.push('JustificationRule');
  const ticket = isObject(properties.ticketInfo) ? properties.ticketInfo : null;
  if (policy.requireTicket && !str(ticket?.ticketNumber)) failed.push('TicketingRule');
  if (failed.length > 0) {
    throw new ArmFailure(
      400,
      'RoleAssignmentRequestPolicyValidationFailed',
      `The following policy rules failed: [${failed.map((f) => `"${f}"`).join(',')}]`,
    );
  }
  return end!;
}

const scheduleJson = (start: Date, end: Date) => ({
  startDateTime: start.toISOString(),
  expiration: { type: 'AfterDateTime', endDateTime: end.toISOString(), duration: null },
});

/** A schedule request's target, as checked: who gets which role where, and how. */
interface RequestTarget {
  readonly requestType: string;
  readonly subscription: string;
  readonly name: string;
  readonly scope: string;
  readonly principalId: string;
  readonly role: { readonly name: string; readonly roleName: string };
  readonly properties: Record<string, unknown>;
}

interface Outcome {
  readonly status: string;
  readonly schedule: Record<string, unknown> | null;
}

/** `AdminAssign`: a new active assignment for the schedule (or a pending request, with approval). */
function adminAssign(state: AzureState, t: RequestTarget, existing: FakeAssignment | undefined): Outcome {
  if (existing) throw new ArmFailure(400, 'RoleAssignmentExists', 'The Role assignment already exists.');
  const now = state.clock.now();
  const schedInfo = isObject(t.properties.scheduleInfo) ? t.properties.scheduleInfo : {};
  const requestedStart = Date.parse(str(schedInfo.startDateTime) ?? '');
  const start = new Date(Number.isNaN(requestedStart) ? now.getTime() : requestedStart);
  const end = checkSchedule(state, t.properties, start);
  // With approval required, nothing is assigned until an approver acts (never, here).
  const pending = !!state.pimPolicy.requireApproval;
  if (!pending) {
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
    });
  }
  return { status: pending ? 'PendingApproval' : 'Provisioned', schedule: scheduleJson(start, end) };
}

/** `AdminRemove`: ends the active assignment, no sooner than 5 minutes after it became active. */
function adminRemove(state: AzureState, existing: FakeAssignment | undefined): Outcome {
  if (!existing)
    throw new ArmFailure(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
  const now = state.clock.now();
  if (now.getTime() - existing.activatedAt.getTime() < FIVE_MINUTES) {
    throw new ArmFailure(
      400,
      'ActiveDurationTooShort',
      `The role assignment was activated at ${existing.activatedAt.toISOString()} and cannot be removed until 5 minutes after its activation.`,
    );
  }
  existing.removedAt = now;
  return { status: 'Revoked', schedule: null };
}

/** `AdminUpdate` / `AdminExtend` / `AdminRenew`: a new schedule for the active assignment. */
function adminReschedule(state: AzureState, t: RequestTarget, existing: FakeAssignment | undefined): Outcome {
  if (!existing)
    throw new ArmFailure(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
  existing.endsAt = checkSchedule(state, t.properties, existing.startsAt);
  return { status: 'Provisioned', schedule: scheduleJson(existing.startsAt, existing.endsAt) };
}

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
      `${requestType} needs an eligible assignment; this fake models none (the broker uses Admin* requests).`,
    );
  }
  return { name, scope, principalId, role, properties, requestType, subscription };
}

/** `PUT …/roleAssignmentScheduleRequests/{guid}`. */
function putScheduleRequest(state: AzureState, scope: string, name: string, body: unknown) {
  const t = requestTarget(state, scope, name, body);
  const { requestType, principalId, role, properties } = t;
  const now = state.clock.now();
  const existing =
    findActive(state, 'pim', principalId, role.name, scope) ??
    findActive(state, null, principalId, role.name, scope);
  const { status, schedule } =
    requestType === 'AdminAssign'
      ? adminAssign(state, t, existing)
      : requestType === 'AdminRemove'
        ? adminRemove(state, existing)
        : adminReschedule(state, t, existing);
  const id = `${scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${name}`;
  const stored = {
    id,
    name,
    type: 'Microsoft.Authorization/RoleAssignmentScheduleRequests',
    properties: {
      targetRoleAssignmentScheduleId: `${scope}/providers/Microsoft.Authorization/roleAssignmentSchedules/${name}`,
      targetRoleAssignmentScheduleInstanceId: null,
      scope,
      roleDefinitionId: `/subscriptions/${t.subscription}/providers/Microsoft.Authorization/roleDefinitions/${role.name}`,
      principalId,
      principalType: 'User',
      requestType,
      status,
      approvalId: status === 'PendingApproval' ? randomUUID() : null,
      scheduleInfo: schedule,
      justification: str(properties.justification),
      ticketInfo: isObject(properties.ticketInfo) ? properties.ticketInfo : null,
      requestorId: state.brokerObjectId,
      createdOn: now.toISOString(),
    },
  };
  state.scheduleRequests.set(id.toLowerCase(), stored);
  return stored;
}

/** `PUT` (create), `GET` (read) or `POST …/cancel` on one schedule request; null for anything else. */
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
  if (method === 'GET' && !cancel) return { status: 200, body: stored };
  if (method === 'POST' && cancel) {
    // Only a request still waiting for approval can be cancelled.
    const p = stored.properties as Record<string, unknown>;
    if (p.status !== 'PendingApproval')
      throw new ArmFailure(
        400,
        'RequestCannotBeCancelled',
        `Only pending requests can be cancelled; this one is ${String(p.status)}.`,
      );
    p.status = 'Canceled';
    return { status: 200, body: null };
  }
  return null;
}

/** `GET …/roleAssignmentScheduleInstances`: active PIM assignments at, above or below the scope. */
export function scheduleInstances(state: AzureState, url: URL, scope: string) {
  subscriptionOf(state, scope);
  const filter = url.searchParams.get('$filter');
  let principal: string | null = null;
  if (filter) {
    const m = /^principalId eq '([^']+)'$/i.exec(filter);
    if (m) principal = m[1]!;
    else if (/^asTarget\(\)$/i.test(filter)) principal = state.brokerObjectId;
    else throw new ArmFailure(400, 'InvalidFilterInQueryString', `The filter '${filter}' is not supported.`);
  }
  const value = state.assignments
    .filter((a) => a.kind === 'pim' && isActive(state, a))
    .filter((a) => principal === null || a.principalId.toLowerCase() === principal.toLowerCase())
    .filter((a) => covers(a.scope, scope) || covers(scope, a.scope))
    .map((a) => ({
      id: `${a.scope}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances/${a.name}`,
      name: a.name,
      type: 'Microsoft.Authorization/roleAssignmentScheduleInstances',
      properties: {
        scope: a.scope,
        roleDefinitionId: `/subscriptions/${subscriptionOf(state, a.scope)}/providers/Microsoft.Authorization/roleDefinitions/${a.roleDefinitionName}`,
        principalId: a.principalId,
        principalType: 'User',
        roleAssignmentScheduleId: `${a.scope}/providers/Microsoft.Authorization/roleAssignmentSchedules/${a.name}`,
        startDateTime: a.startsAt.toISOString(),
        endDateTime: a.endsAt?.toISOString() ?? null,
        assignmentType: 'Assigned',
        memberType: 'Direct',
        status: 'Provisioned',
        createdOn: a.activatedAt.toISOString(),
      },
    }));
  return { value };
}
