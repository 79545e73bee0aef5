/**
 * What went wrong with a grant, in the popup and the side panel: why the broker gave up on it and
 * what an operator can do; or, while it retries, the error and when it tries again (attempt n of
 * m). Nothing for a grant without trouble. Everything from the broker goes through safeText.
 */
import type { GrantView } from '@/lib/contract/api';
import { failureText, OPERATOR_ADVICE_LABEL } from '@/lib/grant-failure';
import { isRetryingGrant, retryText } from './panel-format';
import { safeText } from './safe-text';

export function GrantProblem({ grant, now }: { grant: GrantView; now?: () => number }) {
  const at = now?.() ?? Date.now();
  if (grant.failure) {
    return (
      <div class="problem">
        <p class="error bidi">{safeText(failureText(grant.failure), 400)}</p>
        <p class="advice bidi">
          <strong>{OPERATOR_ADVICE_LABEL}</strong> {safeText(grant.failure.advice, 400)}
        </p>
      </div>
    );
  }
  if (isRetryingGrant(grant) || grant.status === 'revoke-failed') {
    return (
      <div class="problem">
        {grant.lastError && <p class="error bidi">{safeText(grant.lastError, 300)}</p>}
        <p class="muted">{retryText(grant, at)}</p>
      </div>
    );
  }
  return grant.lastError ? <p class="error bidi">{safeText(grant.lastError, 200)}</p> : null;
}
