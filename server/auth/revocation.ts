/**
 * POST /oauth/revoke (RFC 7009): a client gives up a token it holds. Answers 200 whether or not
 * the token existed (tokens.ts `revokeToken` ignores unknown and foreign tokens), so the endpoint
 * tells nobody which tokens exist.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readForm, sendJson } from './http';
import type { OAuthContext } from './oauth-context';
import { revokeToken } from './tokens';

export async function revoke(ctx: OAuthContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = await readForm(req);
  const token = form.get('token');
  const clientId = form.get('client_id');
  if (!token) return sendJson(res, 400, { error: 'invalid_request', error_description: 'token is required' });
  if (!clientId || !ctx.clients.has(clientId)) {
    return sendJson(res, 400, { error: 'invalid_client', error_description: 'unknown client_id' });
  }
  const now = ctx.deps.now();
  await ctx.deps.db.transaction((tx) => revokeToken(tx, token, clientId, now));
  res.writeHead(200, { 'cache-control': 'no-store' });
  res.end();
}
