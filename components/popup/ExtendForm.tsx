/**
 * "Extend": ask for more time on a grant. The broker files a linked request that policy decides
 * like any other; the form then says what happened to it (auto-approved, waiting, refused).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { BrokerApi } from '@/lib/extension/broker-client';
import type { AccessRequestView, GrantView } from '@/lib/contract/api';
import { DEFAULT_DURATION_MINUTES, JUSTIFICATION_MAX } from '@/lib/contract/constants';
import { DurationPicker } from '../DurationPicker';
import { TextField } from '../TextField';
import { safeText } from '../safe-text';
import { useBrokerAction } from '../use-broker-action';

export function extendOutcome(r: AccessRequestView): string {
  switch (r.status) {
    case 'approved':
      return 'Extension auto-approved: the new end time shows in a moment.';
    case 'pending':
      return r.decision.requiredApprovals > 1
        ? `Extension waiting for approval (${r.approvals.length} of ${r.decision.requiredApprovals}).`
        : 'Extension waiting for approval.';
    case 'denied':
      return 'Extension refused.';
    default:
      return `Extension ${r.status}.`;
  }
}

export function ExtendForm(props: {
  grant: GrantView;
  client: BrokerApi;
  onDone: () => void;
  onClose: () => void;
}) {
  const { grant } = props;
  const [minutes, setMinutes] = useState(DEFAULT_DURATION_MINUTES);
  const [why, setWhy] = useState('');
  const { busy, error, run, fail } = useBrokerAction();
  const [result, setResult] = useState<AccessRequestView | null>(null);
  const base = `extend-${grant.id}`;
  // The form replaces the Extend button, and the outcome replaces the form: focus follows, so a
  // keyboard user is not sent back to the top of the popup.
  const formRef = useRef<HTMLFormElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('select, input')?.focus();
  }, []);
  useEffect(() => {
    if (result) closeRef.current?.focus();
  }, [result]);

  async function submit(e: Event) {
    e.preventDefault();
    if (!why.trim()) {
      fail('Say why you need more time');
      return;
    }
    await run(async () => {
      const linked = await props.client.extendGrant(grant.id, {
        durationMinutes: minutes,
        justification: why.trim(),
      });
      setResult(linked);
      props.onDone();
    });
  }

  if (result) {
    const advice = result.decision.advice[0];
    return (
      <div class="extend-result" role="status">
        <p>{extendOutcome(result)}</p>
        {advice && <p class="muted bidi">{safeText(advice, 300)}</p>}
        <button type="button" ref={closeRef} onClick={props.onClose}>
          Close
        </button>
      </div>
    );
  }
  return (
    <form class="extend" ref={formRef} onSubmit={(e) => void submit(e)} aria-label="Extend access">
      <DurationPicker id={`${base}-duration`} value={minutes} disabled={busy} onChange={setMinutes} />
      <TextField
        id={`${base}-why`}
        label="Why more time?"
        value={why}
        maxLength={JUSTIFICATION_MAX}
        disabled={busy}
        invalid={!!error}
        describedBy={error ? `${base}-error` : undefined}
        onInput={setWhy}
      />
      {error && (
        <p id={`${base}-error`} class="error" role="alert">
          {safeText(error, 300)}
        </p>
      )}
      <div class="buttons">
        <button type="submit" class="primary" disabled={busy}>
          Ask for more time
        </button>
        <button type="button" disabled={busy} onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
