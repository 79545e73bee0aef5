/**
 * The grant itself: STS `AssumeRole` into the target account's JIT role with the user as
 * `SourceIdentity` and a session policy allowing exactly the granted actions. The one place a
 * user's session is created; its credentials stay in `ctx.held`, and the provider ref names the
 * session (never its secrets) so revoke and activity find it again.
 */
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { Grant } from '../../domain';
import {
  ProvisionError,
  type CloudIdentities,
  type GrantContext,
  type ProviderRef,
} from '../../provision/types';
import { REFRESH_MARGIN_MS, target, type AwsContext, type HeldSession } from './context';
import { toProvisionError } from './errors';
import {
  sessionLength,
  sessionNameFor,
  sessionPolicy,
  sessionTagValue,
  validSourceIdentity,
} from './policies';

/** A grant whose session policies and tags take this much of AWS's packed space is logged. */
const PACKED_WARN_PERCENT = 80;

/** The user's AWS identity, checked to be a valid `SourceIdentity`. */
export function sourceIdentity(grant: Grant, identities: CloudIdentities): string {
  const identity = identities.aws;
  if (!identity) {
    throw new ProvisionError(
      `${grant.user} has no AWS identity in the broker's config (users[].identities.aws), needed as the session's SourceIdentity`,
      false,
    );
  }
  if (!validSourceIdentity(identity)) {
    throw new ProvisionError(
      `users[].identities.aws of ${grant.user} cannot be an AWS SourceIdentity: 2–64 characters of letters, digits and _+=,.@-, not starting with aws:`,
      false,
    );
  }
  return identity;
}

/** AssumeRole for the grant: the one place a user's session is created. */
export async function assume(
  ctx: AwsContext,
  grant: Grant,
  identity: string,
  context: GrantContext | null,
): Promise<HeldSession> {
  const t = target(ctx, grant.target.account);
  const at = ctx.now();
  const remaining = (grant.expiresAt.getTime() - at.getTime()) / 1000;
  if (remaining <= 0) {
    throw new ProvisionError(
      `the grant ended at ${grant.expiresAt.toISOString()}: nothing to put in place`,
      false,
    );
  }
  const policy = sessionPolicy(grant.requestId, grant.actions, grant.resource, t.baselinePolicyArns);
  const length = sessionLength(remaining, t.maxSessionSeconds, ctx.chained);
  const sessionName = sessionNameFor(grant.requestId);
  for (const note of length.notes) ctx.log(`aws: grant ${grant.id}: ${note}`);
  // Tag values within STS's characters and length (docs/cloud-mechanics.md §1.2).
  const tags = [{ Key: 'unblock-request', Value: sessionTagValue(grant.requestId) }];
  if (context?.ticket) tags.push({ Key: 'unblock-ticket', Value: sessionTagValue(context.ticket) });
  let out;
  try {
    out = await ctx.brokerSts.send(
      new AssumeRoleCommand({
        RoleArn: t.roleArn,
        RoleSessionName: sessionName,
        SourceIdentity: identity,
        Policy: policy,
        ...(t.baselinePolicyArns.length > 0
          ? { PolicyArns: t.baselinePolicyArns.map((arn) => ({ arn })) }
          : {}),
        ...(length.seconds === null ? {} : { DurationSeconds: length.seconds }),
        Tags: tags,
      }),
    );
  } catch (e) {
    throw toProvisionError(e, `AssumeRole ${t.roleArn} as ${sessionName}`, t.roleArn);
  }
  const c = out.Credentials;
  if (
    !c?.AccessKeyId ||
    !c.SecretAccessKey ||
    !c.SessionToken ||
    !c.Expiration ||
    !out.AssumedRoleUser?.Arn
  ) {
    throw new ProvisionError(`AssumeRole ${t.roleArn} answered without credentials`, true);
  }
  if ((out.PackedPolicySize ?? 0) >= PACKED_WARN_PERCENT) {
    ctx.log(
      `aws: grant ${grant.id}: the session policies and tags take ${out.PackedPolicySize}% of AWS's packed space (above 100 AssumeRole fails)`,
    );
  }
  const session: HeldSession = {
    credentials: {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    },
    policy,
    assumedRoleArn: out.AssumedRoleUser.Arn,
    latestEnd: c.Expiration,
  };
  const previous = ctx.held.get(grant.id);
  if (previous && previous.latestEnd > session.latestEnd) session.latestEnd = previous.latestEnd;
  ctx.held.set(grant.id, session);
  ctx.log(
    `aws: grant ${grant.id}: assumed ${t.roleArn} as ${sessionName} for ${identity} until ${c.Expiration.toISOString()} (${length.lastsSeconds} s${length.seconds === null ? ', role chaining: no DurationSeconds' : ''})`,
  );
  return session;
}

/** What is kept with the grant: the session's names, never its secrets. */
function refOf(ctx: AwsContext, grant: Grant, identity: string, session: HeldSession): ProviderRef {
  return {
    kind: 'aws',
    roleArn: target(ctx, grant.target.account).roleArn,
    sessionName: sessionNameFor(grant.requestId),
    sourceIdentity: identity,
    assumedRoleArn: session.assumedRoleArn,
    // An access key id identifies a session in CloudTrail; it is not a secret without its key.
    accessKeyId: session.credentials.accessKeyId,
    sessionExpiresAt: session.credentials.expiration.toISOString(),
  };
}

/** `Provisioner.grant`: a session for the grant, reusing the one in hand when it still fits. */
export async function grantSession(
  ctx: AwsContext,
  grant: Grant,
  identities: CloudIdentities,
  context: GrantContext,
): Promise<ProviderRef> {
  const identity = sourceIdentity(grant, identities);
  const policy = sessionPolicy(grant.requestId, grant.actions, grant.resource);
  const existing = ctx.held.get(grant.id);
  // Called again (a retry after a crash, or after the worker lost the answer): the session
  // already in hand is the grant, unless the grant changed (extended, merged).
  if (
    existing &&
    existing.policy === policy &&
    existing.credentials.expiration.getTime() - ctx.now().getTime() > REFRESH_MARGIN_MS
  ) {
    return refOf(ctx, grant, identity, existing);
  }
  return refOf(ctx, grant, identity, await assume(ctx, grant, identity, context));
}
