/**
 * A wire-level fake of the Google APIs the GCP provisioner calls, on loopback, with the exact
 * shapes of cloud-mechanics.md §3 and §4.3, so server/clouds/gcp runs unchanged against it:
 *
 *   POST {token}                                          OAuth JWT-bearer grant (RS256 assertion)
 *   POST {resourceManager}/v1|v3/projects/{p}:getIamPolicy | :setIamPolicy | :testIamPermissions
 *   GET  {iam}/v1/roles[?view=FULL&pageSize&pageToken]    predefined catalogue (catalogue.ts)
 *   GET  {iam}/v1/roles/{id}, {iam}/v1/projects/{p}/roles[/{id}]
 *   POST {iam}/v1/projects/{p}/roles                      custom role (409 ALREADY_EXISTS)
 *   POST {logging}/v2/entries:list                        Cloud Audit Logs, > 60/min/project → 429
 *
 * Time is the shared FakeClock: token expiry, IAM Conditions and the logging rate limit all read
 * it. What the simulated consoles use: `state.allows(member, projectId, permission)` — whether a
 * (non-expired) binding lets the member do it — and `state.addLogEntry` to record what they did.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, importSPKI, jwtVerify, type CryptoKey } from 'jose';
import type { FakeClock } from '../clock';
import { BASIC_ROLE_NAMES, KNOWN_PERMISSIONS, PREDEFINED_ROLES, type FakeRole } from './catalogue';
import { CelError, evaluateCondition, parseCondition } from './cel';

export interface FakeCondition {
  readonly title?: string;
  readonly description?: string;
  readonly expression: string;
}

export interface FakeBinding {
  readonly role: string;
  readonly members: readonly string[];
  readonly condition?: FakeCondition;
}

export interface FakePolicy {
  readonly version: number;
  readonly etag: string;
  readonly bindings: readonly FakeBinding[];
  readonly auditConfigs?: readonly unknown[];
}

export interface FakeProject {
  readonly projectId: string;
  /** The policy the project starts with (conditional bindings allowed: it is stored as version 3). */
  readonly bindings?: readonly FakeBinding[];
  readonly auditConfigs?: readonly unknown[];
}

export interface FakeServiceAccount {
  readonly clientEmail: string;
  /** SPKI PEM of the account's key: the token endpoint verifies assertions with it. */
  readonly publicKeyPem: string;
  /**
   * What the account may do on every project (the broker's custom role, in effect). Absent: every
   * permission. Present: only these; anything else answers 403 PERMISSION_DENIED.
   */
  readonly permissions?: readonly string[];
}

/** One audit-log record to add (a console action, or a test's seed). */
export interface FakeAuditEvent {
  readonly principalEmail: string;
  readonly methodName: string;
  readonly serviceName?: string;
  readonly resourceName?: string;
  readonly permission?: string;
  /** google.rpc.Code; 0 (default) = success, 7 = PERMISSION_DENIED. */
  readonly statusCode?: number;
  /** Default: now on the fake clock. */
  readonly timestamp?: Date;
  /** `activity` (writes, default) or `data_access` (reads). */
  readonly log?: 'activity' | 'data_access';
}

export interface FakeRequest {
  readonly method: string;
  /** Path without the service prefix (`/v1/projects/p:setIamPolicy`), or `/token`. */
  readonly path: string;
  readonly service: 'token' | 'crm' | 'iam' | 'logging' | 'unknown';
  readonly status: number;
  readonly body: unknown;
}

export interface GcpFakeState {
  /**
   * Whether `member` (`user:alice@example.com`) holds `permission` on `projectId` at `now`
   * (default: the fake clock): some binding lists the member, its role (predefined or the
   * project's custom role) includes the permission, and its condition, if any, is true then.
   * `resource` is the full resource name, for `resource.name.startsWith` conditions.
   */
  allows(member: string, projectId: string, permission: string, now?: Date, resource?: string): boolean;
  /** The project's current policy, conditions included (a copy); throws for an unknown project. */
  policy(projectId: string): FakePolicy;
  /** Replace the project's bindings (a new etag, as if someone edited the policy). */
  setBindings(projectId: string, bindings: readonly FakeBinding[]): void;
  /** The project's custom roles (a copy). */
  customRoles(projectId: string): FakeRole[];
  /** Record an audit-log entry for `projectId`. */
  addLogEntry(projectId: string, event: FakeAuditEvent): void;
  /** Answer the next `count` setIamPolicy calls with 409 ABORTED, as if someone wrote concurrently. */
  injectConcurrentChange(count?: number): void;
  /** Answer the next `count` entries:list calls with 429 RESOURCE_EXHAUSTED. */
  injectRateLimit(count?: number): void;
  /** Invalidate every access token issued so far (a key rotation, a revoked session): the next call is 401. */
  revokeTokens(): void;
  /** Change what a service account may do (null: everything). */
  setPermissions(clientEmail: string, permissions: readonly string[] | null): void;
  /** Every request served, in order. */
  readonly requests: readonly FakeRequest[];
  /** Access tokens issued so far. */
  readonly tokensIssued: number;
}

