/**
 * How a request filed with the broker is doing, on the banner card: text only (everything from
 * the broker goes through safeText), one or two short lines.
 */
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

/** The main line for a progress status. */
export function progressText(p: RequestProgress | undefined): string {
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
      return p.retrying ? 'Approved; granting access (retrying)…' : 'Approved; granting access…';
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

/** A second, quieter line: policy advice while waiting or when policy refused. */
function adviceOf(p: RequestProgress | undefined): string | undefined {
  if (p?.status === 'waiting-approval' || (p?.status === 'denied' && !p.comment)) return p.advice[0];
  return undefined;
}

export function ProgressLine(props: { progress: RequestProgress | undefined }) {
  const p = props.progress;
  const advice = adviceOf(p);
  const bad = p?.status === 'failed' || p?.status === 'denied' || p?.status === 'not-propagated';
  return (
    <>
      <span class={`progress ${p?.status ?? 'sending'}${bad ? ' error' : ''}`}>{progressText(p)}</span>
      {advice && <span class="advice clamp bidi">{safeText(advice, 300)}</span>}
    </>
  );
}
