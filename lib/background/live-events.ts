/**
 * The background's live view of the broker: `GET /api/v1/events` (lib/extension/broker-client.ts
 * `streamEvents`), held open only while someone is looking — an extension page (popup, side
 * panel, options) or a banner card following a request keeps a port open to the background
 * (lib/messaging/live-port.ts, entrypoints/background.ts). Without holders the alarms poll, as before.
 *
 * - Reference-counted: `hold()` returns its release function; the stream starts with the first
 *   holder and is aborted when the last one leaves.
 * - A stream that fails or ends is opened again after a back-off (1 s doubling to 60 s, back to
 *   1 s once one opens), resuming after the last event id seen (`Last-Event-ID`: the broker
 *   replays what was missed). Not signed in or a refused token: no retrying until a new holder
 *   comes or `restart()` (the settings changed).
 * - `onEvent(event)` for each event; `onResync()` when the broker says events were skipped, and
 *   when a stream opens with nothing to resume from (the first one, or after `restart()`): what
 *   happened before it is unknown, so whoever listens catches up then.
 *
 * Pure logic: the stream, the timers and the listeners are injected.
 */
import { BrokerError } from '../extension/broker-error';
import type { EventStreamOptions } from '../extension/broker-events';
import type { EventView } from '../contract/api';
import { checkSender, type MessageSender } from './handle-message';

export const RETRY_MS = 1000;
export const RETRY_MAX_MS = 60_000;

export type LiveState = 'idle' | 'connecting' | 'open' | 'retrying' | 'signed-out';

export interface LiveEventsDeps {
  /** Opens the stream (`brokerClient.streamEvents`); rejects with a `BrokerError` when it cannot. */
  open(options: EventStreamOptions): Promise<void>;
  onEvent(event: EventView): void;
  onResync(): void;
  schedule?: (fn: () => void, ms: number) => () => void;
}

export interface LiveEvents {
  /** Someone is looking: keep the stream open until the returned function is called. */
  hold(): () => void;
  /** The broker or the credentials changed: drop the stream (and its position), open a fresh one. */
  restart(): void;
  readonly holders: number;
  readonly state: LiveState;
}

const signedOut = (e: unknown) =>
  e instanceof BrokerError && (e.code === 'not_signed_in' || e.code === 'unauthorized');

interface Run {
  controller: AbortController;
  cancelRetry?: () => void;
}

export function createLiveEvents(deps: LiveEventsDeps): LiveEvents {
  const schedule =
    deps.schedule ??
    ((fn: () => void, ms: number) => {
      const handle = setTimeout(fn, ms);
      return () => clearTimeout(handle);
    });
  let holders = 0;
  let run: Run | null = null;
  let state: LiveState = 'idle';
  let lastEventId: string | null = null;
  let delay = RETRY_MS;

  /** A listener's failure must not end the stream. */
  function safely(fn: () => void): void {
    try {
      fn();
    } catch {
      // ignore
    }
  }

  async function connect(r: Run): Promise<void> {
    r.cancelRetry = undefined;
    if (run !== r) return;
    state = 'connecting';
    let refused = false;
    try {
      await deps.open({
        lastEventId,
        signal: r.controller.signal,
        onOpen: () => {
          if (run !== r) return;
          state = 'open';
          delay = RETRY_MS;
          if (lastEventId === null) safely(() => deps.onResync());
        },
        onEvent: (event) => {
          if (run !== r) return;
          lastEventId = event.id;
          safely(() => deps.onEvent(event));
        },
        onResync: () => {
          if (run === r) safely(() => deps.onResync());
        },
      });
    } catch (e) {
      refused = signedOut(e);
    }
    if (run !== r) return; // aborted: the last holder left, or restart()
    if (refused) {
      run = null;
      state = 'signed-out';
      return;
    }
    state = 'retrying';
    const wait = delay;
    delay = Math.min(delay * 2, RETRY_MAX_MS);
    r.cancelRetry = schedule(() => void connect(r), wait);
  }

  function start(): void {
    if (run) return;
    const r: Run = { controller: new AbortController() };
    run = r;
    delay = RETRY_MS;
    void connect(r);
  }

  function stop(): void {
    const r = run;
    state = 'idle';
    if (!r) return;
    run = null;
    r.cancelRetry?.();
    r.controller.abort();
  }

  return {
    hold() {
      holders++;
      // A new holder also retries a stream the broker refused (the user may have signed in).
      start();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        holders--;
        if (holders === 0) stop();
      };
    },
    restart() {
      stop();
      lastEventId = null;
      if (holders > 0) start();
    },
    get holders() {
      return holders;
    },
    get state() {
      return state;
    },
  };
}

/** A port's sender, as the browser describes it. */
export interface PortSender extends MessageSender {
  origin?: string;
}

/**
 * Who may hold the live stream: this extension's own pages (popup, side panel, options — in a tab
 * or not), or its content script on a console tab. `extensionRoot` is `runtime.getURL('/')`.
 */
export function checkPortSender(
  sender: PortSender | undefined,
  runtimeId: string,
  extensionRoot: string,
): string | undefined {
  if (!sender || sender.id !== runtimeId) return 'sender: not this extension';
  if (sender.url?.startsWith(extensionRoot)) return undefined;
  return checkSender(sender, runtimeId);
}

/**
 * Runs `fn` at most once per `ms` however often it is asked for; asked while running, it runs
 * once more afterwards. For reactions to bursts of events (one approval is several events).
 */
export function coalesce(
  fn: () => Promise<unknown>,
  ms: number,
  schedule: (fn: () => void, ms: number) => () => void = (f, t) => {
    const handle = setTimeout(f, t);
    return () => clearTimeout(handle);
  },
): () => void {
  let pending = false;
  let running = false;
  let again = false;
  const fire = () => {
    pending = false;
    running = true;
    void Promise.resolve()
      .then(fn)
      .catch(() => undefined)
      .then(() => {
        running = false;
        if (again) {
          again = false;
          ask();
        }
      });
  };
  const ask = () => {
    if (running) {
      again = true;
      return;
    }
    if (pending) return;
    pending = true;
    schedule(fire, ms);
  };
  return ask;
}
