/**
 * PIM's role settings in the Azure fake (docs/cloud-mechanics.md §2.3): each role's role management
 * policy, with Azure's rule ids, and the check an `Admin*` schedule request must pass. An
 * `AdminAssign` answers to the active-assignment rules only: `Expiration_Admin_Assignment`
 * (permanent allowed, or the longest an active assignment may last) and
 * `Enablement_Admin_Assignment` (MFA, justification). Approval, tickets and the activation length
 * are `*_EndUser_Assignment` rules: they govern a user's activation, never an administrator's
 * assignment. Refusals are 400 `RoleAssignmentRequestPolicyValidationFailed` naming the rules
 * (`The following policy rules failed: ["MfaRule"]`). The broker signs in as a service principal,
 * which has no MFA claim, so a role requiring MFA on active assignment always refuses it.
 *
 * Served: `GET {scope}/providers/Microsoft.Authorization/roleManagementPolicyAssignments`, every
 * role's policy at that scope with its `effectiveRules`, shaped as Azure's example.
 */
import { createHash } from 'node:crypto';
import type { FakeRoleDefinition } from './catalogue';
import { parseDuration } from './duration';
import { subscriptionOf, type AzureState } from './state';
import type { AzureFakePimPolicy } from './types';
import { ArmFailure, isObject, str } from './wire';

/** PIM's floor: an assignment lasts at least 5 minutes. */
export const FIVE_MINUTES = 5 * 60_000;

/** The settings the fake assumes where none are given (Azure's defaults for resource roles, unconf.). */
const DEFAULTS: Required<AzureFakePimPolicy> = {
  allowPermanentActiveAssignment: false,
  expireActiveAssignmentsAfter: 'P180D',
  requireMfaOnActiveAssignment: false,
  requireJustificationOnActiveAssignment: true,
  activationMaximumDuration: 'PT8H',
  requireMfaOnActivation: false,
  requireJustificationOnActivation: true,
  requireTicketOnActivation: false,
  requireApprovalToActivate: false,
};

/** The settings in force for a role: its own, over every role's, over the defaults. */
export function policyFor(state: AzureState, roleGuid: string): Required<AzureFakePimPolicy> {
  return { ...DEFAULTS, ...state.pimPolicy, ...state.pimPolicyByRole.get(roleGuid.toLowerCase()) };
}

/** The end a request's `scheduleInfo.expiration` asks for; null for no expiration. */
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

/**
 * The active-assignment rules an `AdminAssign`/`AdminUpdate` must pass; throws Azure's errors.
 * Returns the schedule's end (null: permanent, where the role allows it).
 */
export function checkAdminSchedule(
  state: AzureState,
  role: FakeRoleDefinition,
  properties: Record<string, unknown>,
  start: Date,
): Date | null {
  const policy = policyFor(state, role.name);
  const end = requestedEnd(properties, start);
  if (end && end.getTime() - start.getTime() < FIVE_MINUTES) {
    throw new ArmFailure(
      400,
      'ActiveDurationTooShort',
      'The role assignment duration must be at least 5 minutes.',
    );
  }
  const failed: string[] = [];
  if (!policy.allowPermanentActiveAssignment) {
    const max = parseDuration(policy.expireActiveAssignmentsAfter) ?? Infinity;
    if (end === null || end.getTime() - start.getTime() > max) failed.push('ExpirationRule');
  }
  // The caller is the broker's service principal: its token carries no MFA claim.
  if (policy.requireMfaOnActiveAssignment) failed.push('MfaRule');
  if (policy.requireJustificationOnActiveAssignment && !str(properties.justification)?.trim()) {
    failed.push('JustificationRule');
  }
  if (failed.length > 0) {
    throw new ArmFailure(
      400,
      'RoleAssignmentRequestPolicyValidationFailed',
      `The following policy rules failed: [${failed.map((f) => `"${f}"`).join(',')}]`,
    );
  }
  return end;
}

const target = (caller: 'Admin' | 'EndUser', level: 'Eligibility' | 'Assignment') => ({
  caller,
  operations: ['All'],
  level,
  targetObjects: null,
  inheritableSettings: null,
  enforcedSettings: null,
});

const notification = (
  recipientType: 'Admin' | 'Requestor' | 'Approver',
  caller: 'Admin' | 'EndUser',
  level: 'Eligibility' | 'Assignment',
) => ({
  notificationType: 'Email',
  recipientType,
  isDefaultRecipientsEnabled: true,
  notificationLevel: 'All',
  notificationRecipients: [],
  id: `Notification_${recipientType}_${caller}_${level}`,
  ruleType: 'RoleManagementPolicyNotificationRule',
  target: target(caller, level),
});

