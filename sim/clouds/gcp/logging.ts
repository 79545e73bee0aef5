/**
 * Cloud Logging's `entries:list` over the fake's Cloud Audit Logs, with its read quota, filter
 * language (log-filter.ts), ordering and paging; and `addLogEntry`, which writes an audit-log
 * entry the way Google shapes one.
 */
import { randomBytes } from 'node:crypto';
import { compileLogFilter } from './log-filter';
import { authorize, type GcpState } from './state';
import type { FakeAuditEvent } from './types';
import {
  clone,
  GoogleHttpError,
  invalid,
  notFound,
  pageToken,
  permissionDenied,
  readPageToken,
} from './wire';

/** Logging's read quota: 60 entries:list calls per minute per project. */
const LOGGING_PER_MINUTE = 60;
const DOMAIN = 'logging.googleapis.com';

interface ListInput {
  resourceNames?: string[];
  projectIds?: string[];
  filter?: string;
  orderBy?: string;
  pageSize?: number;
  pageToken?: string;
}

/** Counts the call against each project's quota (fake-clock time); 429 RESOURCE_EXHAUSTED beyond it. */
function throttle(state: GcpState, projectIds: readonly string[]): void {
  const now = state.clock.now().getTime();
  const limited = projectIds.some((p) => {
    const calls = (state.loggingCalls.get(p) ?? []).filter((t) => t > now - 60_000);
    state.loggingCalls.set(p, calls);
    return calls.length >= LOGGING_PER_MINUTE;
  });
  if (limited || state.rateLimitsToInject > 0) {
    if (!limited) state.rateLimitsToInject -= 1;
    throw new GoogleHttpError(
      429,
      'RESOURCE_EXHAUSTED',
      "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'logging.googleapis.com'.",
      [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'RATE_LIMIT_EXCEEDED',
          domain: 'googleapis.com',
          metadata: { service: DOMAIN, quota_limit_value: String(LOGGING_PER_MINUTE) },
        },
      ],
    );
  }
  for (const p of projectIds) state.loggingCalls.get(p)!.push(now);
}

/** `POST /v2/entries:list`. */
export function logging(state: GcpState, path: string, body: unknown, email: string): unknown {
  if (path !== '/v2/entries:list') throw notFound();
  const input = (body ?? {}) as ListInput;
  // The deprecated `projectIds` still count: Logging adds them to `resourceNames`.
  const names = [...(input.resourceNames ?? []), ...(input.projectIds ?? []).map((p) => `projects/${p}`)];
  if (names.length === 0) throw invalid('resourceNames: at least one resource name is required.');
  if (names.length > 100) throw invalid('resourceNames: at most 100 resource names.');
  const projectIds = names.map((n) => {
    const m = /^projects\/([^/]+)$/.exec(n);
    if (!m || !state.logs.has(m[1]!)) throw permissionDenied('logging.logEntries.list', n, DOMAIN);
    authorize(state, email, 'logging.logEntries.list', n, DOMAIN);
    return m[1]!;
  });
  throttle(state, projectIds);
  if ((input.filter ?? '').length > 20_000) throw invalid('filter: at most 20,000 characters.');
  const matches = compileLogFilter(input.filter ?? '');
  const order = (input.orderBy ?? 'timestamp asc').trim();
  if (order !== 'timestamp asc' && order !== 'timestamp desc') throw invalid(`Invalid orderBy: ${order}`);
  const entries = projectIds
    .flatMap((p) => state.logs.get(p)!)
    .filter(matches)
    .sort(
      (a, b) => String(a.timestamp).localeCompare(String(b.timestamp)) * (order === 'timestamp asc' ? 1 : -1),
    );
  const size = Math.min(Math.max(1, Number(input.pageSize ?? 50) || 50), state.maxPageSize);
  const offset = readPageToken(input.pageToken);
  const slice = entries.slice(offset, offset + size);
  return {
    ...(slice.length > 0 ? { entries: clone(slice) } : {}),
    ...(offset + size < entries.length ? { nextPageToken: pageToken(offset + size) } : {}),
  };
}

/** Records an audit-log entry for `projectId` (Admin Activity by default, or Data Access). */
export function addLogEntry(state: GcpState, projectId: string, event: FakeAuditEvent): void {
  const entries = state.logs.get(projectId);
  if (!entries) throw new Error(`the GCP fake has no project ${projectId}`);
  const log = event.log ?? 'activity';
  const serviceName = event.serviceName ?? `${event.methodName.split('.')[1] ?? 'unknown'}.googleapis.com`;
  entries.push({
    insertId: randomBytes(6).toString('hex'),
    logName: `projects/${projectId}/logs/cloudaudit.googleapis.com%2F${log}`,
    timestamp: (event.timestamp ?? state.clock.now()).toISOString(),
    resource: { type: 'audited_resource', labels: { project_id: projectId, service: serviceName } },
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      serviceName,
      methodName: event.methodName,
      ...(event.resourceName ? { resourceName: event.resourceName } : {}),
      authenticationInfo: { principalEmail: event.principalEmail },
      ...(event.permission
        ? {
            authorizationInfo: [
              {
                permission: event.permission,
                // google.rpc.Code 7 is PERMISSION_DENIED.
                granted: (event.statusCode ?? 0) !== 7,
                resource: event.resourceName,
              },
            ],
          }
        : {}),
      ...(event.statusCode ? { status: { code: event.statusCode } } : {}),
    },
  });
}
