/**
 * Signing in to the broker with OAuth 2.0 (authorization code + PKCE S256, RFC 7636):
 * `identity.launchWebAuthFlow` opens `<broker>/oauth/authorize` with a fresh PKCE verifier and
 * `state`; the redirect must carry the same `state` and the broker's `iss` (RFC 9207, against
 * mix-up); the code is exchanged at `/oauth/token`; `GET /api/v1/me` names the user.
 */
import { normalizeBaseUrl } from './broker-client';
import {
  AUTH_NOTICE_KEY,
  readSession,
  writeSession,
  type OAuthSession,
  type SessionStore,
} from './auth-session';
import {
  AuthError,
  CLIENT_ID,
  clip,
  fetchIssuer,
  fetchMe,
  revokeRefreshToken,
  tokenCall,
} from './oauth-http';

export const SCOPE = 'unblock';

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

// ---------------------------------------------------------------------------------------------
// The sign-in

export interface SignInContext extends SessionStore {
  doFetch: typeof fetch;
  now: () => number;
  /** `browser.identity.launchWebAuthFlow`. */
  launchWebAuthFlow(details: { url: string; interactive: boolean }): Promise<string | undefined>;
  /** `browser.identity.getRedirectURL('oauth')`. */
  redirectUrl(): string;
}

/** Signs in to this broker, replacing (and revoking) any earlier session. */
export async function signIn(ctx: SignInContext, rawUrl: string): Promise<OAuthSession> {
  const brokerUrl = normalizeBaseUrl(rawUrl);
  const issuer = await fetchIssuer(ctx.doFetch, brokerUrl);
  const redirectUri = ctx.redirectUrl();
  const { verifier, challenge } = await createPkce();
  const state = randomToken(16);
  let responseUrl: string | undefined;
  try {
    responseUrl = await ctx.launchWebAuthFlow({
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
  const t = await tokenCall(ctx.doFetch, brokerUrl, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    client_id: CLIENT_ID,
    redirect_uri: redirectUri,
  });
  let user: string | null = null;
  try {
    user = (await fetchMe(ctx.doFetch, brokerUrl, t.access_token)).user;
  } catch {
    // Signed in all the same; the page says so without a name.
  }
  const s: OAuthSession = {
    brokerUrl,
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt: ctx.now() + t.expires_in * 1000,
    user,
  };
  const previous = await readSession(ctx);
  await writeSession(ctx, s);
  await ctx.storage.remove(AUTH_NOTICE_KEY);
  if (previous) await revokeRefreshToken(ctx.doFetch, previous.brokerUrl, previous.refreshToken);
  return s;
}
