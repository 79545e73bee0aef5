/**
 * From a trusted "Request access" click to the denied tab landing on the grant, in the background:
 *
 * 1. file the draft with the broker (`POST /requests`), remember `{requestId, tabId, frameId,
 *    pageUrl}` in IndexedDB so a service-worker restart loses nothing;
 * 2. follow it (`GET /requests/{id}`, then `GET /grants/{grantId}`): every second while something
 *    is happening, backing off while nothing changes or the broker is unreachable; an event about
 *    it on the broker's stream (`wake`, lib/background/live-events.ts) asks at once; a periodic alarm (the
 *    safety net) resumes following after the worker was stopped;
 * 3. once the grant is active, ask for the landing (`POST /grants/{id}/landing`, destination: the
 *    tab's current console URL) and apply it to that tab: open the one-time sign-in URL, or reload
 *    after the cloud's propagation delay.
 *
 * Each step is reported to the banner card as a `request-progress` message: statuses and short
 * texts only, never a token or a landing URL. Browser APIs, the clock and timers are injected.
 */
import type { AccessRequestView } from '../contract/api';
import { BrokerError, type BrokerClient } from '../extension/broker-client';
import type { GrantView } from '../contract/api';
import type { NewAccessRequest } from '../contract/request';
import {
  PROGRESS_LIST_MAX,
  PROGRESS_TEXT_MAX,
  type RequestProgress,
  type RequestProgressMessage,
} from '../messaging/messages';
import { isConsoleUrl } from '../content/page-context';

/** The periodic alarm (the safety net) that resumes following requests after the worker slept. */
export const TRACK_ALARM = 'unblock-track-requests';
/** First poll interval, and the interval again after every change. */
export const POLL_MS = 1000;
/** Longest interval while nothing changes (an approver may take a while). */
export const POLL_MAX_MS = 15_000;
/** Longest interval while the broker is unreachable or failing. */
export const ERROR_MAX_MS = 60_000;
/** Stop following a request after this long. */
export const MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** Finished records are kept this long (for inspection), then pruned. */
export const KEEP_DONE_MS = 7 * 24 * 60 * 60 * 1000;

export type TrackedPhase = 'request' | 'grant' | 'reload' | 'done';

/** One request being followed, as stored in IndexedDB `unblock` / `requests`. */
export interface TrackedRequest {
  requestId: string;
  /** The draft the banner card knows (progress messages are keyed by it). */
  draftId: string;
  tabId: number;
  frameId: number;
  /** The tab's URL when the user clicked. */
  pageUrl: string;
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
  phase: TrackedPhase;
  grantId: string | null;
  /** Phase `reload`: when, and which console page (never a sign-in URL: those are credentials). */
  reloadAt?: string;
  reloadUrl?: string;
  /** The last progress reported. */
  last?: RequestProgress;
}

export interface TrackedStore {
  put(record: TrackedRequest): Promise<void>;
  list(): Promise<TrackedRequest[]>;
  delete(requestId: string): Promise<void>;
}

export interface Where {
  tabId: number;
  frameId: number;
  pageUrl: string;
}

export interface FlowDeps {
  /** A client for the configured broker, or null when none is configured. */
  client(): Promise<BrokerClient | null>;
  store: TrackedStore;
  /** Send a progress message to one frame of a tab (a closed tab is not an error). */
  notify(tabId: number, frameId: number, message: RequestProgressMessage): Promise<void>;
  /** The tab's current URL; undefined when the tab is gone or the URL is not ours to read. */
  tabUrl(tabId: number): Promise<string | undefined>;
  navigate(tabId: number, url: string): Promise<void>;
  reload(tabId: number): Promise<void>;
  /** The periodic alarm that resumes following after the worker slept. */
  safetyNet: { arm(): Promise<void>; disarm(): Promise<void> };
  schedule?: (fn: () => void, ms: number) => () => void;
  now?: () => number;
}

