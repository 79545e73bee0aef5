/**
 * What a user did under a GCP grant, from the project's Cloud Audit Logs (Cloud Logging
 * `entries:list`) over the grant's window, oldest first, capped at what a review screen shows.
 */
import type { Grant } from '../../domain';
import type { ActivityEntry, CloudIdentities, ProviderRef } from '../../provision/types';
import { memberOf, type GcpContext } from './context';
import { rfc3339 } from './policy';
import { refOf } from './ref';

/** Logging allows 60 reads per minute per project: back off long enough to reach the next minute. */
const LOGGING_ATTEMPTS = 6;
const LOGGING_BACKOFF_MS = 2_000;
/** Activity: at most this many entries (pages of 100), the most a review screen usefully shows. */
const ACTIVITY_PAGE_SIZE = 100;
const ACTIVITY_MAX_PAGES = 10;

export async function activityGcp(
  ctx: GcpContext,
  grant: Grant,
  ref: ProviderRef | null,
  identities: CloudIdentities,
): Promise<ActivityEntry[]> {
  const stored = refOf(ref);
  const member = stored.member ?? memberOf(grant, identities);
  const projectId = stored.project ?? grant.target.account;
  const email = member.slice(member.indexOf(':') + 1);
  const end = grant.endedAt ?? grant.expiresAt;
  const filter = [
    `protoPayload.authenticationInfo.principalEmail="${email.replace(/"/g, '\\"')}"`,
    `timestamp>="${rfc3339(grant.startsAt)}"`,
    `timestamp<="${rfc3339(end)}"`,
    'logName:"cloudaudit.googleapis.com"',
  ].join(' AND ');
  const entries: ActivityEntry[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < ACTIVITY_MAX_PAGES; page += 1) {
    const body = await ctx.google.call<{ entries?: LogEntry[]; nextPageToken?: string }>({
      method: 'POST',
      url: `${ctx.endpoints.logging}/v2/entries:list`,
      body: {
        resourceNames: [`projects/${projectId}`],
        filter,
        orderBy: 'timestamp asc',
        pageSize: ACTIVITY_PAGE_SIZE,
        ...(pageToken ? { pageToken } : {}),
      },
      what: `read the audit log of projects/${projectId}`,
      permission: 'logging.logEntries.list',
      attempts: LOGGING_ATTEMPTS,
      backoffMs: LOGGING_BACKOFF_MS,
    });
    entries.push(...(body.entries ?? []).map(toActivity));
    pageToken = body.nextPageToken || undefined;
    if (!pageToken) break;
  }
  return entries;
}

/** The fields of a Cloud Audit Logs entry the activity view uses. */
interface LogEntry {
  readonly timestamp?: string;
  readonly logName?: string;
  readonly protoPayload?: {
    readonly methodName?: string;
    readonly resourceName?: string;
    readonly status?: { readonly code?: number; readonly message?: string };
  };
}

/** google.rpc.Code names: audit logs carry the number. */
const RPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

function toActivity(entry: LogEntry): ActivityEntry {
  const code = entry.protoPayload?.status?.code ?? 0;
  return {
    at: entry.timestamp ?? '',
    action: entry.protoPayload?.methodName ?? entry.logName ?? 'unknown',
    resource: entry.protoPayload?.resourceName ?? null,
    outcome: code === 0 ? 'success' : (RPC_CODES[code] ?? String(code)),
  };
}
