/**
 * One JSON call to the broker's API (`/api/v1`): the bearer token read fresh, a timeout, no
 * redirects or cookies, and the answer validated against the shared contract (a body that does
 * not match is refused as `invalid_response` rather than trusted).
 */
import type * as z from 'zod/mini';
import { firstIssueMessage } from '../contract/request';
import { BrokerError, notSignedIn, refusal, unreachable } from './broker-error';

export const API_PREFIX = '/api/v1';

/** Where the broker is and how to reach it, for every call of one client. */
export interface BrokerConnection {
  /** Normalised (no trailing slash or `/api/v1`). */
  baseUrl: string;
  /** The bearer token, read on every call (so a changed setting applies at once). */
  getToken: () => Promise<string | null>;
  doFetch: typeof fetch;
  timeoutMs: number;
}

/** `Authorization: Bearer …`, or `not_signed_in` when there is no token. */
export async function authorization(conn: BrokerConnection): Promise<string> {
  const token = await conn.getToken();
  if (!token) throw notSignedIn();
  return `Bearer ${token}`;
}

export async function callBroker<T>(
  conn: BrokerConnection,
  method: 'GET' | 'POST',
  path: string,
  schema: z.ZodMiniType<T>,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    Authorization: await authorization(conn),
  };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, conn.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await conn.doFetch(`${conn.baseUrl}${API_PREFIX}${path}`, {
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
    throw unreachable(e, timedOut);
  } finally {
    clearTimeout(timer);
  }
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) throw refusal(response.status, json);
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
