/**
 * What approving a GCP request would grant, for the approver: the role(s) the grant would bind
 * (the same choice `grant` makes), what else they allow, and how the binding behaves.
 */
import type { Grant } from '../../domain';
import type { GrantPreview } from '../../provision/types';
import type { GcpContext } from './context';
import { checkPermissions, choosePredefined, usesCustomRoles } from './grant-roles';
import { customRoleName, extraPermissions } from './roles';

/** The approver sees this many of the role's other permissions; the rest are counted. */
const ALSO_GRANTS_CAP = 50;

export async function previewGcp(
  ctx: GcpContext,
  target: Grant['target'],
  actions: readonly string[],
  resource: string | null,
): Promise<GrantPreview> {
  const projectId = target.account;
  const permissions = checkPermissions(actions);
  const scope = `projects/${projectId}`;
  const notes = [
    'Google applies IAM changes in about 2 minutes, sometimes 7 or more.',
    'The binding carries an IAM condition that ends it at expiry even if revocation fails.',
  ];
  if (resource) notes.push(`The role is bound on the whole project, not only on ${resource}.`);
  if (usesCustomRoles(ctx, projectId)) {
    const names = permissions.map((p) => customRoleName(projectId, p));
    if (names.length > 1) notes.push(`Also binds ${names.slice(1).join(', ')}.`);
    return {
      summary: `Binds the one-permission custom role${names.length > 1 ? 's' : ''} ${names.join(', ')} on ${scope} until the grant ends.`,
      role: { id: names[0]!, name: `Unblock: ${permissions[0]!}`, scope },
      alsoGrants: [],
      notes,
    };
  }
  const roles = await choosePredefined(ctx, projectId, permissions);
  const extra = extraPermissions(roles, permissions);
  if (extra.length > ALSO_GRANTS_CAP) notes.push(`…and ${extra.length - ALSO_GRANTS_CAP} more permissions.`);
  if (roles.length > 1) {
    notes.push(
      `No single role contains every permission; also binds ${roles
        .slice(1)
        .map((r) => r.name)
        .join(', ')}.`,
    );
  }
  const first = roles[0]!;
  return {
    summary:
      `Binds ${roles.map((r) => `${r.name}${r.title ? ` (${r.title})` : ''}`).join(', ')} on ${scope} ` +
      `until the grant ends; it carries ${extra.length} permission${extra.length === 1 ? '' : 's'} beyond those requested.`,
    role: { id: first.name, name: first.title ?? first.name, scope },
    alsoGrants: extra.slice(0, ALSO_GRANTS_CAP),
    notes,
  };
}
