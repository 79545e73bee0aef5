/**
 * The broker's tokens: opaque random strings (32 random bytes, base64url) behind a readable prefix
 * that says what they are (`ubk_at_` access, `ubk_rt_` refresh, `ubk_api_` API), so a leaked one
 * is recognisable to secret scanners and to people. The database keeps only their sha256: a copy
 * of the database yields no usable token.
 *
 * Refresh tokens rotate (OAuth 2.1 §4.3.1, RFC 6819 §5.2.2.3): every refresh marks the presented
 * token used and issues a new pair in the same family. A used token presented again means two
 * parties hold it (one of them stole it), so the whole family — its refresh tokens and the access
 * tokens issued from it — is revoked.
 */
import { SYSTEM_ACTOR } from '../domain/result';
import { appendAuditTx } from '../store/audit';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { BrokerConfig, UserConfig } from '../config/schema';
import { recordTokenUse } from '../store/api-tokens';
import {
  AUTH_CHANNEL,
  announceRevocation,
  findBearerToken,
  insertAccessToken,
  insertApiToken,
  revokeAccessToken,
  revokeAccessTokensOfFamily,
} from '../store/bearer-tokens';
import type { Tx } from '../store/db';
import {
  findRefreshTokenFamily,
  insertRefreshToken,
  lockRefreshToken,
  markRefreshTokenUsed,
  revokeRefreshTokensOfFamily,
} from '../store/refresh-tokens';
import { apiTokenDeadline, revokeApiTokenAudited } from './api-tokens';
import type { AuthFailure, AuthResult, Principal } from './principal';

export const TOKEN_PREFIX = { access: 'ubk_at_', refresh: 'ubk_rt_', api: 'ubk_api_' } as const;
export type TokenKind = keyof typeof TOKEN_PREFIX;

/** How a token's user signed in; decides where the principal's groups come from. */
export type SignIn = 'local' | 'oidc' | 'api';

/** 32 random bytes are 43 base64url characters. */
const TOKEN_PATTERN = /^(ubk_at_|ubk_rt_|ubk_api_)[A-Za-z0-9_-]{43}$/;

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function newToken(kind: TokenKind): string {
  return TOKEN_PREFIX[kind] + newSecret();
}

/** Hex sha256: the only form in which tokens, codes and transaction ids reach the database. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** The kind of a well-formed token, or null for anything else (mistyped, forged, truncated). */
export function tokenKind(token: string): TokenKind | null {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) return null;
  return m[1] === TOKEN_PREFIX.access ? 'access' : m[1] === TOKEN_PREFIX.refresh ? 'refresh' : 'api';
}

export interface TokenLifetimes {
  accessMs: number;
  refreshMs: number;
}

export function lifetimes(config: BrokerConfig): TokenLifetimes {
  return {
    accessMs: config.auth.accessTokenTtlMinutes * 60_000,
    refreshMs: config.auth.refreshTokenTtlHours * 3_600_000,
  };
}

export interface TokenGrant {
  userId: string;
  clientId: string;
  scope: string;
  family: string;
  signIn: SignIn;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Seconds, for the token response's `expires_in`. */
  expiresIn: number;
  scope: string;
}

/** A new access + refresh token pair in `grant.family`. */
export async function issuePair(
  tx: Tx,
  grant: TokenGrant,
  now: Date,
  ttl: TokenLifetimes,
): Promise<TokenPair> {
  const accessToken = newToken('access');
  const refreshToken = newToken('refresh');
  const issued = { userId: grant.userId, clientId: grant.clientId, scope: grant.scope, family: grant.family };
  await insertAccessToken(tx, {
    ...issued,
    hash: sha256(accessToken),
    signIn: grant.signIn,
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttl.accessMs),
  });
  await insertRefreshToken(tx, {
    ...issued,
    hash: sha256(refreshToken),
    signIn: grant.signIn,
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttl.refreshMs),
  });
  return { accessToken, refreshToken, expiresIn: Math.floor(ttl.accessMs / 1000), scope: grant.scope };
}

