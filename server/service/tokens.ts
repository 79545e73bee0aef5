/**
 * API tokens through the API: `GET /api/v1/tokens` lists the caller's own (admins: any user's, or
 * everyone's), `DELETE /api/v1/tokens/{id}` revokes one (its owner, or an admin), audited. Another
 * user's token is `not_found` to a non-admin, so ids say nothing about who holds what.
 *
 * The HTTP layer makes its own replica's token cache forget after a revocation (the other
 * replicas forget when it commits, server/store/bearer-tokens.ts `announceRevocation`).
 */
import type { ApiTokenList, ApiTokenView, ListTokensQuery } from '../../lib/contract/tokens';
import { revokeApiTokenAudited, toApiTokenView } from '../auth/api-tokens';
import type { Principal } from '../auth/principal';
import { findApiToken, listApiTokens } from '../store/api-tokens';
import type { BrokerContext } from './context';
import { PAGE_SIZE } from './context';
import { done, invalidField, refuse, type ServiceResult } from './errors';
import { BAD_CURSOR, decodeCursor, encodeCursor } from './paging';
import { isAdmin } from './visibility';

export async function listTokens(
  ctx: BrokerContext,
  p: Principal,
  q: ListTokensQuery,
): Promise<ServiceResult<ApiTokenList>> {
  const all = q.all === 'true';
  if (all && q.user !== undefined) return invalidField('all', 'all: give either user or all=true, not both');
  const user = all ? undefined : (q.user ?? p.user);
  if (user !== p.user && !isAdmin(p)) {
    return refuse('forbidden', "only admins list other users' tokens");
  }
  const after = decodeCursor('tokens', q.cursor);
  if (after === 'invalid') return invalidField('cursor', BAD_CURSOR);
  const rows = await listApiTokens(ctx.db, {
    ...(user !== undefined ? { userId: user } : {}),
    ...(after ? { after: { createdAt: after.at, id: after.id } } : {}),
    limit: PAGE_SIZE + 1,
  });
  const page = rows.slice(0, PAGE_SIZE);
  const last = page.at(-1);
  const now = ctx.now();
  return done({
    items: page.map((t) => toApiTokenView(t, ctx.config.auth.apiTokens, now)),
    nextCursor: rows.length > PAGE_SIZE && last ? encodeCursor('tokens', last.createdAt, last.id) : null,
  });
}

export async function revokeToken(
  ctx: BrokerContext,
  p: Principal,
  id: string,
): Promise<ServiceResult<ApiTokenView>> {
  const now = ctx.now();
  return ctx.db.transaction(async (tx) => {
    const token = await findApiToken(tx, id);
    if (!token || (token.userId !== p.user && !isAdmin(p))) return refuse('not_found', `no token ${id}`);
    const revoked = await revokeApiTokenAudited(tx, { id }, { actor: p.user, via: 'api' }, now);
    return done(toApiTokenView(revoked?.token ?? token, ctx.config.auth.apiTokens, now));
  });
}
