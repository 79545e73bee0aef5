/** How many approvers have agreed, of how many the policy needs, and who. */
import type { AccessRequestView } from '@/lib/contract/api';
import { quorumText } from '../panel-format';
import { safeText } from '../safe-text';

export function QuorumProgress({ request: r }: { request: AccessRequestView }) {
  const need = Math.max(1, r.decision.requiredApprovals);
  const have = Math.min(r.approvals.length, need);
  return (
    <div class="quorum">
      <label>
        <span>
          Approvals: {have} of {need}
        </span>{' '}
        <progress max={need} value={have} aria-valuetext={quorumText(r)} />
      </label>
      {r.approvals.length > 0 && (
        <p class="muted">Approved by {r.approvals.map((a) => safeText(a.approver, 60)).join(', ')}</p>
      )}
    </div>
  );
}
