import { safeText } from '../safe-text';

/** The broker did not answer and nothing is cached: say so, offer a retry and the settings. */
export function Unreachable(props: { reason: string; onRetry: () => void; onOpenSettings: () => void }) {
  return (
    <section class="notice" aria-labelledby="unreachable-title">
      <h1 id="unreachable-title">The broker is unreachable</h1>
      <p class="error" role="alert">
        {safeText(props.reason, 300)}
      </p>
      <div class="buttons">
        <button type="button" class="primary" onClick={props.onRetry}>
          Try again
        </button>
        <button type="button" onClick={props.onOpenSettings}>
          Open settings
        </button>
      </div>
    </section>
  );
}
