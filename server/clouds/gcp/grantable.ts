/**
 * The roles the GCP provisioner may bind on a resource: IAM's `roles:queryGrantableRoles` for the
 * resource's full name, with every role's permissions (view FULL), paged and cached per resource.
 * A role from the whole catalogue may not be bindable where the broker binds it (the legacy
 * bucket roles on a project), and `setIamPolicy` then refuses the write (docs/cloud-mechanics.md
 * §3.2), so the choice is made from this set alone.
 */
import type { GoogleClient } from './google';
import type { IamRole } from './roles';

/**
 * What a resource's policy may bind changes when Google adds roles (a few times a month) or
 * someone defines custom roles: an hour's staleness costs nothing, and a new project is asked at once.
 */
export const GRANTABLE_TTL_MS = 60 * 60_000;
/** IAM serves up to 1,000 roles a page (2,000 in newer revisions); a project has about 2,000 roles. */
const PAGE_SIZE = 1000;
/** Guard against a server that never stops paging. */
const MAX_PAGES = 50;

/** A resource whose policy the broker writes: its full name and the permission that reads its policy. */
export interface PolicyResource {
  /** `//cloudresourcemanager.googleapis.com/projects/my-project`. */
  readonly fullName: string;
  /** The relative name, for messages (`projects/my-project`). */
  readonly name: string;
  /** Google lists a resource's grantable roles to whoever may read its IAM policy. */
  readonly getIamPolicyPermission: string;
}

/** The project as IAM names it in `queryGrantableRoles` (docs/cloud-mechanics.md §3.2). */
export function projectResource(projectId: string): PolicyResource {
  return {
    fullName: `//cloudresourcemanager.googleapis.com/projects/${projectId}`,
    name: `projects/${projectId}`,
    getIamPolicyPermission: 'resourcemanager.projects.getIamPolicy',
  };
}

/** The roles grantable on a resource, fetched when its cache entry is stale; concurrent callers share one fetch. */
export type GrantableRoles = (resource: PolicyResource) => Promise<readonly IamRole[]>;

export interface GrantableRolesOptions {
  readonly google: GoogleClient;
  /** The IAM API base, no trailing slash. */
  readonly iam: string;
  readonly now: () => Date;
}

export function createGrantableRoles(options: GrantableRolesOptions): GrantableRoles {
  const { google, iam, now } = options;
  const cached = new Map<string, { roles: readonly IamRole[]; at: number }>();
  const loading = new Map<string, Promise<readonly IamRole[]>>();

  async function load(resource: PolicyResource): Promise<readonly IamRole[]> {
    const roles: IamRole[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const body = await google.call<{ roles?: IamRole[]; nextPageToken?: string }>({
        method: 'POST',
        url: `${iam}/v1/roles:queryGrantableRoles`,
        body: {
          fullResourceName: resource.fullName,
          view: 'FULL',
          pageSize: PAGE_SIZE,
          ...(pageToken ? { pageToken } : {}),
        },
        what: `list the roles grantable on ${resource.name}`,
        permission: resource.getIamPolicyPermission,
      });
      roles.push(...(body.roles ?? []));
      pageToken = body.nextPageToken || undefined;
      if (!pageToken) break;
    }
    cached.set(resource.fullName, { roles, at: now().getTime() });
    return roles;
  }

  return async (resource) => {
    const hit = cached.get(resource.fullName);
    if (hit && now().getTime() - hit.at < GRANTABLE_TTL_MS) return hit.roles;
    let pending = loading.get(resource.fullName);
    if (!pending) {
      pending = load(resource).finally(() => loading.delete(resource.fullName));
      loading.set(resource.fullName, pending);
    }
    return pending;
  };
}
