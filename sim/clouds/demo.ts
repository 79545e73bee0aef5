/**
 * The demo's clouds: the AWS, Azure and GCP fakes started together on one clock, seeded with the
 * demo configuration's accounts, subscriptions, projects and users, plus the broker config that
 * points `provisioner: cloud` targets at them. The demo broker thus runs the same provisioners as
 * production, against wire-level fakes; the simulated consoles ask the same fakes' state whether
 * the signed-in user may now do what the page needs.
 */
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import type { BrokerConfig } from '../../server/config/schema';
import { startAwsFake, type AwsFake } from './aws/fake';
import { startAzureFake, type AzureFake } from './azure/fake';
import { FakeClock } from './clock';
import { startGcpFake, type GcpFake } from './gcp/fake';

export const DEMO_TENANT = '9b1c2d3e-4f50-4a6b-8c7d-0e1f2a3b4c5d';
const BROKER_AZURE_APP = {
  clientId: 'c0ffee00-0000-4000-8000-00000000b10c',
  clientSecret: 'demo-broker-secret',
};
const BROKER_GCP_SA = 'unblock-broker@acme-dev.iam.gserviceaccount.com';
const AWS_BROKER_KEY = {
  accessKeyId: 'AKIADEMOUNBLOCKBROKER',
  secretAccessKey: 'demo/broker/secret/key/not/real/0000000',
};

/**
 * The federation URL browsers know (`Action=login`): the simulated consoles serve it (host
 * `signin.aws.amazon.com`, forwarded to the AWS fake) so the console session cookie lands on
 * `.aws.amazon.com`, where the consoles read it.
 */
export const BROWSER_SIGNIN_URL = 'https://signin.aws.amazon.com/federation';

/**
 * How long a grant takes, after it became active in a cloud fake, to show on that cloud's
 * simulated console (its calls keep answering the denial meanwhile: sim/consoles/propagation.ts).
 * AWS has none: a landing is a new console session, which carries the grant (docs/cloud-mechanics.md
 * §1.3).
 */
export interface SimPropagation {
  azure: number;
  gcp: number;
}

/** Grants show at once (the default: tests that are not about propagation). */
export const NO_PROPAGATION: Readonly<SimPropagation> = { azure: 0, gcp: 0 };
/**
 * `npm start` and `npm run bench:loop`: a few seconds, long enough for the banner to say that access
 * is propagating and for the tab to reload into it, short enough for a demo.
 */
export const DEMO_PROPAGATION: Readonly<SimPropagation> = { azure: 5_000, gcp: 6_000 };
/**
 * What the vendors document and users report as typical (docs/cloud-mechanics.md §2.5, §3.5):
 * Azure a couple of minutes (PIM within seconds, ARM's cache up to 10 minutes), GCP about
 * 2 minutes (up to 7 or more).
 */
export const VENDOR_PROPAGATION: Readonly<SimPropagation> = { azure: 120_000, gcp: 120_000 };

/**
 * `UNBLOCK_SIM_PROPAGATION` as `npm start` reads it: `none`, `demo` (the default), `vendor`, or
 * per cloud, e.g. `azure=30s,gcp=2m` (ms, s or m; a cloud left out has none).
 */
