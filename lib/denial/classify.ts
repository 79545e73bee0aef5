/**
 * Deny-kind classification (denial-formats.md §6, corpus README conventions). An explicit deny
 * or a governance block cannot be fixed by a grant, so the parser must say so before the UI
 * offers a one-click request.
 */
import type { DenyKind } from '../contract/denial';

export interface Kind {
  denyKind: DenyKind;
  requestable: boolean;
}

/** AWS policy type named in a reason clause, lower-cased with whitespace collapsed. */
function awsTypeKind(type: string, explicit: boolean): Kind {
  const t = type.toLowerCase().replace(/\s+/g, ' ');
  if (t.startsWith('identity'))
    return explicit
      ? { denyKind: 'explicit-identity', requestable: false }
      : { denyKind: 'implicit', requestable: true };
  if (t.startsWith('session')) return { denyKind: 'session-policy', requestable: !explicit };
  if (t.startsWith('resource-based') || t.startsWith('resource based'))
    return { denyKind: 'resource-policy', requestable: false };
  if (t.startsWith('permission')) return { denyKind: 'explicit-boundary', requestable: false };
  // service control policy, resource control policy, VPC endpoint policy: org / network guardrails
  return { denyKind: 'explicit-scp', requestable: false };
}

/** `because no <type> allows` → missing allow of that type. */
export function awsImplicit(type: string): Kind {
  return awsTypeKind(type, false);
}

/** `with an explicit deny in a[n] <type>`; no type → an unnamed explicit deny. */
export function awsExplicit(type: string | undefined): Kind {
  if (!type) return { denyKind: 'explicit-identity', requestable: false };
  return awsTypeKind(type, true);
}

/** No reason clause: the deny kind is unknown, not "implicit" (§2.1 older forms). */
export const UNKNOWN: Kind = { denyKind: 'unknown', requestable: true };

const REASONS: Partial<Record<DenyKind, string>> = {
  'explicit-scp':
    'Blocked by an organisation or network guardrail (SCP, RCP or VPC endpoint policy); a grant cannot override it.',
  'explicit-boundary': 'Blocked by a permissions boundary on your principal; a grant cannot lift it.',
  'explicit-identity': 'Blocked by an explicit deny in a policy; a grant cannot override it.',
  'session-policy': 'Blocked by an explicit deny in the session policy; a grant cannot override it.',
  'resource-policy': "Blocked by the resource's own policy; its owner must change that policy.",
  'azure-policy':
    'Blocked by Azure Policy, a deny assignment or a similar governance control; a role assignment cannot help.',
  'gcp-scope':
    'Blocked by OAuth scopes, VPC Service Controls or an organisation policy; an IAM grant cannot help.',
  unknown: 'The text does not say why access was refused in a way a grant can fix.',
};

/** The short human reason shown when no grant can help; null when requestable. */
export function reasonFor(kind: DenyKind, requestable: boolean, specific?: string): string | null {
  if (requestable) return null;
  return specific ?? REASONS[kind] ?? 'A grant cannot fix this denial.';
}
