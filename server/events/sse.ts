/**
 * `GET /api/v1/events`: the event hub's messages as Server-Sent Events.
 *
 * Wire format (https://html.spec.whatwg.org/multipage/server-sent-events.html):
 *   retry: 3000                       once, first: how long EventSource waits before reconnecting
 *   id: 42                            per event; the client sends it back as Last-Event-ID
 *   event: grant.active               the EventType
 *   data: {"id":"42",...}             an EventView (lib/contract/api.ts) as one line of JSON,
 *                                     with `audit` {seq, hash}: the audit row it was recorded as
 *   event: resync                     no id (Last-Event-ID stays put): events may have been
 *   data: {"reason":"replay-truncated"}   skipped; reload state through the REST API
 *   : keep-alive                      a comment every 15 s, so proxies keep the connection open
 *
 * Every line is built from an integer, a validated EventType, fixed names, or JSON.stringify
 * output (which escapes CR and LF): no stored text can end a line and forge a field or an event.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../auth/principal';
import { EventView } from '../../lib/contract/api';
import type { EventHub, HubMessage, StoredEvent, Subscription } from './hub';

export const DEFAULT_HEARTBEAT_MS = 15_000;
export const RETRY_MS = 3_000;
/** A client this far behind (unsent bytes) is dropped; it reconnects and replays from its Last-Event-ID. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

export interface ServeEventsOptions {
  heartbeatMs?: number;
  maxBufferedBytes?: number;
  /** Events that cannot be shown (a row no EventView can describe) and subscribe failures. */
  onError?: (error: unknown) => void;
}

/** At most 15 digits: a safe integer, and far beyond any id the sequence will reach. */
const EVENT_ID = /^\d{1,15}$/;

/**
 * The client's Last-Event-ID: the header (EventSource sends it on reconnect), else the
 * `lastEventId` query parameter (polyfills that cannot set headers). Anything but digits is
 * ignored, as if absent: a stale or mangled id should cost a replay, not an error.
 */
export function lastEventIdOf(req: IncomingMessage): number | null {
  const header = req.headers['last-event-id'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  let raw = fromHeader?.trim();
  if (raw === undefined || raw === '') {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams.get('lastEventId');
    raw = query?.trim();
  }
  return raw !== undefined && EVENT_ID.test(raw) ? Number(raw) : null;
}

/** The public view of a stored event, or null when the row does not make a valid EventView. */
export function toEventView(event: StoredEvent): EventView | null {
  const p = event.payload as Partial<StoredEvent['payload']> | null;
  const view = {
    id: String(event.id),
    type: event.type,
    at: typeof p?.at === 'string' ? p.at : event.at.toISOString(),
    ...(typeof p?.requestId === 'string' ? { requestId: p.requestId } : {}),
    ...(typeof p?.grantId === 'string' ? { grantId: p.grantId } : {}),
    // The audit chain's head as of this event, so every follower holds copies of it (events
    // recorded before the hash was kept have none).
    ...(typeof p?.auditSeq === 'number' && typeof p.auditHash === 'string'
      ? { audit: { seq: p.auditSeq, hash: p.auditHash } }
      : {}),
  };
  const parsed = EventView.safeParse(view);
  return parsed.success ? parsed.data : null;
}

/** One hub message as SSE text; null for messages that are not shown. */
export function formatMessage(
  message: HubMessage,
  onError: (e: unknown) => void = () => undefined,
): string | null {
  switch (message.kind) {
    case 'event': {
      const view = toEventView(message.event);
      if (!view) {
        // Skipping keeps the stream going; the id is not sent, so a reconnect may replay it (and
        // skip it) again, which is harmless.
        onError(new Error(`event ${message.event.id} is not a valid EventView; not sent`));
        return null;
      }
      // view.type passed the EventType enum (no spaces, no line breaks) and view.id is digits.
      return `id: ${view.id}\nevent: ${view.type}\ndata: ${JSON.stringify(view)}\n\n`;
    }
    case 'resync':
      return `event: resync\ndata: ${JSON.stringify({ reason: message.reason })}\n\n`;
    case 'closed':
      return null;
  }
}

/**
 * Streams the hub's messages for `principal` until the client disconnects or the hub closes.
 * Resolves when the stream has ended. Answers 500 `internal` (before any stream starts) when the
 * hub cannot subscribe, e.g. the store is unreachable; EventSource treats that as fatal, so
 * clients must reconnect on their own schedule then.
 */
export async function serveEvents(
  req: IncomingMessage,
  res: ServerResponse,
  principal: Principal,
  hub: EventHub,
  options: ServeEventsOptions = {},
): Promise<void> {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const onError =
    options.onError ??
    ((e: unknown) => {
      console.error(`events: ${e instanceof Error ? e.message : String(e)}`);
    });
  const afterId = lastEventIdOf(req);

  let ended = false;
  let subscription: Subscription | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  function cleanUp(): void {
    if (ended) return;
    ended = true;
    if (heartbeat) clearInterval(heartbeat);
    subscription?.close();
    resolveDone();
  }
  // The response's 'close' (not the request's, which also fires once a GET's empty body is read)
  // means the connection is gone or the response ended.
  res.on('close', cleanUp);

  // Replayed messages arrive while subscribe() is still running: hold them until the headers go.
  let pending: string[] | null = [];
  function write(text: string): void {
    if (ended) return;
    if (pending) {
      pending.push(text);
      return;
    }
    res.write(text);
    // A client that stopped reading would make us buffer without bound.
    if (res.writableLength > maxBuffered) {
      onError(
        new Error(
          `dropping an event stream ${res.writableLength} bytes behind; it will reconnect and replay`,
        ),
      );
      cleanUp();
      res.destroy();
    }
  }
  function onMessage(message: HubMessage): void {
    if (message.kind === 'closed') {
      cleanUp();
      res.end();
      return;
    }
    const text = formatMessage(message, onError);
    if (text !== null) write(text);
  }

  try {
    subscription = await hub.subscribe(principal, afterId, onMessage);
  } catch (e) {
    onError(e);
    if (!ended && !res.headersSent) {
      // 500 because that is the contract's status for `internal` (ERROR_STATUS).
      res.writeHead(500, {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
        'Retry-After': '3',
      });
      res.end(
        JSON.stringify({
          error: { code: 'internal', message: 'the event stream is unavailable; retry shortly' },
        }),
      );
    }
    cleanUp();
    return done;
  }
  if (ended) {
    // The client left (or the hub closed) while we were subscribing.
    subscription.close();
    return done;
  }
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-store',
    // nginx buffers proxied responses by default, which would hold events back.
    'X-Accel-Buffering': 'no',
  });
  const replayed = pending;
  pending = null;
  write(`retry: ${RETRY_MS}\n\n`);
  for (const text of replayed) write(text);
  heartbeat = setInterval(() => write(': keep-alive\n\n'), heartbeatMs);
  return done;
}