export function parseSimPropagation(text: string | undefined): SimPropagation {
  const value = (text ?? '').trim().toLowerCase();
  if (value === '' || value === 'demo') return { ...DEMO_PROPAGATION };
  if (value === 'none') return { ...NO_PROPAGATION };
  if (value === 'vendor') return { ...VENDOR_PROPAGATION };
  const out: SimPropagation = { ...NO_PROPAGATION };
  for (const part of value.split(',')) {
    const m = /^(azure|gcp)=(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(part.trim());
    if (!m) {
      throw new Error(
        `UNBLOCK_SIM_PROPAGATION: "${part}" is not <cloud>=<duration> (e.g. azure=30s,gcp=2m), none, demo or vendor`,
      );
    }
    const unit = m[3] === 'm' ? 60_000 : m[3] === 'ms' ? 1 : 1000;
    out[m[1] as keyof SimPropagation] = Math.round(Number(m[2]) * unit);
  }
  return out;
}

export interface DemoCloudOptions {
  /**
   * Send browsers to `BROWSER_SIGNIN_URL` for the AWS console login (`clouds.aws.endpoints.signinPublic`).
   * Only for a browser whose host resolver maps `signin.aws.amazon.com` to the simulated consoles
   * started with these clouds (`npm start`, the e2e loop tests); otherwise the login URL stays on
   * the fake's loopback endpoint, which Node can follow (default false).
   */
  readonly browserSignin?: boolean;
  /** How long grants take to show on the simulated consoles (default `NO_PROPAGATION`). */
  readonly propagation?: Partial<SimPropagation>;
  /**
   * `clouds.azure.propagationMs` and `clouds.gcp.propagationMs`: the longest the extension keeps
   * reloading a tab that is still denied (default: the vendors' limits, server/clouds/<cloud>/landing.ts).
   */
  readonly propagationLimitMs?: number;
}

export interface DemoClouds {
  readonly clock: FakeClock;
  readonly aws: AwsFake;
  readonly azure: AzureFake;
  readonly gcp: GcpFake;
  /** How long grants take to show on the simulated consoles; tests may change it at any time. */
  readonly propagation: SimPropagation;
  /** `config` with every target on `provisioner: cloud` and `clouds.*` pointing at the fakes. */
  readonly config: BrokerConfig;
  close(): Promise<void>;
}

const jitRole = (account: string) => `arn:aws:iam::${account}:role/unblock-jit`;
const adminRole = (account: string) => `arn:aws:iam::${account}:role/unblock-broker-admin`;

export async function startDemoClouds(
  config: BrokerConfig,
  clock = new FakeClock(),
  options: DemoCloudOptions = {},
): Promise<DemoClouds> {
  const limit = options.propagationLimitMs === undefined ? {} : { propagationMs: options.propagationLimitMs };
  const of = (cloud: 'aws' | 'azure' | 'gcp') => config.targets.filter((t) => t.cloud === cloud);
  const started: { close(): Promise<void> }[] = [];
  try {
    const aws = await startAwsFake({
      clock,
      accounts: of('aws').map((t) => ({
        account: t.account,
        roleArn: jitRole(t.account),
        adminRoleArn: adminRole(t.account),
        maxSessionSeconds: 43_200,
      })),
    });
    started.push(aws);
    const azure = await startAzureFake({
      clock,
      tenantId: DEMO_TENANT,
      subscriptions: of('azure').map((t) => t.account),
      principals: config.users
        .filter((u) => u.identities.azure)
        .map((u) => ({ objectId: u.identities.azure!, upn: u.email ?? `${u.name}@contoso.com` })),
      brokerClientId: BROKER_AZURE_APP.clientId,
      brokerClientSecret: BROKER_AZURE_APP.clientSecret,
    });
    started.push(azure);
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const gcp = await startGcpFake({
      clock,
      projects: of('gcp').map((t) => t.account),
      serviceAccounts: [{ clientEmail: BROKER_GCP_SA, publicKeyPem: await exportSPKI(publicKey) }],
    });
    started.push(gcp);

    const demo: BrokerConfig = {
      ...config,
      targets: config.targets.map((t) => ({
        ...t,
        provisioner: 'cloud' as const,
        ...(t.cloud === 'aws'
          ? {
              aws: {
                roleArn: jitRole(t.account),
                adminRoleArn: adminRole(t.account),
                baselinePolicyArns: [],
                maxSessionSeconds: 43_200,
              },
            }
          : {}),
      })),
      clouds: {
        aws: {
          region: 'us-east-1',
          credentials: AWS_BROKER_KEY,
          revocationPolicyName: 'unblock-revocations',
          endpoints: {
            sts: aws.endpoints.sts,
            iam: aws.endpoints.iam,
            cloudTrail: aws.endpoints.cloudTrail,
            signin: aws.endpoints.signin,
            ...(options.browserSignin ? { signinPublic: BROWSER_SIGNIN_URL } : {}),
            console: 'https://console.aws.amazon.com',
          },
        },
        azure: {
          tenantId: DEMO_TENANT,
          clientId: BROKER_AZURE_APP.clientId,
          clientSecret: BROKER_AZURE_APP.clientSecret,
          endpoints: {
            login: azure.endpoints.login,
            arm: azure.endpoints.arm,
            portal: 'https://portal.azure.com',
          },
          ...limit,
        },
        gcp: {
          serviceAccount: { clientEmail: BROKER_GCP_SA, privateKey: await exportPKCS8(privateKey) },
          endpoints: {
            token: gcp.endpoints.token,
            resourceManager: gcp.endpoints.resourceManager,
            iam: gcp.endpoints.iam,
            logging: gcp.endpoints.logging,
            console: 'https://console.cloud.google.com',
          },
          ...limit,
        },
      },
    };
    return {
      clock,
      aws,
      azure,
      gcp,
      propagation: { ...NO_PROPAGATION, ...options.propagation },
      config: demo,
      close: async () => {
        await Promise.all(started.map((s) => s.close()));
      },
    };
  } catch (e) {
    await Promise.all(started.map((s) => s.close().catch(() => undefined)));
    throw e;
  }
}
