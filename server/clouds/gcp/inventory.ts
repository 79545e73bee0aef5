/**
 * What a GCP project holds that Unblock made, for the reconciler (server/reconcile/): the
 * conditional bindings whose condition title is Unblock's (`unblock <grant id>`, policy.ts), one
 * entry per grant and member, read with `getIamPolicy` (version 3). Removing one takes that member
 * out of that grant's bindings, exactly as a revoke does.
 */
import type { Grant } from '../../domain';
import type { HeldAccess } from '../../provision/types';
import type { GcpContext } from './context';
import { conditionTitle, withoutGrantBindings } from './policy';
import { changeProjectPolicy, getPolicy } from './project-policy';

const TITLE_PREFIX = conditionTitle('');

export async function inventoryGcp(ctx: GcpContext, target: Grant['target']): Promise<HeldAccess[]> {
  const policy = await getPolicy(ctx, target.account);
  const held = new Map<
    string,
    { grantId: string; member: string; title: string; roles: string[]; until: string }
  >();
  for (const binding of policy.bindings ?? []) {
    const title = binding.condition?.title;
    if (!title?.startsWith(TITLE_PREFIX)) continue;
    for (const member of binding.members) {
      const key = `${title}\u0000${member}`;
      const entry = held.get(key) ?? {
        grantId: title.slice(TITLE_PREFIX.length),
        member,
        title,
        roles: [],
        until: binding.condition?.expression ?? '',
      };
      entry.roles.push(binding.role);
      held.set(key, entry);
    }
  }
  return [...held.values()].map((h) => ({
    key: `gcp:projects/${target.account}:${h.title}:${h.member}`,
    target: { cloud: 'gcp', account: target.account },
    grantIds: [h.grantId],
    description: `${h.roles.join(', ')} to ${h.member} (${h.until})`,
    detail: { kind: 'gcp-iam-binding', project: target.account, member: h.member, conditionTitle: h.title },
  }));
}

export async function removeHeldGcp(ctx: GcpContext, held: HeldAccess): Promise<void> {
  const project = String(held.detail.project);
  const title = String(held.detail.conditionTitle);
  const member = String(held.detail.member);
  await changeProjectPolicy(ctx, project, (p) => withoutGrantBindings(p, title, member));
}