export function newFamily(): string {
  return randomUUID();
}

/** Revokes every refresh token of the family and every access token issued from it. */
export async function revokeFamily(tx: Tx, family: string, now: Date): Promise<void> {
  await revokeRefreshTokensOfFamily(tx, family, now);
  await revokeAccessTokensOfFamily(tx, family, now);
  await announceRevocation(tx);
}

export type RefreshOutcome =
  | { ok: true; pair: TokenPair }
  | { ok: false; reason: 'unknown' | 'wrong-client' | 'revoked' | 'expired' | 'reused' | 'user-gone' };

/**
 * Rotation: the presented refresh token is marked used and a new pair issued in its family. Runs
 * in the caller's transaction, which must commit even when this returns `reused` (the family's
 * revocation is the point).
 */
export async function rotateRefreshToken(
  tx: Tx,
  refreshToken: string,
  clientId: string,
  now: Date,
  ttl: TokenLifetimes,
  userMayContinue: (userId: string, signIn: SignIn) => Promise<boolean>,
): Promise<RefreshOutcome> {
  if (tokenKind(refreshToken) !== 'refresh') return { ok: false, reason: 'unknown' };
  // Locked (FOR UPDATE): two concurrent refreshes with one token serialize here; the second sees usedAt.
  const row = await lockRefreshToken(tx, sha256(refreshToken));
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.clientId !== clientId) return { ok: false, reason: 'wrong-client' };
  if (row.revokedAt) return { ok: false, reason: 'revoked' };
  if (row.usedAt) {
    await revokeFamily(tx, row.family, now);
    // A replayed refresh token means it leaked (or a client is broken): auditors should see it.
    await appendAuditTx(tx, {
      actor: SYSTEM_ACTOR,
      type: 'auth.refresh-token-reused',
      subject: row.userId,
      details: { clientId, family: row.family, action: 'revoked the token family' },
      at: now,
    });
    return { ok: false, reason: 'reused' };
  }
  if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  const signIn = asSignIn(row.signIn);
  if (!(await userMayContinue(row.userId, signIn))) {
    await revokeFamily(tx, row.family, now);
    return { ok: false, reason: 'user-gone' };
  }
  await markRefreshTokenUsed(tx, sha256(refreshToken), now);
  const pair = await issuePair(
    tx,
    { userId: row.userId, clientId, scope: row.scope ?? '', family: row.family, signIn },
    now,
    ttl,
  );
  return { ok: true, pair };
}

/**
 * RFC 7009 revocation of a token its holder presents: a refresh token takes its whole family with
 * it, an access token only itself, both only when held by `clientId`. An API token belongs to no
 * client: the token itself identifies it and proves its holder, so it is revoked whoever presents
 * it (and the revocation audited). Unknown tokens, and tokens of another client, are silently
 * ignored (the endpoint answers 200 either way, so it is no oracle for which tokens exist).
 */
export async function revokeToken(tx: Tx, token: string, clientId: string | null, now: Date): Promise<void> {
  const kind = tokenKind(token);
  if (kind === 'api') {
    const row = await findBearerToken(tx, sha256(token));
    if (row) {
      await revokeApiTokenAudited(
        tx,
        { hash: sha256(token) },
        { actor: row.userId, via: 'oauth-revoke' },
        now,
      );
    }
    return;
  }
  if (clientId === null) return;
  if (kind === 'refresh') {
    const row = await findRefreshTokenFamily(tx, sha256(token));
    if (row && row.clientId === clientId) await revokeFamily(tx, row.family, now);
  } else if (kind === 'access') {
    await revokeAccessToken(tx, sha256(token), clientId, now);
    await announceRevocation(tx);
  }
}

/** The revocation channel and its announcement live with the token rows; re-exported for auth's users. */
export { AUTH_CHANNEL, announceRevocation };

