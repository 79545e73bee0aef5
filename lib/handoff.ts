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
}

const KEY = '__unblock';

export function bridge(): UnblockBridge {
  const g = globalThis as unknown as Record<string, UnblockBridge | undefined>;
  return (g[KEY] ??= { queue: [] });
}
