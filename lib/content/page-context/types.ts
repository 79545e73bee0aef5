import type { ParseHints } from '../../contract/denial';

/**
 * What a console page tells us about the signed-in session. `ParseHints` fills what a denial
 * message lacks; the extra fields are only shown to the user (and sent with the request later).
 */
export type PageContext = ParseHints & {
  /** Azure directory (tenant) id or domain from the portal URL. */
  tenant?: string;
  /** GCP `authuser` index (which signed-in Google account the console uses). */
  authuser?: string;
  /** Human label for the account: AWS account alias, when the console shows one. */
  accountLabel?: string;
  /** The console's partition (lib/clouds.ts `ConsoleFacts.partition`): `aws-us-gov`, `AzureChinaCloud`… */
  partition?: string;
};
