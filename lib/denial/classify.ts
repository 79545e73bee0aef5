/**
 * Deny-kind classification (docs/denial-formats.md §6, corpus README conventions). An explicit
 * deny or a governance block cannot be fixed by a grant, so the parser must say so before the UI
 * offers a one-click request. Which kinds a grant can help, and the words for each, are the deny
 * kinds table's (lib/deny-kinds.ts); this module adds the rule that an explicit deny never can.
 */
import { DENY_KIND_FACTS, grantCanHelp, type DenyKind } from '../deny-kinds';

export interface Kind {
  denyKind: DenyKind;
  requestable: boolean;
}

/**
 * A denial of `denyKind`, requestable when a grant can help that kind and the deny is not
 * explicit (an explicit deny is evaluated before any allow, so no grant lifts it).
 */
export function kindOf(denyKind: DenyKind, explicit = false): Kind {
  return { denyKind, requestable: !explicit && grantCanHelp(denyKind) };
}

/** AWS policy type named in a reason clause, lower-cased with whitespace collapsed. */
function awsTypeKind(type: string, explicit: boolean): Kind {
  const t = type.toLowerCase().replace(/\s+/g, ' ');
  if (t.startsWith('identity')) return explicit ? kindOf('explicit-identity', true) : kindOf('implicit');
  if (t.startsWith('session')) return kindOf('session-policy', explicit);
  if (t.startsWith('resource-based') || t.startsWith('resource based'))
    return kindOf('resource-policy', explicit);
  if (t.startsWith('permission')) return kindOf('explicit-boundary', explicit);
  // service control policy, resource control policy, VPC endpoint policy: org / network guardrails
  return kindOf('explicit-scp', explicit);
}

/** `because no <type> allows` → missing allow of that type. */
export function awsImplicit(type: string): Kind {
  return awsTypeKind(type, false);
}

/** `with an explicit deny in a[n] <type>`; no type → an unnamed explicit deny. */
export function awsExplicit(type: string | undefined): Kind {
  if (!type) return kindOf('explicit-identity', true);
  return awsTypeKind(type, true);
}

/** No reason clause: the deny kind is unknown, not "implicit" (§2.1 older forms). */
export const UNKNOWN: Kind = kindOf('unknown');

/**
 * The short human reason shown when no grant can help. A requestable denial has none unless its
 * family gives a caution the text itself raises (GCP's "or it may not exist": not found reads the
 * same as refused, docs/denial-formats.md §4.3).
 */
export function reasonFor(kind: DenyKind, requestable: boolean, specific?: string): string | null {
  if (requestable) return specific ?? null;
  return specific ?? DENY_KIND_FACTS[kind].noGrant;
}
