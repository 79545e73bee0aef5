/**
 * IAM's `roles:queryGrantableRoles`: the roles a resource's IAM policy may bind, by the type of
 * the resource its full name designates (docs/cloud-mechanics.md §3.2). The same rule decides
 * which roles `setIamPolicy` accepts on a project (resource-manager.ts), so a role the query does
 * not list is refused when written, as on Google.
 */
import {
  grantableOn,
  PREDEFINED_ROLES,
  PROJECT_GRANTABLE_ROLES,
  type FakeResourceType,
  type FakeRole,
} from './catalogue';
import { authorize, type GcpState } from './state';
import { invalid, pageToken, permissionDenied, readPageToken } from './wire';

const CRM = 'cloudresourcemanager.googleapis.com';

/** What a full resource name designates, and the permission that reads its IAM policy. */
interface PolicyResource {
  readonly type: FakeResourceType;
  /** The relative name (`projects/p`), as errors name it. */
  readonly name: string;
  readonly domain: string;
  readonly getIamPolicy: string;
  /** The project whose custom roles also apply, when the resource is a project. */
  readonly projectId?: string;
}

const FULL_NAMES: readonly { pattern: RegExp; resource: (m: RegExpExecArray) => PolicyResource }[] = [
  {
    pattern: /^\/\/cloudresourcemanager\.googleapis\.com\/projects\/([^/]+)$/,
    resource: (m) => ({
      type: 'project',
      name: `projects/${m[1]}`,
      domain: CRM,
      getIamPolicy: 'resourcemanager.projects.getIamPolicy',
      projectId: m[1]!,
    }),
  },
  {
    pattern: /^\/\/cloudresourcemanager\.googleapis\.com\/folders\/([0-9]+)$/,
    resource: (m) => ({
      type: 'folder',
      name: `folders/${m[1]}`,
      domain: CRM,
      getIamPolicy: 'resourcemanager.folders.getIamPolicy',
    }),
  },
  {
    pattern: /^\/\/cloudresourcemanager\.googleapis\.com\/organizations\/([0-9]+)$/,
    resource: (m) => ({
      type: 'organization',
      name: `organizations/${m[1]}`,
      domain: CRM,
      getIamPolicy: 'resourcemanager.organizations.getIamPolicy',
    }),
  },
  {
    pattern: /^\/\/storage\.googleapis\.com\/projects\/_\/buckets\/([^/]+)$/,
    resource: (m) => ({
      type: 'bucket',
      name: `projects/_/buckets/${m[1]}`,
      domain: 'storage.googleapis.com',
      getIamPolicy: 'storage.buckets.getIamPolicy',
    }),
  },
];

function policyResource(fullResourceName: string): PolicyResource {
  for (const { pattern, resource } of FULL_NAMES) {
    const m = pattern.exec(fullResourceName);
    if (m) return resource(m);
  }
  throw invalid(`Invalid full resource name: ${fullResourceName}`);
}

/** The roles a project's policy may bind: predefined ones that apply to projects, and its own custom roles. */
export function projectGrantableRoles(state: GcpState, projectId: string): FakeRole[] {
  return [...PROJECT_GRANTABLE_ROLES, ...(state.customRoles.get(projectId)?.values() ?? [])];
}

/** Whether a project's policy may bind `role` (predefined, or one of the project's custom roles). */
export function grantableOnProject(state: GcpState, projectId: string, role: string): boolean {
  return projectGrantableRoles(state, projectId).some((r) => r.name === role);
}

interface QueryInput {
  fullResourceName?: unknown;
  view?: unknown;
  pageSize?: unknown;
  pageToken?: unknown;
}

/** `POST /v1/roles:queryGrantableRoles`: `{roles, nextPageToken}`, FULL view with permissions. */
export function queryGrantableRoles(
  state: GcpState,
  body: unknown,
  email: string,
  roleView: (role: FakeRole, full: boolean) => unknown,
): unknown {
  const input = (body ?? {}) as QueryInput;
  if (typeof input.fullResourceName !== 'string' || input.fullResourceName === '') {
    throw invalid('fullResourceName is required.');
  }
  if (input.view !== undefined && input.view !== 'BASIC' && input.view !== 'FULL') {
    throw invalid(`Invalid value for view: ${JSON.stringify(input.view)}`);
  }
  const resource = policyResource(input.fullResourceName);
  // Listing what a resource's policy may bind needs the right to read that policy.
  authorize(state, email, resource.getIamPolicy, resource.name, resource.domain);
  if (resource.projectId !== undefined && !state.policies.has(resource.projectId)) {
    throw permissionDenied(resource.getIamPolicy, resource.name, resource.domain);
  }
  const roles =
    resource.projectId !== undefined
      ? projectGrantableRoles(state, resource.projectId)
      : PREDEFINED_ROLES.filter((r) => grantableOn(r, resource.type));
  const requested = typeof input.pageSize === 'number' ? input.pageSize : 300;
  const size = Math.min(requested > 0 ? requested : 300, state.maxPageSize);
  const offset = readPageToken(typeof input.pageToken === 'string' ? input.pageToken : undefined);
  const slice = roles.slice(offset, offset + size);
  return {
    roles: slice.map((r) => roleView(r, input.view === 'FULL')),
    ...(offset + size < roles.length ? { nextPageToken: pageToken(offset + size) } : {}),
  };
}
