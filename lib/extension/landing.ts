/**
 * Landing on the extension side: what a grant's landing (`POST /grants/{id}/landing`) asks of a
 * tab, checked before anything is opened. The background's request flow applies it to the denied
 * tab (lib/background/request-steps.ts); the popup's "Open console" opens it in a new tab
 * (components/popup/GrantItem.tsx).
 */
import type { LandingView } from '../contract/api';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Where the broker may send the tab: https, or plain http on this machine's loopback (the demo's
 * simulated federation sign-in). Never `javascript:`, `data:`, `file:` or an extension page.
 */
export function isLandingUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname));
  } catch {
    return false;
  }
}

/** How long a reload landing's grant may take to show on the console (the broker's figures). */
export interface Propagation {
  expectedMs: number;
  maxMs: number;
  advice: string;
}

/** What to do with a landing, its URL checked with isLandingUrl. */
export type LandingStep =
  /** Open the one-time sign-in URL (a credential: never stored, never shown). */
  | { kind: 'sign-in'; url: string }
  /**
   * Load this console page now. The grant typically shows there after `expectedMs`, at most
   * `maxMs` (0: at once); `advice` says what to do past that (lib/background/propagation.ts).
   */
  | { kind: 'load'; url: string; message: string; propagation: Propagation }
  /** The broker sent something no tab may be sent to. */
  | { kind: 'unusable'; reason: string };

export interface LandingPage {
  /** The console page to load when the broker names none. */
  page: string;
  /**
   * Load `page` also when the broker names an unusable one (a new tab has nothing to lose); without
   * it that is `unusable` (the request flow does not send the user's own tab somewhere else).
   */
  pageWhenUnusable?: boolean;
}

export function landingStep(landing: LandingView, where: LandingPage): LandingStep {
  if (landing.kind === 'url') {
    return isLandingUrl(landing.url)
      ? { kind: 'sign-in', url: landing.url }
      : { kind: 'unusable', reason: 'The broker sent an unusable sign-in link' };
  }
  const named = landing.url ?? where.page;
  const url = where.pageWhenUnusable && !isLandingUrl(named) ? where.page : named;
  if (!isLandingUrl(url)) return { kind: 'unusable', reason: 'The broker sent an unusable page to reload' };
  const { expectedMs, maxMs, advice } = landing;
  return { kind: 'load', url, message: landing.message, propagation: { expectedMs, maxMs, advice } };
}

/** The tab calls loading a page needs (browser.tabs in the background). */
export interface TabLoader {
  navigate(tabId: number, url: string): Promise<void>;
  reload(tabId: number): Promise<void>;
}

/** Same URL: reload (a same-URL update with a fragment would not reload); else navigate. */
export async function loadInTab(tabs: TabLoader, tabId: number, url: string, current: string): Promise<void> {
  if (url === current) await tabs.reload(tabId);
  else await tabs.navigate(tabId, url);
}
