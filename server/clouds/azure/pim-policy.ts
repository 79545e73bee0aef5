/**
 * When a role's PIM policy refuses the broker's active assignment: which rule, on which role and
 * scope, and what to change in PIM's settings. An `AdminAssign` is governed by the policy's
 * active-assignment rules only (docs/cloud-mechanics.md §2.3): `Expiration_Admin_Assignment`
 * ("Allow permanent active assignment", "Expire active assignments after") and
 * `Enablement_Admin_Assignment` ("Require Azure Multi-Factor Authentication on active assignment",
 * "Require justification on active assignment"). Azure answers a violation with 400
 * `RoleAssignmentRequestPolicyValidationFailed` naming the failed rules
 * (`The following policy rules failed: ["MfaRule"]`); the broker adds the role's current settings
 * when it may read them (`roleManagementPolicyAssignments`, optional).
 */
import { ProvisionError } from '../../provision/types';
import type { ArmResponse } from './arm';
import type { AzureContext } from './context';
import { isObject, MAX_PAGES, PIM_API_VERSION, props, str, strings } from './wire';

export const POLICY_REFUSED = 'RoleAssignmentRequestPolicyValidationFailed';

/** The rule names in Azure's refusal: `The following policy rules failed: ["MfaRule","ExpirationRule"]`. */
export function failedRules(message: string | null): string[] {
  const list = /\[([^\]]*)\]/.exec(message ?? '')?.[1] ?? '';
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

/** A role's active-assignment rules at a scope, as its PIM policy states them. */
export interface ActiveAssignmentSettings {
  /** `Expiration_Admin_Assignment.isExpirationRequired`: false when permanent active assignments are allowed. */
  readonly expirationRequired: boolean | null;
  /** `Expiration_Admin_Assignment.maximumDuration` (ISO 8601, `P90D`). */
  readonly maximumDuration: string | null;
  /** `Enablement_Admin_Assignment.enabledRules` (`MultiFactorAuthentication`, `Justification`). */
  readonly enabledRules: readonly string[] | null;
}

const roleGuid = (id: string) => id.split('/').pop()!.toLowerCase();

/** The settings for `roleDefinitionId` in one page of `roleManagementPolicyAssignments`; null if absent. */
export function activeAssignmentSettings(
  body: unknown,
  roleDefinitionId: string,
): ActiveAssignmentSettings | null {
  const list = isObject(body) && Array.isArray(body.value) ? body.value : [];
  const assignment = list
    .map(props)
    .find((p) => roleGuid(str(p.roleDefinitionId) ?? '') === roleGuid(roleDefinitionId));
  if (!assignment) return null;
  const rules = Array.isArray(assignment.effectiveRules) ? assignment.effectiveRules.filter(isObject) : [];
  const rule = (id: string) => rules.find((r) => r.id === id);
  const expiration = rule('Expiration_Admin_Assignment');
  const enablement = rule('Enablement_Admin_Assignment');
  return {
    expirationRequired:
      typeof expiration?.isExpirationRequired === 'boolean' ? expiration.isExpirationRequired : null,
    maximumDuration: str(expiration?.maximumDuration),
    enabledRules: enablement ? strings(enablement.enabledRules) : null,
  };
}

/** The role's settings at `scope`, or why they could not be read. Never throws. */
async function readSettings(
  ctx: AzureContext,
  scope: string,
  roleDefinitionId: string,
): Promise<ActiveAssignmentSettings | string> {
  try {
    let res = await ctx.arm.call('GET', {
      path: `${scope}/providers/Microsoft.Authorization/roleManagementPolicyAssignments`,
      apiVersion: PIM_API_VERSION,
    });
    for (let page = 1; res.status === 200; page++) {
      const found = activeAssignmentSettings(res.body, roleDefinitionId);
      if (found) return found;
      const next = isObject(res.body) ? str(res.body.nextLink) : null;
      if (!next || page >= MAX_PAGES) return 'no PIM policy assignment for this role at this scope';
      res = await ctx.arm.call('GET', { url: next });
    }
    return `${res.code ?? `HTTP ${res.status}`}${res.message ? `: ${res.message}` : ''}`;
  } catch (e) {
    return (e as Error).message;
  }
}

function describe(settings: ActiveAssignmentSettings): string {
  const expiry =
    settings.expirationRequired === false
      ? 'permanent active assignments allowed'
      : `"Expire active assignments after" ${settings.maximumDuration ?? '(not stated)'}`;
  const required = settings.enabledRules?.length ? settings.enabledRules.join(', ') : 'nothing';
  return `${expiry}; on active assignment require ${required}`;
}

/** What the grant asked Azure for, for the advice. */
export interface RefusedAssignment {
  readonly what: string;
  readonly roleName: string;
  readonly roleDefinitionId: string;
  readonly scope: string;
  readonly start: Date;
  readonly end: Date;
  readonly ticket: string | null;
}

function advice(rule: string, a: RefusedAssignment): string {
  const minutes = Math.round((a.end.getTime() - a.start.getTime()) / 60_000);
  switch (rule) {
    case 'MfaRule':
      return 'MfaRule: the role requires MFA on active assignment (rule Enablement_Admin_Assignment), and the broker signs in as a service principal, which cannot do MFA, so Azure refuses every active assignment it makes for this role here. On the Assignment tab, turn off "Require Azure Multi-Factor Authentication on active assignment".';
    case 'ExpirationRule':
      return `ExpirationRule: the grant lasts ${minutes} minutes (until ${a.end.toISOString()}), longer than the role allows an active assignment to last (rule Expiration_Admin_Assignment). On the Assignment tab, set "Expire active assignments after" to at least the target's longest grant (targets[].maxDurationMinutes), or lower that maximum.`;
    case 'JustificationRule':
      return 'JustificationRule: the role requires a justification on active assignment (rule Enablement_Admin_Assignment) and did not take the one the broker always sends. Check "Require justification on active assignment" on the Assignment tab.';
    case 'TicketingRule':
      return `TicketingRule: Azure asked for ticket information, which PIM documents as an activation setting ("Require ticket information on activation", rule Enablement_EndUser_Assignment) rather than one for active assignments; ${a.ticket ? "the broker sent the request's ticket" : 'this request has no ticket'}. Check the role's Activation tab.`;
    default:
      return `${rule}: a rule of the role's PIM policy refused the assignment.`;
  }
}

/** The error for a policy refusal of an `AdminAssign`/`AdminUpdate`: the rules, the settings to change, where. */
export async function policyRefusal(
  ctx: AzureContext,
  res: ArmResponse,
  a: RefusedAssignment,
): Promise<ProvisionError> {
  const rules = failedRules(res.message);
  const settings = await readSettings(ctx, a.scope, a.roleDefinitionId);
  const current =
    typeof settings === 'string'
      ? `The broker could not read the role's PIM settings (${settings}); Microsoft.Authorization/roleManagementPolicyAssignments/read lets it show them here.`
      : `The role's settings there now: ${describe(settings)}.`;
  return new ProvisionError(
    `Azure PIM's settings for the role ${a.roleName} at ${a.scope} refused to ${a.what}. ` +
      `${(rules.length ? rules : ['(no rule named)']).map((r) => advice(r, a)).join(' ')} ` +
      `Where: Privileged Identity Management → Azure resources → ${a.scope} → Settings → ${a.roleName} → Edit. ` +
      `${current} Azure said: ${res.message ?? res.code ?? `HTTP ${res.status}`}`,
    false,
    POLICY_REFUSED,
  );
}
