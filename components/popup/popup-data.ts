/** What the popup shows, as one cacheable snapshot of broker views. */
import * as z from 'zod/mini';
import type { BrokerApi } from '@/lib/broker-client';
import { AccessRequestView, GrantView, MeView } from '@/lib/contract/api';

export const PopupSnapshot = z.object({
  me: MeView,
  grants: z.array(GrantView),
  requests: z.array(AccessRequestView),
});
export type PopupSnapshot = z.infer<typeof PopupSnapshot>;

/** One cache entry per broker (the token is never part of the key or the value). */
export const popupCacheKey = (baseUrl: string): string => `popup:${baseUrl}`;

export async function fetchPopupSnapshot(client: BrokerApi): Promise<PopupSnapshot> {
  const [me, grants, requests] = await Promise.all([
    client.me(),
    client.listGrants({ mine: 'true' }),
    client.listRequests({ mine: 'true' }),
  ]);
  return { me, grants: grants.items, requests: requests.items };
}
