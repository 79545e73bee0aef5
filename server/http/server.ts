/**
 * The broker's HTTP front door: every route of `ROUTES` (routes.ts), nothing else, plus the
 * authorization server's pages (server/auth). Each request goes through the same steps, in this
 * order, so no handler can forget one:
 *
 *   route match (404/405) → bearer token (401) → per-user rate limit (429) → query and path
 *   checks (400/404) → body (input.ts): size (413, 64 kB), media type and charset (415), UTF-8
 *   bytes, JSON, zod contract (400 with every field path) → the broker use case → the view as JSON.
 *
 * Errors are `ApiError` bodies (lib/contract/api.ts) with one line for people; an unexpected
 * exception is logged with a reference and answered 500 with that reference, never a stack.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ERROR_STATUS,
  type ApiError,
  type CreateRequestBody,
  type DecisionBody,
  type DecodeBody,
  type LandingBody,
  type ErrorCode,
  type ExtendBody,
  type ListAuditQuery,
  type ListGrantsQuery,
  type ListRequestsQuery,
  type RevokeBody,
} from '../../lib/contract/api';
import type { ListTokensQuery } from '../../lib/contract/tokens';
import { AUTH_FAILURE_MESSAGE, type AuthResult, type Principal } from '../auth/principal';
import type { Broker } from '../service/broker';
import type { ServiceResult } from '../service/errors';
import type { Db } from '../store/db';
import { ping } from '../store/health';
import { HttpError, parseBody, parseQuery } from './input';
import { ROUTES, pathParams, type OperationId, type Route } from './routes';
import { RateLimiter } from './rate-limit';

const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export interface HttpDeps {
  readonly db: Db;
  readonly broker: Broker;
  /** The authorization server (server/auth): its own pages, and bearer-token checks. */
  readonly auth: {
    handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
    authenticate(authorization: string | undefined): Promise<AuthResult>;
    /** Forget the tokens accepted so far: after a revocation committed here. */
    forget(): void;
  };
  /** The OpenAPI document, served as is. */
  readonly openapi: unknown;
  /** Serves `GET /api/v1/events` for an authenticated caller. */
  readonly events: (req: IncomingMessage, res: ServerResponse, principal: Principal) => void | Promise<void>;
  readonly rateLimit: { readonly perMinute: number; readonly burst: number };
  readonly log?: (line: string) => void;
  readonly now?: () => Date;
}

interface Call {
  readonly principal: Principal | null;
  readonly params: Readonly<Record<string, string>>;
  readonly query: unknown;
  readonly body: unknown;
}

type Handler = (call: Call) => Promise<ServiceResult<unknown>>;

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function sendError(
  res: ServerResponse,
  code: ErrorCode,
  message: string,
  extra: Partial<ApiError['error']> = {},
) {
  const headers: Record<string, string> =
    code === 'unauthorized' ? { 'www-authenticate': 'Bearer realm="unblock"' } : {};
  send(res, ERROR_STATUS[code], { error: { code, message, ...extra } } satisfies ApiError, headers);
}

/** Compiled `ROUTES`: a regular expression per path template. */
const COMPILED = ROUTES.map((route: Route) => {
  const names = pathParams(route.path);
  const pattern = new RegExp(`^${route.path.replace(/\{\w+\}/g, '([^/]+)')}$`);
  return { route, names, pattern };
});

type Match =
  | { readonly route: Route; readonly params: Record<string, string> }
  | { readonly allowed: readonly string[] };

/** The route for `method` and `pathname`; else the methods the path allows (405), or null (404). */
function match(method: string, pathname: string): Match | null {
  const allowed: string[] = [];
  for (const c of COMPILED) {
    const m = c.pattern.exec(pathname);
    if (!m) continue;
    if (c.route.method.toUpperCase() !== method) {
      allowed.push(c.route.method.toUpperCase());
      continue;
    }
    const params: Record<string, string> = {};
    c.names.forEach((name, i) => {
      params[name] = m[i + 1] ?? '';
    });
    return { route: c.route, params };
  }
  return allowed.length > 0 ? { allowed } : null;
}

