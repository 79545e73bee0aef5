/**
 * A wire-level fake of the Google APIs the GCP provisioner calls, on loopback, with the exact
 * shapes of docs/cloud-mechanics.md §3 and §4.3, so server/clouds/gcp runs unchanged against it:
 *
 *   POST {token}                                          OAuth JWT-bearer grant (RS256 assertion)
 *   POST {resourceManager}/v1|v3/projects/{p}:getIamPolicy | :setIamPolicy | :testIamPermissions
 *   GET  {iam}/v1/roles[?view=FULL&pageSize&pageToken]    predefined catalogue (catalogue.ts)
 *   POST {iam}/v1/roles:queryGrantableRoles               roles a resource's policy may bind (grantable.ts)
 *   GET  {iam}/v1/roles/{id}, {iam}/v1/projects/{p}/roles[/{id}]
 *   POST {iam}/v1/projects/{p}/roles                      custom role (409 ALREADY_EXISTS)
 *   POST {logging}/v2/entries:list                        Cloud Audit Logs, > 60/min/project → 429
 *
 * Time is the shared FakeClock: token expiry, IAM Conditions and the logging rate limit all read
 * it. What the simulated consoles use: `state.allows(member, projectId, permission)` — whether a
 * (non-expired) binding lets the member do it — and `state.addLogEntry` to record what they did.
 *
 * One file per API: oauth.ts (token endpoint and bearer check), resource-manager.ts (project IAM
 * policy), iam.ts (roles), logging.ts (entries:list, audit entries) with log-filter.ts; their
 * shared state in state.ts, the HTTP plumbing in wire.ts; IAM Conditions in cel.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { iam } from './iam';
import { addLogEntry, logging } from './logging';
import { authenticate, issueToken, OAuthError } from './oauth';
import { policyView, resourceManager } from './resource-manager';
import { allows, createGcpState, project, type GcpState } from './state';
import type { FakeRequest, GcpFake, GcpFakeOptions, GcpFakeState } from './types';
import { clone, GoogleHttpError, invalid, newEtag, notFound, readBody } from './wire';

export { compileLogFilter } from './log-filter';
export { ABORTED_MESSAGE } from './resource-manager';
export type {
  FakeAuditEvent,
  FakeBinding,
  FakeCondition,
  FakePolicy,
  FakeProject,
  FakeRequest,
  FakeServiceAccount,
  GcpFake,
  GcpFakeOptions,
  GcpFakeState,
} from './types';

const SERVICES = ['token', 'crm', 'iam', 'logging'];

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

function errorAnswer(e: unknown): Answer {
  if (e instanceof GoogleHttpError) {
    return {
      status: e.httpStatus,
      body: {
        error: {
          code: e.httpStatus,
          message: e.message,
          status: e.status,
          ...(e.details.length > 0 ? { details: e.details } : {}),
        },
      },
    };
  }
  return { status: 500, body: { error: { code: 500, message: (e as Error).message, status: 'INTERNAL' } } };
}

/** `POST /token`: OAuth errors are `{ error, error_description }` with 400. */
async function tokenAnswer(state: GcpState, form: URLSearchParams, tokenUrl: string): Promise<Answer> {
  try {
    return { status: 200, body: await issueToken(state, form, tokenUrl) };
  } catch (e) {
    const error = e instanceof OAuthError ? e.error : 'invalid_request';
    return { status: 400, body: { error, error_description: (e as Error).message } };
  }
}

/** An authenticated call to one of the Google APIs, routed by its path prefix. */
function apiAnswer(
  state: GcpState,
  req: http.IncomingMessage,
  service: FakeRequest['service'],
  path: string,
  url: URL,
  parsed: unknown,
): unknown {
  const { email } = authenticate(state, req);
  const method = req.method ?? 'GET';
  if (service === 'crm') return resourceManager(state, method, path, parsed, email);
  if (service === 'iam') return iam(state, method, path, url.searchParams, parsed, email);
  if (service === 'logging' && method === 'POST') return logging(state, path, parsed, email);
  throw notFound();
}

/** Serves one request; every answer is logged in `state.requests`. */
async function serve(state: GcpState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake');
  const [, prefix = '', ...rest] = url.pathname.split('/');
  const path = `/${rest.join('/')}`;
  const service = (SERVICES.includes(prefix) ? prefix : 'unknown') as FakeRequest['service'];
  const raw = await readBody(req);
  let parsed: unknown = null;
  let answer: Answer;
  if (service === 'token') {
    const form = new URLSearchParams(raw);
    parsed = Object.fromEntries(form);
    answer = await tokenAnswer(state, form, `http://${req.headers.host}/token`);
  } else {
    try {
      try {
        parsed = raw ? JSON.parse(raw) : null;
      } catch {
        throw invalid('Invalid JSON payload received.');
      }
      answer = { status: 200, body: apiAnswer(state, req, service, path, url, parsed) };
    } catch (e) {
      answer = errorAnswer(e);
    }
  }
  state.requests.push({
    method: req.method ?? '',
    path: service === 'token' ? '/token' : path,
    service,
    status: answer.status,
    body: parsed,
    response: answer.body,
  });
  res.writeHead(answer.status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(answer.body));
}

/** The handle on the state that tests and the simulated consoles use. */
function stateView(state: GcpState): GcpFakeState {
  return {
    allows: (member, projectId, permission, now, resource) =>
      allows(state, member, projectId, permission, now, resource),
    policy: (projectId) => policyView(state, projectId, 3),
    setBindings(projectId, bindings) {
      const stored = project(state, projectId);
      stored.bindings = clone([...bindings]);
      stored.etag = newEtag();
    },
    customRoles: (projectId) => clone([...(state.customRoles.get(projectId)?.values() ?? [])]),
    addLogEntry: (projectId, event) => addLogEntry(state, projectId, event),
    injectConcurrentChange(count = 1) {
      state.abortsToInject += count;
    },
    injectRateLimit(count = 1) {
      state.rateLimitsToInject += count;
    },
    revokeTokens() {
      state.tokens.clear();
    },
    setPermissions(clientEmail, permissions) {
      const account = state.accounts.get(clientEmail);
      if (!account) throw new Error(`the GCP fake has no service account ${clientEmail}`);
      account.permissions = permissions ? new Set(permissions) : null;
    },
    requests: state.requests,
    get tokensIssued() {
      return state.tokensIssued;
    },
  };
}

export async function startGcpFake(options: GcpFakeOptions): Promise<GcpFake> {
  const state = await createGcpState(options);
  const server = http.createServer((req, res) => void serve(state, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoints: {
      token: `${base}/token`,
      resourceManager: `${base}/crm`,
      iam: `${base}/iam`,
      logging: `${base}/logging`,
    },
    state: stateView(state),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
