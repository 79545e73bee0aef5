/**
 * Landing when access has really propagated. Azure and GCP apply a grant to their consoles some
 * time after it became active (ARM's cache of role assignments, IAM's eventual consistency:
 * docs/cloud-mechanics.md §2.5, §3.5), and how long varies from seconds to minutes. So the denied
 * tab reloads at once, and the request's record keeps a `PropagationWatch`. When the banner shows
 * the same denial again in that tab (`denial-seen`, lib/messaging/messages.ts), the decision here
 * says what to do:
 *
 * - the denial came with the page's load (within `SETTLE_MS` of it): reload again after a back-off
 *   (`RETRY_FIRST_MS`, doubling, at most `RETRY_MAX_MS`, never past the limit);
 * - it came later, after something the user did: no reload (it would lose what they were doing),
 *   only say that access is still propagating;
 * - the cloud's documented limit (`maxMs` after the grant became active) has passed: say so, and
 *   what to do (the broker's `advice`).
 *
 * A page that shows no denial within the settle window after it loaded simply works: nothing is
 * sent, nothing retried. Pure: no browser API, times in epoch milliseconds.
 */
import { CLOUD_FACTS } from '../clouds';
import type { Cloud } from '../contract/denial';
import type { Propagation } from '../extension/landing';

/** A denial showing this long after its page started loading came from the user, not the load. */
export const SETTLE_MS = 20_000;
/** The first wait before reloading a page that is still denied. */
export const RETRY_FIRST_MS = 2_000;
/** The longest wait between two reloads. */
export const RETRY_MAX_MS = 30_000;

/** A reload landing's propagation, kept with the request's record (lib/background/tracked-request.ts). */
export interface PropagationWatch extends Propagation {
  /** When the grant was found active and the tab reloaded into it (ISO 8601). */
  activeAt: string;
  /** Reloads made since, because the denial came back. */
  retries: number;
  /** The limit passed and the user was told. */
  gaveUp?: boolean;
}

/** A denial the banner shows (from `denial-seen`). */
export interface SeenDenial {
  cloud: Cloud;
  account: string | null;
  actions: readonly string[];
  /** How long after its document started loading the denial showed. */
  sinceLoadMs: number;
}

/** What was requested, to recognise its denial coming back. */
export interface RequestedAccess {
  target?: { cloud: Cloud; account: string | null };
  actions?: readonly string[];
}

export type AfterDenial =
  /** Reload the tab in `inMs`. */
  | { kind: 'retry'; inMs: number }
  /** Still propagating; the user acts again (no reload). */
  | { kind: 'wait' }
  /** Past the limit: tell the user what to do. */
  | { kind: 'give-up' };

/** The wait before the next reload after `retries` reloads: 2 s, 4 s, 8 s, 16 s, then 30 s. */
export function retryDelay(retries: number): number {
  return Math.min(RETRY_FIRST_MS * 2 ** Math.min(retries, 16), RETRY_MAX_MS);
}

const limitOf = (watch: PropagationWatch): number => Date.parse(watch.activeAt) + watch.maxMs;

/**
 * Whether the watch still claims a denial seen at `now`: up to the limit, and one settle window
 * beyond it, for the denial of the last reload (made at the limit).
 */
export function isWatching(watch: PropagationWatch, now: number): boolean {
  return watch.maxMs > 0 && now < limitOf(watch) + SETTLE_MS;
}

/** What to do about the request's denial seen again at `now`. */
export function afterDenial(watch: PropagationWatch, now: number, sinceLoadMs: number): AfterDenial {
  const limit = limitOf(watch);
  if (watch.gaveUp || now >= limit) return { kind: 'give-up' };
  if (sinceLoadMs > SETTLE_MS) return { kind: 'wait' };
  // The last reload comes at the limit itself, so the last look is at the limit.
  return { kind: 'retry', inMs: Math.max(0, Math.min(retryDelay(watch.retries), limit - now)) };
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Whether a denial is the one this request was for: the same cloud and account (when both are
 * known), and one of the requested actions among those denied (or none named: a console that
 * does not say, e.g. a portal blade the viewer may not see).
 */
export function isSameDenial(requested: RequestedAccess, seen: SeenDenial): boolean {
  const { target, actions } = requested;
  if (!target || !actions || target.cloud !== seen.cloud) return false;
  if (target.account && seen.account && !same(target.account, seen.account)) return false;
  return seen.actions.length === 0 || seen.actions.some((a) => actions.some((b) => same(a, b)));
}

/** "2 minutes", "45 seconds": a duration as the banner says it. */
export function spokenDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes >= 1) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const seconds = Math.max(1, Math.round(ms / 1000));
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/** What the banner says about `decision` (the request's progress message). */
export function propagationText(cloud: Cloud, watch: PropagationWatch, decision: AfterDenial): string {
  const label = CLOUD_FACTS[cloud].label;
  const usually = `usually within ${spokenDuration(watch.expectedMs)}, at most ${spokenDuration(watch.maxMs)}`;
  switch (decision.kind) {
    case 'retry':
      return `Access is propagating: ${label} has granted it, but this page is still denied (${usually}). Reloading in ${Math.max(1, Math.round(decision.inMs / 1000))} s.`;
    case 'wait':
      return `Access is propagating: ${label} has granted it, but not everywhere yet (${usually}). Try again in a moment.`;
    case 'give-up':
      return `${label} has still not applied the grant after ${spokenDuration(watch.maxMs)}. ${watch.advice}`.trim();
  }
}
