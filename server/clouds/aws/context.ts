/**
 * What every part of the AWS provisioner shares: the resolved cloud config (secrets read, the
 * partition's defaults filled in), the broker's own STS client, and the state kept in memory
 * (held grant sessions, helper credentials, per-account clients, the per-role lock, CloudTrail
 * pacing). One context per provisioner; the capability modules take it as their first argument.
 *
 * SDK clients use `maxAttempts: 1`: the broker's worker retries with its own backoff, and a
 * `ProvisionError` says whether retrying can help.
 */
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { createKeyedSerial, type KeyedSerial } from '../../provision/keyed-serial';
import { ProvisionError } from '../../provision/types';
import type { AwsCloudConfig, AwsTargetConfig } from './config';

export interface AwsProvisionerOptions {
  /** The broker's clock (tests pass the fake clouds' clock). */
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
  /** How to wait (CloudTrail spacing and throttling backoff); tests pass one that moves a fake clock. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** `fetch` for the federation endpoint. */
  readonly fetch?: typeof fetch;
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Fixed credentials, or a provider the SDK calls (and calls again when they expire). */
export type CredentialSource = Credentials | (() => Promise<Credentials>);

/** A JIT-role session the provisioner holds for a grant (credentials: memory only). */
export interface HeldSession {
  readonly credentials: Required<Credentials>;
  readonly policy: string;
  readonly assumedRoleArn: string;
  /** Latest end of anything issued for the grant: the credentials, or a console session. */
  latestEnd: Date;
}

/** The clients the broker reads a target account with (decoding; CloudTrail, one per region). */
export interface ReaderClients {
  readonly sts: STSClient;
  readonly trails: Map<string, CloudTrailClient>;
}

/** A session this close to its expiry is not reused: assume again instead. */
export const REFRESH_MARGIN_MS = 2 * 60_000;

export interface AwsContext {
  readonly cloud: AwsCloudConfig;
  /** The target's `aws` block, undefined when the account has none (see `target`). */
  readonly targetConfig: (account: string) => AwsTargetConfig | undefined;
  readonly now: () => Date;
  readonly log: (line: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly fetch: typeof fetch;
  /** The region IAM requests are signed for (IAM is global per partition). */
  readonly iamRegion: string;
  /** The federation endpoint the broker calls for sign-in tokens. */
  readonly signinUrl: string;
  /** The browser's side of the federation: only the one-time `Action=login` URL uses it. */
  readonly signinPublicUrl: string;
  readonly consoleBase: URL;
  readonly brokerCredentials: Credentials;
  /**
   * Temporary broker credentials mean the broker is itself a role session (ECS, Lambda, EC2):
   * every AssumeRole is then role chaining, capped at one hour.
   */
  readonly chained: boolean;
  readonly brokerSts: STSClient;
  /** Grant id → the JIT-role session held for it (see index.ts: gone after a restart). */
  readonly held: Map<string, HeldSession>;
  /** `<account>/<purpose>` → the broker's own short-lived credentials there (clients.ts). */
  readonly helperCredentials: Map<string, Credentials>;
  readonly iamClients: Map<string, IAMClient>;
  readonly readerClients: Map<string, ReaderClients>;
  /** Runs read-modify-writes of one role's revocation policy one at a time (keyed by role ARN). */
  readonly roleSerial: KeyedSerial;
  /** `<account>/<region>` → when the next LookupEvents call there may go out (ms since the epoch). */
  readonly trailPacing: Map<string, number>;
}

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

/** `{ endpoint }` for an SDK client when the config overrides AWS's own. */
export const endpoint = (url: string | undefined) => (url ? { endpoint: url } : {});

/** An STS client in the configured region (and endpoint) for `credentials`. */
export const stsClient = (cloud: AwsCloudConfig, credentials: CredentialSource): STSClient =>
  new STSClient({ region: cloud.region, maxAttempts: 1, credentials, ...endpoint(cloud.endpoints.sts) });

/** Resolves the config (a missing secret fails here, naming its field) and sets up the shared state. */
export function createAwsContext(
  cloud: AwsCloudConfig,
  targetConfig: (account: string) => AwsTargetConfig | undefined,
  options: AwsProvisionerOptions,
): AwsContext {
  const defaults = partitionDefaults(cloud.region);
  const signinUrl = cloud.endpoints.signin ?? defaults.signin;
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
  return {
    cloud,
    targetConfig,
    now: options.now ?? (() => new Date()),
    log: options.log ?? (() => undefined),
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    fetch: options.fetch ?? fetch,
    iamRegion: defaults.iamRegion,
    signinUrl,
    signinPublicUrl: cloud.endpoints.signinPublic ?? signinUrl,
    consoleBase: new URL(cloud.endpoints.console ?? defaults.console),
    brokerCredentials,
    chained: brokerCredentials.sessionToken !== undefined,
    brokerSts: stsClient(cloud, brokerCredentials),
    held: new Map(),
    helperCredentials: new Map(),
    iamClients: new Map(),
    readerClients: new Map(),
    roleSerial: createKeyedSerial(),
    trailPacing: new Map(),
  };
}

/** The settings of `account`'s target; refuses (not retryable) when the config has none. */
export function target(ctx: AwsContext, account: string): AwsTargetConfig {
  const t = ctx.targetConfig(account);
  if (!t) {
    throw new ProvisionError(
      `no AWS settings for account ${account} (targets[].aws with cloud: aws and this account)`,
      false,
    );
  }
  return t;
}

/** `arn:aws:iam::123456789012:role/path/name` → `name` (IAM calls take the name, not the ARN). */
export const roleNameOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
