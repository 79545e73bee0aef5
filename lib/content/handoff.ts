/**
 * The hand-off between the always-injected content core and the lazily injected banner chunk.
 * Both run in the extension's isolated world of the same frame, so a global there is shared by
 * the two and invisible to page scripts (they live in the main world).
 */
import type { PageContext } from './page-context/types';

/** A rectangle in viewport coordinates (where the denial text is on screen). */
export interface AnchorRect {
  top: number;
  left: number;
  right: number;
  bottom: number;
}

export interface CandidateBatch {
  /** Texts that passed the keyword prefilter, each at most TEXT_CAP characters. */
  texts: string[];
  /**
   * Per text, the node it came from (`12`; `f3:12` from the console frame with frameId 3): a newer
   * text of the same node replaces the card its older text made (text streamed in pieces).
   */
  sources?: string[];
  context: PageContext;
  pageUrl: string;
  /**
   * The elements the texts came from, so the banner can avoid covering them. Measured only when a
   * card is actually placed: measuring forces a layout, which is slow on big console pages.
   */
  nodes: Element[];
}

export interface UnblockBridge {
  queue: CandidateBatch[];
  /** Set by the banner chunk once loaded; the core then delivers directly. */
  deliver?: (batch: CandidateBatch) => void;
  /** The core has asked the background to inject the chunk. */
  uiRequested?: boolean;
  /** Removes the chunk's banner; set by the chunk. */
  teardown?: () => void;
}

/**
 * Forget a chunk left behind by a previous instance of the extension (updated or reloaded while
 * the page stayed open): its messaging is dead, so its cards could never send a request.
 */
export function resetBridge(b = bridge()): void {
  b.teardown?.();
  b.deliver = undefined;
  b.teardown = undefined;
  b.uiRequested = false;
  b.queue.length = 0;
}

const KEY = '__unblock';

export function bridge(): UnblockBridge {
  const g = globalThis as unknown as Record<string, UnblockBridge | undefined>;
  return (g[KEY] ??= { queue: [] });
}

/** Batches kept while the chunk loads; older ones are dropped if it never does (bounded memory). */
export const QUEUE_MAX = 20;

/**
 * Give a batch to the banner chunk, or queue it and ask (once) for the chunk to be injected.
 * `requestUi` resolves true when the background accepted; on failure the next batch asks again.
 */
export function handOff(batch: CandidateBatch, requestUi: () => Promise<boolean>, b = bridge()): void {
  if (b.deliver) return b.deliver(batch);
  b.queue.push(batch);
  if (b.queue.length > QUEUE_MAX) b.queue.splice(0, b.queue.length - QUEUE_MAX);
  if (b.uiRequested) return;
  b.uiRequested = true;
  requestUi().then(
    (ok) => {
      if (!ok) b.uiRequested = false;
    },
    () => {
      b.uiRequested = false; // extension reloaded or background unreachable: retry on the next hit
    },
  );
}
