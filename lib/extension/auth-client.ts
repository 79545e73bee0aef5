/**
 * Signing in to the broker with OAuth 2.0 (authorization code + PKCE S256, RFC 7636), keeping
 * the tokens fresh, and signing out (RFC 7009 revocation).
 *
 * - Sign-in: `identity.launchWebAuthFlow` opens `<broker>/oauth/authorize` with a fresh PKCE
 *   verifier and `state`; the redirect must carry the same `state` and the broker's `iss`
 *   (RFC 9207, against mix-up); the code is exchanged at `/oauth/token`; `GET /api/v1/me` names
 *   the user.
 * - The session (`unblock.oauth` in `browser.storage.local`, trusted contexts only, like the
 *   settings) is bound to the broker URL it was issued by: it is never sent to another broker.
 * - Refresh: shortly before expiry (the background's alarm, or the first call that needs it).
 *   Refresh tokens are single-use and reusing one revokes the whole family, so there is one
 *   refresh at a time: callers in one context await the same promise, and contexts take a Web
 *   Lock (`navigator.locks`) and re-read storage before spending the token.
 * - A refused refresh (`invalid_grant`) signs the user out and leaves a notice saying why.
 *
 * Browser APIs, `fetch` and the clock are injected. Nothing here logs, and no error message
 * contains a token.
 */
import * as z from 'zod/mini';
import { BrokerError, normalizeBaseUrl } from './broker-client';
import { MeView } from '../contract/api';

export const OAUTH_KEY = 'unblock.oauth';
/** Why the user was signed out without asking (shown once on the options page). */
export const AUTH_NOTICE_KEY = 'unblock.authNotice';
export const CLIENT_ID = 'unblock-extension';
export const SCOPE = 'unblock';
/** Refresh this long before the access token expires. */
export const REFRESH_SKEW_MS = 60_000;
/** The background's one-shot alarm for the next refresh. */
export const REFRESH_ALARM = 'unblock-auth-refresh';
const LOCK_NAME = 'unblock-oauth-refresh';
const TIMEOUT_MS = 15_000;

export interface OAuthSession {
  /** The broker (normalised) that issued the tokens; they are only ever sent there. */
  brokerUrl: string;
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** From `GET /api/v1/me` at sign-in; null when that call failed. */
  user: string | null;
}

const Session = z.object({
  brokerUrl: z.string(),
  accessToken: z.string().check(z.minLength(1)),
  refreshToken: z.string().check(z.minLength(1)),
  expiresAt: z.number(),
  user: z.nullable(z.string()),
});

const TokenResponse = z.object({
  access_token: z.string().check(z.minLength(1), z.maxLength(4096)),
  token_type: z.string().check(z.regex(/^bearer$/i, 'token_type: must be Bearer')),
  expires_in: z.number().check(z.positive()),
  refresh_token: z.string().check(z.minLength(1), z.maxLength(4096)),
  scope: z.optional(z.string()),
});

const OAuthErrorBody = z.object({
  error: z.string(),
  error_description: z.optional(z.string()),
});

const Metadata = z.object({
  issuer: z.string(),
  code_challenge_methods_supported: z.optional(z.array(z.string())),
});

/** OAuth errors keep the RFC 6749 code (`invalid_grant`…); `unreachable` for network trouble. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** The broker will never accept this grant again: sign the user out. */
  get permanent(): boolean {
    return ['invalid_grant', 'invalid_client', 'unauthorized_client'].includes(this.code);
  }
}

/** The part of `browser.storage.local` this module uses. */
export interface KeyValueArea {
  get(keys: string[]): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
}

export interface AuthDeps {
  storage: KeyValueArea;
  /** `browser.identity.launchWebAuthFlow`. */
  launchWebAuthFlow(details: { url: string; interactive: boolean }): Promise<string | undefined>;
  /** `browser.identity.getRedirectURL('oauth')`. */
  redirectUrl(): string;
  fetch?: typeof fetch;
  now?: () => number;
  /** A cross-context mutex (Web Locks); without one, only this context is serialised. */
  lock?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  /** Called before every write (the settings' `setAccessLevel`). */
  beforeWrite?: () => Promise<void>;
  /** After an unasked sign-out, with the notice (the background shows a notification). */
  onSignedOut?: (notice: string) => void;
}