export function createRequestHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { broker, auth, db } = deps;
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const limiter = new RateLimiter(deps.rateLimit.perMinute, deps.rateLimit.burst, deps.now);
  const need = (call: Call): Principal => {
    if (!call.principal) throw new Error('route without auth reached an authenticated handler');
    return call.principal;
  };
  // Each handler's query and body were validated against its route's schema just before the call.
  const handlers: Record<Exclude<OperationId, 'streamEvents' | 'getOpenApi' | 'getHealth'>, Handler> = {
    getMe: (c) => broker.me(need(c)),
    createRequest: (c) => broker.createRequest(need(c), c.body as CreateRequestBody),
    listRequests: (c) => broker.listRequests(need(c), c.query as ListRequestsQuery),
    getRequest: (c) => broker.getRequest(need(c), c.params.id!),
    approveRequest: (c) => broker.approveRequest(need(c), c.params.id!, c.body as DecisionBody),
    denyRequest: (c) => broker.denyRequest(need(c), c.params.id!, c.body as DecisionBody),
    cancelRequest: (c) => broker.cancelRequest(need(c), c.params.id!, c.body as DecisionBody),
    listGrants: (c) => broker.listGrants(need(c), c.query as ListGrantsQuery),
    getGrant: (c) => broker.getGrant(need(c), c.params.id!),
    extendGrant: (c) => broker.extendGrant(need(c), c.params.id!, c.body as ExtendBody),
    revokeGrant: (c) => broker.revokeGrant(need(c), c.params.id!, c.body as RevokeBody),
    landGrant: (c) => broker.landGrant(need(c), c.params.id!, c.body as LandingBody),
    listGrantActivity: (c) => broker.listGrantActivity(need(c), c.params.id!),
    previewRequest: (c) => broker.previewRequest(need(c), c.params.id!),
    decodeDenial: (c) => broker.decodeDenial(need(c), c.body as DecodeBody),
    listAudit: (c) => broker.listAudit(need(c), c.query as ListAuditQuery),
    listApiTokens: (c) => broker.listTokens(need(c), c.query as ListTokensQuery),
    revokeApiToken: async (c) => {
      const revoked = await broker.revokeToken(need(c), c.params.id!);
      // This replica refuses the token from its very next request, not when the notice arrives.
      if (revoked.ok) auth.forget();
      return revoked;
    },
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://broker.invalid');
    if (await auth.handle(req, res, url)) return;
    const method = (req.method ?? 'GET').toUpperCase();
    const found = match(method === 'HEAD' ? 'GET' : method, url.pathname);
    if (found === null) return sendError(res, 'not_found', `no route ${url.pathname}`);
    if ('allowed' in found) {
      const allow = [...new Set(found.allowed.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])))];
      res.setHeader('allow', allow.join(', '));
      return sendError(
        res,
        'method_not_allowed',
        `${method} is not allowed on ${url.pathname} (use ${allow.join(' or ')})`,
      );
    }
    const { route, params } = found;

    let principal: Principal | null = null;
    if (route.auth) {
      const authn: AuthResult = await auth.authenticate(req.headers.authorization);
      if (!authn.ok) {
        // Guessing tokens is rate limited too, per address.
        if (!limiter.take(`ip:${req.socket.remoteAddress ?? '?'}`)) return tooMany(res);
        return sendError(res, 'unauthorized', AUTH_FAILURE_MESSAGE[authn.reason]);
      }
      const caller = authn.principal;
      principal = caller;
      if (!limiter.take(`user:${caller.user}`)) return tooMany(res);
    }

    for (const value of Object.values(params)) {
      if (!ID_PATTERN.test(value)) return sendError(res, 'not_found', 'no such record');
    }
    const query = parseQuery(url, route.query);

    const operationId = route.operationId as OperationId;
    switch (operationId) {
      case 'getHealth': {
        await ping(db);
        return send(res, 200, { status: 'ok' });
      }
      case 'getOpenApi':
        return send(res, 200, deps.openapi, { 'cache-control': 'public, max-age=300' });
      case 'streamEvents':
        if (!principal) throw new Error('the event stream needs a caller');
        return deps.events(req, res, principal);
    }
    const body = route.body ? await parseBody(req, route.body) : undefined;
    const result = await handlers[operationId]({ principal, params, query, body });
    if (!result.ok) {
      const { code, message, fields, advice } = result.error;
      return sendError(res, code, message, {
        ...(fields ? { fields: [...fields] } : {}),
        ...(advice ? { advice: [...advice] } : {}),
      });
    }
    const status = Number(Object.keys(route.responses)[0]);
    send(res, status, result.value);
  }

  function tooMany(res: ServerResponse): void {
    res.setHeader('retry-after', '1');
    sendError(res, 'rate_limited', 'too many requests; slow down and retry after a second');
  }

  return (req, res) => {
    serve(req, res).catch((e: unknown) => {
      if (e instanceof HttpError) {
        if (res.headersSent) return res.destroy();
        const body = e.body ?? { error: { code: e.code, message: e.message } };
        return send(res, ERROR_STATUS[e.code], body);
      }
      const ref = randomUUID().slice(0, 8);
      log(`[${ref}] ${req.method} ${req.url}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      if (res.headersSent) return res.destroy();
      sendError(res, 'internal', `internal error (reference ${ref}); the broker's log has the details`);
    });
  };
}
