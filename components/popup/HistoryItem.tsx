/**
 * One decided request: outcome, where, what, when, and the reviewer's comment if any; with the
 * grant it produced, once that is over, whether the access ended at expiry or was revoked, or why
 * it could not be granted and what an operator can do.
 */
import type { AccessRequestView, GrantView } from '@/lib/contract/api';
import type { GrantStatus } from '@/lib/contract/status';
import { ActionRisks } from '../ActionRisks';
import { GrantProblem } from '../GrantProblem';
import { decidedOrCreated, formatTime, REQUEST_STATUS_LABEL } from '../panel-format';
import { TargetLine } from '../TargetLine';
import { safeText } from '../safe-text';

/** The grant statuses that mean the access is over (the live ones are under "Active access"). */
const GRANT_OVER_LABEL: Partial<Record<GrantStatus, string>> = {
  ended: 'Access ended',
  revoked: 'Access revoked',
};

export function HistoryItem({ request: r, grant }: { request: AccessRequestView; grant?: GrantView }) {
  const review = r.status === 'denied' ? r.denials[0] : r.approvals[r.approvals.length - 1];
  const auto = r.status === 'approved' && r.decision.outcome === 'auto-approve';
  const over = grant && GRANT_OVER_LABEL[grant.status];
  // Approved is not granted: a request whose grant failed says so where the eye looks first.
  const label = grant?.failure
    ? `${auto ? 'Auto-approved' : 'Approved'}, not granted`
    : auto
      ? 'Auto-approved'
      : REQUEST_STATUS_LABEL[r.status];
  return (
    <li class={`item history status-${r.status}${grant?.failure ? ' not-granted' : ''}`}>
      <div class="item-head">
        <TargetLine target={r.target} />
        <span class="status">{label}</span>
      </div>
      <ActionRisks actions={r.actions} />
      <p class="muted">
        {formatTime(decidedOrCreated(r))}
        {review ? ` · ${safeText(review.approver, 60)}` : ''}
        {review?.comment ? `: “${safeText(review.comment, 200)}”` : ''}
      </p>
      {grant?.failure && <GrantProblem grant={grant} />}
      {over && (
        <p class="muted">
          {over}
          {grant.endedAt ? ` ${formatTime(grant.endedAt)}` : ''}
        </p>
      )}
    </li>
  );
}
