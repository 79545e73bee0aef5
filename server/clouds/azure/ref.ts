/**
 * What an Azure grant leaves behind, and the names it goes by. Every name the broker gives Azure
 * is a GUID derived from the grant id, so a retry after a crash addresses the same request or
 * assignment instead of creating a second one.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { ProviderRef } from '../../provision/types';

/** What `grant` returns and `revoke`/`landing` read back (kept in `grants.provider_ref`). */
export const AzureRef = z.object({
  kind: z.literal('azure'),
  mode: z.enum(['pim', 'assignment']),
  scope: z.string(),
  roleDefinitionId: z.string(),
  roleName: z.string(),
  principalId: z.string(),
  /** The PIM request's or role assignment's name (a GUID derived from the grant id). */
  name: z.string(),
  /**
   * False when Azure already had this role for this user at this scope from elsewhere (another
   * grant, an administrator): revoking must then leave it alone.
   */
  owned: z.boolean(),
  /** When the assignment became active (for the 5-minute removal floor); null if unknown. */
  activatedAt: z.string().nullable(),
  endsAt: z.string(),
});
export type AzureRef = z.infer<typeof AzureRef>;

/** The stored ref when it is an Azure one; null when `grant` never returned or it is unreadable. */
export function readRef(ref: ProviderRef | null): AzureRef | null {
  if (ref === null) return null;
  const parsed = AzureRef.safeParse(ref);
  return parsed.success ? parsed.data : null;
}

/**
 * A GUID (RFC 4122 version 5 layout, SHA-1 of a fixed namespace and the parts) for names Azure
 * wants as GUIDs: the same grant always gives the same name.
 */
export function deterministicGuid(...parts: string[]): string {
  const hash = createHash('sha1').update('unblock/azure\u0000').update(parts.join('\u0000')).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
