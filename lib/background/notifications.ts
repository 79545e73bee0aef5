/**
 * What the background tells the user without being asked, on every poll (the alarms; see
 * entrypoints/background.ts):
 *
 * - the badge (lib/background/badge.ts): requests others filed that the user can review (approvers), or the
 *   user's active grants;
 * - notifications: the user's request approved (landing now) or denied (with the reviewer's
 *   comment), five minutes left on a grant (with an *Extend* button: `POST /grants/{id}/extend`
 *   with the original duration; policy decides), and a new request to review.
 *
 * Each notification has a stable id (`unblock:<kind>:<request or grant id>[:<expiry>]`) and is
 * recorded in IndexedDB (`notified`) once shown, so polls and worker restarts never repeat one.
 * Browser APIs, the broker calls and the clock are injected.
 */
import { computeBadge, EMPTY_BADGE, type Badge } from './badge';
import { createBrokerClient } from '../extension/broker-client';
import { BrokerError } from '../extension/broker-error';
import type { AccessRequestView, ActionView, GrantView, MeView } from '../contract/api';
import { reasonOf } from '../extension/broker-reason';

/** Warn this long before a grant ends. */
export const EXPIRY_WARNING_MS = 5 * 60_000;
/** Decisions older than this are history, not news (e.g. on the first poll after sign-in). */
export const RECENT_MS = 15 * 60_000;
/** Forget shown notifications after this long. */
export const KEEP_NOTIFIED_MS = 7 * 24 * 60 * 60_000;
/** At most this many new notifications per poll (a full queue on first sign-in is one summary). */
export const MAX_PER_POLL = 3;
export const EXTEND_JUSTIFICATION = 'extension from the notification';
export const NOTIFICATION_PREFIX = 'unblock:';

export type NotificationKind = 'approved' | 'denied' | 'expiring' | 'review' | 'extend' | 'signed-out';

export interface NotificationContent {
  title: string;
  message: string;
  /** Offer the *Extend* button (expiring grants). */
  extend?: boolean;
}

/** The broker calls the notifier needs (not all are in lib/extension/broker-client.ts). */
export interface NotifierApi {
  me(): Promise<MeView>;
  myRequests(): Promise<AccessRequestView[]>;
  pendingRequests(): Promise<AccessRequestView[]>;
  activeGrants(): Promise<GrantView[]>;
  getGrant(id: string): Promise<GrantView>;
  getRequest(id: string): Promise<AccessRequestView>;
  extendGrant(
    id: string,
    body: { durationMinutes: number; justification: string },
  ): Promise<AccessRequestView>;
}

/** The calls the notifier makes, through the one broker client (lib/extension/broker-client.ts). */
export function createNotifierApi(options: {
  baseUrl: string;
  getToken: () => Promise<string | null>;
  fetch?: typeof fetch;
  timeoutMs?: number;
}): NotifierApi {
  const client = createBrokerClient(options);
  return {
    me: () => client.me(),
    myRequests: async () => (await client.listRequests({ mine: 'true' })).items,
    pendingRequests: async () => (await client.listRequests({ status: 'pending' })).items,
    activeGrants: async () => (await client.listGrants({ mine: 'true', status: 'active' })).items,
    getGrant: (grantId) => client.getGrant(grantId),
    getRequest: (requestId) => client.getRequest(requestId),
    extendGrant: (grantId, body) => client.extendGrant(grantId, body),
  };
}

export interface SeenStore {
  has(id: string): Promise<boolean>;
  add(id: string, at: number): Promise<void>;
  prune(before: number): Promise<void>;
}

export interface NotifierDeps {
  /** The API for the configured broker, or null when none is configured. */
  api(): Promise<NotifierApi | null>;
  seen: SeenStore;
  show(id: string, content: NotificationContent): Promise<void>;
  badge(badge: Badge): Promise<void>;
  /** Whether the request flow is landing this request in a tab (the "approved" text says so). */
  tracked?(requestId: string): Promise<boolean>;
  now?: () => number;
}

export interface NotifierPollResult {
  user: string;
  toReview: number | null;
  activeGrants: number;
  shown: string[];
}

