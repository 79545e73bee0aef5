/**
 * The IAM API's roles: the predefined catalogue (`/v1/roles`, `/v1/roles/{id}`), the roles
 * grantable on a resource (`/v1/roles:queryGrantableRoles`, grantable.ts) and a project's custom
 * roles (list, get, create), with `view=FULL`, paging, and IAM's limits on custom roles.
 */
import { KNOWN_PERMISSIONS, PREDEFINED_ROLES, type FakeRole } from './catalogue';
import { queryGrantableRoles } from './grantable';
import { authorize, type GcpState } from './state';
import {
  clone,
  GoogleHttpError,
  invalid,
  newEtag,
  notFound,
  pageToken,
  permissionDenied,
  readPageToken,
} from './wire';

/** IAM's quota of custom roles per project. */
const MAX_CUSTOM_ROLES = 300;
const DOMAIN = 'iam.googleapis.com';

/**
 * A role as IAM answers it: without `includedPermissions` unless the view is FULL, and without
 * `stage` for an ALPHA role (the Role schema says IAM leaves it out then).
 */
function roleView(role: FakeRole, full: boolean) {
  const { includedPermissions, stage, ...rest } = role;
  return clone({
    ...rest,
    ...(stage === 'ALPHA' ? {} : { stage }),
    ...(full ? { includedPermissions } : {}),
  });
}

function page<T>(state: GcpState, items: readonly T[], query: URLSearchParams, defaultSize: number) {
  const size = Math.min(Number(query.get('pageSize') ?? defaultSize) || defaultSize, state.maxPageSize);
  const offset = readPageToken(query.get('pageToken'));
  const slice = items.slice(offset, offset + size);
  const next = offset + size < items.length ? pageToken(offset + size) : undefined;
  return { slice, next };
}

function listRoles(state: GcpState, roles: readonly FakeRole[], query: URLSearchParams) {
  const { slice, next } = page(state, roles, query, 300);
  const full = query.get('view') === 'FULL';
  return { roles: slice.map((r) => roleView(r, full)), ...(next ? { nextPageToken: next } : {}) };
}

/** `POST /v1/projects/{p}/roles`: a new custom role of known permissions. */
function createCustomRole(
  roles: Map<string, FakeRole> | undefined,
  resource: string,
  body: unknown,
): unknown {
  if (!roles) throw permissionDenied('iam.roles.create', resource, DOMAIN);
  const input = (body ?? {}) as { roleId?: string; role?: Partial<FakeRole> };
  const roleId = input.roleId ?? '';
  if (!/^[a-zA-Z0-9_.]{3,64}$/.test(roleId)) {
    throw invalid(`The role id "${roleId}" is invalid: use 3 to 64 letters, digits, _ and .`);
  }
  // A role id is unique in its project: creating it again is ALREADY_EXISTS.
  if (roles.has(roleId)) {
    throw new GoogleHttpError(409, 'ALREADY_EXISTS', `A role named ${roleId} in ${resource} already exists.`);
  }
  if (roles.size >= MAX_CUSTOM_ROLES) {
    throw new GoogleHttpError(429, 'RESOURCE_EXHAUSTED', `${resource} has ${MAX_CUSTOM_ROLES} custom roles.`);
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
  return roleView(role, true);
}

/** `/v1/projects/{p}/roles[/{id}]`; null for a method it does not have. */
function customRoles(
  state: GcpState,
  method: string,
  projectId: string,
  roleId: string | undefined,
  query: URLSearchParams,
  body: unknown,
  email: string,
): unknown {
  const resource = `projects/${projectId}`;
  const roles = state.customRoles.get(projectId);
  if (method === 'GET' && roleId) {
    authorize(state, email, 'iam.roles.get', resource, DOMAIN);
    const role = roles?.get(decodeURIComponent(roleId));
    if (!role) throw notFound(`The role named ${resource}/roles/${roleId} was not found.`);
    return roleView(role, true);
  }
  if (method === 'GET') {
    authorize(state, email, 'iam.roles.list', resource, DOMAIN);
    return listRoles(state, [...(roles?.values() ?? [])], query);
  }
  if (method === 'POST' && !roleId) {
    authorize(state, email, 'iam.roles.create', resource, DOMAIN);
    return createCustomRole(roles, resource, body);
  }
  return null;
}

/** The IAM routes (under `{iam}`). */
export function iam(
  state: GcpState,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
  email: string,
): unknown {
  if (method === 'GET' && path === '/v1/roles') return listRoles(state, PREDEFINED_ROLES, query);
  if (method === 'POST' && path === '/v1/roles:queryGrantableRoles') {
    return queryGrantableRoles(state, body, email, roleView);
  }
  const predefined = /^\/v1\/(roles\/[^/]+)$/.exec(path);
  if (method === 'GET' && predefined) {
    const role = PREDEFINED_ROLES.find((r) => r.name === decodeURIComponent(predefined[1]!));
    if (!role) throw notFound(`The role named ${predefined[1]} was not found.`);
    return roleView(role, true);
  }
  const custom = /^\/v1\/projects\/([^/]+)\/roles(?:\/([^/]+))?$/.exec(path);
  if (custom) {
    const projectId = decodeURIComponent(custom[1]!);
    const answer = customRoles(state, method, projectId, custom[2], query, body, email);
    if (answer !== null) return answer;
  }
  throw notFound();
}
