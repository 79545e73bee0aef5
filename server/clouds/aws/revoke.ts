/**
 * Early revocation: a deny on the JIT role itself (an inline policy, `cloud.revocationPolicyName`)
 * naming the user's sessions of one request issued up to a cutoff. STS sessions cannot be ended,
 * only denied. Denies that can no longer catch a live session are swept out on every write and by
 * `maintain`, so the policy stays under IAM's size limit.
 */
import { DeleteRolePolicyCommand, GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { Grant } from '../../domain';
import { ProvisionError, type CloudIdentities, type ProviderRef } from '../../provision/types';
import { iamFor } from './clients';
import { roleNameOf, target, type AwsContext } from './context';
import { codeOf, toProvisionError, withIamHint } from './errors';
import {
  ROLE_INLINE_MAX_CHARS,
  mergeRevocations,
  parseRevocations,
  policyChars,
  revocationDocument,
  sessionNameFor,
  type Revocation,
} from './policies';

/** Clock skew between the broker and AWS the revocation cutoff allows for (see `revoke`). */
const CUTOFF_SKEW_MS = 5 * 60_000;

/**
 * Reads, merges (adds `add`, drops stale denies) and writes back the role's revocation policy,
 * one read-modify-write per role at a time. Returns how many stale denies were dropped.
 */
async function updateRevocations(ctx: AwsContext, account: string, add: Revocation | null): Promise<number> {
  const t = target(ctx, account);
  const roleName = roleNameOf(t.roleArn);
  const policyName = ctx.cloud.revocationPolicyName;
  const iam = iamFor(ctx, account);
  return ctx.roleSerial(t.roleArn, async () => {
    let current: string | null = null;
    try {
      const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
      // IAM returns the document URL-encoded and the SDK leaves it so.
      current = out.PolicyDocument ? decodeURIComponent(out.PolicyDocument) : null;
    } catch (e) {
      if (codeOf(e) !== 'NoSuchEntity') {
        throw withIamHint(toProvisionError(e, `GetRolePolicy ${policyName} on ${t.roleArn}`), t);
      }
    }
    const { statements, dropped } = mergeRevocations(
      parseRevocations(current),
      add,
      ctx.now(),
      t.maxSessionSeconds,
    );
    if (statements.length === 0) {
      if (current !== null) {
        try {
          await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
        } catch (e) {
          if (codeOf(e) !== 'NoSuchEntity') {
            throw withIamHint(toProvisionError(e, `DeleteRolePolicy ${policyName} on ${t.roleArn}`), t);
          }
        }
      }
      return dropped;
    }
    const document = revocationDocument(statements);
    if (add === null && dropped === 0) return 0;
    if (policyChars(document) > ROLE_INLINE_MAX_CHARS) {
      throw new ProvisionError(
        `the revocation policy ${policyName} on ${t.roleArn} would be ${policyChars(document)} characters; IAM allows ${ROLE_INLINE_MAX_CHARS} for all of a role's inline policies. Older denies drop out ${t.maxSessionSeconds} s after their cutoff`,
        true,
        'LimitExceeded',
      );
    }
    try {
      await iam.send(
        new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: document }),
      );
    } catch (e) {
      throw withIamHint(toProvisionError(e, `PutRolePolicy ${policyName} on ${t.roleArn}`), t);
    }
    return dropped;
  });
}

/** `Provisioner.revoke`: deny the grant's sessions on the role, unless they already ended. */
export async function revokeSessions(
  ctx: AwsContext,
  grant: Grant,
  ref: ProviderRef | null,
  identities: CloudIdentities,
): Promise<void> {
  const refIdentity = typeof ref?.sourceIdentity === 'string' ? ref.sourceIdentity : undefined;
  const identity = refIdentity ?? identities.aws;
  // Without settings for the account or an identity, `grant` refused before creating
  // anything: nothing to take away (but a grant that did create something must be revoked
  // even if its settings were removed since: that is an error for the operator).
  if (!ctx.targetConfig(grant.target.account) && ref !== null) target(ctx, grant.target.account);
  if (!identity || !ctx.targetConfig(grant.target.account)) {
    ctx.held.delete(grant.id);
    return;
  }
  const at = ctx.now();
  const refEnd = typeof ref?.sessionExpiresAt === 'string' ? Date.parse(ref.sessionExpiresAt) : 0;
  const latestEnd = Math.max(refEnd, ctx.held.get(grant.id)?.latestEnd.getTime() ?? 0);
  // At natural expiry the sessions end by themselves: STS credentials cannot outlive their
  // DurationSeconds, which was at most the grant's remaining lifetime, and console sessions
  // are never asked for beyond their credentials. Only AWS's 15-minute minimum can make one
  // outlive the grant: then it is denied like an early revoke.
  if (at >= grant.expiresAt && latestEnd <= at.getTime()) {
    ctx.held.delete(grant.id);
    ctx.log(`aws: grant ${grant.id} ended: its sessions expired with it, nothing to revoke`);
    return;
  }
  const sessionName =
    typeof ref?.sessionName === 'string' ? ref.sessionName : sessionNameFor(grant.requestId);
  // The cutoff is a little ahead of the broker's clock so a session AWS stamped a moment
  // "later" (clock skew) is still caught; it only names this grant's sessions, which the
  // broker no longer issues, so the margin cannot catch another grant.
  const cutoff = new Date(at.getTime() + CUTOFF_SKEW_MS);
  await updateRevocations(ctx, grant.target.account, { sourceIdentity: identity, sessionName, cutoff });
  ctx.held.delete(grant.id);
  ctx.log(
    `aws: grant ${grant.id}: denied sessions ${sessionName} of ${identity} issued up to ${cutoff.toISOString()}`,
  );
}

/** Drops denies that can no longer matter from `account`'s JIT role; returns how many. */
export const sweepRevocations = (ctx: AwsContext, account: string): Promise<number> =>
  updateRevocations(ctx, account, null);
