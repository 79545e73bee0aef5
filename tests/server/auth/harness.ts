/**
 * Test helpers for the broker's authorization server: a node:http server around `auth.handle`,
 * a tiny cookie-keeping "browser" driven with fetch (redirects by hand, so every hop is
 * inspectable), PKCE values, and the steps of the code flow.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { BrokerConfig } from '../../../server/config/schema';
import { createAuthService, type AuthService } from '../../../server/auth';
import type { Db } from '../../../server/store/db';

export const CLI = 'unblock-cli';
export const REDIRECT = 'http://127.0.0.1:53682/callback';

export interface Clock {
  now: Date;
  advance(ms: number): void;
}

export function clock(): Clock {
  const c = {
    now: new Date(),
    advance(ms: number) {
      c.now = new Date(c.now.getTime() + ms);
    },
  };
  return c;
}

export interface Broker {
  url: string;
  auth: AuthService;
  /** The store behind it, for checking what was written (audit rows, hashes only). */
  db: Db;
  clock: Clock;
  close(): Promise<void>;
}

/** The auth service behind a plain HTTP server on 127.0.0.1 (404 for everything it does not serve). */
export async function startBroker(
  db: Db,
  config: BrokerConfig,
  options: { port?: number; server?: http.Server } = {},
): Promise<Broker> {
  const time = clock();
  const server = options.server ?? http.createServer();
  if (!server.listening) {
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  }
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const auth = await createAuthService({ db, config, publicUrl: url, now: () => time.now });
  server.on('request', (req, res) => {
    const requestUrl = new URL(req.url ?? '/', url);
    void auth.handle(req, res, requestUrl).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  return {
    url,
    auth,
    db,
    clock: time,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Keeps cookies per name (paths and domains are not needed here: one broker, one IdP host). */
export class Browser {
  readonly cookies = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** Follows redirects while they stay on `origins`; returns the first response that is not a redirect, or leaves them. */
  async follow(url: string, origins: string[], init: RequestInit = {}): Promise<Response> {
    let res = await this.fetch(url, init);
    let current = url;
    for (let hops = 0; hops < 20; hops++) {
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return res;
      const next = new URL(location, current);
      if (!origins.includes(next.origin)) return res;
      current = next.toString();
      res = await this.fetch(current);
    }
    throw new Error('too many redirects');
  }
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(broker: Broker, params: Record<string, string | undefined>): string {
  const url = new URL('/oauth/authorize', broker.url);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

export function standardParams(challenge: string, overrides: Record<string, string | undefined> = {}) {
  return {
    response_type: 'code',
    client_id: CLI,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st-' + randomBytes(6).toString('hex'),
    ...overrides,
  };
}

/** The transaction id of a login page (its hidden field, or the IdP link when there is no form). */
export function transactionOf(html: string): string {
  const m = /name="tx" value="([^"]+)"/.exec(html) ?? /\/oauth\/oidc\/start\?tx=([^"&]+)"/.exec(html);
  if (!m) throw new Error(`no login form in: ${html.slice(0, 300)}`);
  return m[1]!;
}

export function form(values: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(values).toString(),
  };
}

/** GET /oauth/authorize in `browser`; returns the login page's transaction id. */
export async function openLogin(
  broker: Broker,
  browser: Browser,
  params: Record<string, string | undefined>,
) {
  const res = await browser.fetch(authorizeUrl(broker, params));
  expect(res.status).toBe(200);
  return transactionOf(await res.text());
}

export async function postLogin(
  broker: Broker,
  browser: Browser,
  tx: string,
  username: string,
  password: string,
) {
  return browser.fetch(`${broker.url}/oauth/login`, form({ tx, username, password }));
}

/** Authorize + local login; returns the redirect's query parameters. */
export async function signIn(
  broker: Broker,
  user: string,
  params: Record<string, string | undefined>,
  browser = new Browser(),
): Promise<URLSearchParams> {
  const tx = await openLogin(broker, browser, params);
  const res = await postLogin(broker, browser, tx, user, user);
  expect(res.status).toBe(303);
  const location = new URL(res.headers.get('location')!);
  return location.searchParams;
}

export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function tokenRequest(broker: Broker, values: Record<string, string>): Promise<TokenResponse> {
  const res = await fetch(`${broker.url}/oauth/token`, form(values));
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

export async function exchange(
  broker: Broker,
  code: string,
  verifier: string,
  overrides: Record<string, string> = {},
) {
  return tokenRequest(broker, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: CLI,
    ...overrides,
  });
}

/** A full local sign-in to tokens for `user` (password = user name, as in the demo config). */
export async function tokensFor(broker: Broker, user: string): Promise<{ access: string; refresh: string }> {
  const { verifier, challenge } = pkce();
  const query = await signIn(broker, user, standardParams(challenge));
  const res = await exchange(broker, query.get('code')!, verifier);
  expect(res.status).toBe(200);
  return { access: res.body.access_token as string, refresh: res.body.refresh_token as string };
}

export const bearer = (token: string) => `Bearer ${token}`;
