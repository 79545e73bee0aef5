/**
 * A project's IAM policy, read-modify-written through Cloud Resource Manager: read it (always
 * version 3), apply the grant's edit (policy.ts), write it back with the etag read, and redo the
 * whole round when someone else wrote in between (docs/cloud-mechanics.md §3.3). Writes to one
 * project go one at a time within this broker, so its own grants do not abort each other.
 */
import { ProvisionError } from '../../provision/types';
import type { GcpContext } from './context';
import { backoff } from './google';
import type { IamPolicy } from './policy';

/** Concurrent policy changes: redo the whole read-modify-write this many times (docs/cloud-mechanics.md §3.3). */
const RMW_ATTEMPTS = 5;
const RMW_BACKOFF_MS = 250;

/**
 * Apply `edit` to the project's policy, after any write to it already queued in this broker.
 * `edit` returns null when the policy already says what it should (no write).
 */
export function changeProjectPolicy(
  ctx: GcpContext,
  projectId: string,
  edit: (policy: IamPolicy) => IamPolicy | null,
): Promise<void> {
  return ctx.serialPerProject(projectId, () => modifyPolicy(ctx, projectId, edit));
}

const projectUrl = (ctx: GcpContext, projectId: string, method: string) =>
  `${ctx.endpoints.resourceManager}/v1/projects/${encodeURIComponent(projectId)}:${method}`;

/** The project's IAM policy as it is now (version 3: conditional bindings whole). */
export function getPolicy(ctx: GcpContext, projectId: string): Promise<IamPolicy> {
  return ctx.google.call<IamPolicy>({
    method: 'POST',
    url: projectUrl(ctx, projectId, 'getIamPolicy'),
    // Always version 3: a lower version returns conditional bindings stripped and renamed, and
    // writing that back would destroy them (docs/cloud-mechanics.md §3.3).
    body: { options: { requestedPolicyVersion: 3 } },
    what: `read the IAM policy of projects/${projectId}`,
    permission: 'resourcemanager.projects.getIamPolicy',
  });
}

/** get → edit → set with the etag read, redone on `ABORTED` (someone else wrote in between). */
async function modifyPolicy(
  ctx: GcpContext,
  projectId: string,
  edit: (policy: IamPolicy) => IamPolicy | null,
): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    const policy = await getPolicy(ctx, projectId);
    const next = edit(policy);
    if (next === null) return;
    try {
      await ctx.google.call({
        method: 'POST',
        url: projectUrl(ctx, projectId, 'setIamPolicy'),
        body: { policy: { ...next, version: 3, etag: policy.etag }, updateMask: 'bindings,etag' },
        what: `change the IAM policy of projects/${projectId}`,
        permission: 'resourcemanager.projects.setIamPolicy',
      });
      return;
    } catch (e) {
      if (!(e instanceof ProvisionError && e.code === 'ABORTED')) throw e;
      if (attempt + 1 >= RMW_ATTEMPTS) {
        throw new ProvisionError(
          `the IAM policy of projects/${projectId} kept changing under the broker (${RMW_ATTEMPTS} tries); will retry`,
          true,
          'ABORTED',
        );
      }
      const delay = backoff(RMW_BACKOFF_MS, attempt);
      ctx.log(`gcp: projects/${projectId}: concurrent policy change, re-reading in ${delay} ms`);
      await ctx.sleep(delay);
    }
  }
}
