/**
 * The side panel (Chrome) / sidebar (Firefox). Approvers get a live queue of requests they may
 * decide (pending, not their own) and the grants they can see, with Revoke; auditors also get the
 * audit trail with its chain checked; everyone else sees their own requests. Live while open:
 * follows `GET /api/v1/events` (fetch streaming, resuming with Last-Event-ID) and reloads on each
 * event; without the stream it polls every 2 s.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { BrokerError, type BrokerApi } from '@/lib/extension/broker-client';
import type { AccessRequestView, GrantView, MeView } from '@/lib/contract/api';
import { reasonOf } from '@/lib/extension/broker-reason';
import { isLiveGrant } from '../panel-format';
import { safeText } from '../safe-text';
import { SignedOut } from '../popup/SignedOut';
import { Unreachable } from '../popup/Unreachable';
import { AuditTab } from './AuditTab';
import { GrantRow } from './GrantRow';
import { HistoryTab } from './HistoryTab';
import { QueueItem } from './QueueItem';
import { SidebarTabs, type TabSpec } from './SidebarTabs';

export const POLL_MS = 2000;
/** With the event stream open, a full reload this often anyway. */
export const STREAM_SAFETY_POLL_MS = 30_000;
const EVENT_DEBOUNCE_MS = 150;
const STREAM_RETRY_MS = 2000;
const STREAM_RETRY_MAX_MS = 60_000;
const RECENT_PER_REQUESTER = 5;

export interface SidebarDeps {
  client: () => Promise<BrokerApi | null>;
  openOptions: () => void;
  now?: () => number;
  pollMs?: number;
}

interface Data {
  me: MeView;
  /** Everything the caller may see, newest first (their own, and their queue's). */
  requests: AccessRequestView[];
  pending: AccessRequestView[];
  grants: GrantView[];
}

type View =
  | { kind: 'loading' }
  | { kind: 'signed-out'; reason?: string }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'data'; data: Data; problem?: string };

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

async function fetchData(client: BrokerApi): Promise<Data> {
  const me = await client.me();
  const [requests, pending, recentGrants, activeGrants] = await Promise.all([
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
  ]);
  const seen = new Set(recentGrants.items.map((g) => g.id));
  const grants = [...recentGrants.items, ...activeGrants.items.filter((g) => !seen.has(g.id))];
  return { me, requests: requests.items, pending, grants };
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
  const [view, setView] = useState<View>({ kind: 'loading' });
  const [client, setClient] = useState<BrokerApi | null>(null);
  const [tab, setTab] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const clientRef = useRef<BrokerApi | null>(null);
  const inFlight = useRef(false);

  const refresh = useCallback(async () => {
    const c = clientRef.current;
    if (!c || inFlight.current) return;
    inFlight.current = true;
    try {
      const data = await fetchData(c);
      setView({ kind: 'data', data });
    } catch (e) {
      if (e instanceof BrokerError && (e.code === 'not_signed_in' || e.code === 'unauthorized')) {
        setView({ kind: 'signed-out', reason: reasonOf(e) });
        return;
      }
      const reason = reasonOf(e);
      setView((v) => (v.kind === 'data' ? { ...v, problem: reason } : { kind: 'unreachable', reason }));
    } finally {
      inFlight.current = false;
    }
  }, []);

  useEffect(() => {
    let stopped = false;
    let streaming = false;
    let timer: ReturnType<typeof setInterval> | undefined;
    let soon: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    const pollMs = deps.pollMs ?? POLL_MS;
    // While the event stream is open, poll only now and then (a safety net); else every pollMs.
    const safetyTicks = Math.max(1, Math.round(STREAM_SAFETY_POLL_MS / pollMs));
    let ticks = 0;
    const refreshSoon = () => {
      if (soon) return;
      soon = setTimeout(() => {
        soon = undefined;
        void refresh();
      }, EVENT_DEBOUNCE_MS);
    };

    async function follow(c: BrokerApi) {
      let lastEventId: string | null = null;
      let backoff = STREAM_RETRY_MS;
      while (!stopped) {
        try {
          await c.streamEvents({
            lastEventId,
            signal: controller.signal,
            onOpen: () => {
              streaming = true;
              backoff = STREAM_RETRY_MS;
            },
            onEvent: (e) => {
              lastEventId = e.id;
              refreshSoon();
            },
            onResync: refreshSoon,
          });
        } catch (e) {
          if (e instanceof BrokerError && (e.code === 'not_signed_in' || e.code === 'unauthorized')) return;
        }
        streaming = false;
        if (stopped) return;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, STREAM_RETRY_MAX_MS);
      }
    }

    void deps.client().then(async (c) => {
      if (stopped) return;
      if (!c) {
        setView({ kind: 'signed-out' });
        return;
      }
      clientRef.current = c;
      setClient(c);
      await refresh();
      if (stopped) return;
      timer = setInterval(() => {
        ticks += 1;
        if (!streaming || ticks % safetyTicks === 0) void refresh();
      }, pollMs);
      void follow(c);
    });
    return () => {
      stopped = true;
      controller.abort();
      if (timer) clearInterval(timer);
      if (soon) clearTimeout(soon);
    };
  }, [deps, refresh]);

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

  const { data } = view;
  const tabs = tabsFor(data.me);
  const selected = tabs.some((t) => t.id === tab) ? tab! : tabs[0]!.id;
  const queue = data.pending.filter((r) => r.status === 'pending' && r.requester !== data.me.user);
  const recentOf = (r: AccessRequestView) =>
    data.requests.filter((p) => p.requester === r.requester && p.id !== r.id).slice(0, RECENT_PER_REQUESTER);
  const grants = data.grants.filter(isLiveGrant);
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
            <p class="empty muted">Nothing waiting for you. New requests appear here.</p>
          ))}
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
          <HistoryTab requests={data.requests.filter((r) => r.requester === data.me.user)} />
        )}
      </div>
    </main>
  );
}
