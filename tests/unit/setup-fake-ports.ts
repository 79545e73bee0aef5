/**
 * Unit-test setup (vitest.config.ts `setupFiles`): WXT's fake browser has no `runtime.onConnect`
 * (its addListener throws "not implemented"), and the background listens for live ports there.
 * This gives it a triggerable event, emptied before each test like the fake's own events, and
 * `fakePort()` builds the port a page or content script would connect with.
 */
import { beforeEach, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';

type Listener = (...args: never[]) => unknown;

export interface FakeEvent<L extends Listener> {
  addListener(fn: L): void;
  removeListener(fn: L): void;
  hasListener(fn: L): boolean;
  hasListeners(): boolean;
  removeAllListeners(): void;
  trigger(...args: Parameters<L>): void;
}

export function fakeEvent<L extends Listener>(): FakeEvent<L> {
  const listeners: L[] = [];
  return {
    addListener: (fn) => void listeners.push(fn),
    removeListener: (fn) => {
      const i = listeners.indexOf(fn);
      if (i >= 0) listeners.splice(i, 1);
    },
    hasListener: (fn) => listeners.includes(fn),
    hasListeners: () => listeners.length > 0,
    removeAllListeners: () => void listeners.splice(0),
    trigger: (...args) => {
      for (const fn of [...listeners]) fn(...args);
    },
  };
}

export interface FakePort {
  name: string;
  sender?: { id?: string; url?: string; frameId?: number; tab?: { id?: number; url?: string } };
  postMessage: ReturnType<typeof vi.fn>;
  disconnect: ReturnType<typeof vi.fn>;
  onMessage: FakeEvent<(message: unknown) => void>;
  onDisconnect: FakeEvent<() => void>;
}

/** A port as the background receives it in `runtime.onConnect`. */
export function fakePort(name: string, sender: FakePort['sender']): FakePort {
  return {
    name,
    sender,
    postMessage: vi.fn(),
    disconnect: vi.fn(),
    onMessage: fakeEvent(),
    onDisconnect: fakeEvent(),
  };
}

export const onConnect = fakeEvent<(port: FakePort) => void>();
Object.assign(fakeBrowser.runtime, { onConnect });

beforeEach(() => onConnect.removeAllListeners());
