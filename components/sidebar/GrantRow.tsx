/**
 * A grant in the sidebar's Grants tab: whose, where, what, time left, what went wrong (while the
 * broker retries, or why it gave up), and Revoke.
 */
import type { BrokerApi } from '@/lib/extension/broker-client';
import type { GrantView } from '@/lib/contract/api';
import { ActionRisks } from '../ActionRisks';
import { ConfirmButton } from '../ConfirmButton';
import { Countdown } from '../Countdown';
import { GrantProblem } from '../GrantProblem';
import { grantStatusLabel, targetName } from '../panel-format';
import { TargetLine } from '../TargetLine';
import { safeText } from '../safe-text';
import { useBrokerAction } from '../use-broker-action';

export function GrantRow(props: {
  client: BrokerApi;
  grant: GrantView;
  now?: () => number;
  onChanged: () => void;
}) {
  const g = props.grant;
  const { busy, error, run } = useBrokerAction();
  const revocable = g.status === 'active' || g.status === 'provision-failed' || g.status === 'provisioning';

  function revoke() {
    return run(async () => {
      await props.client.revokeGrant(g.id, 'revoked from the Unblock sidebar');
      props.onChanged();
    });
  }

  return (
    <li class="item grant">
      <div class="item-head">
        <strong class="bidi">{safeText(g.user, 60)}</strong>
        {g.status === 'active' ? (
          <Countdown expiresAt={g.expiresAt} now={props.now} label={targetName(g.target)} />
        ) : (
          <span class="status">{grantStatusLabel(g)}</span>
        )}
      </div>
      <TargetLine target={g.target} />
      <ActionRisks actions={g.actions} />
      <GrantProblem grant={g} now={props.now} />
      {revocable && (
        <div class="buttons">
          <ConfirmButton
            label="Revoke"
            question={`End ${safeText(g.user, 40)}’s access now?`}
            confirmLabel="Revoke"
            disabled={busy}
            onConfirm={() => void revoke()}
          />
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
