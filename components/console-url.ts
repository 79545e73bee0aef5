/**
 * The console page for a target, for "Open console" when the broker says to reload (Azure, GCP:
 * the grant is applied to the user's own identity, so their usual console session now has it).
 */
import type { TargetView } from '@/lib/contract/api';

export function consoleUrlFor(target: Pick<TargetView, 'cloud' | 'account'>): string {
  const account = encodeURIComponent(target.account);
  switch (target.cloud) {
    case 'aws':
      return 'https://console.aws.amazon.com/console/home';
    case 'azure':
      return `https://portal.azure.com/#@/resource/subscriptions/${account}/overview`;
    case 'gcp':
      return `https://console.cloud.google.com/home/dashboard?project=${account}`;
  }
}
