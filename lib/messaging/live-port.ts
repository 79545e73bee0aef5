/**
 * The page side of the live port (`LIVE_PORT`, lib/messaging/messages.ts): connects to the background so it
 * follows the broker's event stream while this page is open (lib/background/live-events.ts), sends a
 * heartbeat every HEARTBEAT_MS (a port message keeps an MV3 service worker alive), and connects
 * again when the port drops without being released (the worker was restarted or the extension
 * reloaded its background). Browser APIs and timers are injected.
 */
import { HEARTBEAT, HEARTBEAT_MS, LIVE_PORT } from './messages';

/** The first reconnect waits this long, doubling (to RECONNECT_MAX_MS) while ports keep dropping. */
export const RECONNECT_MS = 1000;
export const RECONNECT_MAX_MS = 30_000;

/** The part of `runtime.Port` used here. */
export interface PortLike {
  postMessage(message: unknown): void;
  disconnect(): void;
  onDisconnect: { addListener(fn: () => void): void };
}

export interface LivePortDeps {
  /** `browser.runtime.connect({ name })`; throws when the extension context is gone. */
  connect(name: string): PortLike;
  schedule?: (fn: () => void, ms: number) => () => void;
  every?: (fn: () => void, ms: number) => () => void;
}

/** Holds a live port until the returned function is called. */
export function holdLivePort(deps: LivePortDeps): () => void {
  const schedule =
    deps.schedule ??
    ((fn: () => void, ms: number) => {
      const handle = setTimeout(fn, ms);
      return () => clearTimeout(handle);
    });
  const every =
    deps.every ??
    ((fn: () => void, ms: number) => {
      const handle = setInterval(fn, ms);
      return () => clearInterval(handle);
    });
  let released = false;
  let port: PortLike | null = null;
  let stopBeat: (() => void) | null = null;
  let cancelRetry: (() => void) | null = null;
  let delay = RECONNECT_MS;

  function drop(): void {
    stopBeat?.();
    stopBeat = null;
    port = null;
  }

  function lost(p: PortLike): void {
    if (port !== p) return;
    drop();
    if (released) return;
    cancelRetry = schedule(() => {
      cancelRetry = null;
      open();
    }, delay);
    delay = Math.min(delay * 2, RECONNECT_MAX_MS);
  }

  function open(): void {
    if (released) return;
    let p: PortLike;
    try {
      p = deps.connect(LIVE_PORT);
    } catch {
      return; // the extension context is gone (updated, disabled): nobody to talk to
    }
    port = p;
    p.onDisconnect.addListener(() => lost(p));
    stopBeat = every(() => {
      try {
        p.postMessage(HEARTBEAT);
        // It has held long enough to beat: the next drop is news, not a refusal.
        delay = RECONNECT_MS;
      } catch {
        lost(p);
      }
    }, HEARTBEAT_MS);
  }

  open();
  return () => {
    if (released) return;
    released = true;
    cancelRetry?.();
    cancelRetry = null;
    const p = port;
    drop();
    try {
      p?.disconnect();
    } catch {
      // already gone
    }
  };
}

/**
 * A live port held while `wanted` says so (e.g. a banner card follows a request and the page is
 * visible): call `update(wanted)` whenever that may have changed.
 */
export function livePortSwitch(hold: () => () => void): { update(wanted: boolean): void } {
  let release: (() => void) | null = null;
  return {
    update(wanted) {
      if (wanted && !release) release = hold();
      else if (!wanted && release) {
        release();
        release = null;
      }
    },
  };
}