export interface GcpFake {
  readonly endpoints: {
    readonly token: string;
    readonly resourceManager: string;
    readonly iam: string;
    readonly logging: string;
  };
  readonly state: GcpFakeState;
  close(): Promise<void>;
}

export interface GcpFakeOptions {
  readonly clock: FakeClock;
  readonly projects: readonly (FakeProject | string)[];
  readonly serviceAccounts: readonly FakeServiceAccount[];
  /** The largest page any list answers (Google's is 1,000); lower it to exercise paging. */
  readonly maxPageSize?: number;
}

/** Google's exact words for a concurrent policy change (cloud-mechanics.md §3.3). */
export const ABORTED_MESSAGE =
  'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.';
const TOKEN_LIFETIME_S = 3599;
const MAX_PRINCIPALS = 1500;
const MAX_CONDITION_VARIANTS = 20;
const LOGGING_PER_MINUTE = 60;
const MAX_CUSTOM_ROLES = 300;

class GoogleHttpError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly status: string,
    message: string,
    readonly details: readonly unknown[] = [],
  ) {
    super(message);
  }
}

const newEtag = () => randomBytes(8).toString('base64');
const hasCondition = (b: FakeBinding) => b.condition !== undefined;
const clone = <T>(value: T): T => structuredClone(value);

function permissionDenied(permission: string, resource: string, domain: string): GoogleHttpError {
  return new GoogleHttpError(
    403,
    'PERMISSION_DENIED',
    `Permission '${permission}' denied on resource '//${domain}/${resource}' (or it may not exist).`,
    [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain: 'iam.googleapis.com',
        metadata: { permission, resource },
      },
    ],
  );
}

const invalid = (message: string) => new GoogleHttpError(400, 'INVALID_ARGUMENT', message);

const pageToken = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');
function readPageToken(token: string | undefined | null): number {
  if (!token) return 0;
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m) throw invalid('Invalid page token.');
  return Number(m[1]);
}

