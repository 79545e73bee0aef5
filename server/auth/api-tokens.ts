/**
 * API tokens' lifetime rules and their management, shared by the bearer check (tokens.ts), the
 * API (`GET /api/v1/tokens`, `DELETE /api/v1/tokens/{id}`, server/service/tokens.ts), RFC 7009
 * revocation and the operator CLI (`unblock-server token list|revoke`).
 *
 * Lifetime: every API token has a deadline of at most `auth.apiTokens.maxTtlDays` after its
 * creation, whatever expiry it was created with (so lowering the setting also shortens tokens
 * made before), and none is without one unless `auth.apiTokens.allowNoExpiry` is set.
 */
import type { ApiTokenView } from '../../lib/contract/tokens';
import type { ApiTokensConfig } from '../config/schema';
import { appendAuditTx } from '../store/audit';
import { revokeApiToken, type ApiTokenRecord } from '../store/api-tokens';
import { announceRevocation } from '../store/bearer-tokens';
import type { Tx } from '../store/db';

const DAY_MS = 86_400_000;

/** Refused `createApiToken` input (unknown or disabled user, bad lifetime): the CLI prints the message. */
export class ApiTokenError extends Error {
  override name = 'ApiTokenError';
}

/** A requested lifetime: milliseconds, or `never` (no expiry). */
export type ApiTokenTtl = number | 'never';

/** Throws ApiTokenError naming the setting when `ttl` is not allowed by `policy`. */
export function checkApiTokenTtl(ttl: ApiTokenTtl, policy: ApiTokensConfig): void {
  if (ttl === 'never') {
    if (policy.allowNoExpiry) return;
    throw new ApiTokenError(
      'a token without expiry is not allowed: set auth.apiTokens.allowNoExpiry: true in the broker config to permit it',
    );
  }
  if (!Number.isFinite(ttl) || ttl <= 0) throw new ApiTokenError('the token lifetime must be positive');
  if (ttl > policy.maxTtlDays * DAY_MS) {
    throw new ApiTokenError(
      `the token lifetime (${formatDays(ttl)}) is over the maximum, auth.apiTokens.maxTtlDays: ${policy.maxTtlDays} days`,
    );
  }
}

function formatDays(ms: number): string {
  const days = ms / DAY_MS;
  return Number.isInteger(days) ? `${days} days` : `${(Math.round(days * 100) / 100).toString()} days`;
}

/** When the token stops working: its own expiry, capped by the configured maximum; null: never. */
export function apiTokenDeadline(
  token: { readonly createdAt: Date; readonly expiresAt: Date | null },
  policy: ApiTokensConfig,
): Date | null {
  if (token.expiresAt === null && policy.allowNoExpiry) return null;
  const cap = token.createdAt.getTime() + policy.maxTtlDays * DAY_MS;
  return new Date(Math.min(token.expiresAt?.getTime() ?? cap, cap));
}

export function toApiTokenView(token: ApiTokenRecord, policy: ApiTokensConfig, now: Date): ApiTokenView {
  const deadline = apiTokenDeadline(token, policy);
  return {
    id: token.id,
    user: token.userId,
    label: token.label,
    createdAt: token.createdAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    expiresAt: deadline?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
    status: token.revokedAt
      ? 'revoked'
      : deadline !== null && deadline.getTime() <= now.getTime()
        ? 'expired'
        : 'active',
  };
}

/** Who revoked a token and through what, for the audit row. */
export interface Revoker {
  /** The user, or `operator` for the CLI. */
  readonly actor: string;
  readonly via: 'api' | 'oauth-revoke' | 'unblock-server';
}

/**
 * Revokes an API token by public id or by hash, in the caller's transaction: the audit row
 * (`token.revoked`) and the announcement that makes every broker replica forget it at commit.
 * Revoking a revoked token changes nothing and records nothing. Null: no such API token.
 */
export async function revokeApiTokenAudited(
  tx: Tx,
  by: { readonly id: string } | { readonly hash: string },
  revoker: Revoker,
  now: Date,
): Promise<{ token: ApiTokenRecord; changed: boolean } | null> {
  const result = await revokeApiToken(tx, by, now);
  if (!result?.changed) return result;
  await appendAuditTx(tx, {
    actor: revoker.actor,
    type: 'token.revoked',
    subject: result.token.userId,
    details: { tokenId: result.token.id, label: result.token.label, via: revoker.via },
    at: now,
  });
  await announceRevocation(tx);
  return result;
}
