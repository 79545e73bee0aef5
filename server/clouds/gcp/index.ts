/**
 * The GCP provisioner: grants by adding a conditional IAM binding to the project's policy
 * (`request.time < timestamp(expiresAt)`, policy version 3) through Cloud Resource Manager, and
 * revokes by removing exactly that binding. Wire shapes: docs/cloud-mechanics.md §3; the fakes that
 * speak them: sim/clouds/gcp. Read it by capability:
 *
 * - context.ts: the Google client, endpoints, clock, settings, caches and write queue every part uses;
 * - grant-roles.ts: which roles a grant binds, from the predefined roles grantable on the project
 *   (grantable.ts, chosen by roles.ts) or with `targets[].gcp.customRoles` a one-permission custom
 *   role per permission;
 * - project-policy.ts: the project IAM policy read-modify-write; policy.ts: the grant's pure edit;
 * - grant.ts, revoke.ts, landing.ts, preview.ts, activity.ts (Cloud Logging); ref.ts: what a grant
 *   leaves behind; inventory.ts: what the project holds that Unblock made (the reconciler's view); google.ts: the HTTP client, token and errors.
 */
import type { Provisioner } from '../../provision/types';
import { activityGcp } from './activity';
import type { GcpCloudConfig, GcpTargetConfig } from './config';
import { createGcpContext, type GcpProvisionerOptions } from './context';
import { grantGcp } from './grant';
import { inventoryGcp, removeHeldGcp } from './inventory';
import { landingGcp } from './landing';
import { previewGcp } from './preview';
import { revokeGcp } from './revoke';

export { GCP_DEFAULT_ENDPOINTS, type GcpProvisionerOptions } from './context';
export { GCP_PROPAGATION, landingUrl } from './landing';
export type { GcpProviderRef } from './ref';

export function createGcpProvisioner(
  cloud: GcpCloudConfig,
  targetConfig: (projectId: string) => GcpTargetConfig | undefined,
  options: GcpProvisionerOptions = {},
): Provisioner {
  const ctx = createGcpContext(cloud, targetConfig, options);
  return {
    name: 'gcp',
    grant: (grant, identities, context) => grantGcp(ctx, grant, identities, context),
    revoke: (grant, ref, identities) => revokeGcp(ctx, grant, ref, identities),
    landing: (grant, _ref, _identities, destination) => landingGcp(ctx, grant, destination),
    preview: (target, actions, resource) => previewGcp(ctx, target, actions, resource),
    decode(): Promise<null> {
      // GCP denials are plain text (permission and resource are in the message): nothing to decode.
      return Promise.resolve(null);
    },
    activity: (grant, ref, identities) => activityGcp(ctx, grant, ref, identities),
    inventory: (target) => inventoryGcp(ctx, target),
    removeHeld: (held) => removeHeldGcp(ctx, held),
  };
}
