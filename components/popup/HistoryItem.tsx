/**
 * One decided request: outcome, where, what, when, and the reviewer's comment if any; with the
 * grant it produced, once that is over, whether the access ended at expiry or was revoked.
 */
import type { AccessRequestView, GrantView } from '@/lib/contract/api';
import type { GrantStatus } from '@/lib/contract/status';
import { ActionRisks } from '../ActionRisks';
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
  return (
    <li class={`item history status-${r.status}`}>
      <div class="item-head">
        <TargetLine target={r.target} />
        <span class="status">{auto ? 'Auto-approved' : REQUEST_STATUS_LABEL[r.status]}</span>
      </div>
      <ActionRisks actions={r.actions} />
      <p class="muted">
        {formatTime(decidedOrCreated(r))}
        {review ? ` · ${safeText(review.approver, 60)}` : ''}
        {review?.comment ? `: “${safeText(review.comment, 200)}”` : ''}
      </p>
      {over && (
        <p class="muted">
          {over}
          {grant.endedAt ? ` ${formatTime(grant.endedAt)}` : ''}
        </p>
      )}
    </li>
  );
}
