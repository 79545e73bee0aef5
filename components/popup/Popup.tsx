/**
 * The toolbar popup, for the requester: who is signed in, access they hold now (with a live
 * countdown and Open console / Extend / Revoke), requests still waiting (Cancel), and the last
 * ten decided (with whether their access has ended or was revoked). Renders at once from the
 * IndexedDB cache, then refreshes from the broker.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { BrokerError, type BrokerApi } from '@/lib/extension/broker-client';
import type { SnapshotCache } from '@/lib/extension/cache';
import { reasonOf } from '@/lib/extension/broker-reason';
import { formatTime, isLiveGrant, recentDecided } from '../panel-format';
import { safeText } from '../safe-text';
import { GrantItem } from './GrantItem';
import { HistoryItem } from './HistoryItem';
import { PendingItem } from './PendingItem';
import { fetchPopupSnapshot, PopupSnapshot, popupCacheKey } from './popup-data';
import { SignedOut } from './SignedOut';
import { Unreachable } from './Unreachable';

export const HISTORY_SIZE = 10;
export const POPUP_REFRESH_MS = 15_000;

export interface PopupDeps {
  /** A client for the configured broker; null when no broker or no token is set. */
  client: () => Promise<BrokerApi | null>;
  cache: SnapshotCache;
  openOptions: () => void;
  openTab: (url: string) => void;
  /** Opens the approvers' side panel / sidebar (absent where the browser has none). */
  openSidebar?: () => boolean;
  now?: () => number;
  refreshMs?: number;
}

type View =
  | { kind: 'loading' }
  | { kind: 'signed-out'; reason?: string }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'data'; snapshot: PopupSnapshot; savedAt: string; fresh: boolean; problem?: string };

const CLOUD_ORDER = { aws: 0, azure: 1, gcp: 2 } as const;

export function Popup({ deps }: { deps: PopupDeps }) {
  const [view, setView] = useState<View>({ kind: 'loading' });
  const [client, setClient] = useState<BrokerApi | null>(null);
  const clientRef = useRef<BrokerApi | null>(null);

  const refresh = useCallback(async () => {
    const c = clientRef.current;
    if (!c) return;
    try {
      const snapshot = await fetchPopupSnapshot(c);
      const savedAt = new Date((deps.now ?? Date.now)());
      setView({ kind: 'data', snapshot, savedAt: savedAt.toISOString(), fresh: true });
      await deps.cache.put(popupCacheKey(c.baseUrl), snapshot, savedAt);
    } catch (e) {
      if (e instanceof BrokerError && (e.code === 'not_signed_in' || e.code === 'unauthorized')) {
        setView({ kind: 'signed-out', reason: reasonOf(e) });
        return;
      }
      const reason = reasonOf(e);
      setView((v) =>
        v.kind === 'data' ? { ...v, fresh: false, problem: reason } : { kind: 'unreachable', reason },
      );
    }
  }, [deps]);

  useEffect(() => {
    let stopped = false;
    void (async () => {
      const c = await deps.client();
      if (stopped) return;
      if (!c) {
        setView({ kind: 'signed-out' });
        return;
      }
      clientRef.current = c;
      setClient(c);
      const cached = await deps.cache.get(popupCacheKey(c.baseUrl), PopupSnapshot);
      if (stopped) return;
      if (cached) setView({ kind: 'data', snapshot: cached.data, savedAt: cached.savedAt, fresh: false });
      await refresh();
    })();
    const timer = setInterval(() => void refresh(), deps.refreshMs ?? POPUP_REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [deps, refresh]);

  const openOptions = () => deps.openOptions();

  if (view.kind === 'loading') {
    return (
      <main class="popup" aria-busy="true">
        <p class="muted">Loading…</p>
      </main>
    );
  }
  if (view.kind === 'signed-out') {
    return (
      <main class="popup">
        <SignedOut reason={view.reason} onOpenSettings={openOptions} />
      </main>
    );
  }
  if (view.kind === 'unreachable') {
    return (
      <main class="popup">
        <Unreachable reason={view.reason} onRetry={() => void refresh()} onOpenSettings={openOptions} />
      </main>
    );
  }

  const { snapshot } = view;
  const grants = snapshot.grants
    .filter(isLiveGrant)
    .sort(
      (a, b) =>
        CLOUD_ORDER[a.target.cloud] - CLOUD_ORDER[b.target.cloud] ||
        Date.parse(a.expiresAt) - Date.parse(b.expiresAt),
    );
  const pending = snapshot.requests.filter((r) => r.status === 'pending' && r.requester === snapshot.me.user);
  const history = recentDecided(
    snapshot.requests.filter((r) => r.requester === snapshot.me.user),
    HISTORY_SIZE,
  );
  // Grants that are over are listed nowhere else: their requests in the history say how they ended.
  const grantsById = new Map(snapshot.grants.map((g) => [g.id, g]));

  return (
    <main class="popup">
      <header class="top">
        <h1>Unblock</h1>
        <span class="who">
          Signed in as{' '}
          <strong class="bidi">{safeText(snapshot.me.displayName ?? snapshot.me.user, 60)}</strong>
        </span>
        <button type="button" class="link" onClick={openOptions}>
          Settings
        </button>
      </header>
      {(snapshot.me.approver || snapshot.me.auditor) && deps.openSidebar && (
        <p>
          <button type="button" class="link" onClick={() => deps.openSidebar?.()}>
            {snapshot.me.approver ? 'Open the approvals side panel' : 'Open the audit side panel'}
          </button>
        </p>
      )}
      {!view.fresh && (
        <p class={view.problem ? 'stale error' : 'stale muted'} role="status">
          {view.problem
            ? `${safeText(view.problem, 200)}. Showing what the broker said at ${formatTime(view.savedAt)}.`
            : `Updating… (saved ${formatTime(view.savedAt)})`}
        </p>
      )}
      <section aria-labelledby="grants-title">
        <h2 id="grants-title">Active access</h2>
        {grants.length ? (
          <ul class="list">
            {grants.map((g) => (
              <GrantItem
                key={g.id}
                grant={g}
                client={client}
                now={deps.now}
                openTab={deps.openTab}
                onChanged={() => void refresh()}
              />
            ))}
          </ul>
        ) : (
          <p class="empty muted">
            No active access. Request it from the console page that says access denied.
          </p>
        )}
      </section>
      <section aria-labelledby="pending-title">
        <h2 id="pending-title">Waiting for approval</h2>
        {pending.length ? (
          <ul class="list">
            {pending.map((r) => (
              <PendingItem key={r.id} request={r} client={client} onChanged={() => void refresh()} />
            ))}
          </ul>
        ) : (
          <p class="empty muted">No pending requests.</p>
        )}
      </section>
      <section aria-labelledby="history-title">
        <h2 id="history-title">Recent requests</h2>
        {history.length ? (
          <ul class="list">
            {history.map((r) => (
              <HistoryItem key={r.id} request={r} grant={r.grantId ? grantsById.get(r.grantId) : undefined} />
            ))}
          </ul>
        ) : (
          <p class="empty muted">Nothing decided yet.</p>
        )}
      </section>
    </main>
  );
}
