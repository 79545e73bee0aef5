/**
 * Data planes with role systems of their own (docs/denial-formats.md §3.5): Cosmos DB's native RBAC
 * (`… principal [<oid>] does not have required RBAC permissions to perform action [<data action>]
 * on resource [<path>]`) and Synapse RBAC (`The principal '<oid>' does not have the required Synapse
 * RBAC permission … Required permission: Action: <action>, Scope: <scope>`). Both name the missing
 * action, but it is granted by the service's own role assignment, not an Azure one: a missing role
 * (`azure-rbac`) that this broker's Azure role assignments cannot supply (not requestable).
 */
import type { Candidate } from './candidate';
import { candidate } from './candidate';
import type { Doc } from './context';
import { GUID_FULL } from './azure-common';
import { isMasked, trimToken } from './normalise';

const COSMOS_RE =
  /principal\s+\[([^\]\n]{1,256})\]\s+does\s+not\s+have\s+required\s+RBAC\s+permissions\s+to\s+perform\s+action\s+\[([^\]\n]{1,512})\](?:\s+on\s+resource\s+\[([^\]\n]{0,1024})\])?/gi;
const SYNAPSE_RE =
  /The\s+principal\s+'([^'\n]{1,256})'\s+does\s+not\s+have\s+the\s+required\s+Synapse\s+RBAC\s+permission\s+to\s+perform\s+this\s+action\.?\s+Required\s+permission:\s*Action:\s*([A-Za-z0-9./_*-]{3,256}),?\s*Scope:\s*([^\s,"'}]{1,1024})/gi;

/** An object id, application id or UPN as written; masks and anything else are not names. */
function principalOf(v: string | undefined): string | null {
  const t = v?.trim();
  if (!t || isMasked(t)) return null;
  return GUID_FULL.test(t) || /^[^@\s]{1,256}@[^@\s]{1,256}$/.test(t) ? t : null;
}

function emit(
  out: Candidate[],
  h: { pos: number; end: number },
  action: string,
  resource: string | null,
  principal: string | null,
  reason: string,
  family: string,
): void {
  out.push(
    candidate({
      start: h.pos,
      end: h.end,
      cloud: 'azure',
      actions: [action],
      resource,
      principal,
      denyKind: 'azure-rbac',
      requestable: false,
      reason,
      confidence: 'high',
      family,
    }),
  );
}

export function parseDataPlanes(doc: Doc, out: Candidate[]): void {
  for (const h of doc.hits('az-cosmos', COSMOS_RE)) {
    const action = trimToken(h.groups[2] ?? '');
    if (!action || /\s/.test(action)) continue;
    // `[/]` is the whole account, which an Azure scope cannot express: not named.
    const path = trimToken(h.groups[3] ?? '');
    emit(
      out,
      h,
      action,
      path && path !== '/' ? path : null,
      principalOf(h.groups[1]),
      'Cosmos DB data access is granted by a Cosmos DB role assignment on the account (its own RBAC), not by an Azure role assignment; this broker cannot make it.',
      'az-cosmos',
    );
  }
  for (const h of doc.hits('az-synapse', SYNAPSE_RE)) {
    emit(
      out,
      h,
      h.groups[2] ?? '',
      trimToken(h.groups[3] ?? '') || null,
      principalOf(h.groups[1]),
      'Synapse RBAC roles are assigned in the Synapse workspace, not as Azure role assignments; this broker cannot make them.',
      'az-synapse',
    );
  }
}
