/**
 * What a user did under an Azure grant, from the subscription's Activity Log over the grant's
 * window: writes and actions (the Activity Log records no reads), outcomes only (not the
 * `Started`/`Accepted` phases before them).
 */
import type { Grant } from '../../domain';
import type { ActivityEntry, CloudIdentities } from '../../provision/types';
import { armError } from './arm';
import { principalOf, type AzureContext } from './context';
import { ACTIVITY_API_VERSION, isObject, MAX_PAGES, str } from './wire';

const OID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
/** Activity Log phases that precede the outcome of the same operation. */
const INTERIM = new Set(['started', 'accepted']);

export async function activityAzure(
  ctx: AzureContext,
  grant: Grant,
  identities: CloudIdentities,
): Promise<readonly ActivityEntry[]> {
  const { arm, now } = ctx;
  const principalId = principalOf(grant, identities);
  const from = grant.startsAt;
  const until = new Date(
    Math.min((grant.endedAt ?? grant.expiresAt).getTime(), Math.max(now().getTime(), from.getTime())),
  );
  // The Activity Log's `caller` is a user's UPN (a service principal's id), and the broker knows
  // the user's object id only. A broker user name that is a UPN narrows the query on the
  // server; otherwise the window is read whole and events are matched on the object id claim.
  const upn = grant.user.includes('@') ? grant.user : null;
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const filter =
    `eventTimestamp ge ${quote(from.toISOString())} and eventTimestamp le ${quote(until.toISOString())}` +
    (upn ? ` and caller eq ${quote(upn)}` : '');
  const entries: ActivityEntry[] = [];
  let res = await arm.call('GET', {
    path: `/subscriptions/${grant.target.account}/providers/Microsoft.Insights/eventtypes/management/values?$filter=${encodeURIComponent(filter)}`,
    apiVersion: ACTIVITY_API_VERSION,
  });
  for (let page = 1; ; page++) {
    if (res.status !== 200) throw armError(res, 'read the Activity Log', now());
    const body = isObject(res.body) ? res.body : {};
    for (const event of Array.isArray(body.value) ? body.value.filter(isObject) : []) {
      const entry = toEntry(event, upn ? [upn, principalId] : [principalId]);
      if (entry) entries.push(entry);
    }
    const next = str(body.nextLink);
    if (!next || page >= MAX_PAGES) break;
    res = await arm.call('GET', { url: next });
  }
  return entries.sort((a, b) => a.at.localeCompare(b.at));
}

/** One Activity Log event as an entry, when its caller is one of `callers` and it is an outcome. */
function toEntry(event: Record<string, unknown>, callers: readonly string[]): ActivityEntry | null {
  const caller = str(event.caller)?.toLowerCase() ?? '';
  const claims = isObject(event.claims) ? event.claims : {};
  const oid = str(claims[OID_CLAIM])?.toLowerCase() ?? '';
  const wanted = callers.map((c) => c.toLowerCase());
  if (!wanted.includes(caller) && !wanted.includes(oid)) return null;
  const status = isObject(event.status) ? (str(event.status.value) ?? '') : '';
  if (INTERIM.has(status.toLowerCase())) return null;
  const authorization = isObject(event.authorization) ? event.authorization : {};
  const operation = isObject(event.operationName) ? str(event.operationName.value) : null;
  const action = str(authorization.action) ?? operation;
  const at = str(event.eventTimestamp);
  if (!action || !at) return null;
  const subStatus = isObject(event.subStatus) ? str(event.subStatus.value) : null;
  return {
    at,
    action,
    resource: str(event.resourceId) ?? str(authorization.scope),
    outcome: status === 'Succeeded' ? 'success' : subStatus || status || 'unknown',
  };
}
