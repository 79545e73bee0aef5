/**
 * A wire-level fake of the parts of Azure the broker uses (shared/docs/cloud-mechanics.md §2,
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
 *   GET  {arm}{scope}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances  principalId eq, asTarget()
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
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeClock } from '../clock';
import { BUILT_IN_ROLES, DATA_OPERATIONS, type FakeRoleDefinition } from './catalogue';

export { BUILT_IN_ROLES, DATA_OPERATIONS, type FakeRoleDefinition };

export interface AzureFakePrincipal {
  readonly objectId: string;
  /** The user principal name; the Activity Log's `caller` for the user's operations. */
  readonly upn: string;
}

/** PIM role settings (the same for every role here): what `AdminAssign` must satisfy. */
export interface AzureFakePimPolicy {
  /** Maximum active assignment duration, ISO-8601 (Azure's default for active assignments varies; 8 h here). */
  readonly maxDuration?: string;
  readonly requireJustification?: boolean;
  readonly requireTicket?: boolean;
  /** Requests wait in `PendingApproval` (no assignment) until cancelled. */
  readonly requireApproval?: boolean;
}

export interface AzureFakeOptions {
  readonly clock: FakeClock;
  readonly tenantId: string;
  readonly subscriptions: readonly string[];
  readonly principals: readonly AzureFakePrincipal[];
  readonly brokerClientId: string;
  readonly brokerClientSecret: string;
  /** The broker's service principal object id (in tokens and `AuthorizationFailed` messages). */
  readonly brokerObjectId?: string;
  readonly pimPolicy?: AzureFakePimPolicy;
  /** Token lifetime (Entra: about an hour). */
  readonly tokenLifetimeSeconds?: number;
  /** Items per page of `roleDefinitions` (small, so paging is exercised) and of the Activity Log. */
  readonly pageSize?: { readonly roleDefinitions?: number; readonly activity?: number };
}

/** One role assignment, from PIM (`pim`) or a plain `roleAssignments` PUT (`assignment`). */
export interface FakeAssignment {
  readonly kind: 'pim' | 'assignment';
  /** The PIM schedule request or role assignment name that created it. */
  readonly name: string;
  readonly principalId: string;
  readonly roleDefinitionName: string;
  readonly roleName: string;
  readonly scope: string;
  readonly startsAt: Date;
  /** Null for plain role assignments (they never expire). */
  endsAt: Date | null;
  /** When it became active: Azure refuses to remove it within 5 minutes of this. */
  readonly activatedAt: Date;
  removedAt: Date | null;
}

export interface FakeActivity {
  readonly objectId: string;
  readonly subscriptionId: string;
  readonly action: string;
  readonly resourceId: string;
  readonly status?: 'Succeeded' | 'Failed';
  /** Defaults to the fake clock's now. */
  readonly at?: Date;
}

export interface FakeFailure {
  readonly status: number;
  readonly code: string;
  /** Default for `AuthorizationFailed`: Azure's sentence naming the route's action and scope. */
  readonly message?: string;
  readonly retryAfterSeconds?: number;
  /** Only requests whose `METHOD path` contains this (case-insensitive) fail; default all ARM calls. */
  readonly match?: string;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Parsed JSON (ARM), the form fields (token endpoint), or the raw text if it did not parse. */
  body: unknown;
  readonly at: Date;
  status: number;
}

export interface AzureFakeState {
  /**
   * Whether `objectId` may perform `action` (a control- or data-plane operation) on `resourceId`
   * (default: the subscription itself) at `now` (default: the fake clock): some active assignment
   * at a scope containing the resource carries a role whose `actions` (or, for data operations,
   * `dataActions`) match and whose `notActions` do not.
   */
  allows(
    objectId: string,
    subscriptionId: string,
    action: string,
    resourceId?: string | null,
    now?: Date,
  ): boolean;
  /** Every assignment the principal ever had (active, expired or removed), oldest first. */
  assignmentsFor(objectId: string): readonly FakeAssignment[];
  /** Whether an assignment is in force at `now` (default: the fake clock). */
  isActive(assignment: FakeAssignment, now?: Date): boolean;
  /** Log an operation in the Activity Log (reads are not logged, as in Azure). */
  recordActivity(activity: FakeActivity): void;
  /** The next `count` ARM calls (matching `failure.match`) answer with this error. */
  failNext(count: number, failure: FakeFailure): void;
  /** Every call, token requests included, in order. */
  readonly requests: readonly LoggedRequest[];
  /** Access tokens issued so far. */
  readonly tokensIssued: number;
  readonly roles: readonly FakeRoleDefinition[];
}

