/**
 * Why the cloud said no, in one table: each deny kind's words for people (the banner, the CLI),
 * who owns the block, why a grant would not help, and whether a just-in-time grant can help at
 * all (docs/denial-formats.md §6). The parser classifies with it; the broker refuses requests of
 * the kinds no grant can help with (server/service/requests.ts).
 * Pure data (no browser or Node API, no zod).
 */

export const DENY_KINDS = [
  'implicit', // AWS: no identity-based policy allows the action (missing allow)
  'explicit-scp', // AWS: SCP / RCP / VPC endpoint policy (explicit deny or no allow) — an org guardrail
  'explicit-boundary', // AWS: permissions boundary (explicit deny or no allow)
  'explicit-identity', // AWS: explicit deny in an identity-based policy (or an unnamed explicit deny)
  'session-policy', // AWS: the session is scoped down by a session policy (missing allow)
  'resource-policy', // AWS: resource-based policy (explicit deny or no allow)
  'azure-rbac', // Azure: no role assignment grants the action at the scope
  'azure-policy', // Azure: Azure Policy, deny assignment, lock — a governance block
  'entra-directory', // Microsoft Entra ID / Microsoft Graph: a directory role or Graph permission, not an Azure role
  'gcp-iam', // GCP: IAM allow missing (or an IAM deny policy, same wording)
  'gcp-scope', // GCP: OAuth scopes / VPC Service Controls / organisation policy
  'unknown', // the text does not say why (bare "Access Denied", no reason clause, encoded only)
] as const;
export type DenyKind = (typeof DENY_KINDS)[number];

export interface DenyKindFacts {
  /** What refused the access, one sentence for people (the CLI lower-cases it mid-line). */
  readonly text: string;
  /** Who can lift the block, one sentence for people. */
  readonly owner: string;
  /** Why a grant would not help, when it cannot: the parser's `reason` unless the text says more. */
  readonly noGrant: string;
  /**
   * Whether a just-in-time grant can help with this kind (docs/denial-formats.md §6). An explicit
   * deny never can, whatever its kind: the parser applies that on top (lib/denial/classify.ts).
   */
  readonly grantCanHelp: boolean;
}

export const DENY_KIND_FACTS: Readonly<Record<DenyKind, DenyKindFacts>> = {
  implicit: {
    text: 'No policy allows this action (a missing permission).',
    owner: 'Your cloud administrators.',
    noGrant: 'The permission is missing, but a grant is not allowed here.',
    grantCanHelp: true,
  },
  'explicit-scp': {
    text: 'Blocked by an organization guardrail (service or resource control policy, or VPC endpoint policy).',
    owner: "Your organization's cloud platform or security team (AWS Organizations policies).",
    noGrant:
      'Blocked by an organisation or network guardrail (SCP, RCP or VPC endpoint policy); a grant cannot override it.',
    grantCanHelp: false,
  },
  'explicit-boundary': {
    text: 'Blocked by the permissions boundary on your identity.',
    owner: "Whoever manages your identity's permissions boundary, usually the cloud platform team.",
    noGrant: 'Blocked by a permissions boundary on your principal; a grant cannot lift it.',
    grantCanHelp: false,
  },
  'explicit-identity': {
    text: 'Explicitly denied by a policy attached to your identity.',
    owner: 'The administrators of your IAM user or role.',
    noGrant: 'Blocked by an explicit deny in a policy; a grant cannot override it.',
    grantCanHelp: false,
  },
  // A grant helps through a new session; an explicit deny in the session policy does not.
  'session-policy': {
    text: 'Your current session is scoped down by a session policy.',
    owner: 'Whoever issued your current session.',
    noGrant: 'Blocked by an explicit deny in the session policy; a grant cannot override it.',
    grantCanHelp: true,
  },
  'resource-policy': {
    text: "The resource's own policy does not let you in.",
    owner: 'The owner of the resource (its resource-based or key policy).',
    noGrant: "Blocked by the resource's own policy; its owner must change that policy.",
    grantCanHelp: false,
  },
  'azure-rbac': {
    text: 'No role assignment grants this action at this scope.',
    owner: 'Your Azure administrators.',
    noGrant: 'A role assignment would not change this block.',
    grantCanHelp: true,
  },
  'azure-policy': {
    text: 'Blocked by Azure Policy, a deny assignment or a lock.',
    owner: 'Your Azure governance team (policy exemptions, deny assignments, locks).',
    noGrant:
      'Blocked by Azure Policy, a deny assignment or a similar governance control; a role assignment cannot help.',
    grantCanHelp: false,
  },
  // Directory roles and Graph permissions live in Entra ID, not in Azure RBAC: the broker assigns
  // Azure roles only (docs/cloud-mechanics.md §2.3), so no grant of its own can help.
  'entra-directory': {
    text: 'A Microsoft Entra directory role or Microsoft Graph permission is missing (not an Azure role).',
    owner:
      'Your Microsoft Entra administrators (directory roles, and admin consent for Microsoft Graph permissions).',
    noGrant:
      'Microsoft Entra directory roles and Microsoft Graph permissions are not Azure role assignments; this broker cannot grant them.',
    grantCanHelp: false,
  },
  'gcp-iam': {
    text: 'No IAM role grants this permission (or a deny policy blocks it).',
    owner: 'Your Google Cloud administrators.',
    noGrant: 'An IAM deny policy or access boundary applies regardless of roles.',
    grantCanHelp: true,
  },
  'gcp-scope': {
    text: 'Blocked by OAuth scopes, VPC Service Controls or an organization policy.',
    owner:
      'Your Google Cloud organization administrators (organization policy, VPC Service Controls), or whoever set the service account scopes.',
    noGrant:
      'Blocked by OAuth scopes, VPC Service Controls or an organisation policy; an IAM grant cannot help.',
    grantCanHelp: false,
  },
  unknown: {
    text: 'The message does not say why.',
    owner: 'Your cloud administrators.',
    noGrant: 'The text does not say why access was refused in a way a grant can fix.',
    grantCanHelp: true,
  },
};

/**
 * Whether a just-in-time grant can help with a denial of this kind: what the broker should refuse
 * requests for when it cannot. The parser's `requestable` is stricter (an explicit deny never is).
 */
export function grantCanHelp(kind: DenyKind): boolean {
  return DENY_KIND_FACTS[kind].grantCanHelp;
}

/** One value per deny kind, from its facts (`denyKindRecord((f) => f.text)`). */
export function denyKindRecord<T>(pick: (facts: DenyKindFacts, kind: DenyKind) => T): Record<DenyKind, T> {
  return Object.fromEntries(DENY_KINDS.map((k) => [k, pick(DENY_KIND_FACTS[k], k)])) as Record<DenyKind, T>;
}
