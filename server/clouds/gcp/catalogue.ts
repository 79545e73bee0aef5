/**
 * The predefined IAM roles the GCP provisioner chooses from, listed from the IAM API with their
 * permissions and cached for a few hours (the same catalogue for every project).
 */
import type { GoogleClient } from './google';
import type { IamRole } from './roles';

/** The predefined catalogue changes a few times a month; a few hours' staleness costs nothing. */
const CATALOGUE_TTL_MS = 6 * 60 * 60_000;
/** Guard against a server that never stops paging (the real catalogue is ~2,000 roles, 2–3 pages). */
const MAX_PAGES = 50;

/** The predefined roles, fetched when the cache is stale; concurrent callers share one fetch. */
export type PredefinedCatalogue = () => Promise<readonly IamRole[]>;

export interface PredefinedCatalogueOptions {
  readonly google: GoogleClient;
  /** The IAM API base, no trailing slash. */
  readonly iam: string;
  readonly now: () => Date;
}

export function createPredefinedCatalogue(options: PredefinedCatalogueOptions): PredefinedCatalogue {
  const { google, iam, now } = options;
  let catalogue: { roles: readonly IamRole[]; at: number } | null = null;
  let loadingCatalogue: Promise<readonly IamRole[]> | null = null;

  async function loadCatalogue(): Promise<readonly IamRole[]> {
    const roles: IamRole[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const query = new URLSearchParams({ view: 'FULL', pageSize: '1000' });
      if (pageToken) query.set('pageToken', pageToken);
      const body = await google.call<{ roles?: IamRole[]; nextPageToken?: string }>({
        method: 'GET',
        url: `${iam}/v1/roles?${query.toString()}`,
        what: 'list the predefined IAM roles',
        permission: 'iam.roles.list',
      });
      roles.push(...(body.roles ?? []));
      pageToken = body.nextPageToken || undefined;
      if (!pageToken) break;
    }
    catalogue = { roles, at: now().getTime() };
    return roles;
  }

  return async () => {
    if (catalogue && now().getTime() - catalogue.at < CATALOGUE_TTL_MS) return catalogue.roles;
    loadingCatalogue ??= loadCatalogue().finally(() => {
      loadingCatalogue = null;
    });
    return loadingCatalogue;
  };
}