export async function startGcpFake(options: GcpFakeOptions): Promise<GcpFake> {
  const { clock } = options;
  const maxPageSize = options.maxPageSize ?? 1000;

  const policies = new Map<string, { etag: string; bindings: FakeBinding[]; auditConfigs?: unknown[] }>();
  const customRoles = new Map<string, Map<string, FakeRole>>();
  const logs = new Map<string, Record<string, unknown>[]>();
  const loggingCalls = new Map<string, number[]>();
  for (const p of options.projects) {
    const project = typeof p === 'string' ? { projectId: p } : p;
    policies.set(project.projectId, {
      etag: newEtag(),
      bindings: clone([...(project.bindings ?? [])]),
      ...(project.auditConfigs ? { auditConfigs: clone([...project.auditConfigs]) } : {}),
    });
    customRoles.set(project.projectId, new Map());
    logs.set(project.projectId, []);
  }

  const accounts = new Map<string, { key: CryptoKey; permissions: ReadonlySet<string> | null }>();
  for (const sa of options.serviceAccounts) {
    accounts.set(sa.clientEmail, {
      key: await importSPKI(sa.publicKeyPem, 'RS256'),
      permissions: sa.permissions ? new Set(sa.permissions) : null,
    });
  }
  const tokens = new Map<string, { email: string; expiresAt: number }>();
  const requests: FakeRequest[] = [];
  let tokensIssued = 0;
  let abortsToInject = 0;
  let rateLimitsToInject = 0;

  function project(projectId: string) {
    const policy = policies.get(projectId);
    if (!policy) throw new Error(`the GCP fake has no project ${projectId}`);
    return policy;
  }

  function roleByName(projectId: string, name: string): FakeRole | undefined {
    const custom = /^projects\/([^/]+)\/roles\/([^/]+)$/.exec(name);
    if (custom) return custom[1] === projectId ? customRoles.get(projectId)?.get(custom[2]!) : undefined;
    return PREDEFINED_ROLES.find((r) => r.name === name);
  }

  function allows(
    member: string,
    projectId: string,
    permission: string,
    now = clock.now(),
    resource?: string,
  ) {
    const policy = policies.get(projectId);
    if (!policy) return false;
    return policy.bindings.some((b) => {
      if (!b.members.includes(member)) return false;
      if (!roleByName(projectId, b.role)?.includedPermissions.includes(permission)) return false;
      return !b.condition || evaluateCondition(parseCondition(b.condition.expression), now, resource);
    });
  }

  function authenticate(req: http.IncomingMessage): { email: string } {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) {
      throw new GoogleHttpError(
        401,
        'UNAUTHENTICATED',
        'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      );
    }
    const token = tokens.get(header.slice('Bearer '.length));
    if (!token || token.expiresAt <= clock.now().getTime()) {
      throw new GoogleHttpError(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      );
    }
    return { email: token.email };
  }

  function authorize(email: string, permission: string, resource: string, domain: string): void {
    const granted = accounts.get(email)?.permissions;
    if (granted && !granted.has(permission)) throw permissionDenied(permission, resource, domain);
  }

  // ---- token --------------------------------------------------------------------------------

  async function issueToken(form: URLSearchParams, tokenUrl: string): Promise<unknown> {
    const oauthError = (error: string, description: string) =>
      Object.assign(new Error(description), { error });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      throw oauthError('unsupported_grant_type', 'Invalid grant_type: ' + (form.get('grant_type') ?? ''));
    }
    const assertion = form.get('assertion') ?? '';
    let claims: ReturnType<typeof decodeJwt>;
    try {
      claims = decodeJwt(assertion);
    } catch {
      throw oauthError('invalid_grant', 'Invalid JWT: malformed assertion.');
    }
    const account = typeof claims.iss === 'string' ? accounts.get(claims.iss) : undefined;
    if (!account) throw oauthError('invalid_grant', 'Invalid grant: account not found');
    try {
      await jwtVerify(assertion, account.key, {
        algorithms: ['RS256'],
        audience: tokenUrl,
        currentDate: clock.now(),
        clockTolerance: 60,
        requiredClaims: ['iat', 'exp'],
      });
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw oauthError(
        'invalid_grant',
        code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
          ? 'Invalid JWT Signature.'
          : 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    if ((claims.exp ?? 0) - (claims.iat ?? 0) > 3600) {
      throw oauthError(
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    if (typeof claims.scope !== 'string' || !claims.scope) {
      throw oauthError('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    }
    const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    tokens.set(accessToken, {
      email: claims.iss!,
      expiresAt: clock.now().getTime() + TOKEN_LIFETIME_S * 1000,
    });
    tokensIssued += 1;
    return { access_token: accessToken, expires_in: TOKEN_LIFETIME_S, token_type: 'Bearer' };
  }

  // ---- Resource Manager ---------------------------------------------------------------------

  /** What getIamPolicy answers at `requested` version (cloud-mechanics.md §3.3). */
  function policyView(projectId: string, requested: number): FakePolicy {
    const stored = project(projectId);
    const conditional = stored.bindings.some(hasCondition);
    const base = {
      etag: stored.etag,
      ...(stored.auditConfigs ? { auditConfigs: clone(stored.auditConfigs) } : {}),
    };
    if (!conditional) return { version: 1, ...base, bindings: clone(stored.bindings) };
    if (requested >= 3) return { version: 3, ...base, bindings: clone(stored.bindings) };
    // A v1 reader cannot represent conditions: Google strips them and renames the role so that
    // writing the result back fails instead of silently widening the grant.
    return {
      version: 1,
      ...base,
      bindings: stored.bindings.map((b) => {
        if (!b.condition) return clone(b);
        const hash = createHash('sha256').update(JSON.stringify(b.condition)).digest('hex').slice(0, 20);
        return { role: `${b.role}_withcond_${hash}`, members: [...b.members] };
      }),
    };
  }

  function validateBindings(
    projectId: string,
    version: number,
    bindings: readonly FakeBinding[],
  ): FakeBinding[] {
    const out: FakeBinding[] = [];
    let principals = 0;
    const variants = new Map<string, number>();
    for (const [i, b] of bindings.entries()) {
      if (typeof b?.role !== 'string' || !Array.isArray(b.members)) {
        throw invalid(`Invalid policy: bindings[${i}] needs a role and members.`);
      }
      if (b.role.includes('_withcond_')) {
        throw invalid(
          `Invalid policy: role ${b.role} is a placeholder for a conditional binding read at policy version 1; read the policy with requestedPolicyVersion 3.`,
        );
      }
      if (!roleByName(projectId, b.role)) {
        throw invalid(`Role ${b.role} is not supported for this resource.`);
      }
      const members: unknown[] = b.members;
      if (members.length === 0) continue; // Google drops empty bindings.
      for (const m of members) {
        if (typeof m !== 'string') throw invalid(`Invalid member in bindings[${i}].`);
        if (
          !/^(user|serviceAccount|group|domain|principal|principalSet):.+$/.test(m) &&
          !m.startsWith('all')
        ) {
          throw invalid(`Invalid member: ${m}`);
        }
      }
      if (b.condition !== undefined) {
        if (version !== 3) {
          throw invalid(
            'Invalid policy: conditions are only supported in policy version 3; set the policy version to 3.',
          );
        }
        if (BASIC_ROLE_NAMES.has(b.role)) {
          throw invalid(`Invalid policy: conditions are not supported on the basic role ${b.role}.`);
        }
        if (b.members.some((m) => m === 'allUsers' || m === 'allAuthenticatedUsers')) {
          throw invalid(
            'Invalid policy: conditions are not supported for allUsers or allAuthenticatedUsers.',
          );
        }
        if (typeof b.condition.expression !== 'string')
          throw invalid('Invalid policy: a condition needs an expression.');
        try {
          parseCondition(b.condition.expression);
        } catch (e) {
          if (e instanceof CelError) throw invalid(`Condition expression is invalid: ${e.message}`);
          throw e;
        }
        for (const m of b.members) {
          const key = `${b.role}\n${m}`;
          const n = (variants.get(key) ?? 0) + 1;
          if (n > MAX_CONDITION_VARIANTS) {
            throw invalid(
              `Invalid policy: more than ${MAX_CONDITION_VARIANTS} conditional bindings of ${b.role} for ${m}.`,
            );
          }
          variants.set(key, n);
        }
      }
      principals += b.members.length;
      out.push({
        role: b.role,
        members: members as string[],
        ...(b.condition
          ? {
              condition: {
                expression: b.condition.expression,
                ...(b.condition.title !== undefined ? { title: b.condition.title } : {}),
                ...(b.condition.description !== undefined ? { description: b.condition.description } : {}),
              },
            }
          : {}),
      });
    }
    if (principals > MAX_PRINCIPALS) throw invalid(`Invalid policy: more than ${MAX_PRINCIPALS} principals.`);
    return out;
  }

  function resourceManager(method: string, path: string, body: unknown, email: string): unknown {
    const m = /^\/v[13]\/projects\/([^/:]+):(getIamPolicy|setIamPolicy|testIamPermissions)$/.exec(path);
    if (!m || method !== 'POST')
      throw new GoogleHttpError(404, 'NOT_FOUND', 'Requested entity was not found.');
    const projectId = decodeURIComponent(m[1]!);
    const resource = `projects/${projectId}`;
    const domain = 'cloudresourcemanager.googleapis.com';
    const input = (body ?? {}) as Record<string, unknown>;
    if (m[2] === 'getIamPolicy') {
      authorize(email, 'resourcemanager.projects.getIamPolicy', resource, domain);
      if (!policies.has(projectId))
        throw permissionDenied('resourcemanager.projects.getIamPolicy', resource, domain);
      const requested = Number(
        (input.options as { requestedPolicyVersion?: number } | undefined)?.requestedPolicyVersion ?? 0,
      );
      if (![0, 1, 3].includes(requested)) throw invalid(`Invalid requestedPolicyVersion: ${requested}`);
      return policyView(projectId, requested);
    }
    if (m[2] === 'testIamPermissions') {
      if (!policies.has(projectId)) throw permissionDenied('resourcemanager.projects.get', resource, domain);
      const asked = Array.isArray(input.permissions) ? (input.permissions as string[]) : [];
      // What the caller holds: the account's configured permissions (all, when unrestricted).
      const granted = accounts.get(email)?.permissions;
      const held = asked.filter((p) => !granted || granted.has(p));
      return held.length > 0 ? { permissions: held } : {};
    }
    authorize(email, 'resourcemanager.projects.setIamPolicy', resource, domain);
    if (!policies.has(projectId))
      throw permissionDenied('resourcemanager.projects.setIamPolicy', resource, domain);
    const policy = input.policy as {
      version?: number;
      etag?: string;
      bindings?: FakeBinding[];
      auditConfigs?: unknown[];
    };
    if (typeof policy !== 'object' || policy === null)
      throw invalid('Invalid JSON payload: policy is required.');
    const stored = project(projectId);
    if (abortsToInject > 0) {
      abortsToInject -= 1;
      stored.etag = newEtag(); // what a concurrent writer would have done
      throw new GoogleHttpError(409, 'ABORTED', ABORTED_MESSAGE);
    }
    // No etag = blind overwrite, as Google allows (and cloud-mechanics.md §3.3 warns against).
    if (policy.etag !== undefined && policy.etag !== stored.etag) {
      throw new GoogleHttpError(409, 'ABORTED', ABORTED_MESSAGE);
    }
    const version = Number(policy.version ?? 1);
    if (![1, 3].includes(version)) throw invalid(`Invalid policy version: ${version}`);
    stored.bindings = validateBindings(projectId, version, policy.bindings ?? []);
    const mask =
      typeof input.updateMask === 'string' ? input.updateMask.split(',').map((s) => s.trim()) : null;
    if ((mask === null || mask.includes('auditConfigs')) && policy.auditConfigs !== undefined) {
      stored.auditConfigs = clone(policy.auditConfigs);
    }
    stored.etag = newEtag();
    return policyView(projectId, 3);
  }

  // ---- IAM roles ----------------------------------------------------------------------------

  function roleView(role: FakeRole, full: boolean) {
    if (full) return clone(role);
    const { includedPermissions: _omitted, ...rest } = role;
    return clone(rest);
  }

  function page<T>(items: readonly T[], query: URLSearchParams, defaultSize: number) {
    const size = Math.min(Number(query.get('pageSize') ?? defaultSize) || defaultSize, maxPageSize);
    const offset = readPageToken(query.get('pageToken'));
    const slice = items.slice(offset, offset + size);
    const next = offset + size < items.length ? pageToken(offset + size) : undefined;
    return { slice, next };
  }

  function iam(method: string, path: string, query: URLSearchParams, body: unknown, email: string): unknown {
    const full = query.get('view') === 'FULL';
    if (method === 'GET' && path === '/v1/roles') {
      const { slice, next } = page(PREDEFINED_ROLES, query, 300);
      return { roles: slice.map((r) => roleView(r, full)), ...(next ? { nextPageToken: next } : {}) };
    }
    const predefined = /^\/v1\/(roles\/[^/]+)$/.exec(path);
    if (method === 'GET' && predefined) {
      const role = PREDEFINED_ROLES.find((r) => r.name === decodeURIComponent(predefined[1]!));
      if (!role)
        throw new GoogleHttpError(404, 'NOT_FOUND', `The role named ${predefined[1]} was not found.`);
      return roleView(role, true);
    }
    const custom = /^\/v1\/projects\/([^/]+)\/roles(?:\/([^/]+))?$/.exec(path);
    if (custom) {
      const projectId = decodeURIComponent(custom[1]!);
      const resource = `projects/${projectId}`;
      const roles = customRoles.get(projectId);
      if (method === 'GET' && custom[2]) {
        authorize(email, 'iam.roles.get', resource, 'iam.googleapis.com');
        const role = roles?.get(decodeURIComponent(custom[2]));
        if (!role)
          throw new GoogleHttpError(
            404,
            'NOT_FOUND',
            `The role named ${resource}/roles/${custom[2]} was not found.`,
          );
        return roleView(role, true);
      }
      if (method === 'GET') {
        authorize(email, 'iam.roles.list', resource, 'iam.googleapis.com');
        const { slice, next } = page([...(roles?.values() ?? [])], query, 300);
        return { roles: slice.map((r) => roleView(r, full)), ...(next ? { nextPageToken: next } : {}) };
      }
      if (method === 'POST' && !custom[2]) {
        authorize(email, 'iam.roles.create', resource, 'iam.googleapis.com');
        if (!roles) throw permissionDenied('iam.roles.create', resource, 'iam.googleapis.com');
        const input = (body ?? {}) as { roleId?: string; role?: Partial<FakeRole> };
        const roleId = input.roleId ?? '';
        if (!/^[a-zA-Z0-9_.]{3,64}$/.test(roleId)) {
          throw invalid(`The role id "${roleId}" is invalid: use 3 to 64 letters, digits, _ and .`);
        }
        if (roles.has(roleId)) {
          throw new GoogleHttpError(
            409,
            'ALREADY_EXISTS',
            `A role named ${roleId} in ${resource} already exists.`,
          );
        }
        if (roles.size >= MAX_CUSTOM_ROLES) {
          throw new GoogleHttpError(
            429,
            'RESOURCE_EXHAUSTED',
            `${resource} has ${MAX_CUSTOM_ROLES} custom roles.`,
          );
        }
        const permissions = input.role?.includedPermissions ?? [];
        const unknown = permissions.filter((p) => !KNOWN_PERMISSIONS.has(p));
        if (unknown.length > 0) throw invalid(`Permission ${unknown[0]} is not valid.`);
        const role: FakeRole = {
          name: `${resource}/roles/${roleId}`,
          title: input.role?.title ?? roleId,
          description: input.role?.description ?? '',
          includedPermissions: [...permissions],
          stage: input.role?.stage ?? 'ALPHA',
          etag: newEtag(),
        };
        roles.set(roleId, role);
        return clone(role);
      }
    }
    throw new GoogleHttpError(404, 'NOT_FOUND', 'Requested entity was not found.');
  }

  // ---- Logging ------------------------------------------------------------------------------

  function logging(path: string, body: unknown, email: string): unknown {
    if (path !== '/v2/entries:list')
      throw new GoogleHttpError(404, 'NOT_FOUND', 'Requested entity was not found.');
    const input = (body ?? {}) as {
      resourceNames?: string[];
      filter?: string;
      orderBy?: string;
      pageSize?: number;
      pageToken?: string;
    };
    const names = input.resourceNames ?? [];
    if (names.length === 0) throw invalid('resourceNames: at least one resource name is required.');
    if (names.length > 100) throw invalid('resourceNames: at most 100 resource names.');
    const projectIds = names.map((n) => {
      const m = /^projects\/([^/]+)$/.exec(n);
      if (!m || !logs.has(m[1]!))
        throw permissionDenied('logging.logEntries.list', n, 'logging.googleapis.com');
      authorize(email, 'logging.logEntries.list', n, 'logging.googleapis.com');
      return m[1]!;
    });
    // The read quota: 60 entries:list per minute per project, on the fake clock.
    const now = clock.now().getTime();
    const limited = projectIds.some((p) => {
      const calls = (loggingCalls.get(p) ?? []).filter((t) => t > now - 60_000);
      loggingCalls.set(p, calls);
      return calls.length >= LOGGING_PER_MINUTE;
    });
    if (limited || rateLimitsToInject > 0) {
      if (!limited) rateLimitsToInject -= 1;
      throw new GoogleHttpError(
        429,
        'RESOURCE_EXHAUSTED',
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'logging.googleapis.com'.",
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'RATE_LIMIT_EXCEEDED',
            domain: 'googleapis.com',
            metadata: { service: 'logging.googleapis.com', quota_limit_value: String(LOGGING_PER_MINUTE) },
          },
        ],
      );
    }
    for (const p of projectIds) loggingCalls.get(p)!.push(now);
    if ((input.filter ?? '').length > 20_000) throw invalid('filter: at most 20,000 characters.');
    const matches = compileLogFilter(input.filter ?? '');
    const order = (input.orderBy ?? 'timestamp asc').trim();
    if (order !== 'timestamp asc' && order !== 'timestamp desc') throw invalid(`Invalid orderBy: ${order}`);
    const entries = projectIds
      .flatMap((p) => logs.get(p)!)
      .filter(matches)
      .sort(
        (a, b) =>
          String(a.timestamp).localeCompare(String(b.timestamp)) * (order === 'timestamp asc' ? 1 : -1),
      );
    const size = Math.min(Math.max(1, Number(input.pageSize ?? 50) || 50), maxPageSize);
    const offset = readPageToken(input.pageToken);
    const slice = entries.slice(offset, offset + size);
    return {
      ...(slice.length > 0 ? { entries: clone(slice) } : {}),
      ...(offset + size < entries.length ? { nextPageToken: pageToken(offset + size) } : {}),
    };
  }

  function addLogEntry(projectId: string, event: FakeAuditEvent): void {
    const entries = logs.get(projectId);
    if (!entries) throw new Error(`the GCP fake has no project ${projectId}`);
    const log = event.log ?? 'activity';
    const serviceName = event.serviceName ?? `${event.methodName.split('.')[1] ?? 'unknown'}.googleapis.com`;
    entries.push({
      insertId: randomBytes(6).toString('hex'),
      logName: `projects/${projectId}/logs/cloudaudit.googleapis.com%2F${log}`,
      timestamp: (event.timestamp ?? clock.now()).toISOString(),
      resource: { type: 'audited_resource', labels: { project_id: projectId, service: serviceName } },
      protoPayload: {
        '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
        serviceName,
        methodName: event.methodName,
        ...(event.resourceName ? { resourceName: event.resourceName } : {}),
        authenticationInfo: { principalEmail: event.principalEmail },
        ...(event.permission
          ? {
              authorizationInfo: [
                {
                  permission: event.permission,
                  granted: (event.statusCode ?? 0) !== 7,
                  resource: event.resourceName,
                },
              ],
            }
          : {}),
        ...(event.statusCode ? { status: { code: event.statusCode } } : {}),
      },
    });
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const [, prefix = '', ...rest] = url.pathname.split('/');
      const path = `/${rest.join('/')}`;
      const service = (
        ['token', 'crm', 'iam', 'logging'].includes(prefix) ? prefix : 'unknown'
      ) as FakeRequest['service'];
      const raw = await readBody(req);
      let parsed: unknown = null;
      const send = (status: number, answer: unknown) => {
        requests.push({
          method: req.method ?? '',
          path: service === 'token' ? '/token' : path,
          service,
          status,
          body: parsed,
        });
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
        res.end(JSON.stringify(answer));
      };
      try {
        if (service === 'token') {
          const form = new URLSearchParams(raw);
          parsed = Object.fromEntries(form);
          try {
            return send(200, await issueToken(form, `http://${req.headers.host}/token`));
          } catch (e) {
            const error = (e as { error?: string }).error ?? 'invalid_request';
            return send(400, { error, error_description: (e as Error).message });
          }
        }
        try {
          parsed = raw ? JSON.parse(raw) : null;
        } catch {
          throw invalid('Invalid JSON payload received.');
        }
        const { email } = authenticate(req);
        const method = req.method ?? 'GET';
        if (service === 'crm') return send(200, resourceManager(method, path, parsed, email));
        if (service === 'iam') return send(200, iam(method, path, url.searchParams, parsed, email));
        if (service === 'logging' && method === 'POST') return send(200, logging(path, parsed, email));
        throw new GoogleHttpError(404, 'NOT_FOUND', 'Requested entity was not found.');
      } catch (e) {
        if (e instanceof GoogleHttpError) {
          return send(e.httpStatus, {
            error: {
              code: e.httpStatus,
              message: e.message,
              status: e.status,
              ...(e.details.length > 0 ? { details: e.details } : {}),
            },
          });
        }
        return send(500, { error: { code: 500, message: (e as Error).message, status: 'INTERNAL' } });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const state: GcpFakeState = {
    allows,
    policy: (projectId) => policyView(projectId, 3),
    setBindings(projectId, bindings) {
      const stored = project(projectId);
      stored.bindings = clone([...bindings]);
      stored.etag = newEtag();
    },
    customRoles: (projectId) => clone([...(customRoles.get(projectId)?.values() ?? [])]),
    addLogEntry,
    injectConcurrentChange(count = 1) {
      abortsToInject += count;
    },
    injectRateLimit(count = 1) {
      rateLimitsToInject += count;
    },
    revokeTokens() {
      tokens.clear();
    },
    setPermissions(clientEmail, permissions) {
      const account = accounts.get(clientEmail);
      if (!account) throw new Error(`the GCP fake has no service account ${clientEmail}`);
      account.permissions = permissions ? new Set(permissions) : null;
    },
    requests,
    get tokensIssued() {
      return tokensIssued;
    },
  };

  return {
    endpoints: {
      token: `${base}/token`,
      resourceManager: `${base}/crm`,
      iam: `${base}/iam`,
      logging: `${base}/logging`,
    },
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1024 * 1024) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// ---- the Logging query language, the part audit queries use ------------------------------------

type LogEntryRecord = Record<string, unknown>;

function field(entry: LogEntryRecord, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as LogEntryRecord)[k] : undefined), entry);
}

/** Splits on a keyword (` AND `/` OR `) outside quotes and parentheses. */
function splitTopLevel(text: string, keyword: 'AND' | 'OR'): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"' && text[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && c === '(') depth += 1;
    else if (!quoted && c === ')') depth -= 1;
    else if (!quoted && depth === 0 && text.startsWith(` ${keyword} `, i)) {
      parts.push(text.slice(start, i));
      start = i + keyword.length + 2;
      i = start - 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const unquote = (s: string) =>
  s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/\\"/g, '"') : s;

/**
 * Filters on `protoPayload.*`/`logName`/`timestamp` comparisons (`=`, `!=`, `:`, `<`, `<=`, `>`,
 * `>=`), `log_id("…")`, `AND`, `OR`, `NOT` and parentheses; anything else is a 400, so a query
 * the fake would silently misread fails the test instead.
 */
export function compileLogFilter(filter: string): (entry: LogEntryRecord) => boolean {
  const text = filter.trim();
  if (!text) return () => true;
  const ors = splitTopLevel(text, 'OR');
  if (ors.length > 1) {
    const alternatives = ors.map(compileLogFilter);
    return (e) => alternatives.some((f) => f(e));
  }
  const ands = splitTopLevel(text, 'AND');
  if (ands.length > 1) {
    const all = ands.map(compileLogFilter);
    return (e) => all.every((f) => f(e));
  }
  if (text.startsWith('NOT ')) {
    const inner = compileLogFilter(text.slice(4));
    return (e) => !inner(e);
  }
  if (text.startsWith('(') && text.endsWith(')')) return compileLogFilter(text.slice(1, -1));
  const logId = /^log_id\("([^"]+)"\)$/.exec(text);
  if (logId) {
    const suffix = `/logs/${encodeURIComponent(logId[1]!)}`;
    return (e) => (typeof e.logName === 'string' ? e.logName : '').endsWith(suffix);
  }
  const cmp = /^([A-Za-z_][\w.]*)\s*(>=|<=|!=|=|:|<|>)\s*("(?:[^"\\]|\\.)*"|\S+)$/.exec(text);
  if (!cmp || !/^(protoPayload\.|logName$|timestamp$|severity$|resource\.)/.test(cmp[1]!)) {
    throw invalid(`Unparseable filter: ${text.slice(0, 80)}`);
  }
  const [, path, op, rawValue] = cmp as unknown as [string, string, string, string];
  const value = unquote(rawValue);
  if (path === 'timestamp') {
    const at = Date.parse(value);
    if (Number.isNaN(at)) throw invalid(`Unparseable filter: invalid timestamp ${value}`);
    return (e) => {
      const t = Date.parse(String(e.timestamp));
      if (op === '>=') return t >= at;
      if (op === '<=') return t <= at;
      if (op === '>') return t > at;
      if (op === '<') return t < at;
      if (op === '!=') return t !== at;
      return t === at;
    };
  }
  return (e) => {
    const actual = field(e, path);
    const s =
      typeof actual === 'string'
        ? actual
        : actual === undefined || actual === null
          ? ''
          : JSON.stringify(actual);
    const decoded = path === 'logName' ? decodeURIComponent(s) : s;
    if (op === '=') return s === value;
    if (op === '!=') return s !== value;
    if (op === ':') return s.includes(value) || decoded.includes(value);
    if (op === '<') return s < value;
    if (op === '<=') return s <= value;
    if (op === '>') return s > value;
    return s >= value;
  };
}
