import { describe, expect, it, vi } from 'vitest';
import { BrokerError } from '../../lib/extension/broker-error';
import type { EventStreamOptions } from '../../lib/extension/broker-events';
import type { EventView } from '../../lib/contract/api';
import {
  checkPortSender,
  coalesce,
  createLiveEvents,
  RETRY_MAX_MS,
  RETRY_MS,
  type LiveEventsDeps,
} from '../../lib/background/live-events';
import {
  holdLivePort,
  livePortSwitch,
  RECONNECT_MAX_MS,
  RECONNECT_MS,
  type PortLike,
} from '../../lib/messaging/live-port';
import {
  HEARTBEAT_MS,
  isFollowing,
  isHeartbeat,
  LIVE_PORT,
  type RequestProgress,
} from '../../lib/messaging/messages';

/** Lets pending promise callbacks run. */
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending: Array<{ fn: () => void; ms: number }> = [];
  return {
    pending,
    schedule: (fn: () => void, ms: number) => {
      const t = { fn, ms };
      pending.push(t);
      return () => {
        const i = pending.indexOf(t);
        if (i >= 0) pending.splice(i, 1);
      };
    },
    /** Fires every pending timer once; returns their delays. */
    fire() {
      const due = pending.splice(0);
      for (const t of due) t.fn();
      return due.map((t) => t.ms);
    },
  };
}

/** One `open()` call: the test decides when it opens, what it delivers and how it ends. */
interface Stream {
  options: EventStreamOptions;
  end: () => void;
  fail: (e: unknown) => void;
}

function harness() {
  const timers = manualTimers();
  const streams: Stream[] = [];
  const events: EventView[] = [];
  let resyncs = 0;
  const deps: LiveEventsDeps = {
    open: (options) =>
      new Promise<void>((resolve, reject) => {
        streams.push({ options, end: resolve, fail: reject });
        // As the real client does: an abort ends the stream.
        options.signal?.addEventListener('abort', () => resolve());
      }),
    onEvent: (e) => events.push(e),
    onResync: () => resyncs++,
    schedule: timers.schedule,
  };
  const live = createLiveEvents(deps);
  return { live, timers, streams, events, resyncs: () => resyncs, deps };
}

const event = (id: string, requestId = 'req_1'): EventView => ({
  id,
  type: 'request.approved',
  at: '2026-03-02T10:05:00.000Z',
  requestId,
});

