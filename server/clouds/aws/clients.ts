/**
 * The broker's own calls in a target account: IAM (the revocation policy) and the readers
 * (DecodeAuthorizationMessage, CloudTrail), each with short-lived credentials of that account.
 * IAM and CloudTrail only act on their own account, hence the helper sessions.
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { ProvisionError } from '../../provision/types';
import {
  REFRESH_MARGIN_MS,
  endpoint,
  stsClient,
  target,
  type AwsContext,
  type Credentials,
  type ReaderClients,
} from './context';
import { toProvisionError } from './errors';
import { MIN_SESSION_SECONDS } from './policies';

/**
 * Short-lived credentials in the target account for the broker's own calls there. With an
 * admin role: a session of it. Without: for `purpose: 'reader'` a JIT-role session allowed only
 * to decode messages and read CloudTrail; for IAM, the broker's own credentials.
 */
async function helperSession(
  ctx: AwsContext,
  account: string,
  purpose: 'admin' | 'reader',
): Promise<Credentials> {
  const t = target(ctx, account);
  if (!t.adminRoleArn && purpose === 'admin') return ctx.brokerCredentials;
  const key = `${account}/${purpose}`;
  const cached = ctx.helperCredentials.get(key);
  if (cached?.expiration && cached.expiration.getTime() - ctx.now().getTime() > REFRESH_MARGIN_MS)
    return cached;
  const roleArn = t.adminRoleArn ?? t.roleArn;
  const input = t.adminRoleArn
    ? { RoleArn: roleArn, RoleSessionName: 'unblock-broker', DurationSeconds: MIN_SESSION_SECONDS }
    : {
        RoleArn: roleArn,
        // `jit-` so the JIT role's trust condition (sts:RoleSessionName jit-*) accepts it.
        RoleSessionName: 'jit-unblock-broker-reader',
        DurationSeconds: MIN_SESSION_SECONDS,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['sts:DecodeAuthorizationMessage', 'cloudtrail:LookupEvents'],
              Resource: '*',
            },
          ],
        }),
      };
  let out;
  try {
    out = await ctx.brokerSts.send(new AssumeRoleCommand(input));
  } catch (e) {
    throw toProvisionError(e, `AssumeRole ${roleArn} (broker's own session)`, roleArn);
  }
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
    throw new ProvisionError(`AssumeRole ${roleArn} answered without credentials`, true);
  }
  const creds = {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
  };
  ctx.helperCredentials.set(key, creds);
  return creds;
}

/** The IAM client for `account` (the admin role's session, or the broker's own credentials). */
export function iamFor(ctx: AwsContext, account: string): IAMClient {
  let client = ctx.iamClients.get(account);
  if (!client) {
    client = new IAMClient({
      region: ctx.iamRegion,
      maxAttempts: 1,
      credentials: () => helperSession(ctx, account, 'admin'),
      ...endpoint(ctx.cloud.endpoints.iam),
    });
    ctx.iamClients.set(account, client);
  }
  return client;
}

const readerCredentials = (ctx: AwsContext, account: string) => () =>
  helperSession(ctx, account, target(ctx, account).adminRoleArn ? 'admin' : 'reader');

/** The clients the broker reads `account` with (their CloudTrail clients are made by `trailFor`). */
export function readersFor(ctx: AwsContext, account: string): ReaderClients {
  let clients = ctx.readerClients.get(account);
  if (!clients) {
    clients = { sts: stsClient(ctx.cloud, readerCredentials(ctx, account)), trails: new Map() };
    ctx.readerClients.set(account, clients);
  }
  return clients;
}

/**
 * The CloudTrail client for `account` in `region`: LookupEvents searches the region it is signed
 * for. A configured `endpoints.cloudTrail` takes every region's calls (the signature still names
 * the region); otherwise the SDK resolves `cloudtrail.<region>.amazonaws.com`.
 */
export function trailFor(ctx: AwsContext, account: string, region: string): CloudTrailClient {
  const { trails } = readersFor(ctx, account);
  let client = trails.get(region);
  if (!client) {
    client = new CloudTrailClient({
      region,
      maxAttempts: 1,
      credentials: readerCredentials(ctx, account),
      ...endpoint(ctx.cloud.endpoints.cloudTrail),
    });
    trails.set(region, client);
  }
  return client;
}
