/**
 * Approve or deny, with a comment. A denial needs one (the requester reads it). The broker's
 * refusal (your own request, already decided, not an approver here) is shown as it says it.
 */
import { useState } from 'preact/hooks';
import type { BrokerApi } from '@/lib/extension/broker-client';
import type { AccessRequestView } from '@/lib/contract/api';
import { COMMENT_MAX } from '@/lib/contract/constants';
import { safeText } from '../safe-text';
import { useBrokerAction } from '../use-broker-action';

export function DecisionForm(props: {
  client: BrokerApi;
  request: AccessRequestView;
  onDecided: (r: AccessRequestView) => void;
}) {
  const id = `decide-${props.request.id}`;
  const [comment, setComment] = useState('');
  const { busy, error, run, fail } = useBrokerAction();

  async function decide(kind: 'approve' | 'deny') {
    if (kind === 'deny' && !comment.trim()) {
      fail('A denial needs a comment: say why, the requester will read it');
      return;
    }
    await run(async () => {
      const after =
        kind === 'approve'
          ? await props.client.approve(props.request.id, comment)
          : await props.client.deny(props.request.id, comment);
      setComment('');
      props.onDecided(after);
    });
  }

  return (
    <div class="decide">
      <div class="field">
        <label for={`${id}-comment`}>Comment (required to deny)</label>
        <textarea
          id={`${id}-comment`}
          rows={2}
          maxLength={COMMENT_MAX}
          value={comment}
          disabled={busy}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onInput={(e) => setComment(e.currentTarget.value)}
        />
      </div>
      {error && (
        <p id={`${id}-error`} class="error" role="alert">
          {safeText(error, 300)}
        </p>
      )}
      <div class="buttons">
        <button type="button" class="primary" disabled={busy} onClick={() => void decide('approve')}>
          Approve
        </button>
        <button type="button" class="danger-outline" disabled={busy} onClick={() => void decide('deny')}>
          Deny
        </button>
      </div>
    </div>
  );
}
