/**
 * The AWS provisioner: grants through STS `AssumeRole` into each target account's JIT role, with
 * the user as `SourceIdentity` and a session policy allowing exactly the granted actions; lands
 * the denied console tab through federation sign-in; revokes early with a deny on the role;
 * decodes encoded denials and reads CloudTrail (docs: cloud-mechanics.md §1, docs/clouds/aws.md).
 *
 * Credentials of the role sessions never leave this module: they live in memory, keyed by grant
 * id, for `landing` to turn into a sign-in token. After a restart they are gone, and landing
 * simply assumes the role again (same session name, same policy): AssumeRole is idempotent in
 * effect, and the old session keeps its own expiry.
 *
 * SDK clients use `maxAttempts: 1`: the broker's worker retries with its own backoff, and a
 * `ProvisionError` says whether retrying can help.
 */
import {
  CloudTrailClient,
  LookupEventsCommand,
  type Event as TrailEvent,
  type LookupEventsCommandInput,
} from '@aws-sdk/client-cloudtrail';
import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, DecodeAuthorizationMessageCommand, STSClient } from '@aws-sdk/client-sts';
import type { Grant } from '../../domain';
import {
  ProvisionError,
  type ActivityEntry,
  type CloudIdentities,
  type DecodedDenial,
  type GrantContext,
  type GrantPreview,
  type Landing,
  type ProviderRef,
  type Provisioner,
} from '../../provision/types';
import type { AwsCloudConfig, AwsTargetConfig } from './config';
import {
  MAX_CONSOLE_SECONDS,
  MIN_SESSION_SECONDS,
  ROLE_INLINE_MAX_CHARS,
  mergeRevocations,
  parseRevocations,
  policyChars,
  revocationDocument,
  sessionLength,
  sessionNameFor,
  sessionPolicy,
  validSourceIdentity,
} from './policies';

export interface AwsProvisionerOptions {
  /** The broker's clock (tests pass the fake clouds' clock). */
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
  /** How to wait (CloudTrail spacing and throttling backoff); tests pass one that moves a fake clock. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** `fetch` for the federation endpoint. */
  readonly fetch?: typeof fetch;
}

export interface AwsProvisioner extends Provisioner {
  readonly name: 'aws';
  /**
   * Drop revocation denies that can no longer matter from the JIT role of `account` (every
   * session they could catch has expired), deleting the policy when none is left. Every revoke
   * already does this for its role; the worker may call it on a schedule so a quiet role does
   * not keep stale denies. Returns how many were dropped.
   */
  sweepRevocations(account: string): Promise<number>;
}

interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** A JIT-role session the provisioner holds for a grant (credentials: memory only). */
interface HeldSession {
  readonly credentials: Required<Credentials>;
  readonly policy: string;
  readonly assumedRoleArn: string;
  /** Latest end of anything issued for the grant: the credentials, or a console session. */
  latestEnd: Date;
}

const REFRESH_MARGIN_MS = 2 * 60_000;
const SIGNIN_TOKEN_TTL_MS = 15 * 60_000;
/** Clock skew between the broker and AWS the revocation cutoff allows for (see `revoke`). */
const CUTOFF_SKEW_MS = 5 * 60_000;
/** CloudTrail LookupEvents: 2 requests per second per account and region. */
const TRAIL_SPACING_MS = 500;
const TRAIL_MAX_PAGES = 20;
const TRAIL_RETRIES = 4;

const RETRYABLE_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalError',
  'ServiceFailure',
  'IDPCommunicationError',
]);

/** `env:NAME` → the environment variable; fails naming the config field when it is not set. */
function resolveSecret(value: string, field: string): string {
  if (!value.startsWith('env:')) return value;
  const name = value.slice(4);
  const resolved = process.env[name];
  if (!resolved) throw new Error(`${field}: environment variable ${name} is not set`);
  return resolved;
}

