/**
 * The broker's event hub: one per process, feeding every open `GET /api/v1/events` stream.
 *
 * The `events` table is the log; notifications only say "look again". `recordTransition`
 * (server/store/transitions.ts) sends `pg_notify('unblock_events', id)` with each event, delivered at
 * commit to every broker replica. On a notification, or on a slow safety poll (notifications are
 * lost while a LISTEN connection is down, and the reconnect callback may itself race a commit),
 * the hub reads `events WHERE id > lastSeen ORDER BY id` ONCE for all subscribers and fans the
 * rows out, each to the subscribers its audience allows.
 *
 * Reading by `id > lastSeen` misses nothing because event ids are assigned in commit order (see
 * the comment at the pg_notify in recordTransition): once the hub has seen id N, every event
 * committed later has an id above N.
 *
 * Replay (`afterId`, the client's Last-Event-ID): all hub work (catch-up reads, fan-out and a new
 * subscriber's replay) runs one step at a time. A subscriber replays (afterId, lastSeen] and joins
 * the fan-out in the same step, so the first live event it gets is the first one after its replay:
 * no gap, no duplicate, no reordering at the boundary.
 *
 * Events are not state: a client that gets a `resync` message (replay cut short, or a
 * Last-Event-ID this database never issued) should reload what it shows through the REST API.
 */
import type { Principal } from '../auth/principal';
import type { Db, Unlisten } from '../store/db';
import type { StoredEvent } from '../store/events';
import { newestEventId, readEventsAfter, readVisibleEvents } from '../store/events';
import type { EventAudience } from '../store/transitions';

export type { StoredEvent } from '../store/events';

/** The channel recordTransition notifies on (the literal there must match). */
export const EVENTS_CHANNEL = 'unblock_events';
export const DEFAULT_REPLAY_LIMIT = 1000;
export const DEFAULT_POLL_MS = 2_000;
const DEFAULT_BATCH_SIZE = 500;

/**
 * Why a subscriber may have missed events and should reload state:
 * - `replay-truncated`: more than the replay limit were visible after its Last-Event-ID; only
 *   the newest `replayLimit` are replayed (older ones are skipped, not sent later).
 * - `unknown-last-event-id`: its Last-Event-ID is newer than anything in this database (a
 *   database restored from backup, or an id from another broker's database). Replaying `id > it`
 *   would hide every event until the sequence caught up, possibly forever; instead the stream
 *   continues from the newest event, after this message.
 */
export type ResyncReason = 'replay-truncated' | 'unknown-last-event-id';

export type HubMessage =
  | { readonly kind: 'event'; readonly event: StoredEvent }
  | { readonly kind: 'resync'; readonly reason: ResyncReason }
  /** The hub shut down (broker stopping): no more messages. */
  | { readonly kind: 'closed' };

export interface Subscription {
  /** Stop delivering; idempotent. */
  close(): void;
}

export interface EventHub {
  /**
   * Starts delivering to `onMessage`: with `afterId` (a Last-Event-ID), first the visible events
   * after it (at most the replay limit; see ResyncReason), then live ones. Replayed messages are
   * delivered BEFORE the returned promise resolves. `onMessage` must not throw; if it does, the
   * subscription is dropped. Rejects when the store cannot be reached (or the hub is closed).
   */
  subscribe(
    principal: Principal,
    afterId: number | null,
    onMessage: (message: HubMessage) => void,
  ): Promise<Subscription>;
  /** Open subscriptions (for metrics and tests). */
  readonly subscriberCount: number;
  close(): Promise<void>;
}

export interface EventHubOptions {
  /** Safety poll for missed notifications; default 2 s. */
  pollMs?: number;
  /** Most events replayed to one subscriber; default 1000. */
  replayLimit?: number;
  /** Rows per catch-up query; default 500. */
  batchSize?: number;
  /** Store errors while catching up (it retries on the next notification or poll). */
  onError?: (error: unknown) => void;
}

/** Whether `principal` may see an event with `audience`: named as a user, or in a named group. */
export function canSee(principal: Principal, audience: EventAudience): boolean {
  // Defensive about shape: a hand-edited row must not crash fan-out for everyone.
  const users: readonly unknown[] = Array.isArray(audience.users) ? audience.users : [];
  const groups: readonly unknown[] = Array.isArray(audience.groups) ? audience.groups : [];
  return users.includes(principal.user) || principal.groups.some((g) => groups.includes(g));
}

interface Subscriber {
  readonly principal: Principal;
  readonly onMessage: (message: HubMessage) => void;
  /** Newest id delivered or skipped for this subscriber: a second guard against duplicates. */
  cursor: number;
}

