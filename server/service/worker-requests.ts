/**
 * The worker's pass over pending requests: reminders and escalation when they are due
 * (server/domain/follow-up.ts), expiry when nobody decided in time (server/domain/request.ts).
 *
 * Each step is one compare-and-set save with its audit rows and events, tried once: with several
 * replicas both may find the same request due, and the one whose save lands second finds the
 * version moved and does nothing, so a reminder is sent once. A lost race with a person deciding
 * the request is just as harmless: the step no longer applies after the reload.
 */
import { expirePending, followUpPending, type AccessRequest, type Result } from '../domain';
import { storedOrConflict, withCompareAndSet } from '../store/compare-and-set';
import {
  getRequest,
  listDueFollowUpRequestIds,
  listOverduePendingRequestIds,
  saveRequest,
} from '../store/requests';
import { requestAudience } from '../store/transitions';
import { recordEvents } from './transition';
import type { StepDeps } from './worker-steps';

/** Requests looked at per kind and pass; the rest wait for the next pass. */
const BATCH = 100;

async function stepRequest(
  ctx: StepDeps,
  id: string,
  step: (r: AccessRequest) => Result<AccessRequest>,
): Promise<void> {
  await withCompareAndSet(
    ctx.db,
    async (tx) => {
      const r = await getRequest(tx, id);
      if (!r) return;
      const next = step(r);
      if (!next.ok) return;
      storedOrConflict(await saveRequest(tx, next.value, r.version));
      // The audience of the request as it is now: an escalation's events reach the new group too.
      await recordEvents(
        tx,
        ctx.onTransition,
        { events: next.events, audience: requestAudience(next.value) },
        { request: next.value, grant: null },
      );
    },
    { attempts: 1, onExhausted: () => undefined },
  );
}

/** Reminds and escalates the pending requests due at `at`, then expires the overdue ones. */
export async function followUpAndExpireRequests(ctx: StepDeps, at: Date): Promise<void> {
  for (const id of await listDueFollowUpRequestIds(ctx.db, at, BATCH)) {
    await stepRequest(ctx, id, (r) => followUpPending(r, at));
  }
  for (const id of await listOverduePendingRequestIds(ctx.db, at, BATCH)) {
    await stepRequest(ctx, id, (r) => expirePending(r, at));
  }
}
