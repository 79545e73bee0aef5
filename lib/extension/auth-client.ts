/**
 * Signing in to the broker with OAuth 2.0 (authorization code + PKCE S256, RFC 7636), keeping
 * the tokens fresh, and signing out (RFC 7009 revocation).
 *
 * - Sign-in: lib/extension/oauth-sign-in.ts (PKCE, `state`, `iss`, the code exchange).
 * - The session (lib/extension/auth-session.ts, `unblock.oauth` in `deps.storage`: the settings'
 *   `tokenArea()`, trusted contexts only — restricted `storage.local` in Chrome, the IndexedDB
 *   vault in Firefox) is bound to the broker URL it was issued by: it is never sent to another
 *   broker.
 * - Refresh (here): shortly before expiry (the background's alarm, or the first call that needs
 *   it). Refresh tokens are single-use and reusing one revokes the whole family, so there is one
 *   refresh at a time: callers in one context await the same promise, and contexts take a Web
 *   Lock (lib/extension/web-lock.ts) and re-read storage before spending the token.
 * - A refused refresh (`invalid_grant`) signs the user out and leaves a notice saying why.
 *
 * Browser APIs, `fetch` and the clock are injected. Nothing here logs, and no error message
 * contains a token.
 */
import { normalizeBaseUrl } from './broker-client';
import { BrokerError } from './broker-error';
import {
  AUTH_NOTICE_KEY,
  OAUTH_KEY,
  readNotice,
  readSession,
  writeSession,
  type KeyValueArea,
  type OAuthSession,
} from './auth-session';
import { AuthError, CLIENT_ID, clip, revokeRefreshToken, tokenCall, type TokenResponse } from './oauth-http';
import { signIn, type SignInContext } from './oauth-sign-in';

/** Refresh this long before the access token expires. */
export const REFRESH_SKEW_MS = 60_000;
/** The background's one-shot alarm for the next refresh. */
export const REFRESH_ALARM = 'unblock-auth-refresh';
const LOCK_NAME = 'unblock-oauth-refresh';

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

interface AuthContext extends SignInContext {
  lock: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  onSignedOut?: (notice: string) => void;
}

const stale = (ctx: AuthContext, s: OAuthSession) => s.expiresAt - ctx.now() <= REFRESH_SKEW_MS;

/** The broker refused the refresh token for good: forget the session (if still that one), say why. */
async function signOutRefused(ctx: AuthContext, s: OAuthSession, e: AuthError): Promise<void> {
  const current = await readSession(ctx);
  if (current?.refreshToken !== s.refreshToken) return;
  const notice = `Signed out: the broker ended your session (${clip(e.message, 150)}). Sign in again in the Unblock options.`;
  await ctx.storage.remove(OAUTH_KEY);
  await ctx.beforeWrite?.();
  await ctx.storage.set({ [AUTH_NOTICE_KEY]: notice });
  ctx.onSignedOut?.(notice);
}

/** Spends the refresh token, under the cross-context lock. */
function refreshUnderLock(ctx: AuthContext): Promise<OAuthSession | null> {
  return ctx.lock(LOCK_NAME, async () => {
    // Re-read under the lock: another context may have refreshed (and spent the token) already.
    const s = await readSession(ctx);
    if (!s || !stale(ctx, s)) return s;
    let t: TokenResponse;
    try {
      t = await tokenCall(ctx.doFetch, s.brokerUrl, {
        grant_type: 'refresh_token',
        refresh_token: s.refreshToken,
        client_id: CLIENT_ID,
      });
    } catch (e) {
      if (e instanceof AuthError && e.permanent) {
        await signOutRefused(ctx, s, e);
        return null;
      }
      throw e;
    }
    // Signed out (or in again) while the refresh was on the wire: do not resurrect the session.
    const current = await readSession(ctx);
    if (current?.refreshToken !== s.refreshToken) {
      await revokeRefreshToken(ctx.doFetch, s.brokerUrl, t.refresh_token);
      return current;
    }
    const next: OAuthSession = {
      ...s,
      accessToken: t.access_token,
      refreshToken: t.refresh_token,
      expiresAt: ctx.now() + t.expires_in * 1000,
    };
    await writeSession(ctx, next);
    return next;
  });
}

async function accessToken(
  ctx: AuthContext,
  rawUrl: string,
  refresh: () => Promise<OAuthSession | null>,
): Promise<string | null> {
  const brokerUrl = normalizeBaseUrl(rawUrl);
  const s = await readSession(ctx);
  if (!s || s.brokerUrl !== brokerUrl) return null;
  if (!stale(ctx, s)) return s.accessToken;
  let next: OAuthSession | null;
  try {
    next = await refresh();
  } catch (e) {
    // Transient trouble: the old token is still good for a little while.
    if (s.expiresAt > ctx.now()) return s.accessToken;
    const detail = e instanceof Error ? e.message : String(e);
    throw new BrokerError('unreachable', `could not renew the sign-in: ${clip(detail)}`);
  }
  return next && next.brokerUrl === brokerUrl ? next.accessToken : null;
}

export function createAuth(deps: AuthDeps): Auth {
  const ctx: AuthContext = {
    storage: deps.storage,
    beforeWrite: deps.beforeWrite,
    launchWebAuthFlow: (details) => deps.launchWebAuthFlow(details),
    redirectUrl: () => deps.redirectUrl(),
    doFetch: deps.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    now: deps.now ?? Date.now,
    lock: deps.lock ?? (<T>(_name: string, fn: () => Promise<T>) => fn()),
    onSignedOut: deps.onSignedOut,
  };
  let inflight: Promise<OAuthSession | null> | undefined;

  function refresh(): Promise<OAuthSession | null> {
    inflight ??= refreshUnderLock(ctx).finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  return {
    session: () => readSession(ctx),
    notice: () => readNotice(ctx),
    signIn: (rawUrl) => signIn(ctx, rawUrl),

    async signOut() {
      const s = await readSession(ctx);
      // Forget first, so nothing uses the tokens while the revocation is on the wire.
      await deps.storage.remove([OAUTH_KEY, AUTH_NOTICE_KEY]);
      if (s) await revokeRefreshToken(ctx.doFetch, s.brokerUrl, s.refreshToken);
    },

    accessToken: (rawUrl) => accessToken(ctx, rawUrl, refresh),
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
