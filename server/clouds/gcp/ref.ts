/** What a GCP grant leaves behind: the conditional binding(s) it added, by project, member and title. */
import type { ProviderRef } from '../../provision/types';

/** What `grant` returns and revocation reads back (stored as `grants.provider_ref`). */
// A type alias, not an interface: only aliases are assignable to ProviderRef's index signature.
export type GcpProviderRef = {
  readonly kind: 'gcp-iam-binding';
  readonly project: string;
  readonly member: string;
  readonly roles: readonly string[];
  readonly conditionTitle: string;
  readonly expiresAt: string;
};

/** The stored ref's fields when it is a GCP one; none when `grant` never returned. */
export const refOf = (ref: ProviderRef | null): Partial<GcpProviderRef> =>
  ref && ref.kind === 'gcp-iam-binding' ? ref : {};
