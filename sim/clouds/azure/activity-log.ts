/**
 * Azure Monitor's Activity Log (`Microsoft.Insights/eventtypes/management/values`): what the
 * simulated consoles record with `recordActivity`, listed newest first by time range, caller and
 * resource group, one `nextLink` page at a time, in the `EventData` shape of the 2015-04-01 API.
 */
import { randomUUID } from 'node:crypto';
import { roleAllowing } from './role-definitions';
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
  const group = /resourceGroupName eq '([^']+)'/i.exec(filter)?.[1];
  const start = Date.parse(from[1]!);
  const end = to ? Date.parse(to[1]!) : state.clock.now().getTime();
  const list = state.events
    .filter((e) => str(e.subscriptionId)?.toLowerCase() === subscription.toLowerCase())
    .filter((e) => {
      const at = Date.parse(str(e.eventTimestamp) ?? '');
      return at >= start && at <= end;
    })
    .filter((e) => !caller || str(e.caller)?.toLowerCase() === caller.toLowerCase())
    .filter((e) => !group || str(e.resourceGroupName)?.toLowerCase() === group.toLowerCase())
    // Azure answers newest first.
    .sort((a, b) => String(b.eventTimestamp).localeCompare(String(a.eventTimestamp)));
  const perPage = state.eventsPerPage;
  const skip = Number(url.searchParams.get('$skipToken') ?? 0);
  return {
    value: list.slice(skip, skip + perPage),
    ...(skip + perPage < list.length ? { nextLink: nextLink(state.base, url, skip + perPage) } : {}),
  };
}

/** The HTTP method behind an operation: `…/write` PUT, `…/delete` DELETE, `…/action` POST. */
const methodOf = (action: string) =>
  /\/delete$/i.test(action) ? 'DELETE' : /\/action$/i.test(action) ? 'POST' : 'PUT';

/** .NET ticks (100 ns since 0001-01-01), which Activity Log event ids end with. */
const ticks = (at: Date) => (BigInt(at.getTime()) * 10_000n + 621_355_968_000_000_000n).toString();

/** Logs an operation as Azure does: a `Started` event, then its outcome a second later. */
export function recordActivity(state: AzureState, activity: FakeActivity): void {
  // The Activity Log holds control-plane writes and actions only (docs/cloud-mechanics.md §2.6).
  if (/\/read$/i.test(activity.action) || state.dataOperations.has(activity.action.toLowerCase())) return;
  const principal = state.principals.get(activity.objectId.toLowerCase());
  const at = activity.at ?? state.clock.now();
  const correlationId = randomUUID();
  const group = /\/resourceGroups\/([^/]+)/i.exec(activity.resourceId)?.[1] ?? null;
  const provider = activity.action.split('/')[0]!;
  const role = roleAllowing(state, activity.objectId, activity.action, activity.resourceId, at);
  const event = (status: string, when: Date) => {
    const eventDataId = randomUUID();
    const failed = status === 'Failed';
    return {
      authorization: { action: activity.action, role, scope: activity.resourceId },
      caller: principal?.upn ?? activity.objectId,
      claims: {
        'http://schemas.microsoft.com/identity/claims/objectidentifier': activity.objectId,
        ...(principal ? { 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': principal.upn } : {}),
      },
      correlationId,
      description: '',
      eventDataId,
      eventName:
        status === 'Started'
          ? { value: 'BeginRequest', localizedValue: 'Begin request' }
          : { value: 'EndRequest', localizedValue: 'End request' },
      category: { value: 'Administrative', localizedValue: 'Administrative' },
      httpRequest: {
        clientRequestId: randomUUID(),
        clientIpAddress: '203.0.113.10',
        method: methodOf(activity.action),
      },
      id: `${activity.resourceId}/events/${eventDataId}/ticks/${ticks(when)}`,
      level: failed ? 'Error' : 'Informational',
      resourceGroupName: group,
      resourceProviderName: { value: provider, localizedValue: provider },
      resourceId: activity.resourceId,
      operationId: correlationId,
      operationName: { value: activity.action, localizedValue: activity.action },
      properties: failed ? { statusCode: 'Forbidden' } : status === 'Started' ? {} : { statusCode: 'OK' },
      status: { value: status, localizedValue: status },
      subStatus: failed
        ? { value: 'Forbidden', localizedValue: 'Forbidden (HTTP Status Code: 403)' }
        : status === 'Started'
          ? { value: '', localizedValue: '' }
          : { value: 'OK', localizedValue: 'OK (HTTP Status Code: 200)' },
      eventTimestamp: when.toISOString(),
      submissionTimestamp: new Date(when.getTime() + 60_000).toISOString(),
      subscriptionId: activity.subscriptionId,
      tenantId: state.tenantId,
    };
  };
  state.events.push(
    event('Started', at),
    event(activity.status ?? 'Succeeded', new Date(at.getTime() + 1000)),
  );
}
