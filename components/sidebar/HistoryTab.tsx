/**
 * For users who approve nothing: their own requests, pending first, then decided (with why a
 * grant could not be granted, when it could not).
 */
import type { AccessRequestView, GrantView } from '@/lib/contract/api';
import { HistoryItem } from '../popup/HistoryItem';
import { recentDecided } from '../panel-format';

export function HistoryTab({
  requests,
  grants = [],
}: {
  requests: readonly AccessRequestView[];
  grants?: readonly GrantView[];
}) {
  const grantsById = new Map(grants.map((g) => [g.id, g]));
  const pending = requests.filter((r) => r.status === 'pending');
  const decided = recentDecided(requests, 50);
  if (!pending.length && !decided.length) {
    return <p class="empty muted">You have not requested access yet.</p>;
  }
  return (
    <ul class="list" aria-label="My requests">
      {[...pending, ...decided].map((r) => (
        <HistoryItem key={r.id} request={r} grant={r.grantId ? grantsById.get(r.grantId) : undefined} />
      ))}
    </ul>
  );
}
