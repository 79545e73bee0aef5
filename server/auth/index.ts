/**
 * The broker's sign-in and bearer-token checks, as one service the HTTP server calls: it serves
 * the OAuth endpoints, turns `Authorization` headers into principals, and mints API tokens for
 * `unblock-server token create`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { BrokerConfig } from '../config/schema';
import { hashPassword } from '../identity/password';
import type { Db } from '../store/db';
import { isUserDisabled } from '../store/users';
import { createOAuthServer } from './oauth';
import { OidcSignIn } from './oidc';
import { ApiTokenError, checkApiTokenTtl, type ApiTokenTtl } from './api-tokens';
import type { AuthResult, Principal } from './principal';
import { AUTH_CHANNEL, checkBearer, configUser, issueApiToken } from './tokens';

export { ApiTokenError, type ApiTokenTtl } from './api-tokens';
export type { AuthFailure, AuthResult, Principal } from './principal';
export { AUTH_FAILURE_MESSAGE } from './principal';
export { OidcConfigError } from './oidc';
export { TOKEN_PREFIX } from './tokens';

/** How long an accepted bearer token is trusted without asking the store again. */
const AUTH_CACHE_MS = 5_000;
const AUTH_CACHE_SIZE = 10_000;

export interface AuthService {
  /** Serves /oauth/* and /.well-known/oauth-authorization-server; false when the path is not one of them. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  authenticate(authorization: string | undefined, now?: Date): Promise<AuthResult>;
  /**
   * A new API token for `user`, living `ttl` (milliseconds, or `never` when the config allows it;
   * at most `auth.apiTokens.maxTtlDays`). Throws ApiTokenError naming what is refused.
   */
  createApiToken(user: string, ttl: ApiTokenTtl, label?: string): Promise<NewApiToken>;
  /**
   * Forgets every accepted token at once: for a revocation committed by this process (other
   * replicas, and this one a moment later, hear it on AUTH_CHANNEL).
   */
  forget(): void;
  /** Stops listening for revocations. */
  close(): Promise<void>;
}

export interface NewApiToken {
  readonly token: string;
  /** Its public id (listings, revocation). */
  readonly id: string;
  /** Null: never expires. */
  readonly expiresAt: Date | null;
}

/**
 * Throws OidcConfigError when `auth.oidc` cannot work (an `env:` secret that is not set, an http
 * issuer that is not on this machine), so the broker refuses to start instead of failing at the
 * first sign-in.
 */
export async function createAuthService(deps: {
  db: Db;
  config: BrokerConfig;
  publicUrl: string;
  now?: () => Date;
}): Promise<AuthService> {
  const { db, config } = deps;
  const now = deps.now ?? (() => new Date());
  const issuer = deps.publicUrl.replace(/\/+$/, '');
  const oidc = config.auth.oidc ? new OidcSignIn(config.auth.oidc, `${issuer}/oauth/oidc/callback`) : null;
  const dummyPasswordHash = await hashPassword(randomBytes(16).toString('hex'), scryptParams(config));
  const oauth = createOAuthServer({ db, config, issuer, now, oidc, dummyPasswordHash });

  // Recently accepted bearer tokens, so an API call costs no token query: for at most
  // AUTH_CACHE_MS, never past the token's own expiry, and forgotten by every replica the moment a
  // revocation commits anywhere (AUTH_CHANNEL). Refusals are never cached.
  const accepted = new Map<string, { principal: Principal; until: number }>();
  const forget = () => accepted.clear();
  const unlisten = await db.listen(AUTH_CHANNEL, forget, forget);

  return {
    async handle(req, res, url) {
      const handled = await oauth.handle(req, res, url);
      // A token revoked or a refresh token replayed in this process: forget at once.
      if (handled && url.pathname.startsWith('/oauth/')) forget();
      return handled;
    },
    async authenticate(authorization, at) {
      const when = (at ?? now()).getTime();
      const key = authorization ?? '';
      const hit = accepted.get(key);
      if (hit && when < hit.until) return { ok: true, principal: hit.principal };
      const { result, validUntil } = await checkBearer(db, config, authorization, new Date(when));
      if (result.ok) {
        if (accepted.size >= AUTH_CACHE_SIZE) accepted.delete(accepted.keys().next().value!);
        accepted.set(key, {
          principal: result.principal,
          until: Math.min(when + AUTH_CACHE_MS, validUntil?.getTime() ?? Infinity),
        });
      } else {
        accepted.delete(key);
      }
      return result;
    },
    close: unlisten,
    forget,
    async createApiToken(user, ttl, label) {
      if (!configUser(config, user)) {
        throw new ApiTokenError(
          `no user "${user}" in the broker config; API tokens are for configured users`,
        );
      }
      if (label !== undefined && label.length > 200)
        throw new ApiTokenError('the label is longer than 200 characters');
      checkApiTokenTtl(ttl, config.auth.apiTokens);
      const issuedAt = now();
      const expiresAt = ttl === 'never' ? null : new Date(issuedAt.getTime() + ttl);
      const issued = await db.transaction(async (tx) => {
        if (await isUserDisabled(tx, user)) throw new ApiTokenError(`user "${user}" is disabled`);
        return issueApiToken(tx, user, expiresAt, label ?? null, issuedAt);
      });
      return { ...issued, expiresAt };
    },
  };
}

/**
 * The scrypt cost of the configured password hashes (the first one's), so that checking a password
 * against the dummy hash for an unknown user name costs what a real check costs: the response time
 * must not tell which user names exist.
 */
function scryptParams(config: BrokerConfig): { N: number; r: number; p: number } | undefined {
  const stored = config.users.find((u) => u.passwordHash)?.passwordHash;
  const [N, r, p] = (stored?.split('$').slice(1, 4) ?? []).map(Number);
  const valid = [N, r, p].every((n) => n !== undefined && Number.isInteger(n) && n > 0) && N! <= 2 ** 20;
  return valid ? { N: N!, r: r!, p: p! } : undefined;
}
