/**
 * The API-token and audit-head parts of the broker's HTTP API contract (see api.ts for the
 * conventions): `GET /api/v1/tokens`, `DELETE /api/v1/tokens/{id}`, and the signed head of the
 * audit chain that the audit listing, the event stream and webhooks carry.
 */
import * as z from 'zod/mini';
import { strictObject } from './request';

const DateTime = z.iso.datetime();

/** GET /api/v1/tokens: the caller's API tokens; admins may name another user or ask for all. */
export const ListTokensQuery = strictObject('', {
  /** Another user's tokens (admins only); the caller's own when absent. */
  user: z.optional(z.string().check(z.regex(/^[a-z][a-z0-9._-]{0,63}$/, 'user: a user name'))),
  /** `true`: every user's tokens (admins only). */
  all: z.optional(z.enum(['true', 'false'])),
  cursor: z.optional(z.string().check(z.maxLength(256, 'cursor: at most 256 characters'))),
});
export type ListTokensQuery = z.infer<typeof ListTokensQuery>;

/** One API token as its owner and admins see it: never the token itself, nor its hash. */
export const ApiTokenView = z.object({
  /** The token's public id (for `DELETE /api/v1/tokens/{id}` and `unblock-server token revoke`). */
  id: z.string(),
  user: z.string(),
  label: z.nullable(z.string()),
  createdAt: DateTime,
  /** Last accepted, to the minute; null when never used. */
  lastUsedAt: z.nullable(DateTime),
  /** When it stops working (the configured maximum lifetime included); null: never. */
  expiresAt: z.nullable(DateTime),
  revokedAt: z.nullable(DateTime),
  status: z.enum(['active', 'expired', 'revoked']),
});
export type ApiTokenView = z.infer<typeof ApiTokenView>;

export const ApiTokenList = z.object({
  items: z.array(ApiTokenView),
  /** Pass back as `?cursor=` for the next page; null when there are no more. */
  nextCursor: z.nullable(z.string()),
});
export type ApiTokenList = z.infer<typeof ApiTokenList>;

/** A position in the audit chain: the row's sequence number and hash. */
export const AuditHead = z.object({ seq: z.int(), hash: z.string() });
export type AuditHead = z.infer<typeof AuditHead>;

/**
 * A signed checkpoint of the audit chain: Ed25519 over `signedCheckpointText` with the key
 * whose id is `keyId` (the first 16 hex digits of the sha256 of its SPKI DER encoding).
 */
export const AuditCheckpointView = z.object({
  seq: z.int(),
  hash: z.string(),
  at: DateTime,
  keyId: z.string(),
  /** base64. */
  signature: z.string(),
});
export type AuditCheckpointView = z.infer<typeof AuditCheckpointView>;

/** The exact text a checkpoint's signature covers (UTF-8). */
export function signedCheckpointText(c: { seq: number; hash: string; at: string }): string {
  return `unblock-audit-checkpoint/v1\nseq ${c.seq}\nhash ${c.hash}\nat ${c.at}\n`;
}