export interface Auth {
  /** The stored session, whatever its broker. */
  session(): Promise<OAuthSession | null>;
  /** Why the last unasked sign-out happened, if it has not been dismissed. */
  notice(): Promise<string | null>;
  signIn(brokerUrl: string): Promise<OAuthSession>;
  /** Revokes the refresh token (best effort) and forgets the session. */
  signOut(): Promise<void>;
  /**
   * A valid access token for this broker, refreshing it first when it is about to expire; null
   * when not signed in there (or signed out by a refused refresh). Throws `BrokerError`
   * (`unreachable`) when the token expired and could not be renewed for now.
   */
  accessToken(brokerUrl: string): Promise<string | null>;
  /** Refreshes now if the token is within `REFRESH_SKEW_MS` of expiring. */
  refresh(): Promise<OAuthSession | null>;
}

// ---------------------------------------------------------------------------------------------
// PKCE, state, the authorization URL and its response

export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** RFC 7636: a 43-character verifier and `BASE64URL(SHA-256(verifier))`. */
export async function createPkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = randomToken(32);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: base64url(new Uint8Array(digest)) };
}

export function authorizeUrl(
  brokerUrl: string,
  p: { redirectUri: string; challenge: string; state: string },
): string {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: p.redirectUri,
    code_challenge: p.challenge,
    code_challenge_method: 'S256',
    state: p.state,
    scope: SCOPE,
  });
  return `${normalizeBaseUrl(brokerUrl)}/oauth/authorize?${params.toString()}`;
}

/**
 * The code from the redirect the browser caught, after checking it came back to our redirect
 * URI with our `state` and from the expected issuer.
 */
export function readAuthorizationResponse(
  responseUrl: string,
  expected: { redirectUri: string; state: string; issuer: string },
): string {
  let u: URL;
  try {
    u = new URL(responseUrl);
  } catch {
    throw new AuthError('invalid_response', 'sign-in returned an unreadable address');
  }
  const want = new URL(expected.redirectUri);
  if (u.origin !== want.origin || u.pathname !== want.pathname) {
    throw new AuthError('invalid_response', 'sign-in returned to an unexpected address');
  }
  const q = u.searchParams;
  if (q.get('state') !== expected.state) {
    throw new AuthError('invalid_state', 'sign-in answer does not match this sign-in (state); try again');
  }
  if (q.get('iss') !== expected.issuer) {
    throw new AuthError('invalid_issuer', 'sign-in answer came from another server (iss); try again');
  }
  const error = q.get('error');
  if (error) {
    const why = q.get('error_description');
    throw new AuthError(
      error,
      error === 'access_denied' ? 'sign-in was cancelled' : `sign-in failed: ${clip(why ?? error)}`,
    );
  }
  const code = q.get('code');
  if (!code) throw new AuthError('invalid_response', 'sign-in returned no authorization code');
  return code;
}

const clip = (s: string, max = 200) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

// ---------------------------------------------------------------------------------------------
// HTTP

async function send(
  doFetch: typeof fetch,
  url: string,
  init: RequestInit,
): Promise<{ status: number; ok: boolean; json: unknown }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await doFetch(url, {
      ...init,
      redirect: 'error',
      credentials: 'omit',
      cache: 'no-store',
      signal: controller.signal,
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, ok: response.ok, json };
  } catch (e) {
    const detail = controller.signal.aborted
      ? 'no answer in time'
      : e instanceof Error
        ? e.message
        : String(e);
    throw new AuthError('unreachable', `could not reach the broker (${clip(detail)})`);
  } finally {
    clearTimeout(timer);
  }
}

