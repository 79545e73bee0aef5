/**
 * The HTTP plumbing the Azure fake's APIs share, with no state of its own: ARM's error type, the
 * reply every handler returns, JSON writing with the request log's status, body reading, and the
 * small readers of untyped JSON.
 */
import type http from 'node:http';
import type { LoggedRequest } from './types';

/** An ARM error: `{ error: { code, message } }` with this status and headers. */
export class ArmFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** What a route answers: a status and a JSON body (null: no body). */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Writes `reply` as JSON and notes its status in the request's log entry. */
export function send(res: http.ServerResponse, logged: LoggedRequest | undefined, reply: Reply): void {
  if (logged) logged.status = reply.status;
  res.writeHead(reply.status, {
    ...(reply.body === null ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    ...reply.headers,
  });
  res.end(reply.body === null ? undefined : JSON.stringify(reply.body));
}

export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 256 * 1024)
      throw new ArmFailure(413, 'RequestEntityTooLarge', 'The request body is too large.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The next page's URL: this request's query with `$skipToken` moved on to `skip`. */
export function nextLink(base: string, url: URL, skip: number): string {
  const next = new URL(`${base}${url.pathname}`);
  for (const [k, v] of url.searchParams) if (k !== '$skipToken') next.searchParams.set(k, v);
  next.searchParams.set('$skipToken', String(skip));
  return next.toString();
}
