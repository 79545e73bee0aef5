/**
 * Keeps the side panel live while it is open: follows the broker's event stream
 * (`GET /api/v1/events`, fetch streaming, resuming with Last-Event-ID) and refreshes on each
 * event; without the stream it polls every `pollMs`, with it only now and then (a safety net).
 */
import type { BrokerApi } from '@/lib/extension/broker-client';
import { BrokerError } from '@/lib/extension/broker-error';

export const POLL_MS = 2000;
/** With the event stream open, a full reload this often anyway. */
export const STREAM_SAFETY_POLL_MS = 30_000;
const EVENT_DEBOUNCE_MS = 150;
const STREAM_RETRY_MS = 2000;
const STREAM_RETRY_MAX_MS = 60_000;

interface Following {
  stopped: boolean;
  streaming: boolean;
  controller: AbortController;
  /** A refresh after a burst of events (one per EVENT_DEBOUNCE_MS). */
  refreshSoon: () => void;
}

/** Follows the stream until stopped or signed out, reopening it with a growing pause. */
async function followStream(client: BrokerApi, f: Following): Promise<void> {
  let lastEventId: string | null = null;
  let backoff = STREAM_RETRY_MS;
  while (!f.stopped) {
    try {
      await client.streamEvents({
        lastEventId,
        signal: f.controller.signal,
        onOpen: () => {
          f.streaming = true;
          backoff = STREAM_RETRY_MS;
        },
        onEvent: (e) => {
          lastEventId = e.id;
          f.refreshSoon();
        },
        onResync: f.refreshSoon,
      });
    } catch (e) {
      if (e instanceof BrokerError && (e.code === 'not_signed_in' || e.code === 'unauthorized')) return;
    }
    f.streaming = false;
    if (f.stopped) return;
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, STREAM_RETRY_MAX_MS);
  }
}

/** Starts following; returns how to stop (the panel closing). */
export function followBroker(client: BrokerApi, refresh: () => Promise<void>, pollMs = POLL_MS): () => void {
  let soon: ReturnType<typeof setTimeout> | undefined;
  const f: Following = {
    stopped: false,
    streaming: false,
    controller: new AbortController(),
    refreshSoon() {
      if (soon) return;
      soon = setTimeout(() => {
        soon = undefined;
        void refresh();
      }, EVENT_DEBOUNCE_MS);
    },
  };
  // While the event stream is open, poll only now and then (a safety net); else every pollMs.
  const safetyTicks = Math.max(1, Math.round(STREAM_SAFETY_POLL_MS / pollMs));
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
    if (!f.streaming || ticks % safetyTicks === 0) void refresh();
  }, pollMs);
  void followStream(client, f);
  return () => {
    f.stopped = true;
    f.controller.abort();
    clearInterval(timer);
    if (soon) clearTimeout(soon);
  };
}