export interface RequestFlow {
  /** Files the draft when a broker is configured (in the background); false: drafts only. */
  file(draft: { id: string; request: NewAccessRequest }, where: Where): Promise<boolean>;
  /** Picks up every unfinished request from the store (worker start, alarm). */
  resume(): Promise<void>;
  /**
   * Something happened at the broker (an event on its stream): the followed requests it concerns
   * — the one with this request id or grant id; every one when neither is given — are asked about
   * now instead of when their back-off timer fires, and polling starts again from POLL_MS.
   */
  wake(requestId?: string, grantId?: string): void;
  /** Resolves once nothing is in flight (timers may still be pending). For tests. */
  idle(): Promise<void>;
}

interface Loop {
  rec: TrackedRequest;
  delay: number;
  /** Cancels the pending timer (set only while one is pending). */
  cancel?: () => void;
  /** Runs the next step now. */
  run: () => Promise<void>;
  /** Woken while a step was running: run again as soon as it ends. */
  woken?: boolean;
}

type Next = number | 'done';

const clip = (s: string, max = PROGRESS_TEXT_MAX) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const clipAll = (list: readonly string[]) => list.slice(0, PROGRESS_LIST_MAX).map((s) => clip(s));

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Where the broker may send the tab: https, or plain http on this machine's loopback (the demo's
 * simulated federation sign-in). Never `javascript:`, `data:`, `file:` or an extension page.
 */
export function isLandingUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname));
  } catch {
    return false;
  }
}

/** One line for the banner, from a failed broker call. */
export function reasonOf(e: unknown): string {
  if (e instanceof BrokerError) {
    switch (e.code) {
      case 'unreachable':
        return `The broker is unreachable: ${e.message}`;
      case 'not_signed_in':
        return 'Not signed in to the broker: set an API token in the Unblock options';
      case 'unauthorized':
        return 'The broker refused the API token: set a new one in the Unblock options';
      default: {
        const advice = e.advice[0] ? ` (${e.advice[0]})` : '';
        return `${e.message}${advice}`;
      }
    }
  }
  return e instanceof Error ? e.message : String(e);
}

function waiting(r: AccessRequestView): RequestProgress {
  return {
    status: 'waiting-approval',
    requestId: r.id,
    advice: clipAll(r.decision.advice),
    requiredApprovals: Math.min(100, Math.max(0, r.decision.requiredApprovals)),
    approvals: Math.min(100, r.approvals.length),
    approvers: clipAll(r.decision.approvers.length > 0 ? r.decision.approvers : r.decision.approverGroups),
  };
}

function denied(r: AccessRequestView): RequestProgress {
  const comment = r.denials.findLast((d) => d.comment)?.comment ?? null;
  return {
    status: 'denied',
    requestId: r.id,
    comment: comment === null ? null : clip(comment),
    // The policies' advice explains a policy refusal; after an approver's it would mislead.
    advice: r.decision.outcome === 'deny' ? clipAll(r.decision.advice) : [],
  };
}

const failed = (requestId: string | null, reason: string): RequestProgress => ({
  status: 'failed',
  requestId,
  reason: clip(reason),
});

