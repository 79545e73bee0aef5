/**
 * One followed request's steps, each run when its timer fires (lib/background/request-flow.ts
 * keeps the timers): ask the broker about the request, then its grant; report each change to the
 * banner card as a `request-progress` message (statuses and short texts only, never a token or a
 * landing URL); once the grant is active, ask for the landing and apply it to the denied tab
 * (lib/extension/landing.ts says what a landing may do).
 */
import type { AccessRequestView, GrantFailureView, GrantView } from '../contract/api';
import { failureText } from '../grant-failure';
import type { BrokerClient } from '../extension/broker-client';
import { BrokerError } from '../extension/broker-error';
import { reasonOf } from '../extension/broker-reason';
import { landingStep, loadInTab } from '../extension/landing';
import {
  PROGRESS_LIST_MAX,
  PROGRESS_TEXT_MAX,
  type RequestProgress,
  type RequestProgressMessage,
} from '../messaging/messages';
import { isConsoleUrl } from '../clouds';
import type { TrackedRequest, TrackedStore } from './tracked-request';

/** Stop following a request after this long. */
export const MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** What the steps need from the browser and the broker. */
export interface StepDeps {
  /** A client for the configured broker, or null when none is configured. */
  client(): Promise<BrokerClient | null>;
  store: TrackedStore;
  /** Send a progress message to one frame of a tab (a closed tab is not an error). */
  notify(tabId: number, frameId: number, message: RequestProgressMessage): Promise<void>;
  /** The tab's current URL; undefined when the tab is gone or the URL is not ours to read. */
  tabUrl(tabId: number): Promise<string | undefined>;
  navigate(tabId: number, url: string): Promise<void>;
  reload(tabId: number): Promise<void>;
}

export interface StepContext {
  deps: StepDeps;
  now: () => number;
}

/** The request's poll timing, kept with its timer (lib/background/request-flow.ts). */
export interface Pace {
  /** The delay before the next poll: short after a change, growing while nothing changes. */
  poll(changed: boolean): number;
  /** The delay before trying again after a failure worth retrying. */
  retry(): number;
}

/** Milliseconds until the next step, or done. */
export type Next = number | 'done';

const clip = (s: string, max = PROGRESS_TEXT_MAX) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const clipAll = (list: readonly string[]) => list.slice(0, PROGRESS_LIST_MAX).map((s) => clip(s));

function waiting(r: AccessRequestView): RequestProgress {
  return {
    status: 'waiting-approval',
    requestId: r.id,
    advice: clipAll(r.decision.advice),
    requiredApprovals: Math.min(100, Math.max(0, r.decision.requiredApprovals)),
    approvals: Math.min(100, r.approvals.length),
    approvers: clipAll(r.decision.approvers.length > 0 ? r.decision.approvers : r.decision.approverGroups),
  };
}

function denied(r: AccessRequestView): RequestProgress {
  const comment = r.denials.findLast((d) => d.comment)?.comment ?? null;
  return {
    status: 'denied',
    requestId: r.id,
    comment: comment === null ? null : clip(comment),
    // The policies' advice explains a policy refusal; after an approver's it would mislead.
    advice: r.decision.outcome === 'deny' ? clipAll(r.decision.advice) : [],
  };
}

export const failed = (requestId: string | null, reason: string): RequestProgress => ({
  status: 'failed',
  requestId,
  reason: clip(reason),
});

/**
 * Provisioning, first try or retrying: after a failed attempt, which attempt comes next of how
 * many, when, and what went wrong (the broker's `attempts`, `maxAttempts`, `nextAttemptAt`,
 * `lastError`; a grant `provisioning` again after a failure is retrying now).
 */
export function provisioningProgress(requestId: string, g: GrantView): RequestProgress {
  const retrying = g.status === 'provision-failed' || (g.status === 'provisioning' && g.attempts > 0);
  if (!retrying) return { status: 'provisioning', requestId, retrying: false };
  return {
    status: 'provisioning',
    requestId,
    retrying: true,
    retry: {
      failed: Math.min(1000, Math.max(0, g.attempts)),
      ...(g.maxAttempts ? { maxAttempts: Math.min(1000, Math.max(1, g.maxAttempts)) } : {}),
      ...(g.status === 'provision-failed' && g.nextAttemptAt ? { nextAttemptAt: g.nextAttemptAt } : {}),
      ...(g.lastError ? { error: clip(g.lastError) } : {}),
    },
  };
}

/** The broker gave up provisioning: why, and what an operator can do; nothing more will happen. */
export const grantFailed = (requestId: string, failure: GrantFailureView): RequestProgress => ({
  status: 'failed',
  requestId,
  reason: clip(failureText(failure)),
  advice: clip(failure.advice),
});

export const isoAt = (ms: number): string => new Date(ms).toISOString();

/** Tells the banner card in that frame; nobody to tell is not an error. */
export async function sendProgress(
  ctx: StepContext,
  where: { tabId: number; frameId: number },
  draftId: string,
  progress: RequestProgress,
): Promise<void> {
  try {
    await ctx.deps.notify(where.tabId, where.frameId, { type: 'request-progress', draftId, progress });
  } catch {
    // The tab or frame is gone, or shows another page: nobody to tell.
  }
}

