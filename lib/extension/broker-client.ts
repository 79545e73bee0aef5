/**
 * The extension's client for the broker's HTTP API (`/api/v1`). `fetch` is injected so the
 * background, the options page and the tests share one implementation.
 *
 * Every response is validated against the shared contract: a body that does not match is
 * refused (`invalid_response`) rather than trusted. API errors keep the broker's `code`,
 * `message`, `fields` and `advice`; a network failure or timeout is `unreachable`. Nothing here
 * logs, and no error message ever contains the token.
 */
import type * as z from 'zod/mini';
import {
  AccessRequestList,
  AccessRequestView,
  ActivityList,
  ApiError,
  AuditList,
  ERROR_STATUS,
  EventView,
  GrantList,
  GrantView,
  LandingView,
  MeView,
  PreviewView,
  type ErrorCode,
  type ExtendBody,
  type FieldError,
  type ListGrantsQuery,
  type ListRequestsQuery,
} from '../contract/api';
import { firstIssueMessage, type NewAccessRequest } from '../contract/request';

export const API_PREFIX = '/api/v1';
export const DEFAULT_TIMEOUT_MS = 15_000;

export type BrokerErrorCode =
  | ErrorCode
  /** Network failure, timeout, refused redirect: the broker did not answer. */
  | 'unreachable'
  /** The broker answered something the contract does not describe. */
  | 'invalid_response'
  /** No API token is configured. */
  | 'not_signed_in';

export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  constructor(
    readonly code: BrokerErrorCode,
    message: string,
    readonly fields: readonly FieldError[] = [],
    readonly advice: readonly string[] = [],
    /** HTTP status, when the broker answered. */
    readonly status?: number,
  ) {
    super(message);
  }

  /** Worth asking again later (network, overload, a broker-side failure). */
  get retryable(): boolean {
    return (
      this.code === 'unreachable' ||
      this.code === 'rate_limited' ||
      this.code === 'internal' ||
      this.code === 'invalid_response'
    );
  }
}

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
  audit(query?: { after?: number; limit?: number }): Promise<AuditList>;
  /**
   * `GET /api/v1/events` through fetch streaming (so the token goes in `Authorization`, never a
   * URL). Resolves when the stream ends, rejects with a `BrokerError` when it cannot start.
   */
  streamEvents(options: EventStreamOptions): Promise<void>;
}

export interface EventStreamOptions {
  /** Resume after this event id (`Last-Event-ID`); events missed meanwhile are replayed. */
  lastEventId?: string | null;
  signal?: AbortSignal;
  /** The stream is open (the broker answered 200). */
  onOpen?: () => void;
  onEvent: (event: EventView) => void;
  /** Some events could not be replayed: reload the lists. */
  onResync?: () => void;
}

/** Longest SSE line or event kept (a broker event is a few hundred bytes). */
const SSE_MAX_BUFFER = 64 * 1024;

/**
 * Splits a Server-Sent Events byte stream into events (id, event, data); comments and `retry:`
 * are ignored. Returns a function to feed decoded text chunks.
 */
export function sseParser(
  dispatch: (message: { id: string | null; event: string; data: string }) => void,
): (chunk: string) => void {
  let buffer = '';
  let id: string | null = null;
  let event = '';
  let data: string[] = [];
  return (chunk) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? nl + 2 : nl + 1);
      if (line === '') {
        if (data.length) dispatch({ id, event: event || 'message', data: data.join('\n') });
        id = null;
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (buffer.length > SSE_MAX_BUFFER) buffer = '';
  };
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

const STATUS_CODE: Record<number, ErrorCode> = Object.fromEntries(
  Object.entries(ERROR_STATUS).map(([code, status]) => [status, code as ErrorCode]),
);

function codeForStatus(status: number): BrokerErrorCode {
  return STATUS_CODE[status] ?? (status >= 500 ? 'internal' : 'invalid_response');
}

function describeFailure(e: unknown, timedOut: boolean): string {
  if (timedOut) return 'the broker did not answer in time';
  const detail = e instanceof Error ? e.message : String(e);
  return `could not reach the broker (${detail.slice(0, 200)})`;
}

export function createBrokerClient(options: BrokerClientOptions): BrokerApi {
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    schema: z.ZodMiniType<T>,
    body?: unknown,
  ): Promise<T> {
    const token = await options.getToken();
    if (!token) {
      throw new BrokerError('not_signed_in', 'no API token: set one in the Unblock options');
    }
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `Bearer ${token}`,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await doFetch(`${baseUrl}${API_PREFIX}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        // The token must not follow a redirect somewhere else, nor cookies ride along.
        redirect: 'error',
        credentials: 'omit',
        cache: 'no-store',
        signal: controller.signal,
      });
      text = await response.text();
    } catch (e) {
      throw new BrokerError('unreachable', describeFailure(e, timedOut));
    } finally {
      clearTimeout(timer);
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const err = ApiError.safeParse(json);
      if (err.success) {
        const { code, message, fields, advice } = err.data.error;
        throw new BrokerError(code, message, fields ?? [], advice ?? [], response.status);
      }
      throw new BrokerError(
        codeForStatus(response.status),
        `the broker answered HTTP ${response.status}`,
        [],
        [],
        response.status,
      );
    }
    if (json === undefined) {
      throw new BrokerError(
        'invalid_response',
        'the broker answered without a JSON body',
        [],
        [],
        response.status,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new BrokerError(
        'invalid_response',
        `unexpected answer from the broker: ${firstIssueMessage(parsed.error)}`,
        [],
        [],
        response.status,
      );
    }
    return parsed.data;
  }

  const id = (value: string) => encodeURIComponent(value);

  async function streamEvents(opts: EventStreamOptions): Promise<void> {
    const token = await options.getToken();
    if (!token) {
      throw new BrokerError('not_signed_in', 'no API token: set one in the Unblock options');
    }
    const headers: Record<string, string> = {
      Accept: 'text/event-stream',
      Authorization: `Bearer ${token}`,
    };
    if (opts.lastEventId) headers['Last-Event-ID'] = opts.lastEventId;
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${API_PREFIX}/events`, {
        method: 'GET',
        headers,
        redirect: 'error',
        credentials: 'omit',
        cache: 'no-store',
        signal: opts.signal,
      });
    } catch (e) {
      throw new BrokerError('unreachable', describeFailure(e, false));
    }
    if (!response.ok || !response.body) {
      const err = ApiError.safeParse(await response.json().catch(() => undefined));
      if (err.success) {
        const { code, message, fields, advice } = err.data.error;
        throw new BrokerError(code, message, fields ?? [], advice ?? [], response.status);
      }
      throw new BrokerError(
        codeForStatus(response.status),
        `the broker answered HTTP ${response.status}`,
        [],
        [],
        response.status,
      );
    }
    opts.onOpen?.();
    const feed = sseParser((m) => {
      if (m.event === 'resync') {
        opts.onResync?.();
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(m.data);
      } catch {
        return;
      }
      const parsed = EventView.safeParse(json);
      if (parsed.success) opts.onEvent(parsed.data);
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        feed(value);
      }
    } catch (e) {
      if (opts.signal?.aborted) return;
      throw new BrokerError('unreachable', describeFailure(e, false));
    } finally {
      reader.releaseLock();
    }
  }

  return {
    baseUrl,
    streamEvents,
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
