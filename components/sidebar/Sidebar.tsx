/**
 * The side panel (Chrome) / sidebar (Firefox). Approvers get a live queue of requests they may
 * decide (pending, not their own) and the grants they can see, with Revoke; auditors also get the
 * audit trail with its chain checked; everyone else sees their own requests. Live while open:
 * follows `GET /api/v1/events` (fetch streaming, resuming with Last-Event-ID) and reloads on each
 * event; without the stream it polls every 2 s.
 */
import { useMemo, useState } from 'preact/hooks';
import type { BrokerApi } from '@/lib/extension/broker-client';
import type { AccessRequestView, MeView } from '@/lib/contract/api';
import { grantsInTrouble, isLiveGrant } from '../panel-format';
import { safeText } from '../safe-text';
import { SignedOut } from '../popup/SignedOut';
import { Unreachable } from '../popup/Unreachable';
import { usePanelSnapshot, type PanelSource } from '../use-panel-snapshot';
import { AuditTab } from './AuditTab';
import { followBroker } from './follow-broker';
import { GrantRow } from './GrantRow';
import { HistoryTab } from './HistoryTab';
import { QueueItem } from './QueueItem';
import { fetchSidebarData, type SidebarData } from './sidebar-data';
import { SidebarTabs, type TabSpec } from './SidebarTabs';
import { TroubleList } from './TroubleList';

const RECENT_PER_REQUESTER = 5;

export interface SidebarDeps {
  client: () => Promise<BrokerApi | null>;
  openOptions: () => void;
  now?: () => number;
  pollMs?: number;
}

/** The side panel's snapshot: no cache, live through the event stream (or polling) while open. */
function sidebarSource(deps: SidebarDeps): PanelSource<SidebarData> {
  return {
    client: deps.client,
    load: fetchSidebarData,
    now: deps.now,
    oneAtATime: true,
    keepFresh: (client, refresh) => followBroker(client, refresh, deps.pollMs),
  };
}

export function tabsFor(me: MeView): TabSpec[] {
  const tabs: TabSpec[] = me.approver
    ? [{ id: 'queue', label: 'To decide' }]
    : [{ id: 'history', label: 'My requests' }];
  tabs.push({ id: 'grants', label: 'Active grants' });
  if (me.auditor) tabs.push({ id: 'audit', label: 'Audit' });
  return tabs;
}

export function Sidebar({ deps }: { deps: SidebarDeps }) {
  const source = useMemo(() => sidebarSource(deps), [deps]);
  const { view, client, refresh } = usePanelSnapshot(source);
  const [tab, setTab] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  if (view.kind === 'loading') {
    return (
      <main class="sidebar" aria-busy="true">
        <p class="muted">Loading…</p>
      </main>
    );
  }
  if (view.kind === 'signed-out') {
    return (
      <main class="sidebar">
        <SignedOut reason={view.reason} onOpenSettings={deps.openOptions} />
      </main>
    );
  }
  if (view.kind === 'unreachable' || !client) {
    return (
      <main class="sidebar">
        <Unreachable
          reason={view.kind === 'unreachable' ? view.reason : 'not connected'}
          onRetry={() => void refresh()}
          onOpenSettings={deps.openOptions}
        />
      </main>
    );
  }

  const data = view.snapshot;
  const tabs = tabsFor(data.me);
  const selected = tabs.some((t) => t.id === tab) ? tab! : tabs[0]!.id;
  const queue = data.pending.filter((r) => r.status === 'pending' && r.requester !== data.me.user);
  const recentOf = (r: AccessRequestView) =>
    data.requests.filter((p) => p.requester === r.requester && p.id !== r.id).slice(0, RECENT_PER_REQUESTER);
  const grants = data.grants.filter(isLiveGrant);
  const trouble = data.me.approver ? grantsInTrouble(data.grants, deps.now?.()) : [];
  const onDecided = (r: AccessRequestView) => {
    setNotice(
      r.status === 'pending'
        ? `Approval recorded for ${safeText(r.requester, 60)}: still needs more approvers`
        : `${safeText(r.requester, 60)}’s request ${r.status}`,
    );
    void refresh();
  };

  return (
    <main class="sidebar">
      <header class="top">
        <h1>Unblock</h1>
        <span class="who">
          Signed in as <strong class="bidi">{safeText(data.me.displayName ?? data.me.user, 60)}</strong>
        </span>
      </header>
      {view.problem && (
        <p class="error" role="status">
          {safeText(view.problem, 300)} (showing the last answer)
        </p>
      )}
      {notice && (
        <p class="ok" role="status">
          {notice}
        </p>
      )}
      <SidebarTabs tabs={tabs} selected={selected} onSelect={setTab} />
      <div role="tabpanel" id={`panel-${selected}`} aria-labelledby={`tab-${selected}`}>
        {/* The panel's heading (the Audit tab has a visible one), so the items' h3s sit under an h2. */}
        {selected !== 'audit' && <h2 class="sr-only">{tabs.find((t) => t.id === selected)?.label}</h2>}
        {selected === 'queue' &&
          (queue.length ? (
            <ul class="list" aria-label="Requests to decide">
              {queue.map((r) => (
                <QueueItem
                  key={r.id}
                  client={client}
                  request={r}
                  me={data.me.user}
                  recent={recentOf(r)}
                  onDecided={onDecided}
                />
              ))}
            </ul>
          ) : (
            <p class="empty muted">
              {trouble.length
                ? 'No requests waiting for you.'
                : 'Nothing waiting for you. New requests appear here.'}
            </p>
          ))}
        {selected === 'queue' && <TroubleList grants={trouble} now={deps.now} />}
        {selected === 'grants' &&
          (grants.length ? (
            <ul class="list" aria-label="Active grants">
              {grants.map((g) => (
                <GrantRow
                  key={g.id}
                  client={client}
                  grant={g}
                  now={deps.now}
                  onChanged={() => void refresh()}
                />
              ))}
            </ul>
          ) : (
            <p class="empty muted">No active grants.</p>
          ))}
        {selected === 'audit' && <AuditTab client={client} />}
        {selected === 'history' && (
          <HistoryTab
            requests={data.requests.filter((r) => r.requester === data.me.user)}
            grants={data.grants}
          />
        )}
      </div>
    </main>
  );
}
