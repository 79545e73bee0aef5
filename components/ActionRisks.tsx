import type { ActionView } from '@/lib/contract/api';
import { RiskBadge } from './RiskBadge';
import { safeText } from './safe-text';

const SHOWN = 10;

/** Granted or requested permissions, each with the risk level the broker reported. */
export function ActionRisks({ actions }: { actions: readonly ActionView[] }) {
  if (!actions.length) return <span class="muted">No actions</span>;
  return (
    <ul class="actions">
      {actions.slice(0, SHOWN).map((a, i) => (
        <li key={`${a.action}-${i}`}>
          <code class="bidi">{safeText(a.action, 120)}</code> <RiskBadge risk={a.risk} />
        </li>
      ))}
      {actions.length > SHOWN && <li class="muted">and {actions.length - SHOWN} more</li>}
    </ul>
  );
}
