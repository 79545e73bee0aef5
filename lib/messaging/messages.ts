/**
 * Every message the content side may send to the background, as one discriminated union, and the
 * one message the background sends back to a tab (`request-progress`). Each side validates every
 * message and its sender before acting on it; the banner also validates every answer
 * (`ActionsReply`, `DecodeReply`, `TargetReply`).
 */
import * as z from 'zod/mini';
import { SERVICE_NAME } from '../actions/console-service';
import {
  ACCOUNT_MAX,
  ACTION_MAX,
  ACTIONS_PER_REQUEST_MAX,
  ENCODED_MESSAGE_MAX,
  RESOURCE_MAX,
} from '../contract/constants';
import { Cloud } from '../contract/denial';
import { NewAccessRequest, firstIssueMessage } from '../contract/request';
import {
  FRAME_CANDIDATES,
  FRAME_CANDIDATES_MAX,
  fromOurBackground,
  FRAME_SOURCE_MAX,
  FRAME_TEXT_MAX,
} from './frame-relay';

/** The content core found denial-like text: inject the banner chunk into the sender's frame. */
export const LoadUiMessage = z.object({ type: z.literal('load-ui') });
export type LoadUiMessage = z.infer<typeof LoadUiMessage>;

/** The user clicked "Request access": store the request draft. */
export const SaveDraftMessage = z.object({ type: z.literal('save-draft'), request: NewAccessRequest });
export type SaveDraftMessage = z.infer<typeof SaveDraftMessage>;

const Target = z.strictObject({
  cloud: Cloud,
  account: z
    .string()
    .check(z.minLength(1), z.maxLength(ACCOUNT_MAX, `target.account: at most ${ACCOUNT_MAX} characters`)),
});

/** A card whose denial names no permission: the actions of the page's service, for the picker. */
export const ListActionsMessage = z
  .strictObject({
    type: z.literal('list-actions'),
    cloud: Cloud,
    service: z.string().check(z.maxLength(64, 'service: at most 64 characters')),
  })
  .check(
    z.refine((m) => SERVICE_NAME[m.cloud].test(m.service), {
      message: 'service: not a service name',
      path: ['service'],
    }),
  );
export type ListActionsMessage = z.infer<typeof ListActionsMessage>;

/** An AWS encoded authorization message, for the broker to decode (`POST /api/v1/decode`). */
export const DecodeDenialMessage = z.strictObject({
  type: z.literal('decode-denial'),
  target: Target,
  encodedMessage: z
    .string()
    .check(
      z.minLength(1, 'encodedMessage: required'),
      z.maxLength(ENCODED_MESSAGE_MAX, `encodedMessage: at most ${ENCODED_MESSAGE_MAX} characters`),
    ),
});
export type DecodeDenialMessage = z.infer<typeof DecodeDenialMessage>;

/** Whether the broker manages the account a card would file a request for. */
export const CheckTargetMessage = z.strictObject({ type: z.literal('check-target'), target: Target });
export type CheckTargetMessage = z.infer<typeof CheckTargetMessage>;

/**
 * A console frame's content script found denial-like text: relay it to the top frame's banner
 * (frame-relay.ts). Only from a child frame of a console tab.
 */
export const FrameCandidatesMessage = z.object({
  type: z.literal(FRAME_CANDIDATES),
  candidates: z
    .array(
      z.object({
        text: z.string().check(z.minLength(1), z.maxLength(FRAME_TEXT_MAX)),
        source: z.string().check(z.minLength(1), z.maxLength(FRAME_SOURCE_MAX)),
      }),
    )
    .check(z.minLength(1), z.maxLength(FRAME_CANDIDATES_MAX)),
});
export type FrameCandidatesMessage = z.infer<typeof FrameCandidatesMessage>;

/**
 * The banner shows a denial a grant can lift. When it is the one a request from this tab was just
 * granted for (the tab reloaded into it), the background answers with that request's draft and
 * progress (`SeenReply`): access is still propagating (lib/background/propagation.ts).
 * `sinceLoadMs`: how long after the document started loading the denial showed (a denial on
 * load is retried with a reload; one after a user action is not).
 */
export const DenialSeenMessage = z.strictObject({
  type: z.literal('denial-seen'),
  cloud: Cloud,
  account: z.nullable(z.string().check(z.minLength(1), z.maxLength(ACCOUNT_MAX))),
  actions: z
    .array(z.string().check(z.minLength(1), z.maxLength(ACTION_MAX)))
    .check(z.maxLength(ACTIONS_PER_REQUEST_MAX)),
  sinceLoadMs: z.int().check(z.gte(0), z.lte(Number.MAX_SAFE_INTEGER)),
});
export type DenialSeenMessage = z.infer<typeof DenialSeenMessage>;