export interface AzureFake {
  readonly endpoints: { readonly login: string; readonly arm: string };
  readonly state: AzureFakeState;
  close(): Promise<void>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FIVE_MINUTES = 5 * 60_000;
const REQUEST_TYPES = [
  'AdminAssign',
  'AdminRemove',
  'AdminUpdate',
  'AdminExtend',
  'AdminRenew',
  'SelfActivate',
  'SelfDeactivate',
  'SelfExtend',
  'SelfRenew',
];
const API_VERSIONS = {
  pim: ['2020-10-01', '2020-10-01-preview', '2022-04-01-preview', '2024-02-01-preview'],
  rbac: ['2015-07-01', '2018-01-01-preview', '2020-04-01-preview', '2022-04-01'],
  activity: ['2015-04-01'],
};

/** `*` wildcard, case-insensitive, as RBAC matches actions. */
function glob(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}
const matches = (patterns: readonly string[] | undefined, action: string) =>
  (patterns ?? []).some((p) => glob(p).test(action));

/** ISO-8601 durations as PIM takes them (`PT1H`, `PT90M`, `P1DT2H`) → ms; null if unreadable. */
export function parseDuration(text: string): number | null {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text);
  if (!m || text === 'P' || /T$/i.test(text)) return null;
  const [, d, h, min, s] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

class ArmFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export async function startAzureFake(options: AzureFakeOptions): Promise<AzureFake> {
  const { clock } = options;
  const brokerObjectId = options.brokerObjectId ?? '99999999-0000-4000-8000-000000000001';
  const policy = options.pimPolicy ?? {};
  const maxDurationMs = parseDuration(policy.maxDuration ?? 'PT8H') ?? 8 * 3_600_000;
  const tokenLifetime = options.tokenLifetimeSeconds ?? 3599;
  const rolesPerPage = options.pageSize?.roleDefinitions ?? 4;
  const eventsPerPage = options.pageSize?.activity ?? 2;
  const subscriptions = new Map(options.subscriptions.map((s) => [s.toLowerCase(), s]));
  const principals = new Map(options.principals.map((p) => [p.objectId.toLowerCase(), p]));
  const roles = new Map(BUILT_IN_ROLES.map((r) => [r.name.toLowerCase(), r]));
  const dataOperations = new Set(DATA_OPERATIONS.map((o) => o.toLowerCase()));

  const issued = new Set<string>();
  const assignments: FakeAssignment[] = [];
  const scheduleRequests = new Map<string, Record<string, unknown>>();
  const plainAssignments = new Map<string, Record<string, unknown>>();
  const events: Record<string, unknown>[] = [];
  const faults: { remaining: number; failure: FakeFailure }[] = [];
  const requests: LoggedRequest[] = [];
  /** Each response's request log entry, to note the status answered. */
  const logOf = new WeakMap<http.ServerResponse, LoggedRequest>();
  let tokensIssued = 0;
  let base = '';

  const isActive = (a: FakeAssignment, now = clock.now()) =>
    a.removedAt === null &&
    a.startsAt.getTime() <= now.getTime() &&
    (a.endsAt === null || now.getTime() < a.endsAt.getTime());

  const covers = (scope: string, resource: string) => {
    const s = scope.toLowerCase();
    const r = resource.toLowerCase();
    return r === s || r.startsWith(`${s}/`);
  };

  const roleGrants = (role: FakeRoleDefinition, action: string) =>
    dataOperations.has(action.toLowerCase())
      ? matches(role.dataActions, action) && !matches(role.notDataActions, action)
      : matches(role.actions, action) && !matches(role.notActions, action);

  // --- Entra ID ------------------------------------------------------------------------------

  function entraError(res: http.ServerResponse, status: number, error: string, aadsts: string, text: string) {
    const now = clock.now();
    send(res, status, {
      error,
      error_description: `${aadsts}: ${text}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${now.toISOString().replace('T', ' ').slice(0, 19)}Z`,
      error_codes: [Number(aadsts.slice(6))],
      timestamp: now.toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    });
  }