/** An API token for `unblock-server token create`: no client, no family, no refresh. */
export async function issueApiToken(
  tx: Tx,
  userId: string,
  expiresAt: Date | null,
  label: string | null,
  now: Date,
): Promise<{ token: string; id: string }> {
  const token = newToken('api');
  const id = await insertApiToken(tx, { hash: sha256(token), userId, label, createdAt: now, expiresAt });
  return { token, id };
}

function asSignIn(value: string | null): SignIn {
  return value === 'oidc' || value === 'api' ? value : 'local';
}

/** Deduplicated and sorted, as `Principal.groups` promises. */
export function mergeGroups(...lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())].sort();
}

/** Strings only: `users.groups` is written from IdP claims, which the broker does not control. */
export function groupsFromJson(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string') : [];
}

/** A token's last use is recorded to this resolution: at most one write per token per minute. */
export const LAST_USE_RESOLUTION_MS = 60_000;

/**
 * Checks a bearer token against the store: the caller's principal, or why the token is refused;
 * for an accepted token also until when it stays valid (the auth service caches up to then; null:
 * no expiry). An accepted token's last use is recorded when the stored one is over a minute old.
 *
 * The token is looked up by its sha256, so the lookup's timing says nothing about how close a
 * guess was (an attacker cannot steer the hash); no secret is ever compared byte by byte in
 * JavaScript.
 */
export async function checkBearer(
  tx: Pick<Tx, 'query'>,
  config: BrokerConfig,
  authorization: string | undefined,
  now: Date,
): Promise<{ result: AuthResult; validUntil: Date | null }> {
  const refuse = (reason: AuthFailure) => ({ result: { ok: false, reason } as const, validUntil: null });
  if (authorization === undefined || authorization.trim() === '') return refuse('missing');
  // RFC 6750 §2.1: "Bearer" (case-insensitive scheme) and one token68 credential.
  const m = /^Bearer +([^\s]+) *$/i.exec(authorization);
  if (!m) return refuse('malformed');
  const token = m[1]!;
  const kind = tokenKind(token);
  // A refresh token is not a bearer credential for the API: only the token endpoint takes it.
  if (kind !== 'access' && kind !== 'api') return refuse('unknown');
  const tokenHash = sha256(token);
  const row = await findBearerToken(tx, tokenHash);
  // The prefix is part of what was hashed, so an access token cannot pass as an API token.
  if (!row) return refuse('unknown');
  if (row.revokedAt) return refuse('revoked');
  const deadline = kind === 'api' ? apiTokenDeadline(row, config.auth.apiTokens) : row.expiresAt;
  if (deadline !== null && deadline.getTime() <= now.getTime()) return refuse('expired');
  if (row.userDisabledAt) return refuse('disabled');
  const signIn = asSignIn(row.signIn);
  const configured = configUser(config, row.userId);
  // A local or API user removed from the config is no longer a user; an IdP user is one as long
  // as the IdP says so at sign-in (and refresh tokens run out).
  if (!configured && signIn !== 'oidc') return refuse('disabled');
  const groups =
    signIn === 'oidc'
      ? mergeGroups(groupsFromJson(row.userGroups), configured?.groups ?? [])
      : mergeGroups(configured?.groups ?? []);
  const principal: Principal = {
    user: row.userId,
    groups,
    tokenKind: kind === 'api' ? 'api' : 'oauth',
    clientId: kind === 'api' ? null : row.clientId,
  };
  if (row.lastUsedAt === null || now.getTime() - row.lastUsedAt.getTime() >= LAST_USE_RESOLUTION_MS) {
    await recordTokenUse(tx, tokenHash, now, LAST_USE_RESOLUTION_MS);
  }
  return { result: { ok: true, principal }, validUntil: deadline };
}

export function configUser(config: BrokerConfig, name: string): UserConfig | undefined {
  return config.users.find((u) => u.name === name);
}