describe('live events', () => {
  it('opens one stream for the first holder, keeps it for the second, aborts it when the last leaves', async () => {
    const h = harness();
    expect(h.streams).toHaveLength(0);
    expect(h.live.state).toBe('idle');
    const a = h.live.hold();
    const b = h.live.hold();
    await flush();
    expect(h.streams).toHaveLength(1);
    expect(h.live.holders).toBe(2);
    const signal = h.streams[0]!.options.signal!;
    a();
    a(); // releasing twice counts once
    expect(h.live.holders).toBe(1);
    expect(signal.aborted).toBe(false);
    b();
    expect(h.live.holders).toBe(0);
    expect(signal.aborted).toBe(true);
    await flush();
    expect(h.live.state).toBe('idle');
    // Ending after an abort schedules nothing.
    expect(h.timers.pending).toEqual([]);
    expect(h.streams).toHaveLength(1);
  });

  it('passes events on, resumes after the last event id, and resyncs only when there is nothing to resume', async () => {
    const h = harness();
    const release = h.live.hold();
    await flush();
    const first = h.streams[0]!;
    expect(first.options.lastEventId).toBeNull();
    first.options.onOpen!();
    expect(h.live.state).toBe('open');
    // A fresh stream: what happened before it is unknown, so listeners catch up.
    expect(h.resyncs()).toBe(1);
    first.options.onEvent(event('41'));
    first.options.onEvent(event('42', 'req_2'));
    expect(h.events.map((e) => e.id)).toEqual(['41', '42']);
    first.options.onResync!();
    expect(h.resyncs()).toBe(2);

    // The stream drops: opened again after RETRY_MS, from event 42, without a resync.
    first.end();
    await flush();
    expect(h.live.state).toBe('retrying');
    expect(h.timers.fire()).toEqual([RETRY_MS]);
    await flush();
    expect(h.streams).toHaveLength(2);
    expect(h.streams[1]!.options.lastEventId).toBe('42');
    h.streams[1]!.options.onOpen!();
    expect(h.resyncs()).toBe(2);

    // The stream of a run that was released is not listened to any more.
    release();
    h.streams[1]!.options.onEvent(event('43'));
    h.streams[1]!.options.onResync!();
    expect(h.events.map((e) => e.id)).toEqual(['41', '42']);
    expect(h.resyncs()).toBe(2);

    // A later holder resumes from where the last one left.
    h.live.hold();
    await flush();
    expect(h.streams[2]!.options.lastEventId).toBe('42');
  });

  it('backs off while the broker fails (doubling to RETRY_MAX_MS), and from RETRY_MS again once a stream opens', async () => {
    const h = harness();
    h.live.hold();
    await flush();
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      h.streams.at(-1)!.fail(new BrokerError('unreachable', 'down'));
      await flush();
      delays.push(...h.timers.fire());
      await flush();
    }
    expect(delays.slice(0, 4)).toEqual([RETRY_MS, 2 * RETRY_MS, 4 * RETRY_MS, 8 * RETRY_MS]);
    expect(Math.max(...delays)).toBe(RETRY_MAX_MS);
    expect(h.streams).toHaveLength(10);
    h.streams.at(-1)!.options.onOpen!();
    h.streams.at(-1)!.end();
    await flush();
    expect(h.timers.fire()).toEqual([RETRY_MS]);
  });

  it('a release during the back-off cancels the retry', async () => {
    const h = harness();
    const release = h.live.hold();
    await flush();
    h.streams[0]!.fail(new BrokerError('internal', 'oops'));
    await flush();
    expect(h.timers.pending).toHaveLength(1);
    release();
    expect(h.timers.pending).toHaveLength(0);
    expect(h.live.state).toBe('idle');
  });

  it('stops retrying when the broker says not signed in, until a new holder comes', async () => {
    for (const code of ['not_signed_in', 'unauthorized'] as const) {
      const h = harness();
      h.live.hold();
      await flush();
      h.streams[0]!.fail(new BrokerError(code, 'no'));
      await flush();
      expect(h.live.state).toBe('signed-out');
      expect(h.timers.pending).toEqual([]);
      // The user may have signed in meanwhile: a new holder tries again.
      h.live.hold();
      await flush();
      expect(h.streams).toHaveLength(2);
      expect(h.live.holders).toBe(2);
    }
  });

  it('restart() drops the stream and its position and opens a fresh one while held', async () => {
    const h = harness();
    h.live.restart(); // nobody holds: nothing opens
    await flush();
    expect(h.streams).toHaveLength(0);
    h.live.hold();
    await flush();
    h.streams[0]!.options.onOpen!();
    h.streams[0]!.options.onEvent(event('7'));
    h.live.restart();
    expect(h.streams[0]!.options.signal!.aborted).toBe(true);
    await flush();
    expect(h.streams).toHaveLength(2);
    expect(h.streams[1]!.options.lastEventId).toBeNull();
    // The stale stream's end does not schedule a retry.
    expect(h.timers.pending).toEqual([]);
  });

  it('a listener that throws does not end the stream', async () => {
    const h = harness();
    const onEvent = vi.fn(() => {
      throw new Error('listener bug');
    });
    const live = createLiveEvents({ ...h.deps, onEvent });
    live.hold();
    await flush();
    expect(() => h.streams[0]!.options.onEvent(event('1'))).not.toThrow();
    expect(() => h.streams[0]!.options.onEvent(event('2'))).not.toThrow();
    expect(onEvent).toHaveBeenCalledTimes(2);
    expect(h.streams[0]!.options.signal!.aborted).toBe(false);
  });
});

