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
 *    tab's current console URL) and apply it to that tab at once: open the one-time sign-in URL,
 *    or reload the page;
 * 4. after a reload, the same denial showing again in that tab (`denialSeen`) means the grant has
 *    not reached the console yet: say so, reload again with back-off until the page works or the
 *    cloud's documented limit has passed, then say what to do (lib/background/propagation.ts).
 *
 * This file keeps the followed requests and their timers; what one step does (ask, report, land)
 * is lib/background/request-steps.ts. Each step is reported to the banner card as a
 * `request-progress` message: statuses and short texts only, never a token or a landing URL.
 * Browser APIs, the clock and timers are injected.
 */
import type { AccessRequestView } from '../contract/api';
import type { BrokerClient } from '../extension/broker-client';
import { reasonOf } from '../extension/broker-reason';
import type { NewAccessRequest } from '../contract/request';
import {
  failed,
  isoAt,
  report,
  sendProgress,
  step,
  stepFailed,
  type Next,
  type Pace,
  type StepContext,
  type StepDeps,
} from './request-steps';
import type { SeenDenial } from './propagation';
import { onDenialAgain, watchedRequest, type Adopted } from './request-watch';
import type { TrackedRequest, Where } from './tracked-request';

/** The periodic alarm (the safety net) that resumes following requests after the worker slept. */
export const TRACK_ALARM = 'unblock-track-requests';
/** First poll interval, and the interval again after every change. */
export const POLL_MS = 1000;
/** Longest interval while nothing changes (an approver may take a while). */
export const POLL_MAX_MS = 15_000;
/** Longest interval while the broker is unreachable or failing. */
export const ERROR_MAX_MS = 60_000;
/** Finished records are kept this long (for inspection), then pruned. */
export const KEEP_DONE_MS = 7 * 24 * 60 * 60 * 1000;

export interface FlowDeps extends StepDeps {
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
  /**
   * The banner in this tab and frame shows a denial: when it is the one a request from this tab
   * was just granted for (the reloaded page still denied), that request and its progress (its
   * card adopts them); otherwise null.
   */
  denialSeen(where: { tabId: number; frameId: number }, seen: SeenDenial): Promise<Adopted | null>;
  /** Resolves once nothing is in flight (timers may still be pending). For tests. */
  idle(): Promise<void>;
}

/** One followed request and its timer. */
interface Loop {
  rec: TrackedRequest;
  delay: number;
  /** Cancels the pending timer (set only while one is pending). */
  cancel?: () => void;
  /** Woken while a step was running: run again as soon as it ends. */
  woken?: boolean;
}

/** The followed requests, their timers and the steps in flight. */
interface Tracker extends StepContext {
  deps: FlowDeps;
  schedule: (fn: () => void, ms: number) => () => void;
  loops: Map<string, Loop>;
  inflight: Set<Promise<unknown>>;
  /** `denialSeen` calls, one at a time (two cards of one page must not both schedule a reload). */
  seen: Promise<unknown>;
}

function track<T>(t: Tracker, p: Promise<T>): Promise<T> {
  t.inflight.add(p);
  p.then(
    () => t.inflight.delete(p),
    () => t.inflight.delete(p),
  );
  return p;
}

function paceOf(loop: Loop): Pace {
  return {
    poll(changed) {
      loop.delay = changed ? POLL_MS : Math.min(Math.round(loop.delay * 1.5), POLL_MAX_MS);
      return loop.delay;
    },
    retry() {
      loop.delay = Math.min(Math.max(loop.delay * 2, 2 * POLL_MS), ERROR_MAX_MS);
      return loop.delay;
    },
  };
}

async function disarmIfIdle(t: Tracker): Promise<void> {
  if (t.loops.size) return;
  try {
    await t.deps.safetyNet.disarm();
  } catch {
    // ignore: an alarm that fires for nothing finds nothing to resume
  }
}

/** Runs the loop's next step, then sets its timer for the one after (or forgets it when done). */
async function runLoop(t: Tracker, loop: Loop, view?: AccessRequestView): Promise<void> {
  loop.cancel = undefined;
  loop.woken = false;
  const pace = paceOf(loop);
  let next: Next;
  try {
    next = await step(t, loop.rec, pace, view);
  } catch (e) {
    next = await stepFailed(t, loop.rec, pace, e);
  }
  if (next === 'done') {
    t.loops.delete(loop.rec.requestId);
    await disarmIfIdle(t);
    return;
  }
  // Woken meanwhile: what this step read may predate the event.
  if (loop.woken) next = 0;
  loop.cancel = t.schedule(() => void track(t, runLoop(t, loop)), next);
}