  function token(res: http.ServerResponse, tenant: string, form: URLSearchParams) {
    if (tenant.toLowerCase() !== options.tenantId.toLowerCase()) {
      return entraError(
        res,
        400,
        'invalid_request',
        'AADSTS90002',
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return entraError(
        res,
        400,
        'unsupported_grant_type',
        'AADSTS70003',
        'The app requested an unsupported grant type.',
      );
    }
    if (form.get('client_id') !== options.brokerClientId) {
      return entraError(
        res,
        400,
        'unauthorized_client',
        'AADSTS700016',
        `Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory '${options.tenantId}'.`,
      );
    }
    if (form.get('client_secret') !== options.brokerClientSecret) {
      return entraError(
        res,
        401,
        'invalid_client',
        'AADSTS7000215',
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${options.brokerClientId}'.`,
      );
    }
    const scope = form.get('scope') ?? '';
    if (scope.replace(/\/+\.default$/, '') !== base) {
      return entraError(
        res,
        400,
        'invalid_scope',
        'AADSTS70011',
        `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
      );
    }
    const now = Math.floor(clock.now().getTime() / 1000);
    const payload = {
      aud: `${base}/`,
      iss: `https://sts.windows.net/${options.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + tokenLifetime,
      appid: options.brokerClientId,
      oid: brokerObjectId,
      sub: brokerObjectId,
      tid: options.tenantId,
      idtyp: 'app',
    };
    const jwt = `${b64url({ typ: 'JWT', alg: 'none' })}.${b64url(payload)}.`;
    issued.add(jwt);
    tokensIssued += 1;
    send(res, 200, {
      token_type: 'Bearer',
      expires_in: tokenLifetime,
      ext_expires_in: tokenLifetime,
      access_token: jwt,
    });
  }

  // --- ARM -------------------------------------------------------------------------------------

  function authenticate(req: http.IncomingMessage): void {
    const header = req.headers.authorization;
    const challenge = {
      'www-authenticate': `Bearer authorization_uri="${base}/${options.tenantId}", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`,
    };
    if (!header) {
      throw new ArmFailure(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
        challenge,
      );
    }
    const m = /^Bearer (\S+)$/.exec(header);
    if (!m || !issued.has(m[1]!)) {
      throw new ArmFailure(401, 'InvalidAuthenticationToken', 'The access token is invalid.', challenge);
    }
    const payload = JSON.parse(Buffer.from(m[1]!.split('.')[1]!, 'base64url').toString('utf8')) as {
      exp: number;
      aud: string;
    };
    if (payload.aud !== `${base}/`) {
      throw new ArmFailure(
        401,
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained for wrong audience or resource '${payload.aud}'. It should exactly match with one of the allowed audiences '${base}/'.`,
      );
    }
    const now = clock.now();
    if (payload.exp * 1000 <= now.getTime()) {
      throw new ArmFailure(
        401,
        'ExpiredAuthenticationToken',
        `The access token expiry UTC time '${new Date(payload.exp * 1000).toUTCString()}' is earlier than current UTC time '${now.toUTCString()}'.`,
      );
    }
  }

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

  function authorizationFailed(action: string, scope: string): string {
    return `The client '${options.brokerClientId}' with object id '${brokerObjectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`;
  }

  function injectFault(method: string, path: string, action: string, scope: string): void {
    const line = `${method} ${path}`.toLowerCase();
    const fault = faults.find(
      (f) => f.remaining > 0 && (!f.failure.match || line.includes(f.failure.match.toLowerCase())),
    );
    if (!fault) return;
    fault.remaining -= 1;
    const { failure } = fault;
    const message =
      failure.message ??
      (failure.code === 'AuthorizationFailed'
        ? authorizationFailed(action, scope)
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

  /** `/subscriptions/{sub}[/…]` → the subscription as configured; 404 for unknown ones. */
  function subscriptionOf(scope: string): string {
    const m = /^\/subscriptions\/([^/]+)(?:\/|$)/i.exec(scope);
    const sub = m ? subscriptions.get(m[1]!.toLowerCase()) : undefined;
    if (!m) throw new ArmFailure(400, 'InvalidScope', `The scope '${scope}' is not valid.`);
    if (!sub)
      throw new ArmFailure(404, 'SubscriptionNotFound', `The subscription '${m[1]!}' could not be found.`);
    return sub;
  }

  function roleDefinitionJson(role: FakeRoleDefinition, scope: string) {
    const prefix = scope === '' || scope === '/' ? '' : scope;
    return {
      id: `${prefix}/providers/Microsoft.Authorization/roleDefinitions/${role.name}`,
      name: role.name,
      type: 'Microsoft.Authorization/roleDefinitions',
      properties: {
        roleName: role.roleName,
        type: 'BuiltInRole',
        description: role.description,
        assignableScopes: ['/'],
        permissions: [
          {
            actions: role.actions,
            notActions: role.notActions ?? [],
            dataActions: role.dataActions ?? [],
            notDataActions: role.notDataActions ?? [],
          },
        ],
        createdOn: '2015-02-02T21:55:09.8806423Z',
        updatedOn: '2024-01-01T00:00:00.0000000Z',
        createdBy: null,
        updatedBy: null,
      },
    };
  }

  function listRoleDefinitions(url: URL, scope: string) {
    const filter = url.searchParams.get('$filter');
    let list = [...roles.values()];
    if (filter) {
      const type = /^type eq '(BuiltInRole|CustomRole)'$/i.exec(filter);
      const name = /^roleName eq '([^']+)'$/i.exec(filter);
      if (type) list = type[1]!.toLowerCase() === 'builtinrole' ? list : [];
      else if (name) list = list.filter((r) => r.roleName.toLowerCase() === name[1]!.toLowerCase());
      else if (!/^atScopeAndBelow\(\)$/i.test(filter)) {
        throw new ArmFailure(400, 'InvalidFilterInQueryString', `The filter '${filter}' is not supported.`);
      }
    }
    const skip = Number(url.searchParams.get('$skipToken') ?? 0);
    const page = list.slice(skip, skip + rolesPerPage);
    const next = new URL(`${base}${url.pathname}`);
    for (const [k, v] of url.searchParams) if (k !== '$skipToken') next.searchParams.set(k, v);
    next.searchParams.set('$skipToken', String(skip + rolesPerPage));
    return {
      value: page.map((r) => roleDefinitionJson(r, scope)),
      ...(skip + rolesPerPage < list.length ? { nextLink: next.toString() } : {}),
    };
  }

  /** The built-in role a `roleDefinitionId` names, if it is one and lives where it is used. */
  function roleById(id: unknown, subscription: string): FakeRoleDefinition {
    const text = str(id) ?? '';
    const m =
      /^(?:\/subscriptions\/([^/]+))?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i.exec(
        text,
      );
    const role = m ? roles.get(m[2]!.toLowerCase()) : undefined;
    if (!m || !role || (m[1] !== undefined && m[1].toLowerCase() !== subscription.toLowerCase())) {
      throw new ArmFailure(
        400,
        'RoleDefinitionDoesNotExist',
        `The specified role definition with ID '${m?.[2] ?? text}' does not exist.`,
      );
    }
    return role;
  }

  function principalOf(id: unknown): string {
    const text = str(id) ?? '';
    if (!principals.has(text.toLowerCase())) {
      throw new ArmFailure(
        400,
        'PrincipalNotFound',
        `Principal ${text.replace(/-/g, '')} does not exist in the directory ${options.tenantId}. Check that you have the correct principal ID.`,
      );
    }
    return principals.get(text.toLowerCase())!.objectId;
  }

  const sameScope = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const findActive = (
    kind: FakeAssignment['kind'] | null,
    principalId: string,
    role: string,
    scope: string,
  ) =>
    assignments.find(
      (a) =>
        (kind === null || a.kind === kind) &&
        a.principalId.toLowerCase() === principalId.toLowerCase() &&
        a.roleDefinitionName.toLowerCase() === role.toLowerCase() &&
        sameScope(a.scope, scope) &&
        isActive(a),
    );

  /** PIM's policy checks on a schedule; throws Azure's errors. */
  function checkSchedule(properties: Record<string, unknown>, start: Date): Date {
    const schedule = isObject(properties.scheduleInfo) ? properties.scheduleInfo : null;
    const expiration = schedule && isObject(schedule.expiration) ? schedule.expiration : null;
    const failed: string[] = [];
    let end: Date | null = null;
    const type = str(expiration?.type);
    if (type === 'AfterDuration') {
      const ms = parseDuration(str(expiration?.duration) ?? '');
      if (ms === null)
        throw new ArmFailure(
          400,
          'InvalidDuration',
          `The duration '${String(expiration?.duration)}' is not a valid ISO-8601 duration.`,
        );
      end = new Date(start.getTime() + ms);
    } else if (type === 'AfterDateTime') {
      const at = Date.parse(str(expiration?.endDateTime) ?? '');
      if (Number.isNaN(at))
        throw new ArmFailure(
          400,
          'InvalidEndDateTime',
          'The endDateTime is missing or not a valid date-time.',
        );
      end = new Date(at);
    } else if (type === 'NoExpiration' || type === null) {
      failed.push('ExpirationRule');
    } else {
      throw new ArmFailure(400, 'InvalidExpirationType', `The expiration type '${type}' is not valid.`);
    }
    if (end && end.getTime() - start.getTime() < FIVE_MINUTES) {
      throw new ArmFailure(
        400,
        'ActiveDurationTooShort',
        'The role assignment duration must be at least 5 minutes.',
      );
    }
    if (end && end.getTime() - start.getTime() > maxDurationMs) failed.push('ExpirationRule');
    if (policy.requireJustification && !str(properties.justification)) failed.push('JustificationRule');
    const ticket = isObject(properties.ticketInfo) ? properties.ticketInfo : null;
    if (policy.requireTicket && !str(ticket?.ticketNumber)) failed.push('TicketingRule');
    if (failed.length > 0) {
      throw new ArmFailure(
        400,
        'RoleAssignmentRequestPolicyValidationFailed',
        `The following policy rules failed: [${failed.map((f) => `"${f}"`).join(',')}]`,
      );
    }
    return end!;
  }

  function putScheduleRequest(scope: string, name: string, body: unknown) {
    const subscription = subscriptionOf(scope);
    if (!GUID.test(name)) {
      throw new ArmFailure(
        400,
        'InvalidRoleAssignmentScheduleRequestName',
        `The role assignment schedule request name '${name}' is not a valid GUID.`,
      );
    }
    const properties = isObject(body) && isObject(body.properties) ? body.properties : null;
    if (!properties)
      throw new ArmFailure(
        400,
        'InvalidRequestContent',
        "The request content must have a 'properties' object.",
      );
    const requestType = str(properties.requestType) ?? '';
    if (!REQUEST_TYPES.includes(requestType)) {
      throw new ArmFailure(
        400,
        'InvalidRequestType',
        `The request type '${requestType}' is not valid. Valid types are ${REQUEST_TYPES.join(', ')}.`,
      );
    }
    const principalId = principalOf(properties.principalId);
    const role = roleById(properties.roleDefinitionId, subscription);
    if (requestType.startsWith('Self')) {
      throw new ArmFailure(
        400,
        'RoleAssignmentRequestPolicyValidationFailed',
        `${requestType} needs an eligible assignment; this fake models none (the broker uses Admin* requests).`,
      );
    }
    const now = clock.now();
    const existing =
      findActive('pim', principalId, role.name, scope) ?? findActive(null, principalId, role.name, scope);
    let status = 'Provisioned';
    let schedule: Record<string, unknown> | null = null;
    if (requestType === 'AdminAssign') {
      if (existing) throw new ArmFailure(400, 'RoleAssignmentExists', 'The Role assignment already exists.');
      const schedInfo = isObject(properties.scheduleInfo) ? properties.scheduleInfo : {};
      const requestedStart = Date.parse(str(schedInfo.startDateTime) ?? '');
      const start = new Date(Number.isNaN(requestedStart) ? now.getTime() : requestedStart);
      const end = checkSchedule(properties, start);
      if (policy.requireApproval) {
        status = 'PendingApproval';
      } else {
        assignments.push({
          kind: 'pim',
          name,
          principalId,
          roleDefinitionName: role.name,
          roleName: role.roleName,
          scope,
          startsAt: start,
          endsAt: end,
          activatedAt: new Date(Math.max(start.getTime(), now.getTime())),
          removedAt: null,
        });
      }
      schedule = {
        startDateTime: start.toISOString(),
        expiration: { type: 'AfterDateTime', endDateTime: end.toISOString(), duration: null },
      };
    } else if (requestType === 'AdminRemove') {
      if (!existing)
        throw new ArmFailure(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
      if (now.getTime() - existing.activatedAt.getTime() < FIVE_MINUTES) {
        throw new ArmFailure(
          400,
          'ActiveDurationTooShort',
          `The role assignment was activated at ${existing.activatedAt.toISOString()} and cannot be removed until 5 minutes after its activation.`,
        );
      }
      existing.removedAt = now;
      status = 'Revoked';
    } else {
      // AdminUpdate / AdminExtend / AdminRenew: a new schedule for the active assignment.
      if (!existing)
        throw new ArmFailure(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
      existing.endsAt = checkSchedule(properties, existing.startsAt);
      schedule = {
        startDateTime: existing.startsAt.toISOString(),
        expiration: { type: 'AfterDateTime', endDateTime: existing.endsAt.toISOString(), duration: null },
      };
    }
    const id = `${scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${name}`;
    const stored = {
      id,
      name,
      type: 'Microsoft.Authorization/RoleAssignmentScheduleRequests',
      properties: {
        targetRoleAssignmentScheduleId: `${scope}/providers/Microsoft.Authorization/roleAssignmentSchedules/${name}`,
        targetRoleAssignmentScheduleInstanceId: null,
        scope,
        roleDefinitionId: `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${role.name}`,
        principalId,
        principalType: 'User',
        requestType,
        status,
        approvalId: status === 'PendingApproval' ? randomUUID() : null,
        scheduleInfo: schedule,
        justification: str(properties.justification),
        ticketInfo: isObject(properties.ticketInfo) ? properties.ticketInfo : null,
        requestorId: brokerObjectId,
        createdOn: now.toISOString(),
      },
    };
    scheduleRequests.set(id.toLowerCase(), stored);
    return stored;
  }

  function instances(url: URL, scope: string) {
    subscriptionOf(scope);
    const filter = url.searchParams.get('$filter');
    let principal: string | null = null;
    if (filter) {
      const m = /^principalId eq '([^']+)'$/i.exec(filter);
      if (m) principal = m[1]!;
      else if (/^asTarget\(\)$/i.test(filter)) principal = brokerObjectId;
      else
        throw new ArmFailure(400, 'InvalidFilterInQueryString', `The filter '${filter}' is not supported.`);
    }
    const value = assignments
      .filter((a) => a.kind === 'pim' && isActive(a))
      .filter((a) => principal === null || a.principalId.toLowerCase() === principal.toLowerCase())
      .filter((a) => covers(a.scope, scope) || covers(scope, a.scope))
      .map((a) => ({
        id: `${a.scope}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances/${a.name}`,
        name: a.name,
        type: 'Microsoft.Authorization/roleAssignmentScheduleInstances',
        properties: {
          scope: a.scope,
          roleDefinitionId: `/subscriptions/${subscriptionOf(a.scope)}/providers/Microsoft.Authorization/roleDefinitions/${a.roleDefinitionName}`,
          principalId: a.principalId,
          principalType: 'User',
          roleAssignmentScheduleId: `${a.scope}/providers/Microsoft.Authorization/roleAssignmentSchedules/${a.name}`,
          startDateTime: a.startsAt.toISOString(),
          endDateTime: a.endsAt?.toISOString() ?? null,
          assignmentType: 'Assigned',
          memberType: 'Direct',
          status: 'Provisioned',
          createdOn: a.activatedAt.toISOString(),
        },
      }));
    return { value };
  }

  function putAssignment(scope: string, name: string, body: unknown) {
    const subscription = subscriptionOf(scope);
    if (!GUID.test(name))
      throw new ArmFailure(
        400,
        'InvalidRoleAssignmentId',
        `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`,
      );
    const properties = isObject(body) && isObject(body.properties) ? body.properties : null;
    if (!properties)
      throw new ArmFailure(
        400,
        'InvalidRequestContent',
        "The request content must have a 'properties' object.",
      );
    const principalId = principalOf(properties.principalId);
    const role = roleById(properties.roleDefinitionId, subscription);
    const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
    const existing = plainAssignments.get(id.toLowerCase());
    if (existing) {
      const p = existing.properties as Record<string, unknown>;
      if (p.principalId === principalId && str(p.roleDefinitionId)?.toLowerCase().endsWith(role.name))
        return { status: 200, body: existing };
      throw new ArmFailure(
        400,
        'RoleAssignmentUpdateNotPermitted',
        'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.',
      );
    }
    if (findActive('assignment', principalId, role.name, scope)) {
      throw new ArmFailure(409, 'RoleAssignmentExists', 'The role assignment already exists.');
    }
    const now = clock.now();
    assignments.push({
      kind: 'assignment',
      name,
      principalId,
      roleDefinitionName: role.name,
      roleName: role.roleName,
      scope,
      startsAt: now,
      endsAt: null,
      activatedAt: now,
      removedAt: null,
    });
    const stored = {
      id,
      name,
      type: 'Microsoft.Authorization/roleAssignments',
      properties: {
        roleDefinitionId: `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${role.name}`,
        principalId,
        principalType: str(properties.principalType) ?? 'User',
        scope,
        description: str(properties.description),
        createdOn: now.toISOString(),
        updatedOn: now.toISOString(),
        createdBy: brokerObjectId,
        updatedBy: brokerObjectId,
      },
    };
    plainAssignments.set(id.toLowerCase(), stored);
    return { status: 201, body: stored };
  }

  function deleteAssignment(scope: string, name: string) {
    subscriptionOf(scope);
    const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`.toLowerCase();
    const stored = plainAssignments.get(id);
    if (!stored)
      throw new ArmFailure(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);
    plainAssignments.delete(id);
    const a = assignments.find(
      (x) =>
        x.kind === 'assignment' &&
        x.name.toLowerCase() === name.toLowerCase() &&
        sameScope(x.scope, scope) &&
        x.removedAt === null,
    );
    if (a) a.removedAt = clock.now();
    return stored;
  }

  function activityLog(url: URL, subscription: string) {
    const filter = url.searchParams.get('$filter') ?? '';
    const from = /eventTimestamp ge '([^']+)'/i.exec(filter);
    if (!from || Number.isNaN(Date.parse(from[1]!))) {
      throw new ArmFailure(
        400,
        'BadRequest',
        "The $filter query parameter must contain an eventTimestamp ge '<date-time>' clause.",
      );
    }
    const to = /eventTimestamp le '([^']+)'/i.exec(filter);
    const caller = /caller eq '((?:[^']|'')+)'/i.exec(filter)?.[1]?.replace(/''/g, "'");
    const start = Date.parse(from[1]!);
    const end = to ? Date.parse(to[1]!) : clock.now().getTime();
    const list = events
      .filter((e) => str(e.subscriptionId)?.toLowerCase() === subscription.toLowerCase())
      .filter((e) => {
        const at = Date.parse(str(e.eventTimestamp) ?? '');
        return at >= start && at <= end;
      })
      .filter((e) => !caller || str(e.caller)?.toLowerCase() === caller.toLowerCase())
      // Azure answers newest first.
      .sort((a, b) => String(b.eventTimestamp).localeCompare(String(a.eventTimestamp)));
    const skip = Number(url.searchParams.get('$skipToken') ?? 0);
    const next = new URL(`${base}${url.pathname}`);
    for (const [k, v] of url.searchParams) if (k !== '$skipToken') next.searchParams.set(k, v);
    next.searchParams.set('$skipToken', String(skip + eventsPerPage));
    return {
      value: list.slice(skip, skip + eventsPerPage),
      ...(skip + eventsPerPage < list.length ? { nextLink: next.toString() } : {}),
    };
  }

  /** The RBAC action a route needs (for `AuthorizationFailed`). */
  function actionFor(method: string, kind: string): string {
    if (kind === 'activity') return 'Microsoft.Insights/eventtypes/values/read';
    const verb = method === 'GET' ? 'read' : method === 'DELETE' ? 'delete' : 'write';
    return `Microsoft.Authorization/${kind}/${verb}`;
  }

  const AUTHZ =
    /^(\/subscriptions\/[^/]+(?:\/.*?)?)\/providers\/Microsoft\.Authorization\/(roleDefinitions|roleAssignmentScheduleRequests|roleAssignmentScheduleInstances|roleAssignments)(?:\/([^/]+))?(\/cancel)?$/i;
  const ACTIVITY =
    /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Insights\/eventtypes\/management\/values$/i;

  function arm(method: string, url: URL, body: unknown): { status: number; body: unknown } {
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
      kind === 'activity' ? 'activity' : kind.startsWith('roleAssignmentSchedule') ? 'pim' : 'rbac';
    requireApiVersion(url, API_VERSIONS[family]);
    const scope = activity ? `/subscriptions/${activity[1]!}` : authz![1]!;
    injectFault(method, path, actionFor(method, authz?.[2] ?? kind), scope);

    if (activity) {
      if (method !== 'GET') throw new ArmFailure(405, 'MethodNotAllowed', `${method} is not supported here.`);
      return { status: 200, body: activityLog(url, subscriptionOf(scope)) };
    }
    const name = authz![3];
    const cancel = authz![4];
    const key = kind.toLowerCase();
    if (key === 'roledefinitions' && method === 'GET') {
      const sub = subscriptionOf(scope);
      if (name) {
        const role = roles.get(name.toLowerCase());
        if (!role)
          throw new ArmFailure(
            404,
            'RoleDefinitionDoesNotExist',
            `The role definition '${name}' could not be found.`,
          );
        return { status: 200, body: roleDefinitionJson(role, `/subscriptions/${sub}`) };
      }
      return { status: 200, body: listRoleDefinitions(url, `/subscriptions/${sub}`) };
    }
    if (key === 'roleassignmentschedulerequests' && name) {
      if (method === 'PUT' && !cancel) return { status: 201, body: putScheduleRequest(scope, name, body) };
      const id =
        `${scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${name}`.toLowerCase();
      const stored = scheduleRequests.get(id);
      if (!stored) {
        subscriptionOf(scope);
        throw new ArmFailure(
          404,
          'RoleAssignmentScheduleRequestNotFound',
          `The role assignment schedule request '${name}' could not be found.`,
        );
      }
      if (method === 'GET' && !cancel) return { status: 200, body: stored };
      if (method === 'POST' && cancel) {
        const p = stored.properties as Record<string, unknown>;
        if (p.status !== 'PendingApproval')
          throw new ArmFailure(
            400,
            'RequestCannotBeCancelled',
            `Only pending requests can be cancelled; this one is ${String(p.status)}.`,
          );
        p.status = 'Canceled';
        return { status: 200, body: null };
      }
    }
    if (key === 'roleassignmentscheduleinstances' && !name && method === 'GET') {
      return { status: 200, body: instances(url, scope) };
    }
    if (key === 'roleassignments' && name) {
      if (method === 'PUT') return putAssignment(scope, name, body);
      if (method === 'DELETE') return { status: 200, body: deleteAssignment(scope, name) };
      if (method === 'GET') {
        subscriptionOf(scope);
        const stored = plainAssignments.get(
          `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`.toLowerCase(),
        );
        if (!stored)
          throw new ArmFailure(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);
        return { status: 200, body: stored };
      }
    }
    throw new ArmFailure(405, 'MethodNotAllowed', `${method} is not supported on ${path}.`);
  }

  // --- HTTP ------------------------------------------------------------------------------------

  function send(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    const logged = logOf.get(res);
    if (logged) logged.status = status;
    res.writeHead(status, {
      ...(body === null ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      ...headers,
    });
    res.end(body === null ? undefined : JSON.stringify(body));
  }

  async function readBody(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > 256 * 1024)
        throw new ArmFailure(413, 'RequestEntityTooLarge', 'The request body is too large.');
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', base);
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
        at: clock.now(),
        status: 0,
      };
      requests.push(entry);
      logOf.set(res, entry);
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
        return token(res, decodeURIComponent(tokenRoute[1]!), new URLSearchParams(text));
      authenticate(req);
      const answer = arm(method, url, body);
      send(res, answer.status, answer.body);
    })().catch((e: unknown) => {
      if (res.headersSent) return;
      if (e instanceof ArmFailure)
        return send(res, e.status, { error: { code: e.code, message: e.message } }, e.headers);
      send(res, 500, { error: { code: 'InternalServerError', message: (e as Error).message } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const state: AzureFakeState = {
    allows(objectId, subscriptionId, action, resourceId, now = clock.now()) {
      const subscription = `/subscriptions/${subscriptionId}`;
      const resource = resourceId ?? subscription;
      if (!covers(subscription, resource)) return false;
      return assignments.some((a) => {
        if (a.principalId.toLowerCase() !== objectId.toLowerCase() || !isActive(a, now)) return false;
        if (!covers(a.scope, resource)) return false;
        const role = roles.get(a.roleDefinitionName.toLowerCase());
        return role !== undefined && roleGrants(role, action);
      });
    },
    assignmentsFor: (objectId) =>
      assignments.filter((a) => a.principalId.toLowerCase() === objectId.toLowerCase()),
    isActive,
    recordActivity(activity) {
      // The Activity Log holds control-plane writes and actions only (cloud-mechanics.md §2.6).
      if (/\/read$/i.test(activity.action) || dataOperations.has(activity.action.toLowerCase())) return;
      const principal = principals.get(activity.objectId.toLowerCase());
      const at = activity.at ?? clock.now();
      const correlationId = randomUUID();
      const event = (status: string, when: Date) => ({
        authorization: { action: activity.action, scope: activity.resourceId },
        caller: principal?.upn ?? activity.objectId,
        claims: { 'http://schemas.microsoft.com/identity/claims/objectidentifier': activity.objectId },
        correlationId,
        eventDataId: randomUUID(),
        eventTimestamp: when.toISOString(),
        submissionTimestamp: new Date(when.getTime() + 60_000).toISOString(),
        level: 'Informational',
        category: { value: 'Administrative', localizedValue: 'Administrative' },
        operationName: { value: activity.action, localizedValue: activity.action },
        resourceId: activity.resourceId,
        status: { value: status, localizedValue: status },
        subStatus:
          status === 'Failed'
            ? { value: 'Forbidden', localizedValue: 'Forbidden (HTTP Status Code: 403)' }
            : { value: '', localizedValue: '' },
        subscriptionId: activity.subscriptionId,
        tenantId: options.tenantId,
      });
      events.push(event('Started', at), event(activity.status ?? 'Succeeded', new Date(at.getTime() + 1000)));
    },
    failNext(count, failure) {
      faults.push({ remaining: count, failure });
    },
    requests,
    get tokensIssued() {
      return tokensIssued;
    },
    roles: BUILT_IN_ROLES,
  };

  return {
    endpoints: { login: base, arm: base },
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
