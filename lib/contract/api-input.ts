/**
 * What the broker's HTTP API takes in: request bodies and query parameters (part of the API
 * contract, re-exported by `./api`). Bodies are strict: a field the contract does not declare is
 * a 400 naming that field, never silently dropped. Query parameters are strings on the wire.
 */
import * as z from 'zod/mini';
import { ACCOUNT_MAX, COMMENT_MAX, ENCODED_MESSAGE_MAX, REASON_MAX, URL_MAX } from './constants';
import { Cloud } from './denial';
import { DurationMinutes, Justification, NewAccessRequest, strictObject } from './request';
import { GrantStatus, RequestStatus } from './status';
const optionalText = (field: string, max: number) =>
  z.optional(
    z
      .string(`${field}: must be a string`)
      .check(z.trim(), z.maxLength(max, `${field}: at most ${max} characters`)),
  );

// ---------------------------------------------------------------------------------------------
// Request bodies

/** POST /api/v1/requests: exactly what the extension drafts. The requester comes from the token. */
export const CreateRequestBody = NewAccessRequest;
export type CreateRequestBody = z.infer<typeof CreateRequestBody>;

/** POST /api/v1/requests/{id}/approve | deny | cancel. */
export const DecisionBody = strictObject('', { comment: optionalText('comment', COMMENT_MAX) });
export type DecisionBody = z.infer<typeof DecisionBody>;

/** POST /api/v1/grants/{id}/extend: a linked request for more time, decided by policy. */
export const ExtendBody = strictObject('', {
  durationMinutes: DurationMinutes,
  justification: Justification,
});
export type ExtendBody = z.infer<typeof ExtendBody>;

/** POST /api/v1/grants/{id}/revoke. */
export const RevokeBody = strictObject('', { reason: optionalText('reason', REASON_MAX) });
export type RevokeBody = z.infer<typeof RevokeBody>;

/** POST /api/v1/grants/{id}/landing: the denied console page to land on (the tab's URL). */
export const LandingBody = strictObject('', {
  destination: z.optional(
    z
      .url({ protocol: /^https$/, error: 'destination: must be an https URL' })
      .check(z.maxLength(URL_MAX, `destination: at most ${URL_MAX} characters`)),
  ),
});
export type LandingBody = z.infer<typeof LandingBody>;

/** POST /api/v1/decode: an encoded denial (AWS EC2-style) to have the cloud explain. */
export const DecodeBody = strictObject('', {
  target: strictObject('target', {
    cloud: Cloud,
    account: z
      .string('target.account: required')
      .check(z.maxLength(ACCOUNT_MAX, `target.account: at most ${ACCOUNT_MAX} characters`)),
  }),
  encodedMessage: z
    .string('encodedMessage: required')
    .check(
      z.minLength(1, 'encodedMessage: required'),
      z.maxLength(ENCODED_MESSAGE_MAX, `encodedMessage: at most ${ENCODED_MESSAGE_MAX} characters`),
    ),
});
export type DecodeBody = z.infer<typeof DecodeBody>;

// ---------------------------------------------------------------------------------------------
// Query parameters (all strings on the wire)

/**
 * `?cursor=`: the `nextCursor` of the previous page, as the broker gave it. Lists are newest first
 * and paged by keyset (server/store/keyset.ts): a page starts strictly after the previous page's
 * last item, so items added meanwhile neither repeat nor hide others on later pages, and a page
 * costs the same however long the list. There is no offset or page-size parameter (pages hold 50).
 */
const ListCursor = z.optional(
  z
    .string()
    .check(
      z.maxLength(256, 'cursor: at most 256 characters'),
      z.describe(
        'The nextCursor of the previous page (opaque). Pages are newest first and by keyset: items added between pages neither repeat nor hide others. A cursor from another list, or altered, is refused (400, field `cursor`).',
      ),
    ),
);

export const ListRequestsQuery = strictObject('', {
  /** Only requests in this state. */
  status: z.optional(RequestStatus),
  /** `true`: only the caller's own requests (approvers otherwise also see their queue). */
  mine: z.optional(z.enum(['true', 'false'])),
  cursor: ListCursor,
});
export type ListRequestsQuery = z.infer<typeof ListRequestsQuery>;

export const ListGrantsQuery = strictObject('', {
  status: z.optional(GrantStatus),
  mine: z.optional(z.enum(['true', 'false'])),
  cursor: ListCursor,
});
export type ListGrantsQuery = z.infer<typeof ListGrantsQuery>;

export const ListAuditQuery = strictObject('', {
  /** Entries after this sequence number. */
  after: z.optional(z.string().check(z.regex(/^\d{1,15}$/, 'after: a sequence number'))),
  limit: z.optional(z.string().check(z.regex(/^\d{1,4}$/, 'limit: a number of entries'))),
});
export type ListAuditQuery = z.infer<typeof ListAuditQuery>;