function start(t: Tracker, rec: TrackedRequest, first?: AccessRequestView): void {
  if (t.loops.has(rec.requestId)) return;
  const loop: Loop = { rec, delay: POLL_MS };
  t.loops.set(rec.requestId, loop);
  void track(t, runLoop(t, loop, first));
}

function wakeLoop(t: Tracker, loop: Loop): void {
  // A reload due after the denial came back: nothing to ask the broker.
  if (loop.rec.phase === 'reload' || loop.rec.phase === 'done') return;
  loop.delay = POLL_MS;
  const cancel = loop.cancel;
  if (!cancel) {
    loop.woken = true;
    return;
  }
  loop.cancel = undefined;
  cancel();
  void track(t, runLoop(t, loop));
}

async function submit(
  t: Tracker,
  client: BrokerClient,
  draft: { id: string; request: NewAccessRequest },
  where: Where,
): Promise<void> {
  let view: AccessRequestView;
  try {
    view = await client.submitRequest(draft.request);
  } catch (e) {
    await sendProgress(t, where, draft.id, failed(null, `Could not file the request: ${reasonOf(e)}`));
    return;
  }
  const at = isoAt(t.now());
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
    target: draft.request.target,
    actions: draft.request.actions,
  };
  try {
    await report(t, rec, { status: 'submitted', requestId: view.id });
    await t.deps.safetyNet.arm();
  } catch {
    // Storage or alarms failed: still follow it while the worker lives.
  }
  start(t, rec, view);
}

async function resume(t: Tracker): Promise<void> {
  const all = await t.deps.store.list();
  let live = 0;
  for (const rec of all) {
    if (rec.phase === 'done') {
      if (t.now() - Date.parse(rec.updatedAt) > KEEP_DONE_MS) await t.deps.store.delete(rec.requestId);
      continue;
    }
    live++;
    start(t, rec);
  }
  if (live) await t.deps.safetyNet.arm();
  else await disarmIfIdle(t);
}

async function denialSeen(
  t: Tracker,
  where: { tabId: number; frameId: number },
  seen: SeenDenial,
): Promise<Adopted | null> {
  // The followed records first (a reload may be due), then the finished ones that still watch.
  const live = [...t.loops.values()].map((l) => l.rec);
  const stored = (await t.deps.store.list()).filter((r) => !t.loops.has(r.requestId));
  const rec = watchedRequest([...live, ...stored], where.tabId, seen, t.now());
  if (!rec) return null;
  const { adopted, retry } = await onDenialAgain(t, rec, where.frameId, seen);
  if (retry) {
    start(t, rec);
    await t.deps.safetyNet.arm().catch(() => undefined);
  }
  return adopted;
}

export function createRequestFlow(deps: FlowDeps): RequestFlow {
  const t: Tracker = {
    deps,
    now: deps.now ?? Date.now,
    schedule:
      deps.schedule ??
      ((fn: () => void, ms: number) => {
        const handle = setTimeout(fn, ms);
        return () => clearTimeout(handle);
      }),
    loops: new Map(),
    inflight: new Set(),
    seen: Promise.resolve(),
  };
  return {
    async file(draft, where) {
      const client = await deps.client();
      if (!client) return false;
      void track(t, submit(t, client, draft, where));
      return true;
    },

    resume: () => track(t, resume(t)),

    wake(requestId, grantId) {
      for (const loop of [...t.loops.values()]) {
        const all = requestId === undefined && grantId === undefined;
        const mine =
          (requestId !== undefined && loop.rec.requestId === requestId) ||
          (grantId !== undefined && loop.rec.grantId === grantId);
        if (all || mine) wakeLoop(t, loop);
      }
    },

    denialSeen(where, seen) {
      const next = t.seen.then(() => denialSeen(t, where, seen));
      t.seen = next.catch(() => undefined);
      return track(t, next);
    },

    async idle() {
      while (t.inflight.size) await Promise.allSettled([...t.inflight]);
    },
  };
}
