/**
 * ARM's plain role assignments (`Microsoft.Authorization/roleAssignments/{guid}`): PUT creates one
 * that never expires (idempotent for the same content), GET reads it, DELETE removes it (204 when
 * there is none, docs/cloud-mechanics.md §2.3).
 */
import { principalOf } from './entra';
import { roleById } from './role-definitions';
import { findActive, sameScope, subscriptionOf, type AzureState } from './state';
import { ArmFailure, GUID, isObject, str, type Reply } from './wire';

const assignmentId = (scope: string, name: string) =>
  `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;

const notFound = (name: string) =>
  new ArmFailure(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);

function putAssignment(state: AzureState, scope: string, name: string, body: unknown): Reply {
  const subscription = subscriptionOf(state, scope);
  if (!GUID.test(name))
    throw new ArmFailure(
      400,
      'InvalidRoleAssignmentId',
      `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`,
    );
  const properties = isObject(body) && isObject(body.properties) ? body.properties : null;
  if (!properties)
    throw new ArmFailure(
      400,
      'InvalidRequestContent',
      "The request content must have a 'properties' object.",
    );
  const principalId = principalOf(state, properties.principalId);
  const role = roleById(state, properties.roleDefinitionId, subscription);
  const id = assignmentId(scope, name);
  const existing = state.plainAssignments.get(id.toLowerCase());
  if (existing) {
    // A PUT of the same assignment again is a no-op; changing who or what is refused.
    const p = existing.properties as Record<string, unknown>;
    if (p.principalId === principalId && str(p.roleDefinitionId)?.toLowerCase().endsWith(role.name))
      return { status: 200, body: existing };
    throw new ArmFailure(
      400,
      'RoleAssignmentUpdateNotPermitted',
      'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.',
    );
  }
  // One principal holds a role at a scope once, whatever the assignment's name.
  if (findActive(state, 'assignment', principalId, role.name, scope)) {
    throw new ArmFailure(409, 'RoleAssignmentExists', 'The role assignment already exists.');
  }
  const now = state.clock.now();
  state.assignments.push({
    kind: 'assignment',
    name,
    principalId,
    roleDefinitionName: role.name,
    roleName: role.roleName,
    scope,
    startsAt: now,
    endsAt: null,
    activatedAt: now,
    removedAt: null,
  });
  const stored = {
    id,
    name,
    type: 'Microsoft.Authorization/roleAssignments',
    properties: {
      roleDefinitionId: `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${role.name}`,
      principalId,
      principalType: str(properties.principalType) ?? 'User',
      scope,
      description: str(properties.description),
      createdOn: now.toISOString(),
      updatedOn: now.toISOString(),
      createdBy: state.brokerObjectId,
      updatedBy: state.brokerObjectId,
    },
  };
  state.plainAssignments.set(id.toLowerCase(), stored);
  return { status: 201, body: stored };
}

function deleteAssignment(state: AzureState, scope: string, name: string): Reply {
  subscriptionOf(state, scope);
  const id = assignmentId(scope, name).toLowerCase();
  const stored = state.plainAssignments.get(id);
  // "Role assignment was already deleted or does not exist": 204, no body (2022-04-01 spec).
  if (!stored) return { status: 204, body: null };
  state.plainAssignments.delete(id);
  const a = state.assignments.find(
    (x) =>
      x.kind === 'assignment' &&
      x.name.toLowerCase() === name.toLowerCase() &&
      sameScope(x.scope, scope) &&
      x.removedAt === null,
  );
  if (a) a.removedAt = state.clock.now();
  return { status: 200, body: stored };
}

function getAssignment(state: AzureState, scope: string, name: string): Reply {
  subscriptionOf(state, scope);
  const stored = state.plainAssignments.get(assignmentId(scope, name).toLowerCase());
  if (!stored) throw notFound(name);
  return { status: 200, body: stored };
}

/** `PUT|GET|DELETE …/roleAssignments/{name}`; null for a method it does not have. */
export function roleAssignmentRoute(
  state: AzureState,
  method: string,
  scope: string,
  name: string,
  body: unknown,
): Reply | null {
  if (method === 'PUT') return putAssignment(state, scope, name, body);
  if (method === 'DELETE') return deleteAssignment(state, scope, name);
  if (method === 'GET') return getAssignment(state, scope, name);
  return null;
}
