/**
 * What the popup and the side panel show, and how it stays fresh: the broker client for the
 * stored settings (none: signed out), the cached snapshot at once where there is one, then the
 * broker's answer, then whatever keeps it fresh (a timer, the broker's event stream). A failed
 * refresh keeps the last answer on screen and says why; a refused token is "signed out".
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type * as z from 'zod/mini';
import type { BrokerApi } from '@/lib/extension/broker-client';
import { BrokerError } from '@/lib/extension/broker-error';
import { reasonOf } from '@/lib/extension/broker-reason';
import type { SnapshotCache } from '@/lib/extension/cache';

export type PanelView<T> =
  | { kind: 'loading' }
  | { kind: 'signed-out'; reason?: string }
  | { kind: 'unreachable'; reason: string }
  | {
      kind: 'data';
      snapshot: T;
      /** ISO 8601: when the broker sent it. */
      savedAt: string;
      /** False while it comes from the cache, or the last refresh failed. */
      fresh: boolean;
      /** Why the last refresh failed. */
      problem?: string;
    };

export interface PanelSource<T> {
  /** A client for the configured broker; null when no broker or no token is set. */
  client: () => Promise<BrokerApi | null>;
  /** Everything the panel shows, in one go. */
  load: (client: BrokerApi) => Promise<T>;
  /** Render from here first, and keep every answer here, one entry per broker. */
  cache?: { store: SnapshotCache; key: (baseUrl: string) => string; schema: z.ZodMiniType<T> };
  now?: () => number;
  /** Skip a refresh asked for while one is on the wire (a panel that polls every few seconds). */
  oneAtATime?: boolean;
  /** Starts what keeps the snapshot fresh once the first answer is in; returns how to stop it. */
  keepFresh: (client: BrokerApi, refresh: () => Promise<void>) => () => void;
}

export interface PanelSnapshot<T> {
  view: PanelView<T>;
  /** Null until the settings are read, and when signed out. */
  client: BrokerApi | null;
  /** Asks the broker again now (Retry, after an action). */
  refresh: () => Promise<void>;
}

const signedOut = (e: unknown) =>
  e instanceof BrokerError && (e.code === 'not_signed_in' || e.code === 'unauthorized');

/** `source` must keep its identity across renders (useMemo): a new one starts over. */
export function usePanelSnapshot<T>(source: PanelSource<T>): PanelSnapshot<T> {
  const [view, setView] = useState<PanelView<T>>({ kind: 'loading' });
  const [client, setClient] = useState<BrokerApi | null>(null);
  const clientRef = useRef<BrokerApi | null>(null);
  const inFlight = useRef(false);

  const refresh = useCallback(async () => {
    const c = clientRef.current;
    if (!c || (source.oneAtATime && inFlight.current)) return;
    inFlight.current = true;
    try {
      const snapshot = await source.load(c);
      const savedAt = new Date((source.now ?? Date.now)());
      setView({ kind: 'data', snapshot, savedAt: savedAt.toISOString(), fresh: true });
      await source.cache?.store.put(source.cache.key(c.baseUrl), snapshot, savedAt);
    } catch (e) {
      if (signedOut(e)) {
        setView({ kind: 'signed-out', reason: reasonOf(e) });
        return;
      }
      const reason = reasonOf(e);
      setView((v) =>
        v.kind === 'data' ? { ...v, fresh: false, problem: reason } : { kind: 'unreachable', reason },
      );
    } finally {
      inFlight.current = false;
    }
  }, [source]);

  useEffect(() => {
    let stopped = false;
    let stopFresh: (() => void) | undefined;
    void (async () => {
      const c = await source.client();
      if (stopped) return;
      if (!c) {
        setView({ kind: 'signed-out' });
        return;
      }
      clientRef.current = c;
      setClient(c);
      const cache = source.cache;
      if (cache) {
        const cached = await cache.store.get(cache.key(c.baseUrl), cache.schema);
        if (stopped) return;
        if (cached) setView({ kind: 'data', snapshot: cached.data, savedAt: cached.savedAt, fresh: false });
      }
      await refresh();
      if (stopped) return;
      stopFresh = source.keepFresh(c, refresh);
    })();
    return () => {
      stopped = true;
      stopFresh?.();
    };
  }, [source, refresh]);

  return { view, client, refresh };
}
