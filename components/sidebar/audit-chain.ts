/**
 * The audit log's hash chain, checked in the sidebar: every row's `prevHash` must equal the
 * previous row's `hash`. (The broker's `unblock-server audit verify` also recomputes each hash;
 * here we check the links the auditor is looking at.)
 */
import type { AuditEntryView } from '@/lib/contract/api';

export type ChainCheck =
  | { ok: true; first: number; last: number }
  | { ok: false; brokenSeq: number; afterSeq: number | null; first: number }
  | { ok: true; first: null; last: null };

/**
 * `rows` in sequence order; `prev` is the row just before the first one when known (the last row
 * of the previous page), so the link across pages is checked too.
 */
export function verifyChain(
  rows: readonly AuditEntryView[],
  prev?: Pick<AuditEntryView, 'seq' | 'hash'> | null,
): ChainCheck {
  const head = rows[0];
  if (!head) return { ok: true, first: null, last: null };
  let before: Pick<AuditEntryView, 'seq' | 'hash'> | null = prev ?? null;
  for (const row of rows) {
    if (before && row.prevHash !== before.hash) {
      return { ok: false, brokenSeq: row.seq, afterSeq: before.seq, first: head.seq };
    }
    before = row;
  }
  return { ok: true, first: head.seq, last: rows[rows.length - 1]!.seq };
}

export function chainText(check: ChainCheck): string {
  if (!check.ok) {
    return check.afterSeq === null
      ? `Chain broken at row ${check.brokenSeq}`
      : `Chain broken at row ${check.brokenSeq}: its previous hash does not match row ${check.afterSeq}`;
  }
  if (check.first === null) return 'No audit rows';
  return `Chain verified for rows ${check.first}–${check.last}`;
}