describe('who may hold the live port', () => {
  const ID = 'ext-id';
  const ROOT = 'chrome-extension://ext-id/';
  const CONSOLE = 'https://portal.azure.com/#view/Microsoft_Azure_Compute/VirtualMachine';

  it('our own pages, in a tab or not, and our content script on a console tab', () => {
    expect(checkPortSender({ id: ID, url: `${ROOT}popup.html` }, ID, ROOT)).toBeUndefined();
    expect(checkPortSender({ id: ID, url: `${ROOT}sidepanel.html` }, ID, ROOT)).toBeUndefined();
    expect(
      checkPortSender(
        { id: ID, url: `${ROOT}options.html`, tab: { id: 3, url: `${ROOT}options.html` } },
        ID,
        ROOT,
      ),
    ).toBeUndefined();
    expect(
      checkPortSender({ id: ID, url: CONSOLE, frameId: 0, tab: { id: 5, url: CONSOLE } }, ID, ROOT),
    ).toBeUndefined();
  });

  it('nobody else', () => {
    expect(checkPortSender(undefined, ID, ROOT)).toMatch(/not this extension/);
    expect(checkPortSender({ id: 'other', url: `${ROOT}popup.html` }, ID, ROOT)).toMatch(
      /not this extension/,
    );
    expect(
      checkPortSender(
        { id: ID, url: 'https://evil.example/', tab: { id: 5, url: 'https://evil.example/' } },
        ID,
        ROOT,
      ),
    ).toMatch(/not a console page/);
    // A content script with no tab, or another extension's page URL.
    expect(checkPortSender({ id: ID, url: CONSOLE }, ID, ROOT)).toMatch(/not a tab/);
    expect(checkPortSender({ id: ID, url: 'chrome-extension://other-id/popup.html' }, ID, ROOT)).toMatch(
      /not a tab/,
    );
  });
});

