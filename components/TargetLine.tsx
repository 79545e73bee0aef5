import type { TargetView } from '@/lib/contract/api';
import { targetAccount, targetName } from './panel-format';

/** `production (prod)` with `AWS 222222222222` beside it, quieter. */
export function TargetLine({ target }: { target: TargetView }) {
  return (
    <span class="target">
      <strong class="bidi">{targetName(target)}</strong>{' '}
      <span class="muted bidi">{targetAccount(target)}</span>
    </span>
  );
}
