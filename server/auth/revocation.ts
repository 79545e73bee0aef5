/**
 * POST /oauth/revoke (RFC 7009): the holder of a token gives it up. Answers 200 whether or not
 * the token existed (tokens.ts `revokeToken` ignores unknown and foreign tokens), so the endpoint
 * tells nobody which tokens exist.
 *
 * OAuth tokens are revoked for the client they were issued to, which names itself with
 * `client_id`. An API token (`ubk_api_…`) was issued to no client: the token itself identifies
 * it (RFC 7009 §2.1), so `client_id` may be left out (and an unknown one is still refused).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readForm, sendJson } from './http';
import type { OAuthContext } from './oauth-context';
import { revokeToken, tokenKind } from './tokens';

export async function revoke(ctx: OAuthContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = await readForm(req);
  const token = form.get('token');
  const clientId = form.get('client_id');
  if (!token) return sendJson(res, 400, { error: 'invalid_request', error_description: 'token is required' });
  const apiToken = tokenKind(token) === 'api';
  if ((clientId !== null || !apiToken) && (!clientId || !ctx.clients.has(clientId))) {
    return sendJson(res, 400, { error: 'invalid_client', error_description: 'unknown client_id' });
  }
  const now = ctx.deps.now();
  await ctx.deps.db.transaction((tx) => revokeToken(tx, token, clientId, now));
  res.writeHead(200, { 'cache-control': 'no-store' });
  res.end();
}
