/** One decided request: outcome, where, what, when, and the reviewer's comment if any. */
import type { AccessRequestView } from '@/lib/contract/api';
import { ActionRisks } from '../ActionRisks';
import { decidedOrCreated, formatTime, REQUEST_STATUS_LABEL } from '../panel-format';
import { TargetLine } from '../TargetLine';
import { safeText } from '../safe-text';

export function HistoryItem({ request: r }: { request: AccessRequestView }) {
  const review = r.status === 'denied' ? r.denials[0] : r.approvals[r.approvals.length - 1];
  const auto = r.status === 'approved' && r.decision.outcome === 'auto-approve';
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
    </li>
  );
}
