/**
 * Exactly what approving would put in place (GET /requests/{id}/preview): the AWS session policy
 * as JSON text, or the Azure/GCP role and everything else that role carries.
 */
import { useEffect, useState } from 'preact/hooks';
import type { BrokerApi } from '@/lib/extension/broker-client';
import type { PreviewView } from '@/lib/contract/api';
import { reasonOf } from '@/lib/extension/broker-reason';
import { safeText } from '../safe-text';

const POLICY_MAX = 20_000;

export function policyText(policy: unknown): string {
  let text: string;
  try {
    text = typeof policy === 'string' ? policy : (JSON.stringify(policy, null, 2) ?? '');
  } catch {
    text = String(policy);
  }
  return text.length > POLICY_MAX ? `${text.slice(0, POLICY_MAX)}\n…` : text;
}

export function PreviewBlock(props: { client: BrokerApi; requestId: string }) {
  const [preview, setPreview] = useState<PreviewView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stale = false;
    setPreview(null);
    setError(null);
    props.client.preview(props.requestId).then(
      (p) => !stale && setPreview(p),
      (e: unknown) => !stale && setError(reasonOf(e)),
    );
    return () => {
      stale = true;
    };
  }, [props.client, props.requestId]);

  if (error) return <p class="error">What would be granted: {safeText(error, 300)}</p>;
  if (!preview) return <p class="muted">Loading what would be granted…</p>;
  return (
    <div class="preview">
      <h3>What approving grants</h3>
      <p class="bidi">{safeText(preview.summary, 400)}</p>
      {preview.sessionPolicy !== undefined && (
        <>
          <p class="muted">Session policy</p>
          <pre class="policy">{policyText(preview.sessionPolicy)}</pre>
        </>
      )}
      {preview.role && (
        <p>
          Role <strong class="bidi">{safeText(preview.role.name, 120)}</strong>{' '}
          <span class="muted mono bidi">{safeText(preview.role.id, 200)}</span> at{' '}
          <span class="mono bidi">{safeText(preview.role.scope, 300)}</span>
        </p>
      )}
      {preview.alsoGrants && preview.alsoGrants.length > 0 && (
        <>
          <p class="muted">The role also grants</p>
          <ul class="also">
            {preview.alsoGrants.slice(0, 50).map((a, i) => (
              <li key={i}>
                <code class="bidi">{safeText(a, 160)}</code>
              </li>
            ))}
            {preview.alsoGrants.length > 50 && (
              <li class="muted">and {preview.alsoGrants.length - 50} more</li>
            )}
          </ul>
        </>
      )}
      {preview.notes?.map((n, i) => (
        <p key={i} class="muted bidi">
          {safeText(n, 300)}
        </p>
      ))}
    </div>
  );
}