async function postForm(doFetch: typeof fetch, url: string, form: Record<string, string>) {
  return send(doFetch, url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
}

async function tokenCall(
  doFetch: typeof fetch,
  brokerUrl: string,
  form: Record<string, string>,
): Promise<z.infer<typeof TokenResponse>> {
  const r = await postForm(doFetch, `${brokerUrl}/oauth/token`, form);
  if (!r.ok) {
    const err = OAuthErrorBody.safeParse(r.json);
    if (err.success) {
      throw new AuthError(err.data.error, clip(err.data.error_description ?? err.data.error));
    }
    throw new AuthError(
      r.status >= 500 ? 'server_error' : 'invalid_response',
      `the broker answered HTTP ${r.status}`,
    );
  }
  const parsed = TokenResponse.safeParse(r.json);
  if (!parsed.success) throw new AuthError('invalid_response', 'the broker sent an unusable token response');
  return parsed.data;
}

/** The broker's RFC 8414 metadata: it must name itself as the URL we were given, and do S256. */
export async function fetchIssuer(doFetch: typeof fetch, brokerUrl: string): Promise<string> {
  const r = await send(doFetch, `${brokerUrl}/.well-known/oauth-authorization-server`, {
    headers: { Accept: 'application/json' },
  });
  const parsed = Metadata.safeParse(r.json);
  if (!r.ok || !parsed.success) {
    throw new AuthError(
      'unsupported',
      'this broker does not offer sign-in (no OAuth metadata); use an API token',
    );
  }
  const issuer = parsed.data.issuer;
  if (normalizeBaseUrl(issuer) !== brokerUrl) {
    throw new AuthError(
      'invalid_issuer',
      `the broker calls itself ${clip(issuer, 300)}: set that as the broker URL, then sign in`,
    );
  }
  const methods = parsed.data.code_challenge_methods_supported;
  if (methods && !methods.includes('S256')) {
    throw new AuthError('unsupported', 'the broker does not support PKCE S256');
  }
  return issuer;
}

/** `GET /api/v1/me` with a bearer token (the options page's "Signed in as"). */
export async function fetchMe(doFetch: typeof fetch, brokerUrl: string, token: string): Promise<MeView> {
  let r: Awaited<ReturnType<typeof send>>;
  try {
    r = await send(doFetch, `${brokerUrl}/api/v1/me`, {
      headers: { Accept: 'application/json', Authorization: `Bearer ${token}` },
    });
  } catch (e) {
    throw new BrokerError('unreachable', e instanceof Error ? e.message : String(e));
  }
  const parsed = MeView.safeParse(r.json);
  if (!r.ok || !parsed.success) {
    throw new BrokerError(
      r.status === 401 ? 'unauthorized' : 'invalid_response',
      `the broker answered HTTP ${r.status}`,
      [],
      [],
      r.status,
    );
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// The session

export function createAuth(deps: AuthDeps): Auth {
  const doFetch = deps.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const now = deps.now ?? Date.now;
  const lock = deps.lock ?? (<T>(_name: string, fn: () => Promise<T>) => fn());
  let inflight: Promise<OAuthSession | null> | undefined;

  async function session(): Promise<OAuthSession | null> {
    const stored = await deps.storage.get([OAUTH_KEY]);
    const parsed = Session.safeParse(stored[OAUTH_KEY]);
    return parsed.success ? parsed.data : null;
  }

  async function write(s: OAuthSession): Promise<void> {
    await deps.beforeWrite?.();
    await deps.storage.set({ [OAUTH_KEY]: s });
  }

  async function revoke(brokerUrl: string, token: string): Promise<void> {
    try {
      await postForm(doFetch, `${brokerUrl}/oauth/revoke`, {
        token,
        token_type_hint: 'refresh_token',
        client_id: CLIENT_ID,
      });
    } catch {
      // Best effort: the refresh token expires on its own; storage is cleared either way.
    }
  }

  const stale = (s: OAuthSession) => s.expiresAt - now() <= REFRESH_SKEW_MS;

  async function doRefresh(): Promise<OAuthSession | null> {
    return lock(LOCK_NAME, async () => {
      // Re-read under the lock: another context may have refreshed (and spent the token) already.
      const s = await session();
      if (!s || !stale(s)) return s;
      let t: z.infer<typeof TokenResponse>;
      try {
        t = await tokenCall(doFetch, s.brokerUrl, {
          grant_type: 'refresh_token',
          refresh_token: s.refreshToken,
          client_id: CLIENT_ID,
        });
      } catch (e) {
        if (e instanceof AuthError && e.permanent) {
          const current = await session();
          if (current?.refreshToken === s.refreshToken) {
            const notice = `Signed out: the broker ended your session (${clip(e.message, 150)}). Sign in again in the Unblock options.`;
            await deps.storage.remove(OAUTH_KEY);
            await deps.beforeWrite?.();
            await deps.storage.set({ [AUTH_NOTICE_KEY]: notice });
            deps.onSignedOut?.(notice);
          }
          return null;
        }
        throw e;
      }
      // Signed out (or in again) while the refresh was on the wire: do not resurrect the session.
      const current = await session();
      if (current?.refreshToken !== s.refreshToken) {
        await revoke(s.brokerUrl, t.refresh_token);
        return current;
      }
      const next: OAuthSession = {
        ...s,
        accessToken: t.access_token,
        refreshToken: t.refresh_token,
        expiresAt: now() + t.expires_in * 1000,
      };
      await write(next);
      return next;
    });
  }

  function refresh(): Promise<OAuthSession | null> {
    inflight ??= doRefresh().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  return {
    session,

    async notice() {
      const stored = await deps.storage.get([AUTH_NOTICE_KEY]);
      const n = stored[AUTH_NOTICE_KEY];
      return typeof n === 'string' ? n : null;
    },

    async signIn(rawUrl) {
      const brokerUrl = normalizeBaseUrl(rawUrl);
      const issuer = await fetchIssuer(doFetch, brokerUrl);
      const redirectUri = deps.redirectUrl();
      const { verifier, challenge } = await createPkce();
      const state = randomToken(16);
      let responseUrl: string | undefined;
      try {
        responseUrl = await deps.launchWebAuthFlow({
          url: authorizeUrl(brokerUrl, { redirectUri, challenge, state }),
          interactive: true,
        });
      } catch (e) {
        const detail = e instanceof Error ? e.message : String(e);
        throw new AuthError('access_denied', `sign-in did not finish (${clip(detail)})`);
      }
      if (!responseUrl) throw new AuthError('access_denied', 'sign-in was cancelled');
      const code = readAuthorizationResponse(responseUrl, {
        redirectUri,
        state,
        issuer,
      });
      const t = await tokenCall(doFetch, brokerUrl, {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: CLIENT_ID,
        redirect_uri: redirectUri,
      });
      let user: string | null = null;
      try {
        user = (await fetchMe(doFetch, brokerUrl, t.access_token)).user;
      } catch {
        // Signed in all the same; the page says so without a name.
      }
      const s: OAuthSession = {
        brokerUrl,
        accessToken: t.access_token,
        refreshToken: t.refresh_token,
        expiresAt: now() + t.expires_in * 1000,
        user,
      };
      const previous = await session();
      await write(s);
      await deps.storage.remove(AUTH_NOTICE_KEY);
      if (previous) await revoke(previous.brokerUrl, previous.refreshToken);
      return s;
    },

    async signOut() {
      const s = await session();
      // Forget first, so nothing uses the tokens while the revocation is on the wire.
      await deps.storage.remove([OAUTH_KEY, AUTH_NOTICE_KEY]);
      if (s) await revoke(s.brokerUrl, s.refreshToken);
    },

    async accessToken(rawUrl) {
      const brokerUrl = normalizeBaseUrl(rawUrl);
      const s = await session();
      if (!s || s.brokerUrl !== brokerUrl) return null;
      if (!stale(s)) return s.accessToken;
      let next: OAuthSession | null;
      try {
        next = await refresh();
      } catch (e) {
        // Transient trouble: the old token is still good for a little while.
        if (s.expiresAt > now()) return s.accessToken;
        const detail = e instanceof Error ? e.message : String(e);
        throw new BrokerError('unreachable', `could not renew the sign-in: ${clip(detail)}`);
      }
      return next && next.brokerUrl === brokerUrl ? next.accessToken : null;
    },

    refresh,
  };
}

/**
 * The bearer token for broker calls: the OAuth access token when signed in to this broker,
 * otherwise the API token from the settings (the demo and the e2e tests seed that one).
 */
export async function brokerToken(
  auth: Pick<Auth, 'accessToken'>,
  settings: { brokerUrl: string; token: string | null } | null,
): Promise<string | null> {
  if (!settings) return null;
  return (await auth.accessToken(settings.brokerUrl)) ?? settings.token;
}

/** `navigator.locks` where the context has it (extension pages, service workers). */
export function webLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  return locks ? (locks.request(name, fn) as Promise<T>) : fn();
}
