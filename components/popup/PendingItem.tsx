/** A request of the user's still waiting for approvers, with Cancel. */
import type { BrokerApi } from '@/lib/extension/broker-client';
import type { AccessRequestView } from '@/lib/contract/api';
import { ActionRisks } from '../ActionRisks';
import { formatTime, quorumText } from '../panel-format';
import { TargetLine } from '../TargetLine';
import { safeText } from '../safe-text';
import { useBrokerAction } from '../use-broker-action';

export function PendingItem(props: {
  request: AccessRequestView;
  client: BrokerApi | null;
  onChanged: () => void;
}) {
  const { request: r, client } = props;
  const { busy, error, run } = useBrokerAction();
  const advice = r.decision.advice[0];

  function cancel(c: BrokerApi) {
    return run(async () => {
      await c.cancel(r.id);
      props.onChanged();
    });
  }

  return (
    <li class="item pending">
      <div class="item-head">
        <TargetLine target={r.target} />
        <span class="status">
          {r.linkedGrantId ? 'Extension waiting' : 'Waiting'} ({quorumText(r)})
        </span>
      </div>
      <ActionRisks actions={r.actions} />
      <p class="muted">
        Filed {formatTime(r.createdAt)}
        {r.linkedGrantId ? ' · more time on an active grant' : ''}
      </p>
      {advice && <p class="muted bidi">{safeText(advice, 300)}</p>}
      {client && (
        <div class="buttons">
          <button type="button" disabled={busy} onClick={() => void cancel(client)}>
            Cancel request
          </button>
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {safeText(error, 300)}
        </p>
      )}
    </li>
  );
}
