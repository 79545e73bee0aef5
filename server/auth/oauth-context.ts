/**
 * What every endpoint of the authorization server shares: its dependencies, the registered
 * clients, token lifetimes, the sign-in throttles, and the small checks and URL/cookie builders
 * more than one endpoint uses. Each endpoint (authorize.ts, login.ts, oidc-login.ts,
 * token-endpoint.ts, revocation.ts) is a module-level function taking this context.
 */
import { timingSafeEqual } from 'node:crypto';
import type { BrokerConfig } from '../config/schema';
import type { Db, Tx } from '../store/db';
import { isUserDisabled } from '../store/users';
import { oauthClients, type OAuthClient } from './clients';
import type { OidcSignIn } from './oidc';
import { loginPage } from './pages';
import { FailureThrottle } from './throttle';
import { configUser, lifetimes, sha256, type SignIn, type TokenLifetimes } from './tokens';

/** The one scope: act as the signed-in user on the broker's API. */
export const SCOPES = ['unblock'] as const;
export const CODE_TTL_MS = 60_000;
/** Time to type a password, or to get through the IdP's pages (MFA included). */
export const TRANSACTION_TTL_MS = 10 * 60_000;
/** Codes are kept this long past expiry so a late replay is still recognised (and revokes). */
export const CODE_RETENTION_MS = 24 * 3_600_000;

export interface OAuthDeps {
  db: Db;
  config: BrokerConfig;
  /** The broker's external base URL (the OAuth issuer), without a trailing slash. */
  issuer: string;
  now: () => Date;
  oidc: OidcSignIn | null;
  /** A hash of a random password: unknown user names cost as much to check as known ones. */
  dummyPasswordHash: string;
}

export interface OAuthContext {
  readonly deps: OAuthDeps;
  readonly clients: Map<string, OAuthClient>;
  readonly ttl: TokenLifetimes;
  readonly secureCookies: boolean;
  /** 5 failures per user name, 20 per address, per 15 minutes. */
  readonly userThrottle: FailureThrottle;
  readonly addressThrottle: FailureThrottle;
}

export function createOAuthContext(deps: OAuthDeps): OAuthContext {
  return {
    deps,
    clients: oauthClients(deps.config),
    ttl: lifetimes(deps.config),
    secureCookies: deps.issuer.startsWith('https:'),
    userThrottle: new FailureThrottle(5, 15 * 60_000),
    addressThrottle: new FailureThrottle(20, 15 * 60_000),
  };
}

/** Equal-length hex digests compared in constant time (a mismatch in length is a mismatch). */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Cookie names carry a piece of the transaction's hash so parallel sign-ins in two tabs do not collide. */
export const loginCookieNameFromHash = (txHash: string) => `ubk_login_${txHash.slice(0, 16)}`;
export const loginCookieName = (tx: string) => loginCookieNameFromHash(sha256(tx));
export const oidcCookieName = (state: string) => `ubk_oidc_${sha256(state).slice(0, 16)}`;

/** The requested scope, normalised (deduplicated, sorted; absent means all); null when one is unknown. */
export function parseScope(raw: string | null): string | null {
  if (raw === null || raw.trim() === '') return SCOPES.join(' ');
  const wanted = [...new Set(raw.split(' ').filter(Boolean))];
  return wanted.every((s) => (SCOPES as readonly string[]).includes(s)) ? wanted.sort().join(' ') : null;
}

/** The client's redirect URI plus response parameters (and `iss`, RFC 9207, against mix-up). */
export function clientRedirect(
  ctx: OAuthContext,
  redirectUri: string,
  params: Record<string, string | undefined>,
): string {
  const target = new URL(redirectUri);
  for (const [name, value] of Object.entries({ ...params, iss: ctx.deps.issuer })) {
    if (value !== undefined) target.searchParams.append(name, value);
  }
  return target.toString();
}

export function loginHtml(
  ctx: OAuthContext,
  client: OAuthClient,
  transaction: string,
  extra: { username?: string; error?: string } = {},
): string {
  return loginPage({
    brokerName: ctx.deps.config.name,
    clientName: client.name,
    transaction,
    local: ctx.deps.config.auth.local,
    idpName: ctx.deps.oidc?.displayName ?? null,
    ...extra,
  });
}

/**
 * Whether tokens may still be issued to `userId`: not disabled, and (for a local or API sign-in)
 * still a configured user. An IdP user stays one as long as the IdP signs them in.
 */
export async function userMayContinue(
  ctx: OAuthContext,
  db: Db | Tx,
  userId: string,
  signIn: SignIn,
): Promise<boolean> {
  if (await isUserDisabled(db, userId)) return false;
  return signIn === 'oidc' || configUser(ctx.deps.config, userId) !== undefined;
}
