/**
 * What approving an Azure request would grant, for the approver: the role and scope the grant
 * would get (the same choice `grant` makes), what else the role allows, and how it will behave.
 */
import type { Grant } from '../../domain';
import type { GrantPreview } from '../../provision/types';
import { planGrant } from './catalogue';
import { targetOf, type AzureContext } from './context';
import { alsoGrants } from './roles';

/** Shown when the page is still denied after a reload or two (the cached-token case of docs/cloud-mechanics.md §2.5). */
export const STILL_DENIED_ADVICE =
  'Still denied after 2 minutes? Azure keeps your old permissions with your sign-in token for up to 10 minutes: sign out of the Azure portal and back in to get a new token.';

export async function previewAzure(
  ctx: AzureContext,
  grantTarget: Grant['target'],
  actions: readonly string[],
  resource: string | null,
): Promise<GrantPreview> {
  const mode = targetOf(ctx, grantTarget.account).mode;
  const { role, scope, roleDefinitionId } = await planGrant(
    ctx.roleCatalogue,
    grantTarget.account,
    actions,
    resource,
  );
  const notes = [
    mode === 'pim'
      ? "A PIM active assignment that Azure ends by itself at expiry; the role's PIM settings for active assignments may cap its duration or require MFA, which the broker cannot satisfy."
      : 'A plain role assignment (no PIM): the broker deletes it at expiry.',
    `Azure may take up to 10 minutes to apply it everywhere. ${STILL_DENIED_ADVICE}`,
  ];
  return {
    summary: `Azure role ${role.roleName} at ${scope}`,
    role: { id: roleDefinitionId, name: role.roleName, scope },
    alsoGrants: alsoGrants(role, actions),
    notes,
  };
}