export function createRequestFlow(deps: FlowDeps): RequestFlow {
  const schedule =
    deps.schedule ??
    ((fn: () => void, ms: number) => {
      const handle = setTimeout(fn, ms);
      return () => clearTimeout(handle);
    });
  const now = deps.now ?? Date.now;
  const iso = (ms = now()) => new Date(ms).toISOString();
  const loops = new Map<string, Loop>();
  const inflight = new Set<Promise<unknown>>();

  function track<T>(p: Promise<T>): Promise<T> {
    inflight.add(p);
    p.then(
      () => inflight.delete(p),
      () => inflight.delete(p),
    );
    return p;
  }

  async function send(where: { tabId: number; frameId: number }, draftId: string, progress: RequestProgress) {
    try {
      await deps.notify(where.tabId, where.frameId, { type: 'request-progress', draftId, progress });
    } catch {
      // The tab or frame is gone, or shows another page: nobody to tell.
    }
  }

  /** Reports the progress when it differs from the last one; true when it did. */
  async function report(rec: TrackedRequest, progress: RequestProgress): Promise<boolean> {
    if (JSON.stringify(rec.last) === JSON.stringify(progress)) return false;
    rec.last = progress;
    rec.updatedAt = iso();
    await deps.store.put(rec);
    await send(rec, rec.draftId, progress);
    return true;
  }

  async function finish(rec: TrackedRequest, progress?: RequestProgress): Promise<'done'> {
    rec.phase = 'done';
    delete rec.reloadAt;
    delete rec.reloadUrl;
    try {
      if (!progress || !(await report(rec, progress))) {
        rec.updatedAt = iso();
        await deps.store.put(rec);
      }
    } catch {
      // Storage failed: the record may be followed again after a restart; harmless.
    }
    return 'done';
  }

  function poll(loop: Loop, changed: boolean): number {
    loop.delay = changed ? POLL_MS : Math.min(Math.round(loop.delay * 1.5), POLL_MAX_MS);
    return loop.delay;
  }

  /** Same URL: reload (a same-URL update with a fragment would not reload); else navigate. */
  async function reloadTab(tabId: number, target: string, current: string): Promise<void> {
    if (target === current) await deps.reload(tabId);
    else await deps.navigate(tabId, target);
  }

  async function land(rec: TrackedRequest, client: BrokerClient, grant: GrantView): Promise<Next> {
    await report(rec, { status: 'active', requestId: rec.requestId, expiresAt: grant.expiresAt });
    const current = await deps.tabUrl(rec.tabId);
    // The tab was closed or left the console: granted, but nothing to land.
    if (!current || !isConsoleUrl(current)) return finish(rec);
    const landing = await client.landing(grant.id, current);
    if (landing.kind === 'url') {
      if (!isLandingUrl(landing.url))
        return finish(rec, failed(rec.requestId, 'The broker sent an unusable sign-in link'));
      await report(rec, {
        status: 'landing',
        requestId: rec.requestId,
        message: 'Access granted; signing you in to the console…',
      });
      await deps.navigate(rec.tabId, landing.url);
      return finish(rec);
    }
    const target = landing.url ?? current;
    if (!isLandingUrl(target))
      return finish(rec, failed(rec.requestId, 'The broker sent an unusable page to reload'));
    await report(rec, { status: 'landing', requestId: rec.requestId, message: clip(landing.message) });
    if (landing.afterMs > 0) {
      rec.phase = 'reload';
      rec.reloadAt = iso(now() + landing.afterMs);
      rec.reloadUrl = target;
      await deps.store.put(rec);
      return landing.afterMs;
    }
    await reloadTab(rec.tabId, target, current);
    return finish(rec);
  }

  async function step(rec: TrackedRequest, loop: Loop, first?: AccessRequestView): Promise<Next> {
    if (rec.phase === 'done') return 'done';
    if (now() - Date.parse(rec.createdAt) > MAX_AGE_MS) {
      return finish(rec, failed(rec.requestId, 'Stopped following the request after 24 hours'));
    }
    if (rec.phase === 'reload') {
      const wait = Date.parse(rec.reloadAt ?? '') - now();
      if (wait > 0) return wait;
      const current = await deps.tabUrl(rec.tabId);
      if (current && isConsoleUrl(current)) await reloadTab(rec.tabId, rec.reloadUrl ?? current, current);
      return finish(rec);
    }
    const client = await deps.client();
    if (!client) return finish(rec, failed(rec.requestId, 'The broker is no longer configured'));
    if (rec.phase === 'request') {
      const r = first ?? (await client.getRequest(rec.requestId));
      switch (r.status) {
        case 'pending':
          return poll(loop, await report(rec, waiting(r)));
        case 'denied':
          return finish(rec, denied(r));
        case 'expired':
          return finish(rec, failed(r.id, 'The request expired before it was approved'));
        case 'cancelled':
          return finish(rec, failed(r.id, 'The request was cancelled'));
        case 'approved':
          if (!r.grantId) {
            return poll(
              loop,
              await report(rec, { status: 'provisioning', requestId: r.id, retrying: false }),
            );
          }
          rec.grantId = r.grantId;
          rec.phase = 'grant';
          await deps.store.put(rec);
      }
    }
    const g = await client.getGrant(rec.grantId!);
    switch (g.status) {
      case 'approved':
      case 'provisioning':
      case 'provision-failed':
        return poll(
          loop,
          await report(rec, {
            status: 'provisioning',
            requestId: rec.requestId,
            retrying: g.status === 'provision-failed',
          }),
        );
      case 'active':
        return land(rec, client, g);
      default:
        return finish(rec, failed(rec.requestId, `The grant is ${g.status}`));
    }
  }

  async function onError(rec: TrackedRequest, loop: Loop, e: unknown): Promise<Next> {
    // Network trouble, an overloaded broker, or a grant that changed under the landing call:
    // ask again later, less often each time.
    if (e instanceof BrokerError && (e.retryable || e.code === 'conflict')) {
      loop.delay = Math.min(Math.max(loop.delay * 2, 2 * POLL_MS), ERROR_MAX_MS);
      return loop.delay;
    }
    return finish(rec, failed(rec.requestId, reasonOf(e)));
  }

  async function disarmIfIdle(): Promise<void> {
    if (loops.size) return;
    try {
      await deps.safetyNet.disarm();
    } catch {
      // ignore: an alarm that fires for nothing finds nothing to resume
    }
  }

  function start(rec: TrackedRequest, first?: AccessRequestView): void {
    if (loops.has(rec.requestId)) return;
    const run = async (view?: AccessRequestView): Promise<void> => {
      loop.cancel = undefined;
      loop.woken = false;
      let next: Next;
      try {
        next = await step(rec, loop, view);
      } catch (e) {
        next = await onError(rec, loop, e);
      }
      if (next === 'done') {
        loops.delete(rec.requestId);
        await disarmIfIdle();
        return;
      }
      // Woken meanwhile: what this step read may predate the event.
      if (loop.woken) next = 0;
      loop.cancel = schedule(() => void track(run()), next);
    };
    const loop: Loop = { rec, delay: POLL_MS, run: () => run() };
    loops.set(rec.requestId, loop);
    void track(run(first));
  }

  function wakeLoop(loop: Loop): void {
    // A reload landing waits for the cloud's propagation delay: nothing to ask the broker.
    if (loop.rec.phase === 'reload' || loop.rec.phase === 'done') return;
    loop.delay = POLL_MS;
    const cancel = loop.cancel;
    if (!cancel) {
      loop.woken = true;
      return;
    }
    loop.cancel = undefined;
    cancel();
    void track(loop.run());
  }

  async function submit(
    client: BrokerClient,
    draft: { id: string; request: NewAccessRequest },
    where: Where,
  ) {
    let view: AccessRequestView;
    try {
      view = await client.submitRequest(draft.request);
    } catch (e) {
      await send(where, draft.id, failed(null, `Could not file the request: ${reasonOf(e)}`));
      return;
    }
    const at = iso();
    const rec: TrackedRequest = {
      requestId: view.id,
      draftId: draft.id,
      tabId: where.tabId,
      frameId: where.frameId,
      pageUrl: where.pageUrl,
      createdAt: at,
      updatedAt: at,
      phase: 'request',
      grantId: null,
    };
    try {
      await report(rec, { status: 'submitted', requestId: view.id });
      await deps.safetyNet.arm();
    } catch {
      // Storage or alarms failed: still follow it while the worker lives.
    }
    start(rec, view);
  }

  return {
    async file(draft, where) {
      const client = await deps.client();
      if (!client) return false;
      void track(submit(client, draft, where));
      return true;
    },

    resume() {
      return track(
        (async () => {
          const all = await deps.store.list();
          let live = 0;
          for (const rec of all) {
            if (rec.phase === 'done') {
              if (now() - Date.parse(rec.updatedAt) > KEEP_DONE_MS) await deps.store.delete(rec.requestId);
              continue;
            }
            live++;
            start(rec);
          }
          if (live) await deps.safetyNet.arm();
          else await disarmIfIdle();
        })(),
      );
    },

    wake(requestId, grantId) {
      for (const loop of [...loops.values()]) {
        const all = requestId === undefined && grantId === undefined;
        const mine =
          (requestId !== undefined && loop.rec.requestId === requestId) ||
          (grantId !== undefined && loop.rec.grantId === grantId);
        if (all || mine) wakeLoop(loop);
      }
    },

    async idle() {
      while (inflight.size) await Promise.allSettled([...inflight]);
    },
  };
}