export interface BrokerNotifier {
  /** One poll: badge and notifications. Null when no broker or not signed in (badge cleared). */
  poll(): Promise<NotifierPollResult | null>;
  /** A notification button was clicked (`notifications.onButtonClicked`). */
  onButton(notificationId: string, buttonIndex: number): Promise<void>;
  /** A notification was clicked; `extendOnClick` where buttons are not supported (Firefox). */
  onClick(notificationId: string, extendOnClick: boolean): Promise<void>;
  extend(grantId: string): Promise<void>;
}

export const notificationId = (kind: NotificationKind, id: string, extra?: string | number) =>
  `${NOTIFICATION_PREFIX}${kind}:${id}${extra === undefined ? '' : `:${extra}`}`;

/** The grant id of an `expiring` notification id, or null. */
export function expiringGrantId(notificationId: string): string | null {
  const m = /^unblock:expiring:(.+):\d+$/.exec(notificationId);
  return m ? m[1]! : null;
}

const clip = (s: string, max = 200) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function actions(list: readonly ActionView[]): string {
  const names = list.map((a) => a.action);
  return names.length > 2 ? `${names.slice(0, 2).join(', ')} +${names.length - 2}` : names.join(', ');
}

const where = (r: { target: { name: string; environment: string } }) =>
  `${r.target.name} (${r.target.environment})`;

function minutesLeft(ms: number): string {
  const m = Math.max(1, Math.round(ms / 60_000));
  return `${m} minute${m === 1 ? '' : 's'}`;
}

interface NotifierContext {
  deps: NotifierDeps;
  now: () => number;
}

/** Shows it unless already shown; true when shown now. */
async function once(ctx: NotifierContext, id: string, content: NotificationContent): Promise<boolean> {
  if (await ctx.deps.seen.has(id)) return false;
  // Record first: a crash between the two loses one notification rather than repeating it.
  await ctx.deps.seen.add(id, ctx.now());
  try {
    await ctx.deps.show(id, content);
  } catch {
    // Notifications turned off for the browser: nothing else to do.
  }
  return true;
}

const recent = (ctx: NotifierContext, iso: string | null) =>
  iso !== null && ctx.now() - Date.parse(iso) <= RECENT_MS;

/** The user's own requests decided lately: approved (landing now) or denied (and why). */
async function decisions(ctx: NotifierContext, api: NotifierApi, shown: string[]): Promise<void> {
  for (const r of await api.myRequests()) {
    if (shown.length >= MAX_PER_POLL) return;
    if (!recent(ctx, r.decidedAt)) continue;
    if (r.status === 'approved') {
      const id = notificationId('approved', r.id);
      const landing = (await ctx.deps.tracked?.(r.id)) ?? false;
      const content: NotificationContent = r.linkedGrantId
        ? {
            title: 'Extension approved',
            message: `${actions(r.actions)} on ${where(r)}: more time granted`,
          }
        : {
            title: 'Access approved',
            message: `${actions(r.actions)} on ${where(r)}${landing ? ': signing you in to the console now' : ''}`,
          };
      if (await once(ctx, id, content)) shown.push(id);
    } else if (r.status === 'denied') {
      const id = notificationId('denied', r.id);
      const review = r.denials.findLast((d) => d.comment) ?? r.denials.at(-1);
      const why = review?.comment
        ? `${review.approver}: “${clip(review.comment, 150)}”`
        : review
          ? `denied by ${review.approver}`
          : (r.decision.advice[0] ?? 'denied by policy');
      const content = {
        title: r.linkedGrantId ? 'Extension denied' : 'Access denied',
        message: `${actions(r.actions)} on ${where(r)}. ${clip(why)}`,
      };
      if (await once(ctx, id, content)) shown.push(id);
    }
  }
}

/** Requests others filed that this approver may decide; how many wait. */
async function reviews(
  ctx: NotifierContext,
  api: NotifierApi,
  user: string,
  shown: string[],
): Promise<number> {
  const queue = (await api.pendingRequests()).filter((r) => r.requester !== user);
  for (const r of queue) {
    if (shown.length >= MAX_PER_POLL) break;
    const id = notificationId('review', r.id);
    const content = {
      title: 'Request to review',
      message: `${r.requester} asks for ${actions(r.actions)} on ${where(r)} for ${r.durationMinutes} min: ${clip(r.justification, 120)}`,
    };
    if (await once(ctx, id, content)) shown.push(id);
  }
  return queue.length;
}