/** Reports the progress when it differs from the last one; true when it did. */
export async function report(
  ctx: StepContext,
  rec: TrackedRequest,
  progress: RequestProgress,
): Promise<boolean> {
  if (JSON.stringify(rec.last) === JSON.stringify(progress)) return false;
  rec.last = progress;
  rec.updatedAt = isoAt(ctx.now());
  await ctx.deps.store.put(rec);
  await sendProgress(ctx, rec, rec.draftId, progress);
  return true;
}

async function finish(ctx: StepContext, rec: TrackedRequest, progress?: RequestProgress): Promise<'done'> {
  rec.phase = 'done';
  delete rec.reloadAt;
  delete rec.reloadUrl;
  try {
    if (!progress || !(await report(ctx, rec, progress))) {
      rec.updatedAt = isoAt(ctx.now());
      await ctx.deps.store.put(rec);
    }
  } catch {
    // Storage failed: the record may be followed again after a restart; harmless.
  }
  return 'done';
}

/**
 * The grant is active: ask for the landing and apply it to the tab at once. A reload landing whose
 * grant may take a while to show keeps a watch on the record: the denial coming back in the tab
 * is then the request's business (lib/background/request-watch.ts).
 */
async function land(
  ctx: StepContext,
  rec: TrackedRequest,
  client: BrokerClient,
  grant: GrantView,
): Promise<Next> {
  await report(ctx, rec, { status: 'active', requestId: rec.requestId, expiresAt: grant.expiresAt });
  const current = await ctx.deps.tabUrl(rec.tabId);
  // The tab was closed or left the console: granted, but nothing to land.
  if (!current || !isConsoleUrl(current)) return finish(ctx, rec);
  const next = landingStep(await client.landing(grant.id, current), { page: current });
  if (next.kind === 'unusable') return finish(ctx, rec, failed(rec.requestId, next.reason));
  if (next.kind === 'sign-in') {
    await report(ctx, rec, {
      status: 'landing',
      requestId: rec.requestId,
      message: 'Access granted; signing you in to the console…',
    });
    await ctx.deps.navigate(rec.tabId, next.url);
    return finish(ctx, rec);
  }
  await report(ctx, rec, { status: 'landing', requestId: rec.requestId, message: clip(next.message) });
  const { propagation } = next;
  if (propagation.maxMs > 0) {
    rec.watch = { ...propagation, advice: clip(propagation.advice), activeAt: isoAt(ctx.now()), retries: 0 };
  }
  await loadInTab(ctx.deps, rec.tabId, next.url, current);
  return finish(ctx, rec);
}

/** The next step for a followed request; `first`: the view the broker answered the filing with. */
export async function step(
  ctx: StepContext,
  rec: TrackedRequest,
  pace: Pace,
  first?: AccessRequestView,
): Promise<Next> {
  if (rec.phase === 'done') return 'done';
  if (ctx.now() - Date.parse(rec.createdAt) > MAX_AGE_MS) {
    return finish(ctx, rec, failed(rec.requestId, 'Stopped following the request after 24 hours'));
  }
  if (rec.phase === 'reload') {
    const wait = Date.parse(rec.reloadAt ?? '') - ctx.now();
    if (wait > 0) return wait;
    const current = await ctx.deps.tabUrl(rec.tabId);
    if (current && isConsoleUrl(current))
      await loadInTab(ctx.deps, rec.tabId, rec.reloadUrl ?? current, current);
    return finish(ctx, rec);
  }
  const client = await ctx.deps.client();
  if (!client) return finish(ctx, rec, failed(rec.requestId, 'The broker is no longer configured'));
  if (rec.phase === 'request') {
    const r = first ?? (await client.getRequest(rec.requestId));
    switch (r.status) {
      case 'pending':
        return pace.poll(await report(ctx, rec, waiting(r)));
      case 'denied':
        return finish(ctx, rec, denied(r));
      case 'expired':
        return finish(ctx, rec, failed(r.id, 'The request expired before it was approved'));
      case 'cancelled':
        return finish(ctx, rec, failed(r.id, 'The request was cancelled'));
      case 'approved':
        if (!r.grantId) {
          return pace.poll(
            await report(ctx, rec, { status: 'provisioning', requestId: r.id, retrying: false }),
          );
        }
        rec.grantId = r.grantId;
        rec.phase = 'grant';
        await ctx.deps.store.put(rec);
    }
  }
  const g = await client.getGrant(rec.grantId!);
  // Given up (still cleaning up, or `failed`): the reason is final, whatever the status says.
  if (g.failure) return finish(ctx, rec, grantFailed(rec.requestId, g.failure));
  switch (g.status) {
    case 'approved':
    case 'provisioning':
    case 'provision-failed':
      return pace.poll(await report(ctx, rec, provisioningProgress(rec.requestId, g)));
    case 'active':
      return land(ctx, rec, client, g);
    default:
      return finish(ctx, rec, failed(rec.requestId, `The grant is ${g.status}`));
  }
}

/** A step threw: try again later when it may pass, else report the failure and stop. */
export async function stepFailed(
  ctx: StepContext,
  rec: TrackedRequest,
  pace: Pace,
  e: unknown,
): Promise<Next> {
  // Network trouble, an overloaded broker, or a grant that changed under the landing call:
  // ask again later, less often each time.
  if (e instanceof BrokerError && (e.retryable || e.code === 'conflict')) return pace.retry();
  return finish(ctx, rec, failed(rec.requestId, reasonOf(e)));
}
