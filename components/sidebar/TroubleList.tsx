/**
 * For approvers, under the requests to decide: grants the broker is retrying or gave up on (in
 * the last day), each with whose, where, what, the reason and what an operator can do, so someone
 * acts on it; the requester asks again once it is fixed.
 */
import type { GrantView } from '@/lib/contract/api';
import { ActionRisks } from '../ActionRisks';
import { GrantProblem } from '../GrantProblem';
import { formatTime, grantStatusLabel } from '../panel-format';
import { TargetLine } from '../TargetLine';
import { safeText } from '../safe-text';

export function TroubleList({ grants, now }: { grants: readonly GrantView[]; now?: () => number }) {
  if (!grants.length) return null;
  return (
    <section class="trouble" aria-labelledby="trouble-title">
      <h3 id="trouble-title">Granting failed</h3>
      <ul class="list" aria-label="Grants that failed">
        {grants.map((g) => (
          <li key={g.id} class="item grant trouble-item">
            <div class="item-head">
              <strong class="bidi">{safeText(g.user, 60)}</strong>
              <span class="status">{grantStatusLabel(g)}</span>
            </div>
            <TargetLine target={g.target} />
            <ActionRisks actions={g.actions} />
            <GrantProblem grant={g} now={now} />
            <p class="muted">
              Approved {formatTime(g.startsAt)}
              {g.failure ? ` · failed ${formatTime(g.failure.at)}` : ''}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
