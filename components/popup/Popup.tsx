/**
 * The toolbar popup, for the requester: who is signed in, access they hold now (with a live
 * countdown and Open console / Extend / Revoke), requests still waiting (Cancel), and the last
 * ten decided (with whether their access has ended or was revoked). Renders at once from the
 * IndexedDB cache, then refreshes from the broker.
 */
import { useMemo } from 'preact/hooks';
import type { BrokerApi } from '@/lib/extension/broker-client';
import type { SnapshotCache } from '@/lib/extension/cache';
import { formatTime, isLiveGrant, recentDecided } from '../panel-format';
import { safeText } from '../safe-text';
import { usePanelSnapshot, type PanelSource } from '../use-panel-snapshot';
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

const CLOUD_ORDER = { aws: 0, azure: 1, gcp: 2 } as const;

/** The popup's snapshot: cached per broker, asked again every `refreshMs`. */
function popupSource(deps: PopupDeps): PanelSource<PopupSnapshot> {
  return {
    client: deps.client,
    load: fetchPopupSnapshot,
    cache: { store: deps.cache, key: popupCacheKey, schema: PopupSnapshot },
    now: deps.now,
    keepFresh(_client, refresh) {
      const timer = setInterval(() => void refresh(), deps.refreshMs ?? POPUP_REFRESH_MS);
      return () => clearInterval(timer);
    },
  };
}

export function Popup({ deps }: { deps: PopupDeps }) {
  const source = useMemo(() => popupSource(deps), [deps]);
  const { view, client, refresh } = usePanelSnapshot(source);

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
  // Access the user has or is about to have: not a grant the broker gave up on (being cleaned up).
  const grants = snapshot.grants
    .filter((g) => isLiveGrant(g) && !g.failure)
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
