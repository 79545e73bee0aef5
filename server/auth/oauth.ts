/**
 * The broker's OAuth 2.0 authorization server for its own public clients (the extension, the CLI):
 * authorization code flow with mandatory PKCE S256 (OAuth 2.1), rotating refresh tokens, RFC 7009
 * revocation and RFC 8414 metadata. The user signs in on the broker's own page (config accounts)
 * or at the organisation's IdP (see oidc.ts).
 *
 * Every step that gives something away — a code, tokens — happens inside one database transaction
 * that first claims the single-use thing it consumes (`FOR UPDATE`, or `UPDATE … WHERE … IS NULL`),
 * so two racing requests cannot both succeed.
 *
 * This file routes and answers errors; each endpoint is its own module: authorize.ts, login.ts
 * (password), oidc-login.ts (the IdP round trip), sign-in.ts (completing a sign-in with a code),
 * token-endpoint.ts, revocation.ts; oauth-context.ts holds what they share.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authorize } from './authorize';
import { HttpError, sendHtml, sendJson } from './http';
import { login } from './login';
import { SCOPES, createOAuthContext, type OAuthContext, type OAuthDeps } from './oauth-context';
import { oidcCallback, oidcStart } from './oidc-login';
import { errorPage } from './pages';
import { revoke } from './revocation';
import { token } from './token-endpoint';

export interface OAuthServer {
  /** Serves /oauth/* and /.well-known/oauth-authorization-server; false when the path is not one of them. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

export function createOAuthServer(deps: OAuthDeps): OAuthServer {
  const ctx = createOAuthContext(deps);
  return { handle: (req, res, url) => handle(ctx, req, res, url) };
}

/** RFC 8414 authorization server metadata. */
function metadata(ctx: OAuthContext): Record<string, unknown> {
  const base = ctx.deps.issuer;
  return {
    issuer: base,
    authorization_endpoint: `${base}/oauth/authorize`,
    token_endpoint: `${base}/oauth/token`,
    revocation_endpoint: `${base}/oauth/revoke`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    scopes_supported: [...SCOPES],
    authorization_response_iss_parameter_supported: true,
  };
}

async function handle(
  ctx: OAuthContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  const route = ROUTES.get(url.pathname);
  if (!route) return false;
  const json = route.kind === 'json';
  try {
    if (req.method !== route.method) {
      res.setHeader('allow', route.method);
      if (json) sendJson(res, 405, { error: 'invalid_request', error_description: `use ${route.method}` });
      else sendHtml(res, 405, errorPage('Method not allowed', `Use ${route.method}.`));
      return true;
    }
    await route.run(ctx, req, res, url);
  } catch (e) {
    if (res.headersSent) {
      res.destroy();
      return true;
    }
    const status = e instanceof HttpError ? e.status : 500;
    // Never a stack or an internal message in the response; the log has the details.
    const message = e instanceof HttpError ? e.message : 'Something went wrong on the broker. Try again.';
    if (!(e instanceof HttpError)) console.error(`auth: ${url.pathname} failed:`, e);
    if (json)
      sendJson(res, status, {
        error: status >= 500 ? 'server_error' : 'invalid_request',
        error_description: message,
      });
    else sendHtml(res, status, errorPage('Sign-in failed', message));
  }
  return true;
}

interface Route {
  method: 'GET' | 'POST';
  /** How errors are answered: OAuth JSON for the client endpoints, a page for the browser ones. */
  kind: 'json' | 'html';
  run(ctx: OAuthContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

const ROUTES = new Map<string, Route>(
  Object.entries({
    '/.well-known/oauth-authorization-server': {
      method: 'GET',
      kind: 'json',
      run: (ctx, _req, res) => {
        sendJson(res, 200, metadata(ctx), { 'cache-control': 'public, max-age=3600' });
        return Promise.resolve();
      },
    },
    '/oauth/authorize': {
      method: 'GET',
      kind: 'html',
      run: (ctx, _req, res, url) => authorize(ctx, res, url),
    },
    '/oauth/login': { method: 'POST', kind: 'html', run: (ctx, req, res) => login(ctx, req, res) },
    '/oauth/oidc/start': { method: 'GET', kind: 'html', run: oidcStart },
    '/oauth/oidc/callback': { method: 'GET', kind: 'html', run: oidcCallback },
    '/oauth/token': { method: 'POST', kind: 'json', run: (ctx, req, res) => token(ctx, req, res) },
    '/oauth/revoke': { method: 'POST', kind: 'json', run: (ctx, req, res) => revoke(ctx, req, res) },
  } satisfies Record<string, Route>),
);

/** The authorization server's endpoints (path → method), for the OpenAPI document and its tests. */
export const AUTH_ENDPOINTS: ReadonlyMap<string, 'GET' | 'POST'> = new Map(
  [...ROUTES].map(([path, route]) => [path, route.method]),
);