export const RuntimeMessage = z.discriminatedUnion('type', [
  LoadUiMessage,
  SaveDraftMessage,
  ListActionsMessage,
  DecodeDenialMessage,
  CheckTargetMessage,
  FrameCandidatesMessage,
  DenialSeenMessage,
]);
export type RuntimeMessage = z.infer<typeof RuntimeMessage>;
/** What the banner sends: everything but `load-ui` and `frame-candidates` (the content core's). */
export type BannerMessage =
  SaveDraftMessage | ListActionsMessage | DecodeDenialMessage | CheckTargetMessage | DenialSeenMessage;

/**
 * The background's answer. `id`: the draft's id (the key of later `request-progress` messages);
 * `broker`: a broker is configured and the request is being filed with it.
 */
export type Reply = { ok: true; id?: string; broker?: boolean } | { ok: false; error: string };

// The answers to the banner's questions. Page-independent (the background's catalogue, the
// broker's words), still validated and bounded before the card shows them as text.

const replyText = z.string().check(z.maxLength(500));
const action = z.string().check(z.minLength(1), z.maxLength(ACTION_MAX));
/** The most actions one service has in the catalogue (EC2's ~830), with room to grow. */
export const SERVICE_ACTIONS_MAX = 3000;

export const Failure = z.object({ ok: z.literal(false), error: replyText });
export type Failure = z.infer<typeof Failure>;

/** `list-actions`: the service's actions, full names (`s3:GetObject`); empty when it has none. */
export const ActionsReply = z.union([
  z.object({ ok: z.literal(true), actions: z.array(action).check(z.maxLength(SERVICE_ACTIONS_MAX)) }),
  Failure,
]);
export type ActionsReply = z.infer<typeof ActionsReply>;

/** `decode-denial`: what the cloud says was denied, or one line on why it could not be decoded. */
export const DecodeReply = z.union([
  z.object({
    ok: z.literal(true),
    decoded: z.object({
      actions: z.array(action).check(z.maxLength(ACTIONS_PER_REQUEST_MAX)),
      resource: z.nullable(z.string().check(z.maxLength(RESOURCE_MAX))),
      summary: replyText,
    }),
  }),
  Failure,
]);
export type DecodeReply = z.infer<typeof DecodeReply>;

/**
 * `check-target`: `managed` (with the broker's name and environment for the account), `unmanaged`
 * (a request for it would be refused), or `unknown` (not signed in, broker unreachable).
 */
export const TargetCheck = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('managed'),
    name: z.string().check(z.maxLength(128)),
    environment: z.string().check(z.maxLength(64)),
  }),
  z.object({ status: z.literal('unmanaged') }),
  z.object({ status: z.literal('unknown') }),
]);
export type TargetCheck = z.infer<typeof TargetCheck>;
export const TargetReply = z.union([z.object({ ok: z.literal(true), target: TargetCheck }), Failure]);
export type TargetReply = z.infer<typeof TargetReply>;

/** Every answer the background gives a content script. */
export type AnyReply = Reply | ActionsReply | DecodeReply | TargetReply | SeenReply;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseRuntimeMessage(raw: unknown): ParseResult<RuntimeMessage> {
  const r = RuntimeMessage.safeParse(raw);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: firstIssueMessage(r.error) };
}

/** A reply from the background, checked (the content side trusts nothing it did not validate). */
export function isReply(value: unknown): value is Reply {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return v.ok === true
    ? (v.id === undefined || typeof v.id === 'string') &&
        (v.broker === undefined || typeof v.broker === 'boolean')
    : v.ok === false && typeof v.error === 'string';
}

// ---------------------------------------------------------------------------------------------
// Background → content: how a filed request is doing. Statuses and short texts only: never a
// token, never a landing URL.

export const PROGRESS_TEXT_MAX = 500;
const text = z.string().check(z.maxLength(PROGRESS_TEXT_MAX));
/** Advice lines and approvers a progress message carries (the card shows the first few). */
export const PROGRESS_LIST_MAX = 5;
const id = z.string().check(z.minLength(1), z.maxLength(128));

