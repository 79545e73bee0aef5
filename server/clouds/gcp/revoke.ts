/**
 * Revoking on GCP: take the grant's member out of the grant's conditional binding(s), found by the
 * condition title the grant id gives them, in the project's policy (policy.ts says what stays).
 * Works without a stored ref (`grant` never returned) by deriving the title and project from the grant.
 */
import type { Grant } from '../../domain';
import type { CloudIdentities, ProviderRef } from '../../provision/types';
import type { GcpContext } from './context';
import { conditionTitle, withoutGrantBindings } from './policy';
import { changeProjectPolicy } from './project-policy';
import { refOf } from './ref';

export async function revokeGcp(
  ctx: GcpContext,
  grant: Grant,
  ref: ProviderRef | null,
  identities: CloudIdentities,
): Promise<void> {
  const stored = refOf(ref);
  const projectId = stored.project ?? grant.target.account;
  const title = stored.conditionTitle ?? conditionTitle(grant.id);
  const member = stored.member ?? identities.gcp ?? null;
  await changeProjectPolicy(ctx, projectId, (p) => withoutGrantBindings(p, title, member));
}