/** The 17 rules of a role's policy, in the order and shapes Azure lists them. */
function rules(p: Required<AzureFakePimPolicy>) {
  const enabled = (flags: [boolean, string][]) => flags.filter(([on]) => on).map(([, rule]) => rule);
  return [
    {
      enabledRules: [],
      id: 'Enablement_Admin_Eligibility',
      ruleType: 'RoleManagementPolicyEnablementRule',
      target: target('Admin', 'Eligibility'),
    },
    {
      isExpirationRequired: true,
      maximumDuration: 'P365D',
      id: 'Expiration_Admin_Eligibility',
      ruleType: 'RoleManagementPolicyExpirationRule',
      target: target('Admin', 'Eligibility'),
    },
    ...(['Admin', 'Requestor', 'Approver'] as const).map((r) => notification(r, 'Admin', 'Eligibility')),
    {
      enabledRules: enabled([
        [p.requireMfaOnActiveAssignment, 'MultiFactorAuthentication'],
        [p.requireJustificationOnActiveAssignment, 'Justification'],
      ]),
      id: 'Enablement_Admin_Assignment',
      ruleType: 'RoleManagementPolicyEnablementRule',
      target: target('Admin', 'Assignment'),
    },
    {
      isExpirationRequired: !p.allowPermanentActiveAssignment,
      maximumDuration: p.expireActiveAssignmentsAfter,
      id: 'Expiration_Admin_Assignment',
      ruleType: 'RoleManagementPolicyExpirationRule',
      target: target('Admin', 'Assignment'),
    },
    ...(['Admin', 'Requestor', 'Approver'] as const).map((r) => notification(r, 'Admin', 'Assignment')),
    {
      setting: {
        isApprovalRequired: p.requireApprovalToActivate,
        isApprovalRequiredForExtension: false,
        isRequestorJustificationRequired: true,
        approvalMode: p.requireApprovalToActivate ? 'SingleStage' : 'NoApproval',
        approvalStages: [
          {
            approvalStageTimeOutInDays: 1,
            isApproverJustificationRequired: true,
            escalationTimeInMinutes: 0,
            primaryApprovers: [],
            isEscalationEnabled: false,
            escalationApprovers: null,
          },
        ],
      },
      id: 'Approval_EndUser_Assignment',
      ruleType: 'RoleManagementPolicyApprovalRule',
      target: target('EndUser', 'Assignment'),
    },
    {
      isEnabled: false,
      claimValue: '',
      id: 'AuthenticationContext_EndUser_Assignment',
      ruleType: 'RoleManagementPolicyAuthenticationContextRule',
      target: target('EndUser', 'Assignment'),
    },
    {
      enabledRules: enabled([
        [p.requireMfaOnActivation, 'MultiFactorAuthentication'],
        [p.requireJustificationOnActivation, 'Justification'],
        [p.requireTicketOnActivation, 'Ticketing'],
      ]),
      id: 'Enablement_EndUser_Assignment',
      ruleType: 'RoleManagementPolicyEnablementRule',
      target: target('EndUser', 'Assignment'),
    },
    {
      isExpirationRequired: true,
      maximumDuration: p.activationMaximumDuration,
      id: 'Expiration_EndUser_Assignment',
      ruleType: 'RoleManagementPolicyExpirationRule',
      target: target('EndUser', 'Assignment'),
    },
    ...(['Admin', 'Requestor', 'Approver'] as const).map((r) => notification(r, 'EndUser', 'Assignment')),
  ];
}

/** A GUID derived from its parts (names Azure would have generated; stable across reads). */
export function derivedGuid(...parts: string[]): string {
  const hex = createHash('sha1').update(parts.join('\u0000').toLowerCase()).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** ARM's description of a scope in `expandedProperties` and `policyAssignmentProperties`. */
export function scopeDetails(scope: string) {
  const segments = scope.split('/').filter(Boolean);
  const type = segments.length <= 2 ? 'subscription' : segments.length <= 4 ? 'resourcegroup' : 'resource';
  return { id: scope, displayName: segments[segments.length - 1] ?? scope, type };
}

/** `GET {scope}/providers/Microsoft.Authorization/roleManagementPolicyAssignments`. */
export function policyAssignments(state: AzureState, scope: string) {
  const subscription = subscriptionOf(state, scope);
  const value = [...state.roles.values()].map((role) => {
    const policyName = derivedGuid('policy', scope, role.name);
    const roleDefinitionId = `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${role.name}`;
    const policyId = `${scope}/providers/Microsoft.Authorization/roleManagementPolicies/${policyName}`;
    return {
      properties: {
        scope,
        roleDefinitionId,
        policyId,
        effectiveRules: rules(policyFor(state, role.name)),
        policyAssignmentProperties: {
          scope: scopeDetails(scope),
          roleDefinition: { id: roleDefinitionId, displayName: role.roleName, type: 'BuiltInRole' },
          policy: {
            id: policyId,
            lastModifiedBy: { id: null, displayName: null, type: null, email: null },
            lastModifiedDateTime: null,
          },
        },
      },
      name: `${policyName}_${role.name}`,
      id: `${scope}/providers/Microsoft.Authorization/roleManagementPolicyAssignment/${policyName}_${role.name}`,
      type: 'Microsoft.Authorization/RoleManagementPolicyAssignment',
    };
  });
  return { value };
}
