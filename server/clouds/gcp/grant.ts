/**
 * Granting on GCP: a conditional IAM binding on the project (`request.time < timestamp(expiresAt)`,
 * policy version 3). The condition is the backstop: if revocation never runs, IAM still stops
 * honouring the binding at expiry (the expired binding lingers until the revoke or a later grant's
 * write removes it). Re-granting (a retry, an extension) replaces the grant's bindings.
 */
import type { Grant } from '../../domain';
import type { CloudIdentities, GrantContext } from '../../provision/types';
import { memberOf, type GcpContext } from './context';
import { checkPermissions, choosePredefined, ensureCustomRole, usesCustomRoles } from './grant-roles';
import {
  conditionDescription,
  conditionTitle,
  expiryExpression,
  rfc3339,
  withGrantBindings,
  type IamBinding,
} from './policy';
import { changeProjectPolicy } from './project-policy';
import type { GcpProviderRef } from './ref';

export async function grantGcp(
  ctx: GcpContext,
  grant: Grant,
  identities: CloudIdentities,
  context: GrantContext,
): Promise<GcpProviderRef> {
  const member = memberOf(grant, identities);
  const projectId = grant.target.account;
  const permissions = checkPermissions(grant.actions);
  const roles = usesCustomRoles(ctx, projectId)
    ? await Promise.all(permissions.map((p) => ensureCustomRole(ctx, projectId, p)))
    : (await choosePredefined(ctx, projectId, permissions)).map((r) => r.name);
  const title = conditionTitle(grant.id);
  const condition = {
    title,
    description: conditionDescription(grant.requestId, context.justification),
    expression: expiryExpression(grant.expiresAt),
  };
  const wanted: IamBinding[] = roles.map((role) => ({ role, members: [member], condition }));
  await changeProjectPolicy(ctx, projectId, (p) => withGrantBindings(p, title, wanted));
  return {
    kind: 'gcp-iam-binding',
    project: projectId,
    member,
    roles,
    conditionTitle: title,
    expiresAt: rfc3339(grant.expiresAt),
  };
}
