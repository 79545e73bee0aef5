/**
 * The broker's event stream (`GET /api/v1/events`, Server-Sent Events) through fetch streaming,
 * so the token goes in `Authorization`, never in a URL. Events are validated against the shared
 * contract; anything else on the stream is skipped.
 */
import { EventView } from '../contract/api';
import { API_PREFIX, authorization, type BrokerConnection } from './broker-call';
import { refusal, unreachable } from './broker-error';

export interface EventStreamOptions {
  /** Resume after this event id (`Last-Event-ID`); events missed meanwhile are replayed. */
  lastEventId?: string | null;
  signal?: AbortSignal;
  /** The stream is open (the broker answered 200). */
  onOpen?: () => void;
  onEvent: (event: EventView) => void;
  /** Some events could not be replayed: reload the lists. */
  onResync?: () => void;
}

/** Longest SSE line or event kept (a broker event is a few hundred bytes). */
const SSE_MAX_BUFFER = 64 * 1024;

/**
 * Splits a Server-Sent Events byte stream into events (id, event, data); comments and `retry:`
 * are ignored. Returns a function to feed decoded text chunks.
 */
export function sseParser(
  dispatch: (message: { id: string | null; event: string; data: string }) => void,
): (chunk: string) => void {
  let buffer = '';
  let id: string | null = null;
  let event = '';
  let data: string[] = [];
  return (chunk) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? nl + 2 : nl + 1);
      if (line === '') {
        if (data.length) dispatch({ id, event: event || 'message', data: data.join('\n') });
        id = null;
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (buffer.length > SSE_MAX_BUFFER) buffer = '';
  };
}

/** Resolves when the stream ends (or is aborted), rejects with a `BrokerError` when it cannot start. */
export async function streamBrokerEvents(conn: BrokerConnection, opts: EventStreamOptions): Promise<void> {
  const headers: Record<string, string> = {
    Accept: 'text/event-stream',
    Authorization: await authorization(conn),
  };
  if (opts.lastEventId) headers['Last-Event-ID'] = opts.lastEventId;
  let response: Response;
  try {
    response = await conn.doFetch(`${conn.baseUrl}${API_PREFIX}/events`, {
      method: 'GET',
      headers,
      redirect: 'error',
      credentials: 'omit',
      cache: 'no-store',
      signal: opts.signal,
    });
  } catch (e) {
    throw unreachable(e, false);
  }
  if (!response.ok || !response.body) {
    throw refusal(response.status, await response.json().catch(() => undefined));
  }
  opts.onOpen?.();
  const feed = sseParser((m) => {
    if (m.event === 'resync') {
      opts.onResync?.();
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(m.data);
    } catch {
      return;
    }
    const parsed = EventView.safeParse(json);
    if (parsed.success) opts.onEvent(parsed.data);
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      feed(value);
    }
  } catch (e) {
    if (opts.signal?.aborted) return;
    throw unreachable(e, false);
  } finally {
    reader.releaseLock();
  }
}
