/**
 * A wire-level fake of the parts of Azure the broker uses (docs/cloud-mechanics.md §2,
 * §4.2), on loopback: the Entra ID token endpoint (client credentials) and Azure Resource Manager's
 * role definitions, PIM role assignment schedule requests and instances, plain role assignments
 * and the Activity Log. Time is the shared `FakeClock`, so assignments and tokens expire when a
 * test moves cloud time on.
 *
 *   POST {login}/{tenantId}/oauth2/v2.0/token                                     client credentials
 *   GET  {arm}{scope}/providers/Microsoft.Authorization/roleDefinitions           $filter, nextLink
 *   PUT  {arm}{scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/{guid}
 *   GET  {arm}{scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/{guid}
 *   POST {arm}{scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/{guid}/cancel
 *   GET  {arm}{scope}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances  principalId eq, assignedTo(), asTarget(), atScope()
 *   GET  {arm}{scope}/providers/Microsoft.Authorization/roleManagementPolicyAssignments   every role's PIM policy
 *   PUT|GET|DELETE {arm}{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}
 *   GET  {arm}/subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/management/values
 *
 * Every ARM route wants a bearer token this fake issued (unsigned JWT, `aud` = the ARM base,
 * expiry on the fake clock) and `api-version`. The simulated consoles ask `state.allows` whether
 * a user may do something now, and report what they did with `state.recordActivity`.
 *
 * Not modelled: eligible assignments (`Self*` requests are refused), role definitions other than
 * the built-ins of ./catalogue.ts, management-group scopes, resource existence (any resource id
 * under a known subscription is a valid scope).
 *
 * One file per API: entra.ts (token endpoint, bearer check, principals), arm.ts (routing,
 * api-versions, faults) with role-definitions.ts (and the permission check), role-assignments.ts
 * and activity-log.ts, pim.ts (schedule requests), pim-instances.ts and pim-policy.ts (the roles'
 * PIM settings and the rules requests must pass); their shared state in state.ts, the HTTP
 * plumbing in wire.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordActivity } from './activity-log';
import { arm } from './arm';
import { BUILT_IN_ROLES, DATA_OPERATIONS, type FakeRoleDefinition } from './catalogue';
import { authenticate, token } from './entra';
import { allows } from './role-definitions';
import { createAzureState, isActive, type AzureState } from './state';
import type { AzureFake, AzureFakeOptions, AzureFakeState, LoggedRequest } from './types';
import { ArmFailure, readBody, send, type Reply } from './wire';

export { BUILT_IN_ROLES, DATA_OPERATIONS, type FakeRoleDefinition };
export { parseDuration } from './duration';
export type {
  AzureFake,
  AzureFakeOptions,
  AzureFakePimPolicy,
  AzureFakePrincipal,
  AzureFakeState,
  FakeActivity,
  FakeAssignment,
  FakeFailure,
  LoggedRequest,
} from './types';

/** Serves one request: the token endpoint, or an authenticated ARM call. */
async function serve(
  state: AzureState,
  req: http.IncomingMessage,
  entryOf: (e: LoggedRequest) => void,
): Promise<Reply> {
  const url = new URL(req.url ?? '/', state.base);
  const method = req.method ?? 'GET';
  const text = await readBody(req);
  const tokenRoute = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
  const entry: LoggedRequest = {
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    // The client secret is not kept in the log; whether it matched is in the answer.
    body: tokenRoute
      ? { ...Object.fromEntries(new URLSearchParams(text)), client_secret: '(redacted)' }
      : text,
    at: state.clock.now(),
    status: 0,
  };
  state.requests.push(entry);
  entryOf(entry);
  let body: unknown = null;
  if (text && !tokenRoute) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new ArmFailure(
        400,
        'InvalidRequestContent',
        'The request content was invalid and could not be deserialized.',
      );
    }
    entry.body = body;
  }
  if (tokenRoute && method === 'POST')
    return token(state, decodeURIComponent(tokenRoute[1]!), new URLSearchParams(text));
  authenticate(state, req);
  return arm(state, method, url, body);
}

function errorReply(e: unknown): Reply {
  if (e instanceof ArmFailure)
    return { status: e.status, body: { error: { code: e.code, message: e.message } }, headers: e.headers };
  return { status: 500, body: { error: { code: 'InternalServerError', message: (e as Error).message } } };
}

/** The handle on the state that tests and the simulated consoles use. */
function stateView(state: AzureState): AzureFakeState {
  return {
    allows: (objectId, subscriptionId, action, resourceId, now) =>
      allows(state, objectId, subscriptionId, action, resourceId, now),
    assignmentsFor: (objectId) =>
      state.assignments.filter((a) => a.principalId.toLowerCase() === objectId.toLowerCase()),
    isActive: (assignment, now) => isActive(state, assignment, now),
    recordActivity: (activity) => recordActivity(state, activity),
    failNext(count, failure) {
      state.faults.push({ remaining: count, failure });
    },
    scriptNextRequest(statuses) {
      state.requestScripts.push([...statuses]);
    },
    requests: state.requests,
    get tokensIssued() {
      return state.tokensIssued;
    },
    roles: BUILT_IN_ROLES,
  };
}

export async function startAzureFake(options: AzureFakeOptions): Promise<AzureFake> {
  const state = createAzureState(options);
  const server = http.createServer((req, res) => {
    let logged: LoggedRequest | undefined;
    serve(state, req, (entry) => (logged = entry))
      .then((reply) => send(res, logged, reply))
      .catch((e: unknown) => {
        if (!res.headersSent) send(res, logged, errorReply(e));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoints: { login: state.base, arm: state.base },
    state: stateView(state),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
