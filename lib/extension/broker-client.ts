/**
 * The extension's client for the broker's HTTP API (`/api/v1`): one method per route. `fetch` is
 * injected so the background, the options page and the tests share one implementation.
 *
 * Each call (lib/extension/broker-call.ts) is validated against the shared contract: a body that
 * does not match is refused (`invalid_response`) rather than trusted. Failures are `BrokerError`s
 * (lib/extension/broker-error.ts); the event stream is lib/extension/broker-events.ts. Nothing
 * here logs, and no error message ever contains the token.
 */
import {
  AccessRequestList,
  AccessRequestView,
  ActivityList,
  AuditList,
  DecodedView,
  GrantList,
  GrantView,
  LandingView,
  MeView,
  PreviewView,
  type DecodeBody,
  type ExtendBody,
  type ListGrantsQuery,
  type ListRequestsQuery,
} from '../contract/api';
import type { NewAccessRequest } from '../contract/request';
import type * as z from 'zod/mini';
import { callBroker, type BrokerConnection } from './broker-call';
import { streamBrokerEvents, type EventStreamOptions } from './broker-events';

export const DEFAULT_TIMEOUT_MS = 15_000;

export interface BrokerClientOptions {
  /** The broker's URL (`http://127.0.0.1:8787`); a trailing `/api/v1` or slash is accepted. */
  baseUrl: string;
  /** The bearer token, read on every call (so a changed setting applies at once). */
  getToken: () => Promise<string | null>;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface BrokerClient {
  readonly baseUrl: string;
  submitRequest(body: NewAccessRequest): Promise<AccessRequestView>;
  getRequest(id: string): Promise<AccessRequestView>;
  getGrant(id: string): Promise<GrantView>;
  landing(grantId: string, destination: string | null): Promise<LandingView>;
  /** The caller's own requests (also the cheapest "is this token good" check). */
  listMyRequests(): Promise<AccessRequestList>;
}

/**
 * The whole API as the popup and the sidebar use it. A separate interface so code (and test
 * doubles) that only files and follows requests can keep implementing `BrokerClient` alone.
 */
export interface BrokerApi extends BrokerClient {
  /** Who the token belongs to, and whether they approve or audit. */
  me(): Promise<MeView>;
  listRequests(query?: ListRequestsQuery): Promise<AccessRequestList>;
  listGrants(query?: ListGrantsQuery): Promise<GrantList>;
  approve(requestId: string, comment?: string): Promise<AccessRequestView>;
  deny(requestId: string, comment?: string): Promise<AccessRequestView>;
  cancel(requestId: string): Promise<AccessRequestView>;
  /** A linked request for more time; policy decides it like any other request. */
  extendGrant(grantId: string, body: ExtendBody): Promise<AccessRequestView>;
  revokeGrant(grantId: string, reason?: string): Promise<GrantView>;
  /** What approving the request would put in place. */
  preview(requestId: string): Promise<PreviewView>;
  activity(grantId: string): Promise<ActivityList>;
  /** What an encoded denial (AWS) says was denied, decoded by the cloud in the target account. */
  decode(body: DecodeBody): Promise<DecodedView>;
  audit(query?: { after?: number; limit?: number }): Promise<AuditList>;
  /**
   * `GET /api/v1/events` through fetch streaming (so the token goes in `Authorization`, never a
   * URL). Resolves when the stream ends, rejects with a `BrokerError` when it cannot start.
   */
  streamEvents(options: EventStreamOptions): Promise<void>;
}

/** `?a=1&b=2` from the defined entries (empty when there are none). */
function queryString(query: Record<string, string | number | undefined> | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** `{comment}` only when there is one (the broker trims; an empty comment is no comment). */
function commentBody(key: 'comment' | 'reason', text: string | undefined): Record<string, string> {
  const trimmed = text?.trim();
  return trimmed ? { [key]: trimmed } : {};
}

/** `http://host:8787/api/v1/` → `http://host:8787`. */
export function normalizeBaseUrl(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\/api\/v1$/, '');
}

export function createBrokerClient(options: BrokerClientOptions): BrokerApi {
  const conn: BrokerConnection = {
    baseUrl: normalizeBaseUrl(options.baseUrl),
    getToken: options.getToken,
    doFetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
  const { baseUrl } = conn;
  const call = <T>(method: 'GET' | 'POST', path: string, schema: z.ZodMiniType<T>, body?: unknown) =>
    callBroker(conn, method, path, schema, body);
  const id = (value: string) => encodeURIComponent(value);

  return {
    baseUrl,
    streamEvents: (opts) => streamBrokerEvents(conn, opts),
    submitRequest: (body) => call('POST', '/requests', AccessRequestView, body),
    getRequest: (requestId) => call('GET', `/requests/${id(requestId)}`, AccessRequestView),
    getGrant: (grantId) => call('GET', `/grants/${id(grantId)}`, GrantView),
    landing: (grantId, destination) =>
      call('POST', `/grants/${id(grantId)}/landing`, LandingView, destination ? { destination } : {}),
    listMyRequests: () => call('GET', '/requests?mine=true', AccessRequestList),
    me: () => call('GET', '/me', MeView),
    listRequests: (query) => call('GET', `/requests${queryString(query)}`, AccessRequestList),
    listGrants: (query) => call('GET', `/grants${queryString(query)}`, GrantList),
    approve: (requestId, comment) =>
      call('POST', `/requests/${id(requestId)}/approve`, AccessRequestView, commentBody('comment', comment)),
    deny: (requestId, comment) =>
      call('POST', `/requests/${id(requestId)}/deny`, AccessRequestView, commentBody('comment', comment)),
    cancel: (requestId) => call('POST', `/requests/${id(requestId)}/cancel`, AccessRequestView, {}),
    extendGrant: (grantId, body) =>
      call('POST', `/grants/${id(grantId)}/extend`, AccessRequestView, {
        durationMinutes: body.durationMinutes,
        justification: body.justification,
      }),
    revokeGrant: (grantId, reason) =>
      call('POST', `/grants/${id(grantId)}/revoke`, GrantView, commentBody('reason', reason)),
    preview: (requestId) => call('GET', `/requests/${id(requestId)}/preview`, PreviewView),
    activity: (grantId) => call('GET', `/grants/${id(grantId)}/activity`, ActivityList),
    decode: (body) =>
      call('POST', '/decode', DecodedView, { target: body.target, encodedMessage: body.encodedMessage }),
    audit: (query) =>
      call(
        'GET',
        `/audit${queryString({
          after: query?.after === undefined ? undefined : Math.max(0, Math.trunc(query.after)),
          limit: query?.limit === undefined ? undefined : Math.max(1, Math.trunc(query.limit)),
        })}`,
        AuditList,
      ),
  };
}