/** The user's grants about to end (with *Extend*); how many are active. */
async function expiring(ctx: NotifierContext, api: NotifierApi, shown: string[]): Promise<number> {
  const grants = await api.activeGrants();
  for (const g of grants) {
    const left = Date.parse(g.expiresAt) - ctx.now();
    if (left <= 0 || left > EXPIRY_WARNING_MS) continue;
    // Keyed by the expiry too: after an extension, the new end gets its own warning.
    const id = notificationId('expiring', g.id, Date.parse(g.expiresAt));
    const content = {
      title: 'Access ending soon',
      message: `${actions(g.actions)} on ${where(g)} ends in ${minutesLeft(left)}.`,
      extend: true,
    };
    if (await once(ctx, id, content)) shown.push(id);
  }
  return grants.length;
}

/** *Extend* on an expiring grant: the original duration again; policy decides. */
async function extend(ctx: NotifierContext, grantId: string): Promise<void> {
  const api = await ctx.deps.api();
  const id = notificationId('extend', grantId);
  if (!api) return;
  let content: NotificationContent;
  try {
    const grant = await api.getGrant(grantId);
    const original = await api.getRequest(grant.requestId);
    const r = await api.extendGrant(grantId, {
      durationMinutes: original.durationMinutes,
      justification: EXTEND_JUSTIFICATION,
    });
    content =
      r.status === 'approved'
        ? { title: 'Access extended', message: `${where(grant)}: ${r.durationMinutes} more minutes` }
        : r.status === 'pending'
          ? {
              title: 'Extension requested',
              message: `${where(grant)}: waiting for approval${r.decision.advice[0] ? ` (${clip(r.decision.advice[0], 120)})` : ''}`,
            }
          : {
              title: 'Extension denied',
              message: `${where(grant)}: ${clip(r.decision.advice[0] ?? `the request is ${r.status}`)}`,
            };
    // The decision itself is this notification: no second "approved"/"denied" one.
    if (r.status !== 'pending')
      await ctx.deps.seen.add(
        notificationId(r.status === 'approved' ? 'approved' : 'denied', r.id),
        ctx.now(),
      );
  } catch (e) {
    content = { title: 'Could not extend', message: clip(reasonOf(e)) };
  }
  try {
    await ctx.deps.show(id, content);
  } catch {
    // notifications off
  }
}

/** One poll: badge and notifications. */
async function poll(ctx: NotifierContext): Promise<NotifierPollResult | null> {
  const { deps } = ctx;
  const api = await deps.api();
  if (!api) {
    await deps.badge(EMPTY_BADGE);
    return null;
  }
  let me: MeView;
  try {
    me = await api.me();
  } catch (e) {
    // Not signed in (or refused): nothing to count. Unreachable: keep the badge as it is.
    if (e instanceof BrokerError && (e.code === 'not_signed_in' || e.code === 'unauthorized')) {
      await deps.badge(EMPTY_BADGE);
      return null;
    }
    throw e;
  }
  const shown: string[] = [];
  await decisions(ctx, api, shown);
  const toReview = me.approver ? await reviews(ctx, api, me.user, shown) : null;
  const activeGrants = await expiring(ctx, api, shown);
  await deps.badge(computeBadge({ toReview, activeGrants }));
  try {
    await deps.seen.prune(ctx.now() - KEEP_NOTIFIED_MS);
  } catch {
    // ignore: pruning is housekeeping
  }
  return { user: me.user, toReview, activeGrants, shown };
}

export function createBrokerNotifier(deps: NotifierDeps): BrokerNotifier {
  const ctx: NotifierContext = { deps, now: deps.now ?? Date.now };
  return {
    poll: () => poll(ctx),

    async onButton(nid, buttonIndex) {
      const grantId = expiringGrantId(nid);
      if (grantId && buttonIndex === 0) await extend(ctx, grantId);
    },

    async onClick(nid, extendOnClick) {
      const grantId = expiringGrantId(nid);
      if (grantId && extendOnClick) await extend(ctx, grantId);
    },

    extend: (grantId) => extend(ctx, grantId),
  };
}
