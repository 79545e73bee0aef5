import type { Cloud } from '@/lib/contract/denial';
import { actionRisk } from '@/lib/risk';
import { RiskBadge } from './RiskBadge';
import { safeText } from './safe-text';

/** The denied action(s), monospace, each with its risk level. */
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
