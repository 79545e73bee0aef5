/**
 * The console page for a target, for "Open console" when the broker says to reload (Azure, GCP:
 * the grant is applied to the user's own identity, so their usual console session now has it).
 */
import { CLOUD_FACTS } from '@/lib/clouds';
import type { TargetView } from '@/lib/contract/api';

export function consoleUrlFor(target: Pick<TargetView, 'cloud' | 'account'>): string {
  return CLOUD_FACTS[target.cloud].consoleHome(target.account);
}
