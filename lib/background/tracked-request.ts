/**
 * A request the background follows from filing to landing, as stored in IndexedDB `unblock` /
 * `requests` (lib/background/drafts.ts) so a service-worker restart loses nothing.
 */
import type { RequestProgress } from '../messaging/messages';
import type { PropagationWatch, RequestedAccess } from './propagation';

export type TrackedPhase = 'request' | 'grant' | 'reload' | 'done';

/**
 * One request being followed, as stored in IndexedDB `unblock` / `requests`. `target` and
 * `actions` (what was requested) recognise its denial coming back after a reload landing.
 */
export interface TrackedRequest extends RequestedAccess {
  requestId: string;
  /** The draft the banner card knows (progress messages are keyed by it). */
  draftId: string;
  tabId: number;
  frameId: number;
  /** The tab's URL when the user clicked. */
  pageUrl: string;
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
  phase: TrackedPhase;
  grantId: string | null;
  /**
   * Phase `reload` (the denial came back after a reload landing): when the tab reloads again, and
   * which console page (absent: the tab's current one; never a sign-in URL: those are credentials).
   */
  reloadAt?: string;
  reloadUrl?: string;
  /** The last progress reported. */
  last?: RequestProgress;
  /** After a reload landing: how long the grant may take to show (lib/background/propagation.ts). */
  watch?: PropagationWatch;
}

export interface TrackedStore {
  put(record: TrackedRequest): Promise<void>;
  list(): Promise<TrackedRequest[]>;
  delete(requestId: string): Promise<void>;
}

/** The tab and frame the request was made from (its banner card gets the progress). */
export interface Where {
  tabId: number;
  frameId: number;
  pageUrl: string;
}
