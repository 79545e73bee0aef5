/**
 * Azure Resource Manager's front door for the routes the fake serves: which resource type a path
 * names, the `api-version` each family accepts, injected faults (with ARM's `AuthorizationFailed`
 * sentence), then the handler of role definitions, role assignments, PIM or the Activity Log.
 */
import { activityLog } from './activity-log';
import { listScheduleRequests, scheduleRequestRoute } from './pim';
import { scheduleInstances } from './pim-instances';
import { policyAssignments } from './pim-policy';
import { roleAssignmentRoute } from './role-assignments';
import { getRoleDefinitions } from './role-definitions';
import { subscriptionOf, type AzureState } from './state';
import { ArmFailure, type Reply } from './wire';

/** The api-versions each family of routes accepts (ARM refuses any other). */
const API_VERSIONS = {
  pim: ['2020-10-01', '2020-10-01-preview', '2022-04-01-preview', '2024-02-01-preview'],
  rbac: ['2015-07-01', '2018-01-01-preview', '2020-04-01-preview', '2022-04-01'],
  activity: ['2015-04-01'],
};

const AUTHZ =
  /^(\/subscriptions\/[^/]+(?:\/.*?)?)\/providers\/Microsoft\.Authorization\/(roleDefinitions|roleAssignmentScheduleRequests|roleAssignmentScheduleInstances|roleManagementPolicyAssignments|roleAssignments)(?:\/([^/]+))?(\/cancel)?$/i;
const ACTIVITY =
  /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Insights\/eventtypes\/management\/values$/i;

function requireApiVersion(url: URL, supported: readonly string[]): void {
  const version = url.searchParams.get('api-version');
  if (!version) {
    throw new ArmFailure(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );
  }
  if (!supported.includes(version)) {
    throw new ArmFailure(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${version}' is invalid. The supported versions are '${supported.join(',')}'.`,
    );
  }
}

function authorizationFailed(state: AzureState, action: string, scope: string): string {
  return `The client '${state.brokerClientId}' with object id '${state.brokerObjectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`;
}

/** Throws the next injected failure that matches this call, if any. */
function injectFault(state: AzureState, method: string, path: string, action: string, scope: string): void {
  const line = `${method} ${path}`.toLowerCase();
  const fault = state.faults.find(
    (f) => f.remaining > 0 && (!f.failure.match || line.includes(f.failure.match.toLowerCase())),
  );
  if (!fault) return;
  fault.remaining -= 1;
  const { failure } = fault;
  const message =
    failure.message ??
    (failure.code === 'AuthorizationFailed'
      ? authorizationFailed(state, action, scope)
      : failure.code === 'TooManyRequests'
        ? 'The request was throttled. Please retry after the time given in the Retry-After header.'
        : 'An injected failure.');
  throw new ArmFailure(
    failure.status,
    failure.code,
    message,
    failure.retryAfterSeconds === undefined ? {} : { 'retry-after': String(failure.retryAfterSeconds) },
  );
}

/** The RBAC action a route needs (for `AuthorizationFailed`). */
function actionFor(method: string, kind: string): string {
  if (kind === 'activity') return 'Microsoft.Insights/eventtypes/values/read';
  const verb = method === 'GET' ? 'read' : method === 'DELETE' ? 'delete' : 'write';
  return `Microsoft.Authorization/${kind}/${verb}`;
}

/** The `Microsoft.Authorization` routes, once the request has passed the front door. */
function authorizationRoute(
  state: AzureState,
  method: string,
  url: URL,
  authz: RegExpExecArray,
  body: unknown,
): Reply | null {
  const [, scope = '', kind = '', name, cancel] = authz;
  const key = kind.toLowerCase();
  if (key === 'roledefinitions' && method === 'GET') {
    return { status: 200, body: getRoleDefinitions(state, url, subscriptionOf(state, scope), name) };
  }
  if (key === 'roleassignmentschedulerequests' && !name && method === 'GET') {
    return { status: 200, body: listScheduleRequests(state, url, scope) };
  }
  if (key === 'roleassignmentschedulerequests' && name) {
    return scheduleRequestRoute(state, method, scope, name, cancel !== undefined, body);
  }
  if (key === 'roleassignmentscheduleinstances' && !name && method === 'GET') {
    return { status: 200, body: scheduleInstances(state, url, scope) };
  }
  if (key === 'rolemanagementpolicyassignments' && !name && method === 'GET') {
    return { status: 200, body: policyAssignments(state, scope) };
  }
  if (key === 'roleassignments' && name) return roleAssignmentRoute(state, method, scope, name, body);
  return null;
}

/** Serves one authenticated ARM request. */
export function arm(state: AzureState, method: string, url: URL, body: unknown): Reply {
  const path = decodeURIComponent(url.pathname).replace(/\/+$/, '');
  const authz = AUTHZ.exec(path);
  const activity = ACTIVITY.exec(path);
  if (!authz && !activity)
    throw new ArmFailure(
      404,
      'InvalidResourceType',
      `The resource type could not be found for the path '${path}'.`,
    );
  const kind = activity ? 'activity' : authz![2]!.replace(/^./, (c) => c.toLowerCase());
  const family =
    kind === 'activity'
      ? 'activity'
      : kind.startsWith('roleAssignmentSchedule') || kind.startsWith('roleManagementPolic')
        ? 'pim'
        : 'rbac';
  requireApiVersion(url, API_VERSIONS[family]);
  const scope = activity ? `/subscriptions/${activity[1]!}` : authz![1]!;
  const action =
    authz?.[4] !== undefined
      ? 'Microsoft.Authorization/roleAssignmentScheduleRequests/cancel/action'
      : actionFor(method, authz?.[2] ?? kind);
  injectFault(state, method, path, action, scope);
  if (activity) {
    if (method !== 'GET') throw new ArmFailure(405, 'MethodNotAllowed', `${method} is not supported here.`);
    return { status: 200, body: activityLog(state, url, subscriptionOf(state, scope)) };
  }
  const reply = authorizationRoute(state, method, url, authz!, body);
  if (reply) return reply;
  throw new ArmFailure(405, 'MethodNotAllowed', `${method} is not supported on ${path}.`);
}
