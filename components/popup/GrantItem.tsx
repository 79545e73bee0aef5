/**
 * One grant in the popup: where, what (with risk), how long is left, and what the user can do
 * with it. Actions are offered only while the grant is active.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { BrokerApi } from '@/lib/extension/broker-client';
import type { GrantView } from '@/lib/contract/api';
import { landingStep } from '@/lib/extension/landing';
import { ActionRisks } from '../ActionRisks';
import { ConfirmButton } from '../ConfirmButton';
import { consoleUrlFor } from '../console-url';
import { Countdown } from '../Countdown';
import { GrantProblem } from '../GrantProblem';
import { grantStatusLabel, targetName } from '../panel-format';
import { TargetLine } from '../TargetLine';
import { safeText } from '../safe-text';
import { useBrokerAction } from '../use-broker-action';
import { ExtendForm } from './ExtendForm';

export function GrantItem(props: {
  grant: GrantView;
  client: BrokerApi | null;
  now?: () => number;
  openTab: (url: string) => void;
  onChanged: () => void;
}) {
  const { grant, client } = props;
  const [extending, setExtending] = useState(false);
  const action = useBrokerAction();
  const { busy } = action;
  const active = grant.status === 'active';
  // Closing the Extend form puts focus back on the Extend button it replaced.
  const extendRef = useRef<HTMLButtonElement>(null);
  const refocusExtend = useRef(false);
  useEffect(() => {
    if (extending || !refocusExtend.current) return;
    refocusExtend.current = false;
    extendRef.current?.focus();
  }, [extending]);

  function openConsole(c: BrokerApi) {
    return action.run(async () => {
      const landing = await c.landing(grant.id, null);
      const next = landingStep(landing, { page: consoleUrlFor(grant.target), pageWhenUnusable: true });
      if (next.kind === 'unusable') throw new Error(next.reason);
      props.openTab(next.url);
      // The grant may not show on that page yet: say so.
      if (next.kind === 'load' && next.propagation.maxMs > 0) return safeText(next.message, 200);
    });
  }

  function revoke(c: BrokerApi) {
    return action.run(async () => {
      await c.revokeGrant(grant.id);
      props.onChanged();
      return 'Revoking access…';
    });
  }

  const message = action.error
    ? { text: action.error, error: true }
    : action.done
      ? { text: action.done, error: false }
      : null;

  return (
    <li class={`item grant cloud-${grant.target.cloud}`}>
      <div class="item-head">
        <TargetLine target={grant.target} />
        {active ? (
          <Countdown expiresAt={grant.expiresAt} now={props.now} label={targetName(grant.target)} />
        ) : (
          <span class="status">{grantStatusLabel(grant)}</span>
        )}
      </div>
      <ActionRisks actions={grant.actions} />
      {grant.resource && <p class="muted mono bidi clip">{safeText(grant.resource, 200)}</p>}
      <GrantProblem grant={grant} now={props.now} />
      {active && client && !extending && (
        <div class="buttons">
          <button type="button" class="primary" disabled={busy} onClick={() => void openConsole(client)}>
            Open console as this grant
          </button>
          <button type="button" ref={extendRef} disabled={busy} onClick={() => setExtending(true)}>
            Extend
          </button>
          <ConfirmButton
            label="Revoke now"
            question="End this access now?"
            confirmLabel="Revoke"
            disabled={busy}
            onConfirm={() => void revoke(client)}
          />
        </div>
      )}
      {extending && client && (
        <ExtendForm
          grant={grant}
          client={client}
          onDone={props.onChanged}
          onClose={() => {
            refocusExtend.current = true;
            setExtending(false);
          }}
        />
      )}
      {message && (
        <p class={message.error ? 'error' : 'muted'} role={message.error ? 'alert' : 'status'}>
          {message.text}
        </p>
      )}
    </li>
  );
}
