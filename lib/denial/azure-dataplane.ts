/**
 * Data planes (docs/denial-formats.md §3.5): Azure RBAC for Kubernetes and Log Analytics queries,
 * which name no action, and the role systems of their own: Cosmos DB's native RBAC
 * (`… principal [<oid>] does not have required RBAC permissions to perform action [<data action>]
 * on resource [<path>]`) and Synapse RBAC (`The principal '<oid>' does not have the required Synapse
 * RBAC permission … Required permission: Action: <action>, Scope: <scope>`). These two name the
 * missing action, but it is granted by the service's own role assignment, not an Azure one: a missing role
 * (`azure-rbac`) that this broker's Azure role assignments cannot supply (not requestable).
 */
import type { Candidate } from './candidate';
import { candidate } from './candidate';
import { kindOf } from './classify';
import type { Doc } from './context';
import { GUID_FULL } from './azure-common';
import { isMasked, trimToken } from './normalise';

const COSMOS_RE =
  /principal\s+\[([^\]\n]{1,256})\]\s+does\s+not\s+have\s+required\s+RBAC\s+permissions\s+to\s+perform\s+action\s+\[([^\]\n]{1,512})\](?:\s+on\s+resource\s+\[([^\]\n]{0,1024})\])?/gi;
const SYNAPSE_RE =
  /The\s+principal\s+'([^'\n]{1,256})'\s+does\s+not\s+have\s+the\s+required\s+Synapse\s+RBAC\s+permission\s+to\s+perform\s+this\s+action\.?\s+Required\s+permission:\s*Action:\s*([A-Za-z0-9./_*-]{3,256}),?\s*Scope:\s*([^\s,"'}]{1,1024})/gi;

/** AKS with Azure RBAC for Kubernetes appends this to the API server's Forbidden message. */
const AKS_RE =
  /User\s+does\s+not\s+have\s+access\s+to\s+the\s+resource\s+in\s+Azure\.?(?:\s+Update\s+role\s+assignment\s+to\s+allow\s+access\.?)?/g;
/** The Kubernetes clause before it: `User "<name>" cannot <verb> resource "<resource>" …:`. */
const K8S_CLAUSE_RE =
  /User\s+"([^"\n]{1,256})"\s+cannot\s+([a-z]{2,32})\s+resource\s+"([^"\n]{1,128})"[^\n]{0,300}$/;
/** Log Analytics / Application Insights query API. */
const MONITOR_RE =
  /The\s+provided\s+credentials\s+have\s+insufficient\s+access\s+to\s+perform\s+the\s+requested\s+operation|\bInsufficientAccessError\b/g;

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

/**
 * Azure RBAC for Kubernetes (AKS): the Kubernetes verb and resource are named, the Azure data
 * action is not (it also depends on whether the cluster is AKS or Arc-enabled), so it stays a
 * denial with no action and the Kubernetes request as `operation`. Log Analytics queries name
 * nothing either. Both are plain Azure role assignments (§3.5).
 */
function rbacWithoutAction(doc: Doc, out: Candidate[]): void {
  const s = doc.text;
  for (const h of doc.hits('az-aks-rbac', AKS_RE)) {
    const from = Math.max(s.lastIndexOf('\n', h.pos - 1) + 1, h.pos - 800);
    const clause = K8S_CLAUSE_RE.exec(s.slice(from, h.pos));
    out.push(
      candidate({
        start: clause ? from + clause.index : h.pos,
        end: h.end,
        cloud: 'azure',
        actions: [],
        principal: principalOf(clause?.[1]),
        operation: clause ? `${clause[2]} ${clause[3]}` : null,
        ...kindOf('azure-rbac'),
        confidence: 'medium',
        family: 'az-aks',
      }),
    );
  }
  for (const h of doc.hits('az-monitor', MONITOR_RE)) {
    out.push(
      candidate({
        start: h.pos,
        end: h.end,
        cloud: 'azure',
        actions: [],
        ...kindOf('azure-rbac'),
        confidence: 'medium',
        family: 'az-monitor',
      }),
    );
  }
}

export function parseDataPlanes(doc: Doc, out: Candidate[]): void {
  rbacWithoutAction(doc, out);
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
