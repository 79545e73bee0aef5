/**
 * The AWS provisioner: grants through STS `AssumeRole` into each target account's JIT role, with
 * the user as `SourceIdentity` and a session policy allowing exactly the granted actions; lands
 * the denied console tab through federation sign-in; revokes early with a deny on the role;
 * decodes encoded denials and reads CloudTrail (docs: docs/cloud-mechanics.md §1, docs/clouds/aws.md).
 *
 * Credentials of the role sessions never leave this folder: they live in memory, keyed by grant
 * id, for `landing` to turn into a sign-in token. After a restart they are gone, and landing
 * simply assumes the role again (same session name, same policy): AssumeRole is idempotent in
 * effect, and the old session keeps its own expiry.
 *
 * Read by capability: context.ts (config, shared state) and clients.ts (the broker's calls in a
 * target account); session.ts (grant), revoke.ts (revoke, sweep), landing.ts, preview.ts,
 * decode.ts, activity.ts (regions.ts: which regions), doctor.ts (the setup check); errors.ts
 * (SDK errors); policies.ts (the documents, pure).
 */
import type { Provisioner } from '../../provision/types';
import { sessionActivity } from './activity';
import type { AwsCloudConfig, AwsTargetConfig } from './config';
import { createAwsContext, type AwsProvisionerOptions } from './context';
import { decodeDenial } from './decode';
import { checkSetup, type SetupCheck } from './doctor';
import { consoleLanding } from './landing';
import { previewGrant } from './preview';
import { revokeSessions, sweepRevocations } from './revoke';
import { grantSession } from './session';

export type { AwsProvisionerOptions } from './context';
export type { SetupCheck } from './doctor';

export interface AwsProvisioner extends Provisioner {
  readonly name: 'aws';
  /**
   * Drop revocation denies that can no longer matter from the JIT role of `account` (every
   * session they could catch has expired), deleting the policy when none is left. Every revoke
   * already does this for its role; the worker may call it on a schedule so a quiet role does
   * not keep stale denies. Returns how many were dropped.
   */
  sweepRevocations(account: string): Promise<number>;
  /**
   * The setup check of `account` for an operator: the broker's kind of credentials, what the JIT
   * role's trust policy allows it (AssumeRole, TagSession, SetSourceIdentity, each refusal with
   * what to add), the revocation policy's access and CloudTrail in every region activity reads.
   */
  checkSetup(account: string): Promise<readonly SetupCheck[]>;
}

export function createAwsProvisioner(
  cloud: AwsCloudConfig,
  targetConfig: (account: string) => AwsTargetConfig | undefined,
  options: AwsProvisionerOptions = {},
): AwsProvisioner {
  const ctx = createAwsContext(cloud, targetConfig, options);
  return {
    name: 'aws',
    grant: (grant, identities, context) => grantSession(ctx, grant, identities, context),
    revoke: (grant, ref, identities) => revokeSessions(ctx, grant, ref, identities),
    landing: (grant, _ref, identities, destination) => consoleLanding(ctx, grant, identities, destination),
    preview: (targetRef, actions, resource) => previewGrant(ctx, targetRef, actions, resource),
    decode: (targetRef, encodedMessage) => decodeDenial(ctx, targetRef, encodedMessage),
    activity: (grant, ref) => sessionActivity(ctx, grant, ref),
    sweepRevocations: (account) => sweepRevocations(ctx, account),
    checkSetup: (account) => checkSetup(ctx, account),
    maintain: async (target) => {
      await sweepRevocations(ctx, target.account);
    },
  };
}
