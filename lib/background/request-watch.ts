/**
 * A denial the banner shows again in a tab the request flow has just reloaded into a grant: the
 * grant has not reached the console yet. Finds the request it belongs to and records what
 * lib/background/propagation.ts decides (reload again later, wait for the user, or give up and
 * say what to do), reporting it as the request's progress. The flow (request-flow.ts) runs the
 * reload when it is due, as a `reload` step.
 */
import { PROGRESS_TEXT_MAX, type RequestProgress } from '../messaging/messages';
import { afterDenial, isSameDenial, isWatching, propagationText, type SeenDenial } from './propagation';
import { isoAt, report, type StepContext } from './request-steps';
import type { TrackedRequest } from './tracked-request';

/** The request a denial seen in a tab belongs to, and how it is doing (the banner's card adopts it). */
export interface Adopted {
  draftId: string;
  progress: RequestProgress;
}

/** The watched request of that tab whose denial this is (the latest grant first), if any. */
export function watchedRequest(
  records: readonly TrackedRequest[],
  tabId: number,
  seen: SeenDenial,
  now: number,
): TrackedRequest | undefined {
  return records
    .filter((r) => r.tabId === tabId && r.watch && isWatching(r.watch, now) && isSameDenial(r, seen))
    .sort((a, b) => Date.parse(b.watch!.activeAt) - Date.parse(a.watch!.activeAt))[0];
}

/**
 * Records what to do about the request's denial seen again (reported to `frameId`, where the
 * card that saw it is); `retry`: a reload is now due at `rec.reloadAt` (phase `reload`).
 */
export async function onDenialAgain(
  ctx: StepContext,
  rec: TrackedRequest,
  frameId: number,
  seen: SeenDenial,
): Promise<{ adopted: Adopted; retry: boolean }> {
  const watch = rec.watch!;
  const cloud = rec.target!.cloud;
  // A reload is already due (another card of the same page): nothing new to decide.
  if (rec.phase === 'reload' && rec.last) {
    return { adopted: { draftId: rec.draftId, progress: rec.last }, retry: false };
  }
  const now = ctx.now();
  const decision = afterDenial(watch, now, seen.sinceLoadMs);
  const message = propagationText(cloud, watch, decision).slice(0, PROGRESS_TEXT_MAX);
  let progress: RequestProgress;
  rec.frameId = frameId;
  if (decision.kind === 'give-up') {
    watch.gaveUp = true;
    progress = { status: 'not-propagated', requestId: rec.requestId, message };
  } else if (decision.kind === 'wait') {
    progress = { status: 'propagating', requestId: rec.requestId, message, retryAt: null };
  } else {
    watch.retries += 1;
    rec.phase = 'reload';
    rec.reloadAt = isoAt(now + decision.inMs);
    delete rec.reloadUrl;
    progress = { status: 'propagating', requestId: rec.requestId, message, retryAt: rec.reloadAt };
  }
  // Stored (and sent to the card) even when the same words were reported before.
  if (!(await report(ctx, rec, progress))) await ctx.deps.store.put(rec);
  return { adopted: { draftId: rec.draftId, progress }, retry: decision.kind === 'retry' };
}
