/**
 * Azure Monitor's Activity Log (`Microsoft.Insights/eventtypes/management/values`): what the
 * simulated consoles record with `recordActivity`, listed newest first by time range and caller,
 * one `nextLink` page at a time.
 */
import { randomUUID } from 'node:crypto';
import type { AzureState } from './state';
import type { FakeActivity } from './types';
import { ArmFailure, nextLink, str } from './wire';

/** `GET …/eventtypes/management/values?$filter=eventTimestamp ge '…' [and … le '…'] [and caller eq '…']`. */
export function activityLog(state: AzureState, url: URL, subscription: string) {
  const filter = url.searchParams.get('$filter') ?? '';
  // The Activity Log insists on a start time.
  const from = /eventTimestamp ge '([^']+)'/i.exec(filter);
  if (!from || Number.isNaN(Date.parse(from[1]!))) {
    throw new ArmFailure(
      400,
      'BadRequest',
      "The $filter query parameter must contain an eventTimestamp ge '<date-time>' clause.",
    );
  }
  const to = /eventTimestamp le '([^']+)'/i.exec(filter);
  const caller = /caller eq '((?:[^']|'')+)'/i.exec(filter)?.[1]?.replace(/''/g, "'");
  const start = Date.parse(from[1]!);
  const end = to ? Date.parse(to[1]!) : state.clock.now().getTime();
  const list = state.events
    .filter((e) => str(e.subscriptionId)?.toLowerCase() === subscription.toLowerCase())
    .filter((e) => {
      const at = Date.parse(str(e.eventTimestamp) ?? '');
      return at >= start && at <= end;
    })
    .filter((e) => !caller || str(e.caller)?.toLowerCase() === caller.toLowerCase())
    // Azure answers newest first.
    .sort((a, b) => String(b.eventTimestamp).localeCompare(String(a.eventTimestamp)));
  const perPage = state.eventsPerPage;
  const skip = Number(url.searchParams.get('$skipToken') ?? 0);
  return {
    value: list.slice(skip, skip + perPage),
    ...(skip + perPage < list.length ? { nextLink: nextLink(state.base, url, skip + perPage) } : {}),
  };
}

/** Logs an operation as Azure does: a `Started` event, then its outcome a second later. */
export function recordActivity(state: AzureState, activity: FakeActivity): void {
  // The Activity Log holds control-plane writes and actions only (docs/cloud-mechanics.md §2.6).
  if (/\/read$/i.test(activity.action) || state.dataOperations.has(activity.action.toLowerCase())) return;
  const principal = state.principals.get(activity.objectId.toLowerCase());
  const at = activity.at ?? state.clock.now();
  const correlationId = randomUUID();
  const event = (status: string, when: Date) => ({
    authorization: { action: activity.action, scope: activity.resourceId },
    caller: principal?.upn ?? activity.objectId,
    claims: { 'http://schemas.microsoft.com/identity/claims/objectidentifier': activity.objectId },
    correlationId,
    eventDataId: randomUUID(),
    eventTimestamp: when.toISOString(),
    submissionTimestamp: new Date(when.getTime() + 60_000).toISOString(),
    level: 'Informational',
    category: { value: 'Administrative', localizedValue: 'Administrative' },
    operationName: { value: activity.action, localizedValue: activity.action },
    resourceId: activity.resourceId,
    status: { value: status, localizedValue: status },
    subStatus:
      status === 'Failed'
        ? { value: 'Forbidden', localizedValue: 'Forbidden (HTTP Status Code: 403)' }
        : { value: '', localizedValue: '' },
    subscriptionId: activity.subscriptionId,
    tenantId: state.tenantId,
  });
  state.events.push(
    event('Started', at),
    event(activity.status ?? 'Succeeded', new Date(at.getTime() + 1000)),
  );
}
