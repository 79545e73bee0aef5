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

/** One hub's state, shared by the functions below; each hub (one per process) has its own. */
interface HubState {
  readonly db: Db;
  readonly pollMs: number;
  readonly replayLimit: number;
  readonly batchSize: number;
  readonly onError: (error: unknown) => void;
  readonly subscribers: Set<Subscriber>;
  /** Newest event id read (and fanned out). */
  lastSeen: number;
  started: boolean;
  closed: boolean;
  ready: Promise<void> | null;
  unlisten: Unlisten | null;
  pollTimer: NodeJS.Timeout | null;
  /** One step at a time (see the file comment): a promise chain as a mutex. */
  chain: Promise<unknown>;
  /** Wake-ups coalesce: notifications arriving during a read cause one more read, not one each. */
  waking: Promise<void> | null;
  again: boolean;
}

export function createEventHub(db: Db, options: EventHubOptions = {}): EventHub {
  const replayLimit = options.replayLimit ?? DEFAULT_REPLAY_LIMIT;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(replayLimit) || replayLimit < 1)
    throw new RangeError('replayLimit must be a positive integer');
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError('batchSize must be a positive integer');
  const hub: HubState = {
    db,
    pollMs: options.pollMs ?? DEFAULT_POLL_MS,
    replayLimit,
    batchSize,
    onError:
      options.onError ??
      ((e: unknown) => {
        console.error(
          `events: cannot read new events (retrying): ${e instanceof Error ? e.message : String(e)}`,
        );
      }),
    subscribers: new Set(),
    lastSeen: 0,
    started: false,
    closed: false,
    ready: null,
    unlisten: null,
    pollTimer: null,
    chain: Promise.resolve(),
    waking: null,
    again: false,
  };
  return {
    get subscriberCount() {
      return hub.subscribers.size;
    },
    subscribe: (principal, afterId, onMessage) => subscribe(hub, principal, afterId, onMessage),
    close: () => close(hub),
  };
}

function serial<T>(hub: HubState, step: () => Promise<T>): Promise<T> {
  const result = hub.chain.then(step);
  hub.chain = result.catch(() => undefined);
  return result;
}

function deliver(hub: HubState, sub: Subscriber, message: HubMessage): void {
  try {
    sub.onMessage(message);
  } catch (e) {
    hub.subscribers.delete(sub);
    hub.onError(e);
  }
}

function fanOut(hub: HubState, event: StoredEvent): void {
  for (const sub of hub.subscribers) {
    if (event.id <= sub.cursor) continue;
    sub.cursor = event.id;
    if (canSee(sub.principal, event.audience)) deliver(hub, sub, { kind: 'event', event });
  }
}

/** Reads and fans out everything committed after lastSeen. Run only inside serial(). */
async function catchUp(hub: HubState): Promise<void> {
  for (;;) {
    const rows = await readEventsAfter(hub.db, hub.lastSeen, hub.batchSize);
    for (const event of rows) {
      hub.lastSeen = event.id;
      fanOut(hub, event);
    }
    if (rows.length < hub.batchSize || hub.closed) return;
  }
}

function wake(hub: HubState): void {
  if (!hub.started || hub.closed) return;
  if (hub.waking) {
    hub.again = true;
    return;
  }
  hub.waking = (async () => {
    try {
      do {
        hub.again = false;
        await serial(hub, () => catchUp(hub));
      } while (hub.again && !hub.closed);
    } catch (e) {
      hub.onError(e);
    } finally {
      hub.waking = null;
    }
  })();
}

function onNotify(hub: HubState, payload: string): void {
  // Already read (e.g. by a poll, or several notifications for one commit): nothing to do.
  const id = Number(payload);
  if (Number.isSafeInteger(id) && id <= hub.lastSeen) return;
  wake(hub);
}

function start(hub: HubState): Promise<void> {
  hub.ready ??= (async () => {
    // LISTEN before reading the newest id, so nothing commits unnoticed in between.
    const unlisten = await hub.db.listen(
      EVENTS_CHANNEL,
      (payload) => onNotify(hub, payload),
      () => wake(hub),
    );
    hub.unlisten = unlisten;
    try {
      hub.lastSeen = await newestEventId(hub.db);
    } catch (e) {
      await unlisten().catch(() => undefined);
      hub.unlisten = null;
      throw e;
    }
    if (hub.closed) {
      // close() ran while we were starting: it waits for this, then finds nothing to stop.
      hub.unlisten = null;
      await unlisten();
      return;
    }
    hub.started = true;
    hub.pollTimer = setInterval(() => wake(hub), hub.pollMs);
    hub.pollTimer.unref(); // the HTTP server keeps the process alive, not this
    // A notification that arrived before `started` was ignored: look once now.
    wake(hub);
  })().catch((e: unknown) => {
    hub.ready = null; // the next subscribe tries again
    throw e;
  });
  return hub.ready;
}

/** The newest `replayLimit`+1 visible events in (afterId, lastSeen], oldest first. */
async function replayRows(hub: HubState, principal: Principal, afterId: number): Promise<StoredEvent[]> {
  const rows = await readVisibleEvents(
    hub.db,
    { afterId, upToId: hub.lastSeen, limit: hub.replayLimit + 1 },
    { user: principal.user, groups: principal.groups },
  );
  return rows.filter((e) => canSee(principal, e.audience));
}

async function subscribe(
  hub: HubState,
  principal: Principal,
  afterId: number | null,
  onMessage: (message: HubMessage) => void,
): Promise<Subscription> {
  if (afterId !== null && (!Number.isSafeInteger(afterId) || afterId < 0)) {
    throw new RangeError(`afterId must be a non-negative integer, got ${afterId}`);
  }
  if (hub.closed) throw new Error('the event hub is closed');
  await start(hub);
  return serial(hub, async () => {
    if (hub.closed) throw new Error('the event hub is closed');
    const sub: Subscriber = { principal, onMessage, cursor: hub.lastSeen };
    if (afterId !== null) {
      // The client may have seen newer events through another replica than this hub has read.
      if (afterId > hub.lastSeen) await catchUp(hub);
      if (afterId > hub.lastSeen) {
        onMessage({ kind: 'resync', reason: 'unknown-last-event-id' });
      } else if (afterId < hub.lastSeen) {
        const rows = await replayRows(hub, principal, afterId);
        if (rows.length > hub.replayLimit) {
          rows.shift();
          onMessage({ kind: 'resync', reason: 'replay-truncated' });
        }
        for (const event of rows) onMessage({ kind: 'event', event });
      }
      sub.cursor = hub.lastSeen;
    }
    hub.subscribers.add(sub);
    return {
      close() {
        hub.subscribers.delete(sub);
      },
    };
  });
}

async function close(hub: HubState): Promise<void> {
  if (hub.closed) return;
  hub.closed = true;
  if (hub.pollTimer) clearInterval(hub.pollTimer);
  hub.pollTimer = null;
  await hub.ready?.catch(() => undefined);
  await hub.waking;
  await hub.chain;
  await hub.unlisten?.();
  hub.unlisten = null;
  const subs = [...hub.subscribers];
  hub.subscribers.clear();
  for (const sub of subs) deliver(hub, sub, { kind: 'closed' });
}
