import { ProgressLine } from '../ProgressLine';
import { safeText } from '../safe-text';
import type { RequestProgress } from '@/lib/messaging/messages';
import type { RequestStatus } from './request-draft';

/**
 * Saving, saved, failed, or (with a broker) how the filed request is doing. A polite live region,
 * always present, so screen readers announce each change.
 */
export function RequestStatusLine(props: { status: RequestStatus; progress: RequestProgress | undefined }) {
  const { status } = props;
  return (
    <p
      class={`status ${status.kind}${status.kind === 'saved' && status.broker ? ' filed' : ''}`}
      aria-live="polite"
    >
      {status.kind === 'sending' && 'Saving…'}
      {status.kind === 'saved' && !status.broker && 'Request saved'}
      {status.kind === 'saved' && status.broker && <ProgressLine progress={props.progress} />}
      {status.kind === 'failed' && (
        <span class="error">Could not save the request: {safeText(status.message, 160)}</span>
      )}
    </p>
  );
}
