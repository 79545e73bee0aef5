/** What the side panel shows, read from the broker in one go. */
import type { BrokerApi } from '@/lib/extension/broker-client';
import type { AccessRequestView, GrantView, MeView } from '@/lib/contract/api';

export interface SidebarData {
  me: MeView;
  /** Everything the caller may see, newest first (their own, and their queue's). */
  requests: AccessRequestView[];
  pending: AccessRequestView[];
  grants: GrantView[];
}

/** Pages of the approver's queue read per refresh (the broker's pages hold 50). */
export const QUEUE_MAX_PAGES = 4;

/** A list's pages, following `nextCursor`, up to `maxPages`. */
async function pages<T>(
  list: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>,
  maxPages: number,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < maxPages; n++) {
    const page = await list(cursor);
    items.push(...page.items);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return items;
}

export async function fetchSidebarData(client: BrokerApi): Promise<SidebarData> {
  const me = await client.me();
  const [requests, pending, recentGrants, activeGrants, failedGrants] = await Promise.all([
    client.listRequests(),
    me.approver
      ? pages(
          (cursor) => client.listRequests({ status: 'pending', ...(cursor ? { cursor } : {}) }),
          QUEUE_MAX_PAGES,
        )
      : Promise.resolve([]),
    client.listGrants(),
    // Active grants even when newer, ended ones fill the first page.
    client.listGrants({ status: 'active' }),
    // Approvers see the grants that could not be granted, for someone to act on.
    me.approver ? client.listGrants({ status: 'failed' }) : Promise.resolve({ items: [] }),
  ]);
  const seen = new Set<string>();
  const grants = [...recentGrants.items, ...activeGrants.items, ...failedGrants.items].filter(
    (g) => !seen.has(g.id) && Boolean(seen.add(g.id)),
  );
  return { me, requests: requests.items, pending, grants };
}