/** The partition's sign-in, console and IAM-signing defaults for a region. */
function partitionDefaults(region: string) {
  if (region.startsWith('us-gov-')) {
    return {
      signin: 'https://signin.amazonaws-us-gov.com/federation',
      console: 'https://console.amazonaws-us-gov.com',
      iamRegion: 'us-gov-west-1',
    };
  }
  if (region.startsWith('cn-')) {
    return {
      signin: 'https://signin.amazonaws.cn/federation',
      console: 'https://console.amazonaws.cn',
      iamRegion: 'cn-north-1',
    };
  }
  return {
    signin: 'https://signin.aws.amazon.com/federation',
    console: 'https://console.aws.amazon.com',
    iamRegion: 'us-east-1',
  };
}

interface SdkError {
  name?: string;
  /** AWS's own error code (Query protocols); `name` is the SDK's class name (`NoSuchEntityException`). */
  Code?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

const codeOf = (e: unknown): string | undefined => {
  const err = (e ?? {}) as SdkError;
  return err.Code ?? err.name;
};

/**
 * An SDK error as a ProvisionError carrying AWS's code. AWS's own messages name principals and
 * resources, never credentials, so they are passed on; `what` says which call failed.
 */
function toProvisionError(e: unknown, what: string, roleArn?: string): ProvisionError {
  if (e instanceof ProvisionError) return e;
  const err = (e ?? {}) as SdkError;
  const code = codeOf(e) ?? 'Error';
  const message = err.message ?? String(e);
  const status = err.$metadata?.httpStatusCode;
  if (status === undefined) {
    return new ProvisionError(`${what}: AWS did not answer (${message})`, true, null);
  }
  if (code === 'AccessDenied' && roleArn && what.startsWith('AssumeRole')) {
    return new ProvisionError(
      `the broker may not assume ${roleArn}: check its trust policy (AWS: ${message})`,
      false,
      code,
    );
  }
  if (
    ['InvalidClientTokenId', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException'].includes(code)
  ) {
    return new ProvisionError(
      `${what}: AWS refused the broker's credentials (clouds.aws.credentials): ${message}`,
      false,
      code,
    );
  }
  const retryable = RETRYABLE_CODES.has(code) || status >= 500 || status === 429 || err.$fault === 'server';
  return new ProvisionError(`${what} failed: ${code}: ${message}`, retryable, code);
}

/** `arn:aws:iam::123456789012:role/path/name` → `name` (IAM calls take the name, not the ARN). */
const roleNameOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

export function createAwsProvisioner(
  cloud: AwsCloudConfig,
  targetConfig: (account: string) => AwsTargetConfig | undefined,
  options: AwsProvisionerOptions = {},
): AwsProvisioner {
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => undefined);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const fetchImpl = options.fetch ?? fetch;
  const defaults = partitionDefaults(cloud.region);
  const signinUrl = cloud.endpoints.signin ?? defaults.signin;
  /** The browser's side of the federation: only the one-time `Action=login` URL uses it. */
  const signinPublicUrl = cloud.endpoints.signinPublic ?? signinUrl;
  const consoleBase = new URL(cloud.endpoints.console ?? defaults.console);

  const brokerCredentials: Credentials = {
    accessKeyId: resolveSecret(cloud.credentials.accessKeyId, 'clouds.aws.credentials.accessKeyId'),
    secretAccessKey: resolveSecret(
      cloud.credentials.secretAccessKey,
      'clouds.aws.credentials.secretAccessKey',
    ),
    ...(cloud.credentials.sessionToken
      ? { sessionToken: resolveSecret(cloud.credentials.sessionToken, 'clouds.aws.credentials.sessionToken') }
      : {}),
  };
  // Temporary broker credentials mean the broker is itself a role session (ECS, Lambda, EC2):
  // every AssumeRole is then role chaining, capped at one hour.
  const chained = brokerCredentials.sessionToken !== undefined;

  const endpoint = (url: string | undefined) => (url ? { endpoint: url } : {});
  type CredentialSource = Credentials | (() => Promise<Credentials>);
  const stsClient = (credentials: CredentialSource) =>
    new STSClient({ region: cloud.region, maxAttempts: 1, credentials, ...endpoint(cloud.endpoints.sts) });
  const brokerSts = stsClient(brokerCredentials);

  const held = new Map<string, HeldSession>();
  const helperCredentials = new Map<string, Credentials>();
  const iamClients = new Map<string, IAMClient>();
  const readerClients = new Map<string, { sts: STSClient; trail: CloudTrailClient }>();
  const roleLocks = new Map<string, Promise<unknown>>();
  let nextTrailCallAt = 0;

  function target(account: string): AwsTargetConfig {
    const t = targetConfig(account);
    if (!t) {
      throw new ProvisionError(
        `no AWS settings for account ${account} (targets[].aws with cloud: aws and this account)`,
        false,
      );
    }
    return t;
  }

  function sourceIdentity(grant: Grant, identities: CloudIdentities): string {
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

  /**
   * Short-lived credentials in the target account for the broker's own calls there. With an
   * admin role: a session of it. Without: for `purpose: 'reader'` a JIT-role session allowed only
   * to decode messages and read CloudTrail; for IAM, the broker's own credentials.
   */
  async function helperSession(account: string, purpose: 'admin' | 'reader'): Promise<Credentials> {
    const t = target(account);
    if (!t.adminRoleArn && purpose === 'admin') return brokerCredentials;
    const key = `${account}/${purpose}`;
    const cached = helperCredentials.get(key);
    if (cached?.expiration && cached.expiration.getTime() - now().getTime() > REFRESH_MARGIN_MS)
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
      out = await brokerSts.send(new AssumeRoleCommand(input));
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
    helperCredentials.set(key, creds);
    return creds;
  }

  function iamFor(account: string): IAMClient {
    let client = iamClients.get(account);
    if (!client) {
      client = new IAMClient({
        region: defaults.iamRegion,
        maxAttempts: 1,
        credentials: () => helperSession(account, 'admin'),
        ...endpoint(cloud.endpoints.iam),
      });
      iamClients.set(account, client);
    }
    return client;
  }

  function readersFor(account: string) {
    let clients = readerClients.get(account);
    if (!clients) {
      const credentials = () => helperSession(account, target(account).adminRoleArn ? 'admin' : 'reader');
      clients = {
        sts: stsClient(credentials),
        trail: new CloudTrailClient({
          region: cloud.region,
          maxAttempts: 1,
          credentials,
          ...endpoint(cloud.endpoints.cloudTrail),
        }),
      };
      readerClients.set(account, clients);
    }
    return clients;
  }

  /** AssumeRole for the grant: the one place a user's session is created. */
  async function assume(grant: Grant, identity: string, context: GrantContext | null): Promise<HeldSession> {
    const t = target(grant.target.account);
    const at = now();
    const remaining = (grant.expiresAt.getTime() - at.getTime()) / 1000;
    if (remaining <= 0) {
      throw new ProvisionError(
        `the grant ended at ${grant.expiresAt.toISOString()}: nothing to put in place`,
        false,
      );
    }
    const policy = sessionPolicy(grant.requestId, grant.actions, grant.resource);
    const length = sessionLength(remaining, t.maxSessionSeconds, chained);
    const sessionName = sessionNameFor(grant.requestId);
    for (const note of length.notes) log(`aws: grant ${grant.id}: ${note}`);
    const tags = [{ Key: 'unblock-request', Value: grant.requestId.slice(0, 256) }];
    if (context?.ticket) {
      tags.push({
        Key: 'unblock-ticket',
        Value: context.ticket.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '-').slice(0, 256),
      });
    }
    let out;
    try {
      out = await brokerSts.send(
        new AssumeRoleCommand({
          RoleArn: t.roleArn,
          RoleSessionName: sessionName,
          SourceIdentity: identity,
          Policy: policy,
          ...(t.baselinePolicyArns.length > 0
            ? { PolicyArns: t.baselinePolicyArns.map((arn) => ({ arn })) }
            : {}),
          DurationSeconds: length.seconds,
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
    const previous = held.get(grant.id);
    if (previous && previous.latestEnd > session.latestEnd) session.latestEnd = previous.latestEnd;
    held.set(grant.id, session);
    log(
      `aws: grant ${grant.id}: assumed ${t.roleArn} as ${sessionName} for ${identity} until ${c.Expiration.toISOString()} (${length.seconds} s)`,
    );
    return session;
  }

  function refOf(grant: Grant, identity: string, session: HeldSession): ProviderRef {
    return {
      kind: 'aws',
      roleArn: target(grant.target.account).roleArn,
      sessionName: sessionNameFor(grant.requestId),
      sourceIdentity: identity,
      assumedRoleArn: session.assumedRoleArn,
      // An access key id identifies a session in CloudTrail; it is not a secret without its key.
      accessKeyId: session.credentials.accessKeyId,
      sessionExpiresAt: session.credentials.expiration.toISOString(),
    };
  }

  /** Runs read-modify-writes of one role's revocation policy one at a time. */
  async function withRoleLock<T>(roleArn: string, fn: () => Promise<T>): Promise<T> {
    const previous = roleLocks.get(roleArn) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    roleLocks.set(roleArn, settled);
    try {
      return await run;
    } finally {
      if (roleLocks.get(roleArn) === settled) roleLocks.delete(roleArn);
    }
  }

  /** Reads, merges (adds `add`, drops stale denies) and writes back the role's revocation policy. */
  async function updateRevocations(
    account: string,
    add: { sourceIdentity: string; sessionName: string; cutoff: Date } | null,
  ): Promise<number> {
    const t = target(account);
    const roleName = roleNameOf(t.roleArn);
    const policyName = cloud.revocationPolicyName;
    const iam = iamFor(account);
    return withRoleLock(t.roleArn, async () => {
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
        now(),
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

  /** IAM edits only work with credentials of the role's own account: say how to get them. */
  function withIamHint(e: ProvisionError, t: AwsTargetConfig): ProvisionError {
    // Without an admin role the broker's own credentials are used, and IAM looks the role up in
    // the broker's account: AccessDenied, or NoSuchEntity when no such role exists there.
    if ((e.code !== 'AccessDenied' && e.code !== 'NoSuchEntity') || t.adminRoleArn) return e;
    return new ProvisionError(
      `${e.message}. IAM only edits roles of the caller's own account: set targets[].aws.adminRoleArn to a role in ${t.roleArn.split(':')[4]} the broker may assume`,
      false,
      e.code,
    );
  }

  function safeDestination(destination: string | null): string {
    const home = new URL('/console/home', consoleBase).toString();
    if (!destination) return home;
    let url: URL;
    try {
      url = new URL(destination);
    } catch {
      return home;
    }
    const host = consoleBase.hostname;
    const onConsole = url.hostname === host || url.hostname.endsWith(`.${host}`);
    if (
      url.protocol !== consoleBase.protocol ||
      url.port !== consoleBase.port ||
      !onConsole ||
      url.username ||
      url.password
    ) {
      log(
        `aws: landing destination ${url.origin} is not on the console (${consoleBase.origin}): using the console home`,
      );
      return home;
    }
    // Multi-session console hosts (`<account>-<random>.<region>.console…`) belong to the session
    // being replaced: land on the plain regional host instead.
    const labels = url.hostname.slice(0, -host.length - 1).split('.');
    if (labels.length > 1 && /^\d{12}-[a-z0-9]+$/.test(labels[0]!)) {
      url.hostname = `${labels.slice(1).join('.')}.${host}`;
    }
    return url.toString();
  }

  async function signinToken(session: HeldSession, durationSeconds: number): Promise<string> {
    const params = new URLSearchParams({
      Action: 'getSigninToken',
      SessionDuration: String(durationSeconds),
      Session: JSON.stringify({
        sessionId: session.credentials.accessKeyId,
        sessionKey: session.credentials.secretAccessKey,
        sessionToken: session.credentials.sessionToken,
      }),
    });
    let res: Response;
    try {
      res = await fetchImpl(`${signinUrl}?${params.toString()}`, { signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      // The request URL holds credentials: never include it, only the error's kind.
      throw new ProvisionError(`AWS federation sign-in did not answer (${(e as Error).name})`, true);
    }
    // No error-body contract (and it could echo the request): only the status is reported.
    if (!res.ok) {
      await res.body?.cancel();
      throw new ProvisionError(
        `AWS federation sign-in refused the session (HTTP ${res.status})`,
        res.status >= 500 || res.status === 429,
        `HTTP${res.status}`,
      );
    }
    const body = (await res.json().catch(() => null)) as { SigninToken?: unknown } | null;
    if (typeof body?.SigninToken !== 'string') {
      throw new ProvisionError('AWS federation sign-in answered without a SigninToken', true);
    }
    return body.SigninToken;
  }

  async function lookupPage(account: string, input: LookupEventsCommandInput) {
    const { trail } = readersFor(account);
    for (let attempt = 0; ; attempt++) {
      // Space calls to stay under LookupEvents' 2 requests per second.
      const wait = nextTrailCallAt - now().getTime();
      if (wait > 0) await sleep(wait);
      nextTrailCallAt = now().getTime() + TRAIL_SPACING_MS;
      try {
        return await trail.send(new LookupEventsCommand(input));
      } catch (e) {
        const err = toProvisionError(e, 'CloudTrail LookupEvents');
        if (!err.retryable || attempt >= TRAIL_RETRIES) throw err;
        await sleep(1000 * 2 ** attempt);
      }
    }
  }

  function entryOf(e: TrailEvent, sessionName: string, roleName: string): ActivityEntry | null {
    let detail: { userIdentity?: { arn?: string }; errorCode?: string } = {};
    try {
      detail = JSON.parse(e.CloudTrailEvent ?? '{}') as typeof detail;
    } catch {
      // Keep the event: the lookup attribute already matched the session name.
    }
    // `Username` is the session name for role sessions (undocumented): confirm it is this role's.
    const arn = detail.userIdentity?.arn;
    if (arn && !arn.endsWith(`:assumed-role/${roleName}/${sessionName}`)) return null;
    const service = (e.EventSource ?? '').replace(/\.amazonaws\.com$/, '');
    return {
      at: (e.EventTime ?? new Date(0)).toISOString(),
      action: service ? `${service}:${e.EventName ?? ''}` : (e.EventName ?? ''),
      resource: e.Resources?.[0]?.ResourceName ?? null,
      outcome: detail.errorCode ?? 'success',
    };
  }

  return {
    name: 'aws',

    async grant(grant, identities, context): Promise<ProviderRef> {
      const identity = sourceIdentity(grant, identities);
      const policy = sessionPolicy(grant.requestId, grant.actions, grant.resource);
      const existing = held.get(grant.id);
      // Called again (a retry after a crash, or after the worker lost the answer): the session
      // already in hand is the grant, unless the grant changed (extended, merged).
      if (
        existing &&
        existing.policy === policy &&
        existing.credentials.expiration.getTime() - now().getTime() > REFRESH_MARGIN_MS
      ) {
        return refOf(grant, identity, existing);
      }
      return refOf(grant, identity, await assume(grant, identity, context));
    },

    async revoke(grant, ref, identities): Promise<void> {
      const refIdentity = typeof ref?.sourceIdentity === 'string' ? ref.sourceIdentity : undefined;
      const identity = refIdentity ?? identities.aws;
      // Without settings for the account or an identity, `grant` refused before creating
      // anything: nothing to take away (but a grant that did create something must be revoked
      // even if its settings were removed since: that is an error for the operator).
      if (!targetConfig(grant.target.account) && ref !== null) target(grant.target.account);
      if (!identity || !targetConfig(grant.target.account)) {
        held.delete(grant.id);
        return;
      }
      const at = now();
      const refEnd = typeof ref?.sessionExpiresAt === 'string' ? Date.parse(ref.sessionExpiresAt) : 0;
      const latestEnd = Math.max(refEnd, held.get(grant.id)?.latestEnd.getTime() ?? 0);
      // At natural expiry the sessions end by themselves: STS credentials cannot outlive their
      // DurationSeconds, which was at most the grant's remaining lifetime, and console sessions
      // are never asked for beyond their credentials. Only AWS's 15-minute minimum can make one
      // outlive the grant: then it is denied like an early revoke.
      if (at >= grant.expiresAt && latestEnd <= at.getTime()) {
        held.delete(grant.id);
        log(`aws: grant ${grant.id} ended: its sessions expired with it, nothing to revoke`);
        return;
      }
      const sessionName =
        typeof ref?.sessionName === 'string' ? ref.sessionName : sessionNameFor(grant.requestId);
      // The cutoff is a little ahead of the broker's clock so a session AWS stamped a moment
      // "later" (clock skew) is still caught; it only names this grant's sessions, which the
      // broker no longer issues, so the margin cannot catch another grant.
      const cutoff = new Date(at.getTime() + CUTOFF_SKEW_MS);
      await updateRevocations(grant.target.account, { sourceIdentity: identity, sessionName, cutoff });
      held.delete(grant.id);
      log(
        `aws: grant ${grant.id}: denied sessions ${sessionName} of ${identity} issued up to ${cutoff.toISOString()}`,
      );
    },

    async landing(grant, _ref, identities, destination): Promise<Landing> {
      if (['revoking', 'revoke-failed', 'revoked', 'ended'].includes(grant.status)) {
        throw new ProvisionError(`grant ${grant.id} is ${grant.status}: no console session for it`, false);
      }
      const identity = sourceIdentity(grant, identities);
      const at = now();
      const grantLeft = grant.expiresAt.getTime() - at.getTime();
      if (grantLeft <= 0) throw new ProvisionError(`grant ${grant.id} has ended`, false);
      let session = held.get(grant.id);
      const policy = sessionPolicy(grant.requestId, grant.actions, grant.resource);
      const credsLeft = session ? session.credentials.expiration.getTime() - at.getTime() : 0;
      // Assume again after a restart (nothing in memory), when the grant changed, or when the
      // session ends soon while the grant goes on.
      if (
        !session ||
        session.policy !== policy ||
        (credsLeft < MIN_SESSION_SECONDS * 1000 && credsLeft < grantLeft)
      ) {
        session = await assume(grant, identity, null);
      }
      const left = Math.min(grantLeft, session.credentials.expiration.getTime() - at.getTime());
      const duration = Math.min(Math.max(Math.floor(left / 1000), MIN_SESSION_SECONDS), MAX_CONSOLE_SECONDS);
      const token = await signinToken(session, duration);
      const consoleEnd = new Date(at.getTime() + duration * 1000);
      if (consoleEnd > session.latestEnd) session.latestEnd = consoleEnd;
      const params = new URLSearchParams({
        Action: 'login',
        ...(cloud.issuer ? { Issuer: cloud.issuer } : {}),
        Destination: safeDestination(destination),
        SigninToken: token,
      });
      return {
        kind: 'url',
        url: `${signinPublicUrl}?${params.toString()}`,
        expiresAt: new Date(
          Math.min(at.getTime() + SIGNIN_TOKEN_TTL_MS, grant.expiresAt.getTime()),
        ).toISOString(),
      };
    },

    preview(targetRef, actions, resource): Promise<GrantPreview> {
      const t = target(targetRef.account);
      const policy = sessionPolicy('Preview', actions, resource);
      const notes: string[] = [];
      const cap = chained ? Math.min(3600, t.maxSessionSeconds) : t.maxSessionSeconds;
      notes.push(
        chained
          ? `The broker runs on temporary credentials (role chaining): each AWS session lasts at most 1 hour; a longer grant signs in again with a fresh session.`
          : `Each AWS session lasts at most ${cap / 3600} h (the role's MaxSessionDuration); a longer grant signs in again with a fresh session.`,
      );
      notes.push(
        'AWS sessions last at least 15 minutes; one issued near the end of the grant is denied when the grant ends.',
      );
      if (t.baselinePolicyArns.length === 0) {
        notes.push(
          'No baseline policies: in this session the user can do only the actions above, not their usual ones.',
        );
      }
      const on = resource ?? 'all resources (*)';
      return Promise.resolve({
        summary: `Assume ${t.roleArn} as the user, with a session policy allowing ${actions.join(', ')} on ${on}${
          t.baselinePolicyArns.length > 0 ? ` plus ${t.baselinePolicyArns.join(', ')}` : ''
        }`,
        sessionPolicy: JSON.parse(policy) as unknown,
        alsoGrants: t.baselinePolicyArns,
        notes,
      });
    },

    async decode(targetRef, encodedMessage): Promise<DecodedDenial | null> {
      target(targetRef.account);
      // Line breaks copied with the message make AWS refuse it.
      const blob = encodedMessage.replace(/\s+/g, '');
      if (!blob) throw new ProvisionError('encodedMessage is empty', false);
      let decoded: string | undefined;
      try {
        const out = await readersFor(targetRef.account).sts.send(
          new DecodeAuthorizationMessageCommand({ EncodedMessage: blob }),
        );
        decoded = out.DecodedMessage;
      } catch (e) {
        const err = toProvisionError(e, 'DecodeAuthorizationMessage');
        if (err.code === 'InvalidAuthorizationMessageException') {
          throw new ProvisionError(
            'AWS could not decode the message: it is malformed or has expired (decode soon after the denial)',
            false,
            err.code,
          );
        }
        throw err;
      }
      let doc: {
        allowed?: boolean;
        explicitDeny?: boolean;
        context?: { action?: string; resource?: string; principal?: { arn?: string } };
      };
      try {
        doc = JSON.parse(decoded ?? '') as typeof doc;
      } catch {
        throw new ProvisionError(
          'DecodeAuthorizationMessage answered with a message that is not JSON',
          false,
        );
      }
      const resource = doc.context?.resource && doc.context.resource !== '*' ? doc.context.resource : null;
      let action = doc.context?.action ?? '';
      // EC2 sometimes names the action without its service prefix: take it from the resource ARN.
      if (action && !action.includes(':')) {
        const service = resource?.split(':')[2];
        if (service) action = `${service}:${action}`;
      }
      const who = doc.context?.principal?.arn ?? 'the caller';
      const summary = `${who} was denied ${action || 'an action'}${resource ? ` on ${resource}` : ''}${
        doc.explicitDeny ? ' by an explicit deny (not grantable)' : ''
      }`;
      return { actions: action ? [action] : [], resource, summary };
    },

    async activity(grant, ref): Promise<readonly ActivityEntry[]> {
      const t = target(grant.target.account);
      const sessionName =
        typeof ref?.sessionName === 'string' ? ref.sessionName : sessionNameFor(grant.requestId);
      const end = Math.min(
        now().getTime(),
        Math.max(grant.expiresAt.getTime(), Date.parse(String(ref?.sessionExpiresAt)) || 0),
      );
      const entries: ActivityEntry[] = [];
      let nextToken: string | undefined;
      for (let page = 0; page < TRAIL_MAX_PAGES; page++) {
        const out = await lookupPage(grant.target.account, {
          LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: sessionName }],
          StartTime: grant.startsAt,
          EndTime: new Date(Math.max(end, grant.startsAt.getTime())),
          MaxResults: 50,
          ...(nextToken ? { NextToken: nextToken } : {}),
        });
        for (const e of out.Events ?? []) {
          const entry = entryOf(e, sessionName, roleNameOf(t.roleArn));
          if (entry) entries.push(entry);
        }
        nextToken = out.NextToken;
        if (!nextToken) break;
      }
      if (nextToken) log(`aws: activity of grant ${grant.id} truncated after ${TRAIL_MAX_PAGES} pages`);
      return entries.sort((a, b) => a.at.localeCompare(b.at));
    },

    sweepRevocations: (account) => updateRevocations(account, null),
    maintain: async (target) => {
      await updateRevocations(target.account, null);
    },
  };
}
