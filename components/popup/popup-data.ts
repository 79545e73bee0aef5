/** What the popup shows, as one cacheable snapshot of broker views. */
import * as z from 'zod/mini';
import type { BrokerApi } from '@/lib/extension/broker-client';
import { AccessRequestView, GrantView, MeView } from '@/lib/contract/api';

export const PopupSnapshot = z.object({
  me: MeView,
  grants: z.array(GrantView),
  requests: z.array(AccessRequestView),
});
export type PopupSnapshot = z.infer<typeof PopupSnapshot>;

/** One cache entry per broker (the token is never part of the key or the value). */
export const popupCacheKey = (baseUrl: string): string => `popup:${baseUrl}`;

/** Both lists, without repeats, in the first one's order followed by what only the second had. */
function union<T extends { id: string }>(first: readonly T[], second: readonly T[]): T[] {
  const seen = new Set(first.map((x) => x.id));
  return [...first, ...second.filter((x) => !seen.has(x.id))];
}

/**
 * The newest page of the user's grants and requests (recent history), plus every active grant and
 * pending request even when a busy history pushed them off that page.
 */
export async function fetchPopupSnapshot(client: BrokerApi): Promise<PopupSnapshot> {
  const [me, grants, active, requests, pending] = await Promise.all([
    client.me(),
    client.listGrants({ mine: 'true' }),
    client.listGrants({ mine: 'true', status: 'active' }),
    client.listRequests({ mine: 'true' }),
    client.listRequests({ mine: 'true', status: 'pending' }),
  ]);
  return {
    me,
    grants: union(grants.items, active.items),
    requests: union(requests.items, pending.items),
  };
}