export const RequestProgress = z.discriminatedUnion('status', [
  z.object({ status: z.literal('submitted'), requestId: id }),
  z.object({
    status: z.literal('waiting-approval'),
    requestId: id,
    /** The matching policies' advice, for the requester. */
    advice: z.array(text).check(z.maxLength(PROGRESS_LIST_MAX)),
    requiredApprovals: z.int().check(z.gte(0), z.lte(100)),
    approvals: z.int().check(z.gte(0), z.lte(100)),
    /** Who may decide: the configured approvers, else the approver groups. */
    approvers: z.array(text).check(z.maxLength(PROGRESS_LIST_MAX)),
  }),
  z.object({
    status: z.literal('denied'),
    requestId: id,
    /** The approver's comment, if any. */
    comment: z.nullable(text),
    /** Policy advice when policy denied it. */
    advice: z.array(text).check(z.maxLength(PROGRESS_LIST_MAX)),
  }),
  z.object({
    status: z.literal('provisioning'),
    requestId: id,
    retrying: z.boolean(),
    /**
     * While retrying: attempts failed so far, of at most `maxAttempts`, when the next comes, and
     * what went wrong. Optional: brokers before these fields say only `retrying`.
     */
    retry: z.optional(
      z.object({
        failed: z.int().check(z.gte(0), z.lte(1000)),
        maxAttempts: z.optional(z.int().check(z.gte(1), z.lte(1000))),
        nextAttemptAt: z.optional(z.iso.datetime()),
        error: z.optional(text),
      }),
    ),
  }),
  z.object({ status: z.literal('active'), requestId: id, expiresAt: z.iso.datetime() }),
  /** The tab is about to be signed in or reloaded; `message` says which. */
  z.object({ status: z.literal('landing'), requestId: id, message: text }),
  /**
   * Granted, but the reloaded page is still denied: the grant has not reached the console yet.
   * `retryAt`: when the tab reloads again (null: the user acts again, no reload).
   */
  z.object({
    status: z.literal('propagating'),
    requestId: id,
    message: text,
    retryAt: z.nullable(z.iso.datetime()),
  }),
  /** Still denied past the cloud's documented propagation time: `message` says what to do. */
  z.object({ status: z.literal('not-propagated'), requestId: id, message: text }),
  z.object({
    status: z.literal('failed'),
    requestId: z.nullable(id),
    reason: text,
    /** What an operator can do about it (a grant the broker gave up provisioning). */
    advice: z.optional(text),
  }),
]);
export type RequestProgress = z.infer<typeof RequestProgress>;
export type ProgressStatus = RequestProgress['status'];

export const RequestProgressMessage = z.object({
  type: z.literal('request-progress'),
  /** The draft the banner card got back from `save-draft`. */
  draftId: id,
  progress: RequestProgress,
});
export type RequestProgressMessage = z.infer<typeof RequestProgressMessage>;

/**
 * `denial-seen`: `adopted` names the request this denial belongs to (its draft id, the key of its
 * progress messages) and how it is doing; null when the denial is no request's business.
 */
export const SeenReply = z.union([
  z.object({
    ok: z.literal(true),
    adopted: z.nullable(z.object({ draftId: id, progress: RequestProgress })),
  }),
  Failure,
]);
export type SeenReply = z.infer<typeof SeenReply>;

/**
 * A progress message as the banner receives it: valid, and from this extension's background.
 */
export function parseProgressMessage(
  raw: unknown,
  sender: { id?: string; tab?: unknown },
  runtimeId: string,
): RequestProgressMessage | undefined {
  if (!fromOurBackground(sender, runtimeId)) return undefined;
  const r = RequestProgressMessage.safeParse(raw);
  return r.success ? r.data : undefined;
}

// ---------------------------------------------------------------------------------------------
// The live port: extension pages (popup, side panel, options) and a banner following a request
// connect to the background with this name; while any such port is open, the background follows
// the broker's event stream (lib/background/live-events.ts). The connecting side sends a heartbeat (the only
// message the background accepts on it): since Chrome 114 a port message keeps an MV3 service
// worker alive, which is otherwise stopped after ~30 s without extension events.

export const LIVE_PORT = 'unblock-live';
/** Under the ~30 s after which an idle MV3 service worker is stopped. */
export const HEARTBEAT_MS = 20_000;

export const LiveHeartbeat = z.strictObject({ type: z.literal('heartbeat') });
export type LiveHeartbeat = z.infer<typeof LiveHeartbeat>;
export const HEARTBEAT: LiveHeartbeat = { type: 'heartbeat' };

export function isHeartbeat(raw: unknown): raw is LiveHeartbeat {
  return LiveHeartbeat.safeParse(raw).success;
}

/**
 * Whether a card is still following its request (final: denied, failed, not propagated; after
 * landing the page goes).
 */
export function isFollowing(progress: RequestProgress): boolean {
  return progress.status !== 'denied' && progress.status !== 'failed' && progress.status !== 'not-propagated';
}
