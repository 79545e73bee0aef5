/**
 * The Azure provisioner: grants the smallest built-in role carrying the denied action(s), at the
 * narrowest scope the denial names, for exactly the grant's lifetime, through ARM's REST APIs
 * (docs/cloud-mechanics.md §2). Read it by capability:
 *
 * - context.ts: the ARM client, clock, settings and role catalogue every part works with;
 * - catalogue.ts: the built-in role definitions and the role and scope one grant gets;
 * - grant.ts: a PIM schedule request (`pim` targets) or a plain role assignment (`assignment`);
 *   pim.ts: what the PIM paths share, request-status.ts: what each request status means,
 *   pim-policy.ts: a role's PIM settings refusing a grant; ref.ts: what a grant leaves behind and
 *   its GUID names;
 * - revoke.ts, landing.ts, preview.ts, activity.ts (the Activity Log); handover.ts: which Unblock
 *   grant owns a live assignment; inventory.ts: what a subscription holds that Unblock made;
 * - arm.ts (HTTP and errors), roles.ts (the pure role choice), wire.ts (ARM's paths and bodies).
 */
import type { Provisioner } from '../../provision/types';
import { activityAzure } from './activity';
import type { AzureCloudConfig, AzureTargetConfig } from './config';
import { createAzureContext, type AzureProvisionerOptions } from './context';
import { grantAzure } from './grant';
import { inventoryAzure, removeHeldAzure } from './inventory';
import { landingAzure } from './landing';
import { previewAzure } from './preview';
import { revokeAzure } from './revoke';

export type { AzureProvisionerOptions } from './context';
export { AZURE_PROPAGATION } from './landing';
export { STILL_DENIED_ADVICE } from './preview';
export { AzureRef, deterministicGuid } from './ref';
export { REMOVAL_FLOOR_MS } from './revoke';
export { ACTIVITY_API_VERSION, PIM_API_VERSION, RBAC_API_VERSION } from './wire';

export function createAzureProvisioner(
  cloud: AzureCloudConfig,
  targetConfig: (subscriptionId: string) => AzureTargetConfig | undefined,
  options: AzureProvisionerOptions = {},
): Provisioner {
  const ctx = createAzureContext(cloud, targetConfig, options);
  return {
    name: 'azure',
    grant: (grant, identities, context) => grantAzure(ctx, grant, identities, context),
    revoke: (grant, ref) => revokeAzure(ctx, grant, ref),
    landing: (_grant, _ref, _identities, destination) => landingAzure(ctx, destination),
    preview: (grantTarget, actions, resource) => previewAzure(ctx, grantTarget, actions, resource),
    decode() {
      // Azure denials name the action and scope in clear text: nothing to decode.
      return Promise.resolve(null);
    },
    activity: (grant, _ref, identities) => activityAzure(ctx, grant, identities),
    inventory: (target) => inventoryAzure(ctx, target),
    removeHeld: (held) => removeHeldAzure(ctx, held),
  };
}
