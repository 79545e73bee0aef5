/**
 * The setup check of one target account (docs/clouds/aws.md, "Checking the set-up"): what kind of
 * credentials the broker runs on, whether the JIT role's trust policy lets it assume the role,
 * tag the session and set its source identity (each refused action named, with what to add),
 * whether the broker can read the role's revocation policy, and whether CloudTrail answers in
 * every region activity reads. It makes one harmless session: its session policy denies
 * everything.
 */
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  type AssumeRoleCommandInput,
} from '@aws-sdk/client-sts';
import { iamFor, trailFor } from './clients';
import { roleNameOf, target, type AwsContext } from './context';
import { codeOf, toProvisionError, trustAdvice, withIamHint } from './errors';
import { MIN_SESSION_SECONDS } from './policies';
import { activityRegions } from './regions';

export interface SetupCheck {
  /** What was checked. */
  readonly name: string;
  readonly ok: boolean;
  /** What was found; when not ok, what to change. */
  readonly detail: string;
}

/** The broker's own identity, and what its kind of credentials means for session lengths. */
async function brokerIdentity(ctx: AwsContext): Promise<SetupCheck> {
  const name = 'the broker credentials';
  try {
    const arn = (await ctx.brokerSts.send(new GetCallerIdentityCommand({}))).Arn ?? '?';
    return {
      name,
      ok: true,
      detail: ctx.chained
        ? `${arn}, temporary credentials: every session and console sign-in lasts 1 hour (role chaining); landing again signs in afresh`
        : `${arn}, long-term keys: sessions and console sign-ins last up to the grant (and the role's MaxSessionDuration)`,
    };
  } catch (e) {
    return { name, ok: false, detail: toProvisionError(e, 'GetCallerIdentity').message };
  }
}

/**
 * A probe AssumeRole with everything a grant sends; each action AWS refuses is noted and its
 * parameter dropped, so the next call tells about the rest.
 */
async function trustChecks(ctx: AwsContext, roleArn: string): Promise<SetupCheck[]> {
  const probed = new Set(['sts:TagSession', 'sts:SetSourceIdentity']);
  const input = (): AssumeRoleCommandInput => ({
    RoleArn: roleArn,
    RoleSessionName: 'jit-unblock-setup-check',
    ...(probed.has('sts:SetSourceIdentity') ? { SourceIdentity: 'unblock-setup-check' } : {}),
    ...(probed.has('sts:TagSession') ? { Tags: [{ Key: 'unblock-request', Value: 'setup-check' }] } : {}),
    Policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
    }),
    ...(ctx.chained ? {} : { DurationSeconds: MIN_SESSION_SECONDS }),
  });
  const refused = new Map<string, string>();
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await ctx.brokerSts.send(new AssumeRoleCommand(input()));
      break;
    } catch (e) {
      const message = (e as Error).message;
      const action = codeOf(e) === 'AccessDenied' ? /perform: (sts:\w+)/.exec(message)?.[1] : undefined;
      const advice =
        codeOf(e) === 'AccessDenied'
          ? trustAdvice(roleArn, message)
          : toProvisionError(e, 'AssumeRole').message;
      refused.set(action && probed.has(action) ? action : 'sts:AssumeRole', advice);
      if (!action || !probed.delete(action)) break;
    }
  }
  const assumeRefusal = refused.get('sts:AssumeRole');
  return ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'].map((action) => {
    const why = refused.get(action);
    const name = `${action} in the trust policy of ${roleArn}`;
    if (why) return { name, ok: false, detail: why };
    // Not reached when AssumeRole itself was refused: unknown, not fine.
    if (assumeRefusal) return { name, ok: false, detail: 'not checked: the broker may not assume the role' };
    return { name, ok: true, detail: 'allowed to the broker' };
  });
}

/** Reading the role's revocation policy (a missing policy is fine: the first revoke creates it). */
async function revocationCheck(ctx: AwsContext, account: string): Promise<SetupCheck> {
  const t = target(ctx, account);
  const policyName = ctx.cloud.revocationPolicyName;
  const name = `reading ${policyName} on ${t.roleArn}`;
  try {
    await iamFor(ctx, account).send(
      new GetRolePolicyCommand({ RoleName: roleNameOf(t.roleArn), PolicyName: policyName }),
    );
    return { name, ok: true, detail: 'readable' };
  } catch (e) {
    if (codeOf(e) === 'NoSuchEntity' && /role policy/i.test((e as Error).message)) {
      return { name, ok: true, detail: 'not there yet: the first early revoke creates it' };
    }
    return {
      name,
      ok: false,
      detail: withIamHint(toProvisionError(e, `GetRolePolicy ${policyName}`), t).message,
    };
  }
}

/** One LookupEvents per region activity reads. */
async function trailChecks(ctx: AwsContext, account: string): Promise<SetupCheck> {
  const regions = activityRegions(ctx.cloud.region, target(ctx, account), null);
  const failed: string[] = [];
  for (const region of regions) {
    try {
      await trailFor(ctx, account, region).send(new LookupEventsCommand({ MaxResults: 1 }));
    } catch (e) {
      failed.push(`${region}: ${toProvisionError(e, 'LookupEvents').message}`);
    }
  }
  return {
    name: `CloudTrail LookupEvents in ${regions.length} region(s)`,
    ok: failed.length === 0,
    detail:
      failed.length === 0
        ? regions.join(', ')
        : `${failed.join('; ')} (set targets[].aws.regions to the regions work happens in)`,
  };
}

/** `AwsProvisioner.checkSetup`: every check for `account`, in order, none of them throwing. */
export async function checkSetup(ctx: AwsContext, account: string): Promise<readonly SetupCheck[]> {
  const t = target(ctx, account);
  return [
    await brokerIdentity(ctx),
    ...(await trustChecks(ctx, t.roleArn)),
    await revocationCheck(ctx, account),
    await trailChecks(ctx, account),
  ];
}