export function createEventHub(db: Db, options: EventHubOptions = {}): EventHub {
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const replayLimit = options.replayLimit ?? DEFAULT_REPLAY_LIMIT;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const onError =
    options.onError ??
    ((e: unknown) => {
      console.error(
        `events: cannot read new events (retrying): ${e instanceof Error ? e.message : String(e)}`,
      );
    });
  if (!Number.isInteger(replayLimit) || replayLimit < 1)
    throw new RangeError('replayLimit must be a positive integer');
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError('batchSize must be a positive integer');

  const subscribers = new Set<Subscriber>();
  let lastSeen = 0;
  let started = false;
  let closed = false;
  let ready: Promise<void> | null = null;
  let unlisten: Unlisten | null = null;
  let pollTimer: NodeJS.Timeout | null = null;

  // One step at a time (see the file comment): a promise chain as a mutex.
  let chain: Promise<unknown> = Promise.resolve();
  function serial<T>(step: () => Promise<T>): Promise<T> {
    const result = chain.then(step);
    chain = result.catch(() => undefined);
    return result;
  }

  function deliver(sub: Subscriber, message: HubMessage): void {
    try {
      sub.onMessage(message);
    } catch (e) {
      subscribers.delete(sub);
      onError(e);
    }
  }

  function fanOut(event: StoredEvent): void {
    for (const sub of subscribers) {
      if (event.id <= sub.cursor) continue;
      sub.cursor = event.id;
      if (canSee(sub.principal, event.audience)) deliver(sub, { kind: 'event', event });
    }
  }

  /** Reads and fans out everything committed after lastSeen. Run only inside serial(). */
  async function catchUp(): Promise<void> {
    for (;;) {
      const rows = await readEventsAfter(db, lastSeen, batchSize);
      for (const event of rows) {
        lastSeen = event.id;
        fanOut(event);
      }
      if (rows.length < batchSize || closed) return;
    }
  }

  // Wake-ups coalesce: notifications arriving during a read cause one more read, not one each.
  let waking: Promise<void> | null = null;
  let again = false;
  function wake(): void {
    if (!started || closed) return;
    if (waking) {
      again = true;
      return;
    }
    waking = (async () => {
      try {
        do {
          again = false;
          await serial(catchUp);
        } while (again && !closed);
      } catch (e) {
        onError(e);
      } finally {
        waking = null;
      }
    })();
  }

  function onNotify(payload: string): void {
    // Already read (e.g. by a poll, or several notifications for one commit): nothing to do.
    const id = Number(payload);
    if (Number.isSafeInteger(id) && id <= lastSeen) return;
    wake();
  }

  function start(): Promise<void> {
    ready ??= (async () => {
      // LISTEN before reading the newest id, so nothing commits unnoticed in between.
      unlisten = await db.listen(EVENTS_CHANNEL, onNotify, wake);
      try {
        lastSeen = await newestEventId(db);
      } catch (e) {
        await unlisten().catch(() => undefined);
        unlisten = null;
        throw e;
      }
      if (closed) {
        // close() ran while we were starting: it waits for this, then finds nothing to stop.
        const stop = unlisten;
        unlisten = null;
        await stop();
        return;
      }
      started = true;
      pollTimer = setInterval(wake, pollMs);
      pollTimer.unref(); // the HTTP server keeps the process alive, not this
      // A notification that arrived before `started` was ignored: look once now.
      wake();
    })().catch((e: unknown) => {
      ready = null; // the next subscribe tries again
      throw e;
    });
    return ready;
  }

  /** The newest `replayLimit`+1 visible events in (afterId, lastSeen], oldest first. */
  async function replayRows(principal: Principal, afterId: number): Promise<StoredEvent[]> {
    const rows = await readVisibleEvents(
      db,
      { afterId, upToId: lastSeen, limit: replayLimit + 1 },
      { user: principal.user, groups: principal.groups },
    );
    return rows.filter((e) => canSee(principal, e.audience));
  }

  return {
    get subscriberCount() {
      return subscribers.size;
    },

    async subscribe(principal, afterId, onMessage) {
      if (afterId !== null && (!Number.isSafeInteger(afterId) || afterId < 0)) {
        throw new RangeError(`afterId must be a non-negative integer, got ${afterId}`);
      }
      if (closed) throw new Error('the event hub is closed');
      await start();
      return serial(async () => {
        if (closed) throw new Error('the event hub is closed');
        const sub: Subscriber = { principal, onMessage, cursor: lastSeen };
        if (afterId !== null) {
          // The client may have seen newer events through another replica than this hub has read.
          if (afterId > lastSeen) await catchUp();
          if (afterId > lastSeen) {
            onMessage({ kind: 'resync', reason: 'unknown-last-event-id' });
          } else if (afterId < lastSeen) {
            const rows = await replayRows(principal, afterId);
            if (rows.length > replayLimit) {
              rows.shift();
              onMessage({ kind: 'resync', reason: 'replay-truncated' });
            }
            for (const event of rows) onMessage({ kind: 'event', event });
          }
          sub.cursor = lastSeen;
        }
        subscribers.add(sub);
        return {
          close() {
            subscribers.delete(sub);
          },
        };
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = null;
      await ready?.catch(() => undefined);
      await waking;
      await chain;
      await unlisten?.();
      unlisten = null;
      const subs = [...subscribers];
      subscribers.clear();
      for (const sub of subs) deliver(sub, { kind: 'closed' });
    },
  };
}
