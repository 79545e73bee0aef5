/**
 * The little HTTP the authorization server needs on top of node:http: bounded form bodies, JSON
 * and HTML responses with the headers every auth response carries, and cookies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Form posts (login, token, revoke) are tiny; anything bigger is a mistake or an attack. */
export const FORM_BODY_LIMIT = 64 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The body of an `application/x-www-form-urlencoded` POST. Throws HttpError 413 past the limit
 * (without reading the rest) and 415 for another content type.
 */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new HttpError(415, 'the body must be application/x-www-form-urlencoded');
  }
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > FORM_BODY_LIMIT) throw new HttpError(413, 'the request body is too large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_BODY_LIMIT) throw new HttpError(413, 'the request body is too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * A parameter that must appear at most once (RFC 6749 §3.1: repeated parameters are an error, and
 * they are also how parser-confusion attacks start). `undefined` when absent or empty.
 */
export function single(params: URLSearchParams, name: string): string | undefined | { repeated: true } {
  const all = params.getAll(name);
  if (all.length > 1) return { repeated: true };
  return all[0] === undefined || all[0] === '' ? undefined : all[0];
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { ...NO_STORE, 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * The broker's own pages: no script, no external resource, not frameable. `formTargets` are the
 * origins a form on the page may end up at: Chromium applies `form-action` to the redirects after
 * a submission too, so the login form must be allowed to land on the client's redirect URI.
 */
export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  options: { formTargets?: readonly string[]; headers?: Record<string, string> } = {},
) {
  const formAction = ["'self'", ...(options.formTargets ?? [])].join(' ');
  res.writeHead(status, {
    ...NO_STORE,
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // The page URL carries the authorization request; the redirect target must not see it.
    'referrer-policy': 'no-referrer',
    ...options.headers,
  });
  res.end(html);
}

/** 303: after a POST the browser must GET the target (a 307 would re-post the password). */
export function redirect(
  res: ServerResponse,
  location: string,
  headers: Record<string, string | string[]> = {},
) {
  res.writeHead(303, { ...NO_STORE, location, 'referrer-policy': 'no-referrer', ...headers });
  res.end();
}

export function parseCookies(req: IncomingMessage): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    // First one wins, as browsers send the most specific path first.
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

export interface CookieOptions {
  maxAgeSeconds: number;
  sameSite: 'Strict' | 'Lax';
  secure: boolean;
}

/** HttpOnly, scoped to /oauth/; `Secure` whenever the broker is served over https. */
export function cookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${value}`,
    'Path=/oauth/',
    `Max-Age=${options.maxAgeSeconds}`,
    'HttpOnly',
    `SameSite=${options.sameSite}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

/** The client's address for throttling: the socket's peer (a proxy in front should be trusted explicitly, not via headers anyone can send). */
export function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}
