import type { Cloud } from '@/lib/contract/denial';
import { actionRisk } from '@/lib/risk';
import { RiskBadge } from './RiskBadge';
import { safeText } from './safe-text';

const INLINE_MAX = 2;

/** The denied action(s), monospace, each with its risk level: the full list (card details). */
export function ActionList({ cloud, actions }: { cloud: Cloud; actions: readonly string[] }) {
  if (!actions.length) return <span class="muted">Not named in the message</span>;
  return (
    <ul class="actions">
      {actions.slice(0, 10).map((action) => (
        <li key={action}>
          <code class="bidi">{safeText(action, 120)}</code> <RiskBadge risk={actionRisk(cloud, action)} />
        </li>
      ))}
      {actions.length > 10 && <li class="muted">and {actions.length - 10} more</li>}
    </ul>
  );
}

/** The first two actions for the headline sentence, then "+N more" (the full list is in details). */
export function ActionsInline({ cloud, actions }: { cloud: Cloud; actions: readonly string[] }) {
  const shown = actions.slice(0, INLINE_MAX);
  const rest = actions.length - shown.length;
  return (
    <>
      {shown.map((action, i) => (
        <span key={action} class="act">
          {i > 0 && (i === shown.length - 1 && rest === 0 ? ' and ' : ', ')}
          <code class="bidi" title={safeText(action, 120)}>
            {safeText(action, 120)}
          </code>
          <RiskBadge risk={actionRisk(cloud, action)} />
        </span>
      ))}
      {rest > 0 && <span class="muted"> +{rest} more</span>}
    </>
  );
}
