/**
 * Every message the content side may send to the background, as one discriminated union. The
 * background validates each message and its sender before acting on it.
 */
import * as z from 'zod/mini';
import { NewAccessRequest, firstIssueMessage } from './contract/request';

/** The content core found denial-like text: inject the banner chunk into the sender's frame. */
export const LoadUiMessage = z.object({ type: z.literal('load-ui') });
export type LoadUiMessage = z.infer<typeof LoadUiMessage>;

/** The user clicked "Request access": store the request draft. */
export const SaveDraftMessage = z.object({ type: z.literal('save-draft'), request: NewAccessRequest });
export type SaveDraftMessage = z.infer<typeof SaveDraftMessage>;

export const RuntimeMessage = z.discriminatedUnion('type', [LoadUiMessage, SaveDraftMessage]);
export type RuntimeMessage = z.infer<typeof RuntimeMessage>;

export type Reply = { ok: true; id?: string } | { ok: false; error: string };

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
    ? v.id === undefined || typeof v.id === 'string'
    : v.ok === false && typeof v.error === 'string';
}
