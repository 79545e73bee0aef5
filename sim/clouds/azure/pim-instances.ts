/**
 * What PIM lists as in force: `GET …/roleAssignmentScheduleInstances` (docs/cloud-mechanics.md
 * §2.3), with the filters the 2020-10-01 API names (`principalId eq '…'`, `assignedTo('…')`,
 * `asTarget()`, `atScope()`), and the `expandedProperties` block PIM's answers carry.
 */
import type { FakeRoleDefinition } from './catalogue';
import { scopeDetails } from './pim-policy';
import { covers, isActive, subscriptionOf, type AzureState } from './state';
import type { FakeAssignment } from './types';
import { ArmFailure } from './wire';

const roleId = (subscription: string, roleGuid: string) =>
  `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;

/** Who, what and where, spelt out as PIM does in `expandedProperties`. */
export function expandedProperties(
  state: AzureState,
  scope: string,
  role: Pick<FakeRoleDefinition, 'name' | 'roleName'>,
  principalId: string,
) {
  const principal = state.principals.get(principalId.toLowerCase());
  return {
    scope: scopeDetails(scope),
    roleDefinition: {
      id: roleId(subscriptionOf(state, scope), role.name),
      displayName: role.roleName,
      type: 'BuiltInRole',
    },
    principal: {
      id: principalId,
      displayName: principal?.upn ?? principalId,
      email: principal?.upn ?? null,
      type: 'User',
    },
  };
}

/** The principal a `$filter` names (null: everyone) and whether it keeps to the scope itself. */
function readFilter(
  state: AzureState,
  filter: string | null,
): { principal: string | null; atScope: boolean } {
  if (!filter) return { principal: null, atScope: false };
  const byId = /^principalId eq '([^']+)'$/i.exec(filter) ?? /^assignedTo\('([^']+)'\)$/i.exec(filter);
  if (byId) return { principal: byId[1]!, atScope: false };
  if (/^asTarget\(\)$/i.test(filter)) return { principal: state.brokerObjectId, atScope: false };
  if (/^atScope\(\)$/i.test(filter)) return { principal: null, atScope: true };
  throw new ArmFailure(400, 'InvalidFilterInQueryString', `The filter '${filter}' is not supported.`);
}

function instanceJson(state: AzureState, a: FakeAssignment) {
  const subscription = subscriptionOf(state, a.scope);
  return {
    properties: {
      // The role assignment PIM made for the schedule, under the schedule's name.
      originRoleAssignmentId: `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${a.name}`,
      // Admin assignments activate no eligibility.
      linkedRoleEligibilityScheduleId: null,
      linkedRoleEligibilityScheduleInstanceId: null,
      assignmentType: 'Assigned',
      scope: a.scope,
      roleDefinitionId: roleId(subscription, a.roleDefinitionName),
      principalId: a.principalId,
      principalType: 'User',
      status: 'Provisioned',
      roleAssignmentScheduleId: `${a.scope}/providers/Microsoft.Authorization/roleAssignmentSchedules/${a.name}`,
      startDateTime: a.startsAt.toISOString(),
      endDateTime: a.endsAt?.toISOString() ?? null,
      memberType: 'Direct',
      createdOn: a.activatedAt.toISOString(),
      condition: a.condition ?? null,
      conditionVersion: a.conditionVersion ?? null,
      expandedProperties: expandedProperties(
        state,
        a.scope,
        { name: a.roleDefinitionName, roleName: a.roleName },
        a.principalId,
      ),
    },
    name: a.name,
    id: `${a.scope}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances/${a.name}`,
    type: 'Microsoft.Authorization/roleAssignmentScheduleInstances',
  };
}

/** `GET …/roleAssignmentScheduleInstances`: active PIM assignments at, above or below the scope. */
export function scheduleInstances(state: AzureState, url: URL, scope: string) {
  subscriptionOf(state, scope);
  const { principal, atScope } = readFilter(state, url.searchParams.get('$filter'));
  const value = state.assignments
    .filter((a) => a.kind === 'pim' && isActive(state, a))
    .filter((a) => principal === null || a.principalId.toLowerCase() === principal.toLowerCase())
    .filter((a) => (atScope ? covers(a.scope, scope) : covers(a.scope, scope) || covers(scope, a.scope)))
    .map((a) => instanceJson(state, a));
  return { value };
}
