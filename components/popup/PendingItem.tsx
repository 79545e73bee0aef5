/** A request of the user's still waiting for approvers, with Cancel. */
import { useState } from 'preact/hooks';
import type { BrokerApi } from '@/lib/extension/broker-client';
import type { AccessRequestView } from '@/lib/contract/api';
import { reasonOf } from '@/lib/background/request-flow';
import { ActionRisks } from '../ActionRisks';
import { formatTime, quorumText } from '../panel-format';
import { TargetLine } from '../TargetLine';
import { safeText } from '../safe-text';

export function PendingItem(props: {
  request: AccessRequestView;
  client: BrokerApi | null;
  onChanged: () => void;
}) {
  const r = props.request;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const advice = r.decision.advice[0];

  async function cancel() {
    if (!props.client) return;
    setBusy(true);
    setError(null);
    try {
      await props.client.cancel(r.id);
      props.onChanged();
    } catch (e) {
      setError(reasonOf(e));
    } finally {
      setBusy(false);
    }
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
      {props.client && (
        <div class="buttons">
          <button type="button" disabled={busy} onClick={() => void cancel()}>
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
