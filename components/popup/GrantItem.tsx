/**
 * One grant in the popup: where, what (with risk), how long is left, and what the user can do
 * with it. Actions are offered only while the grant is active.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { BrokerApi } from '@/lib/extension/broker-client';
import type { GrantView } from '@/lib/contract/api';
import { isLandingUrl, reasonOf } from '@/lib/background/request-flow';
import { ActionRisks } from '../ActionRisks';
import { ConfirmButton } from '../ConfirmButton';
import { consoleUrlFor } from '../console-url';
import { Countdown } from '../Countdown';
import { GRANT_STATUS_LABEL, targetName } from '../panel-format';
import { TargetLine } from '../TargetLine';
import { safeText } from '../safe-text';
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
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const active = grant.status === 'active';
  // Closing the Extend form puts focus back on the Extend button it replaced.
  const extendRef = useRef<HTMLButtonElement>(null);
  const refocusExtend = useRef(false);
  useEffect(() => {
    if (extending || !refocusExtend.current) return;
    refocusExtend.current = false;
    extendRef.current?.focus();
  }, [extending]);

  async function openConsole() {
    if (!client) return;
    setBusy(true);
    setMessage(null);
    try {
      const landing = await client.landing(grant.id, null);
      if (landing.kind === 'url') {
        if (!isLandingUrl(landing.url)) throw new Error('The broker sent an unusable sign-in link');
        props.openTab(landing.url);
      } else {
        const url = landing.url && isLandingUrl(landing.url) ? landing.url : consoleUrlFor(grant.target);
        props.openTab(url);
        if (landing.afterMs > 0) setMessage({ text: safeText(landing.message, 200), error: false });
      }
    } catch (e) {
      setMessage({ text: reasonOf(e), error: true });
    } finally {
      setBusy(false);
    }
  }

  async function revoke() {
    if (!client) return;
    setBusy(true);
    setMessage(null);
    try {
      await client.revokeGrant(grant.id);
      setMessage({ text: 'Revoking access…', error: false });
      props.onChanged();
    } catch (e) {
      setMessage({ text: reasonOf(e), error: true });
    } finally {
      setBusy(false);
    }
  }

  return (
    <li class={`item grant cloud-${grant.target.cloud}`}>
      <div class="item-head">
        <TargetLine target={grant.target} />
        {active ? (
          <Countdown expiresAt={grant.expiresAt} now={props.now} label={targetName(grant.target)} />
        ) : (
          <span class="status">{GRANT_STATUS_LABEL[grant.status]}</span>
        )}
      </div>
      <ActionRisks actions={grant.actions} />
      {grant.resource && <p class="muted mono bidi clip">{safeText(grant.resource, 200)}</p>}
      {grant.lastError && <p class="error bidi">{safeText(grant.lastError, 200)}</p>}
      {active && client && !extending && (
        <div class="buttons">
          <button type="button" class="primary" disabled={busy} onClick={() => void openConsole()}>
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
            onConfirm={() => void revoke()}
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