describe('live port messages', () => {
  it('accepts exactly the heartbeat', () => {
    expect(isHeartbeat({ type: 'heartbeat' })).toBe(true);
    for (const bad of [null, 'heartbeat', { type: 'save-draft' }, { type: 'heartbeat', extra: 1 }, []]) {
      expect(isHeartbeat(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('a card follows its request until it is denied or failed', () => {
    const following: RequestProgress[] = [
      { status: 'submitted', requestId: 'r' },
      {
        status: 'waiting-approval',
        requestId: 'r',
        advice: [],
        requiredApprovals: 1,
        approvals: 0,
        approvers: [],
      },
      { status: 'provisioning', requestId: 'r', retrying: false },
      { status: 'active', requestId: 'r', expiresAt: '2026-03-02T10:31:00.000Z' },
      { status: 'landing', requestId: 'r', message: 'Reloading' },
    ];
    for (const p of following) expect(isFollowing(p), p.status).toBe(true);
    expect(isFollowing({ status: 'denied', requestId: 'r', comment: null, advice: [] })).toBe(false);
    expect(isFollowing({ status: 'failed', requestId: null, reason: 'x' })).toBe(false);
  });
});

describe('coalesce', () => {
  it('runs once for a burst, and once more when asked while running', async () => {
    const timers = manualTimers();
    let finish: () => void = () => undefined;
    const fn = vi.fn(() => new Promise<void>((r) => (finish = r)));
    const ask = coalesce(fn, 500, timers.schedule);
    ask();
    ask();
    ask();
    expect(timers.fire()).toEqual([500]);
    await flush();
    expect(fn).toHaveBeenCalledTimes(1);
    ask(); // while running
    ask();
    expect(timers.pending).toEqual([]);
    finish();
    await flush();
    expect(timers.fire()).toEqual([500]);
    await flush();
    expect(fn).toHaveBeenCalledTimes(2);
    finish();
    await flush();
    expect(timers.pending).toEqual([]);
  });

  it('keeps working after a failure', async () => {
    const timers = manualTimers();
    const fn = vi.fn(() => Promise.reject(new Error('broker down')));
    const ask = coalesce(fn, 10, timers.schedule);
    ask();
    timers.fire();
    await flush();
    ask();
    timers.fire();
    await flush();
    expect(fn).toHaveBeenCalledTimes(2);
  });
});

describe('the page side of the live port', () => {
  function fakeConnect() {
    const ports: Array<PortLike & { disconnected: boolean; messages: unknown[]; drop: () => void }> = [];
    const names: string[] = [];
    const connect = (name: string) => {
      names.push(name);
      const listeners: Array<() => void> = [];
      const port = {
        disconnected: false,
        messages: [] as unknown[],
        postMessage(m: unknown) {
          if (port.disconnected) throw new Error('Attempting to use a disconnected port object');
          port.messages.push(m);
        },
        disconnect() {
          port.disconnected = true;
        },
        onDisconnect: { addListener: (fn: () => void) => void listeners.push(fn) },
        /** The other side went away (the worker stopped). */
        drop() {
          port.disconnected = true;
          for (const fn of listeners) fn();
        },
      };
      ports.push(port);
      return port;
    };
    return { ports, names, connect };
  }

  it('connects by name, beats every HEARTBEAT_MS, and disconnects on release', () => {
    const timers = manualTimers();
    const beats: Array<{ fn: () => void; ms: number; stopped: boolean }> = [];
    const every = (fn: () => void, ms: number) => {
      const b = { fn, ms, stopped: false };
      beats.push(b);
      return () => (b.stopped = true);
    };
    const c = fakeConnect();
    const release = holdLivePort({ connect: c.connect, schedule: timers.schedule, every });
    expect(c.names).toEqual([LIVE_PORT]);
    expect(beats.map((b) => b.ms)).toEqual([HEARTBEAT_MS]);
    beats[0]!.fn();
    beats[0]!.fn();
    expect(c.ports[0]!.messages).toEqual([{ type: 'heartbeat' }, { type: 'heartbeat' }]);
    release();
    release();
    expect(c.ports[0]!.disconnected).toBe(true);
    expect(beats[0]!.stopped).toBe(true);
    expect(timers.pending).toEqual([]);
    expect(c.ports).toHaveLength(1);
  });

  it('connects again when the port drops (worker restarted), backing off while it keeps dropping', () => {
    const timers = manualTimers();
    const beats: Array<{ fn: () => void; stopped: boolean }> = [];
    const every = (fn: () => void) => {
      const b = { fn, stopped: false };
      beats.push(b);
      return () => (b.stopped = true);
    };
    const c = fakeConnect();
    const release = holdLivePort({ connect: c.connect, schedule: timers.schedule, every });
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      c.ports.at(-1)!.drop();
      expect(beats.at(-1)!.stopped).toBe(true);
      delays.push(...timers.fire());
    }
    expect(delays.slice(0, 3)).toEqual([RECONNECT_MS, 2 * RECONNECT_MS, 4 * RECONNECT_MS]);
    expect(Math.max(...delays)).toBe(RECONNECT_MAX_MS);
    expect(c.ports).toHaveLength(9);
    // A port that held long enough to beat resets the back-off.
    beats.at(-1)!.fn();
    c.ports.at(-1)!.drop();
    expect(timers.fire()).toEqual([RECONNECT_MS]);
    // A beat on a port that is gone counts as a drop (that one has not beaten: the delay grows).
    c.ports.at(-1)!.disconnected = true;
    beats.at(-1)!.fn();
    expect(timers.pending.map((t) => t.ms)).toEqual([2 * RECONNECT_MS]);
    // Released during the wait: no reconnect.
    release();
    expect(timers.pending).toEqual([]);
    expect(c.ports).toHaveLength(10);
  });

  it('gives up quietly when the extension context is gone', () => {
    const timers = manualTimers();
    const every = vi.fn(() => () => undefined);
    const release = holdLivePort({
      connect: () => {
        throw new Error('Extension context invalidated.');
      },
      schedule: timers.schedule,
      every,
    });
    expect(every).not.toHaveBeenCalled();
    expect(timers.pending).toEqual([]);
    expect(() => release()).not.toThrow();
  });

  it('livePortSwitch holds one port while wanted', () => {
    const release = vi.fn();
    const hold = vi.fn(() => release);
    const sw = livePortSwitch(hold);
    sw.update(false);
    sw.update(true);
    sw.update(true);
    expect(hold).toHaveBeenCalledTimes(1);
    sw.update(false);
    sw.update(false);
    expect(release).toHaveBeenCalledTimes(1);
    sw.update(true);
    expect(hold).toHaveBeenCalledTimes(2);
  });
});
