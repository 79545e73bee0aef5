/**
 * Words and times for the popup and the sidebar. Everything the broker sends still goes through
 * `safeText` where it is rendered.
 */
import { GRANT_LIVE_STATUSES, type GrantStatus, type RequestStatus } from '@/lib/contract/status';
import type { AccessRequestView, GrantView, TargetView } from '@/lib/contract/api';
import { CLOUD_FACTS } from '@/lib/clouds';
import { nextAttemptText } from '@/lib/grant-failure';
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

/** The grant's status for people: one the broker gave up on says so while it is still cleaned up. */
export const grantStatusLabel = (g: GrantView): string =>
  g.failure ? GRANT_STATUS_LABEL.failed : GRANT_STATUS_LABEL[g.status];

/** Whether the broker is retrying the grant's provisioning (waiting for the next try, or at it). */
export const isRetryingGrant = (g: GrantView): boolean =>
  !g.failure && (g.status === 'provision-failed' || (g.status === 'provisioning' && g.attempts > 0));

/**
 * While a grant's provisioning or revocation is retried: when the broker tries again, and (for
 * provisioning) which attempt of how many: `Trying again at Mar 2, 10:05 (attempt 2 of 8)`.
 */
export function retryText(g: GrantView, now: number = Date.now()): string {
  const at =
    g.nextAttemptAt && Date.parse(g.nextAttemptAt) > now ? `at ${formatTime(g.nextAttemptAt)}` : 'now';
  const attempt = g.status === 'revoke-failed' ? '' : ` (${nextAttemptText(g.attempts, g.maxAttempts)})`;
  return `Trying again ${at}${attempt}`;
}

/** How long the approvers' queue keeps showing a grant that failed. */
export const FAILED_SHOWN_MS = 24 * 60 * 60 * 1000;

/**
 * Grants an approver should know are in trouble: provisioning being retried, or given up on (in
 * the last `FAILED_SHOWN_MS`), newest first.
 */
export function grantsInTrouble(grants: readonly GrantView[], now: number = Date.now()): GrantView[] {
  return grants
    .filter(
      (g) =>
        isRetryingGrant(g) ||
        (g.failure !== null && g.failure !== undefined && now - Date.parse(g.failure.at) < FAILED_SHOWN_MS),
    )
    .sort((a, b) => Date.parse(b.startsAt) - Date.parse(a.startsAt));
}

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
