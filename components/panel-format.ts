/**
 * Words and times for the popup and the sidebar. Everything the broker sends still goes through
 * `safeText` where it is rendered.
 */
import { GRANT_LIVE_STATUSES, type GrantStatus, type RequestStatus } from '@/lib/contract/status';
import type { AccessRequestView, GrantView, TargetView } from '@/lib/contract/api';
import { CLOUD_FACTS } from '@/lib/clouds';
import { safeText } from './safe-text';

export const GRANT_STATUS_LABEL: Record<GrantStatus, string> = {
  approved: 'Approved, not yet granted',
  provisioning: 'Granting…',
  'provision-failed': 'Granting failed, retrying',
  active: 'Active',
  revoking: 'Revoking…',
  'revoke-failed': 'Revoking failed, retrying',
  revoked: 'Revoked',
  ended: 'Ended',
  failed: 'Could not be granted',
};

export const REQUEST_STATUS_LABEL: Record<RequestStatus, string> = {
  pending: 'Waiting for approval',
  approved: 'Approved',
  denied: 'Denied',
  expired: 'Expired unanswered',
  cancelled: 'Cancelled',
};

/** Grants that still hold (or are about to hold, or are losing) access. */
const LIVE_GRANT_STATUSES: ReadonlySet<GrantStatus> = new Set(GRANT_LIVE_STATUSES);

export const isLiveGrant = (g: GrantView): boolean => LIVE_GRANT_STATUSES.has(g.status);

/** `production (prod)` */
export function targetName(t: TargetView): string {
  const name = safeText(t.name, 60);
  const env = safeText(t.environment, 30);
  return env && env !== name ? `${name} (${env})` : name;
}

/** `AWS 222222222222` */
export function targetAccount(t: TargetView): string {
  return `${CLOUD_FACTS[t.cloud].label} ${safeText(t.account, 64)}`;
}

/** `5:07` or `1:05:07` (never negative). */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Local date and time, short; empty for an unreadable value. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** When the request was decided (or, for one still pending, filed). */
export const decidedOrCreated = (r: AccessRequestView): string => r.decidedAt ?? r.createdAt;

/** The last `n` decided requests, newest first. */
export function recentDecided(requests: readonly AccessRequestView[], n: number): AccessRequestView[] {
  return requests
    .filter((r) => r.status !== 'pending')
    .sort((a, b) => Date.parse(decidedOrCreated(b)) - Date.parse(decidedOrCreated(a)))
    .slice(0, n);
}

/** `Approvals: 1 of 2` progress for a request that needs approvers. */
export function quorumText(r: AccessRequestView): string {
  const need = Math.max(1, r.decision.requiredApprovals);
  return `${Math.min(r.approvals.length, need)} of ${need} approval${need === 1 ? '' : 's'}`;
}
