/**
 * How a request filed with the broker is doing, on the banner card: text only (everything from
 * the broker goes through safeText), one or two short lines.
 */
import { nextAttemptText, OPERATOR_ADVICE_LABEL } from '@/lib/grant-failure';
import type { RequestProgress } from '@/lib/messaging/messages';
import { safeText } from './safe-text';

/** Nothing more will happen for this request: the card may file another. */
export function progressSettled(p: RequestProgress | undefined): boolean {
  return p?.status === 'failed' || p?.status === 'denied' || p?.status === 'not-propagated';
}

function untilTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** "bob", "bob or dave", "bob, dave or erin": the people (or groups) the requester waits for. */
export function whoMayApprove(approvers: readonly string[]): string {
  const names = approvers.map((a) => safeText(a, 60)).filter(Boolean);
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

type Provisioning = Extract<RequestProgress, { status: 'provisioning' }>;

/**
 * Granting after a failed attempt: that it is retrying, when, and which attempt of how many
 * (`Approved; granting failed, trying again at 14:05 (attempt 2 of 8)`); the error goes on the
 * second line. Without the broker's details, only that it is retrying.
 */
function retryingText(p: Provisioning, now: number): string {
  const retry = p.retry;
  if (!retry) return 'Approved; granting access (retrying)…';
  const wait = retry.nextAttemptAt ? Date.parse(retry.nextAttemptAt) - now : 0;
  // The card is not redrawn every second: a short wait is said without a countdown.
  const when = !(wait > 0)
    ? 'now'
    : wait <= 60_000
      ? 'in under a minute'
      : `at ${untilTime(retry.nextAttemptAt!)}`;
  return `Approved; granting failed, trying again ${when} (${nextAttemptText(retry.failed, retry.maxAttempts)})`;
}

/** The main line for a progress status. */
export function progressText(p: RequestProgress | undefined, now: number = Date.now()): string {
  if (!p) return 'Sending the request to the broker…';
  switch (p.status) {
    case 'submitted':
      return `Request ${safeText(p.requestId, 40)} filed`;
    case 'waiting-approval': {
      const count = p.requiredApprovals > 1 ? ` (${p.approvals} of ${p.requiredApprovals})` : '';
      const who = whoMayApprove(p.approvers);
      return `Waiting for approval${count}${who ? ` from ${who}` : ''}`;
    }
    case 'denied':
      return p.comment ? `Request denied: “${safeText(p.comment, 200)}”` : 'Request denied';
    case 'provisioning':
      return p.retrying ? retryingText(p, now) : 'Approved; granting access…';
    case 'active': {
      const until = untilTime(p.expiresAt);
      return until ? `Access granted until ${until}` : 'Access granted';
    }
    case 'landing':
      return safeText(p.message, 200);
    case 'propagating':
    case 'not-propagated':
      return safeText(p.message, 400);
    case 'failed':
      return safeText(p.reason, 240);
  }
}

/**
 * A second, quieter line: policy advice while waiting or when policy refused; what went wrong
 * while granting is retried; what an operator can do when granting failed for good.
 */
function adviceOf(p: RequestProgress | undefined): string | undefined {
  if (p?.status === 'waiting-approval' || (p?.status === 'denied' && !p.comment)) return p.advice[0];
  if (p?.status === 'provisioning') return p.retry?.error;
  if (p?.status === 'failed' && p.advice) return `${OPERATOR_ADVICE_LABEL} ${p.advice}`;
  return undefined;
}

export function ProgressLine(props: { progress: RequestProgress | undefined }) {
  const p = props.progress;
  const advice = adviceOf(p);
  const bad = p?.status === 'failed' || p?.status === 'denied' || p?.status === 'not-propagated';
  return (
    <>
      <span class={`progress ${p?.status ?? 'sending'}${bad ? ' error' : ''}`}>{progressText(p)}</span>
      {/* What an operator can do is the one thing left to read once granting failed: never clamped. */}
      {advice && (
        <span class={`advice${p?.status === 'failed' ? '' : ' clamp'} bidi`}>{safeText(advice, 300)}</span>
      )}
    </>
  );
}
