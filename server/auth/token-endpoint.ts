/**
 * POST /oauth/token: the two grants the broker supports. `authorization_code` redeems a code once
 * (PKCE S256 checked against the sign-in's challenge; a replayed code revokes what it produced);
 * `refresh_token` rotates the refresh token (tokens.ts). Each runs in one transaction that first
 * locks the single-use thing it consumes, so two racing requests cannot both get tokens.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SYSTEM_ACTOR } from '../domain/result';
import { appendAuditTx } from '../store/audit';
import { lockOAuthCode, markOAuthCodeUsed } from '../store/oauth-codes';
import { readForm, sendJson } from './http';
import { parseScope, sameDigest, userMayContinue, type OAuthContext } from './oauth-context';
import { issuePair, revokeFamily, rotateRefreshToken, sha256, type SignIn, type TokenPair } from './tokens';

const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

type TokenError = { status: number; error: string; description: string };

function bad(error: string, description: string, status = 400): TokenError {
  return { status, error, description };
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export async function token(ctx: OAuthContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = await readForm(req);
  const result = await tokenResult(ctx, form);
  if ('error' in result) {
    sendJson(res, result.status, { error: result.error, error_description: result.description });
    return;
  }
  sendJson(res, 200, {
    access_token: result.accessToken,
    token_type: 'Bearer',
    expires_in: result.expiresIn,
    refresh_token: result.refreshToken,
    scope: result.scope,
  });
}

async function tokenResult(ctx: OAuthContext, form: URLSearchParams): Promise<TokenPair | TokenError> {
  const repeated = [...new Set(form.keys())].find((k) => form.getAll(k).length > 1);
  if (repeated) return bad('invalid_request', `${repeated} is repeated`);
  const clientId = form.get('client_id');
  if (!clientId) return bad('invalid_request', 'client_id is required');
  if (!ctx.clients.has(clientId)) return bad('invalid_client', 'unknown client_id');
  const grantType = form.get('grant_type');
  if (grantType === 'authorization_code') return redeemCode(ctx, form, clientId);
  if (grantType === 'refresh_token') return refresh(ctx, form, clientId);
  if (!grantType) return bad('invalid_request', 'grant_type is required');
  return bad('unsupported_grant_type', 'supported: authorization_code, refresh_token');
}

/** grant_type=authorization_code */
async function redeemCode(
  ctx: OAuthContext,
  form: URLSearchParams,
  clientId: string,
): Promise<TokenPair | TokenError> {
  const now = ctx.deps.now();
  const code = form.get('code');
  const redirectUri = form.get('redirect_uri');
  const verifier = form.get('code_verifier');
  if (!code || !redirectUri || !verifier) {
    return bad('invalid_request', 'code, redirect_uri and code_verifier are required');
  }
  if (!CODE_VERIFIER.test(verifier)) return bad('invalid_request', 'code_verifier is malformed');
  return ctx.deps.db.transaction(async (tx) => {
    // Locked (FOR UPDATE): a second redemption of the code waits here and then sees usedAt.
    const row = await lockOAuthCode(tx, sha256(code));
    if (!row) return bad('invalid_grant', 'the code is not valid');
    if (row.usedAt) {
      // Replayed: whoever redeemed it first may have been an attacker. Cut everything it produced.
      await revokeFamily(tx, row.family, now);
      await appendAuditTx(tx, {
        actor: SYSTEM_ACTOR,
        type: 'auth.code-reused',
        subject: row.userId,
        details: { clientId, family: row.family, action: 'revoked the tokens issued for the code' },
        at: now,
      });
      return bad('invalid_grant', 'the code was already used; the tokens issued for it are revoked');
    }
    // Spent on first presentation, whatever follows: no second try with another verifier.
    await markOAuthCodeUsed(tx, sha256(code), now);
    if (row.expiresAt.getTime() <= now.getTime()) return bad('invalid_grant', 'the code has expired');
    if (row.clientId !== clientId) return bad('invalid_grant', 'the code was issued to another client');
    if (row.redirectUri !== redirectUri)
      return bad('invalid_grant', 'redirect_uri does not match the authorization request');
    if (!sameDigest(s256(verifier), row.codeChallenge)) {
      return bad('invalid_grant', 'code_verifier does not match the code_challenge');
    }
    const signIn: SignIn = row.signIn === 'oidc' ? 'oidc' : 'local';
    if (!(await userMayContinue(ctx, tx, row.userId, signIn)))
      return bad('invalid_grant', 'the user is disabled');
    await appendAuditTx(tx, {
      actor: row.userId,
      type: 'auth.signed-in',
      subject: row.userId,
      details: { clientId, signIn, family: row.family },
      at: now,
    });
    return issuePair(
      tx,
      { userId: row.userId, clientId, scope: row.scope, family: row.family, signIn },
      now,
      ctx.ttl,
    );
  });
}

const REFRESH_REFUSED = {
  unknown: 'the refresh token is not valid',
  'wrong-client': 'the refresh token was issued to another client',
  revoked: 'the refresh token has been revoked',
  expired: 'the refresh token has expired',
  reused: 'the refresh token was already used; its whole family is revoked',
  'user-gone': 'the user is disabled or no longer exists',
} as const;

/** grant_type=refresh_token */
async function refresh(
  ctx: OAuthContext,
  form: URLSearchParams,
  clientId: string,
): Promise<TokenPair | TokenError> {
  const now = ctx.deps.now();
  const refreshToken = form.get('refresh_token');
  if (!refreshToken) return bad('invalid_request', 'refresh_token is required');
  const scope = form.get('scope');
  if (scope !== null && parseScope(scope) === null) return bad('invalid_scope', 'the scope was not granted');
  const outcome = await ctx.deps.db.transaction((tx) =>
    rotateRefreshToken(tx, refreshToken, clientId, now, ctx.ttl, (user, signIn) =>
      userMayContinue(ctx, tx, user, signIn),
    ),
  );
  if (outcome.ok) return outcome.pair;
  return bad('invalid_grant', REFRESH_REFUSED[outcome.reason]);
}
