/**
 * What the AWS provisioner tests share (not a test file itself): one fake AWS on a frozen clock,
 * a broker on IAM-user keys or on role credentials (the usual ECS/Lambda/EC2/EKS deployment),
 * grants, and following a federation login URL the way a tab does.
 */
import { expect } from 'vitest';
import { grantFixture } from './domain-fixtures';
import { AwsCloudConfig, AwsTargetConfig } from '../../server/clouds/aws/config';
import { createAwsProvisioner, type AwsProvisioner } from '../../server/clouds/aws';
import type { Grant } from '../../server/domain';
import { ProvisionError, type ProviderRef } from '../../server/provision/types';
import { FakeClock } from '../../sim/clouds/clock';
import {
  AWS_CONSOLE_COOKIE,
  startAwsFake,
  type AwsFake,
  type AwsFakeOptions,
  type AwsSession,
} from '../../sim/clouds/aws/fake';

export const T0 = new Date('2026-11-25T18:00:00.000Z');
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const ACCOUNT = '123456789012';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/unblock-jit`;
export const ADMIN = `arn:aws:iam::${ACCOUNT}:role/unblock-broker-admin`;
export const INSTANCE = `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0`;
export const ALICE = { aws: 'alice@example.com' };
export const DENIED_PAGE = 'https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#Instances:';
export const NO_CONTEXT = { justification: 'x', ticket: null };

/** The broker as an IAM user with long-term keys. */
export const USER_KEY = 'AKIAEXAMPLEBROKER001';
export const USER_ARN = 'arn:aws:iam::999999999999:user/unblock-broker';
/** The broker on role credentials (an ECS task role's session). */
export const TASK_KEY = 'ASIAEXAMPLEBROKERTSK';
export const TASK_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLETASKTOKEN';
export const TASK_ARN = 'arn:aws:sts::999999999999:assumed-role/unblock-broker-task/ecs-task-1';

export interface AwsWorld {
  readonly clock: FakeClock;
  readonly fake: AwsFake;
  readonly log: string[];
  /** A provisioner on the IAM user's keys (`'user'`) or on the task role's session (`'role'`). */
  provisioner(
    credentials?: 'user' | 'role',
    target?: Partial<AwsTargetConfig>,
    cloud?: Record<string, unknown>,
  ): AwsProvisioner;
  grant(overrides?: Partial<Grant>): Grant;
  /** The fake's session behind a provider ref. */
  sessionOf(ref: ProviderRef): AwsSession;
  close(): Promise<void>;
}

/** A fake AWS with the JIT and admin roles of ACCOUNT, both broker principals known to it. */
export async function awsWorld(options: Partial<AwsFakeOptions> = {}): Promise<AwsWorld> {
  const clock = new FakeClock();
  clock.freeze(T0);
  const log: string[] = [];
  const fake = await startAwsFake({
    clock,
    accounts: [{ account: ACCOUNT, roleArn: ROLE, maxSessionSeconds: 43_200, adminRoleArn: ADMIN }],
    callers: [
      { accessKeyId: USER_KEY, arn: USER_ARN },
      { accessKeyId: TASK_KEY, arn: TASK_ARN, sessionToken: TASK_TOKEN },
    ],
    ...options,
  });
  return {
    clock,
    fake,
    log,
    provisioner(credentials = 'user', target = {}, cloud = {}) {
      const config = AwsCloudConfig.parse({
        region: 'us-east-1',
        credentials:
          credentials === 'user'
            ? { accessKeyId: USER_KEY, secretAccessKey: 'user-secret' }
            : { accessKeyId: TASK_KEY, secretAccessKey: 'task-secret', sessionToken: TASK_TOKEN },
        endpoints: { ...fake.endpoints, console: 'https://console.aws.amazon.com' },
        issuer: 'https://unblock.example.com/',
        ...cloud,
      });
      const t = AwsTargetConfig.parse({
        roleArn: ROLE,
        adminRoleArn: ADMIN,
        maxSessionSeconds: 43_200,
        ...target,
      });
      return createAwsProvisioner(config, (account) => (account === ACCOUNT ? t : undefined), {
        now: () => clock.now(),
        log: (line) => log.push(line),
        // Waiting moves cloud time instead: spacing and backoff happen without real delays.
        sleep: (ms) => {
          clock.advance(ms);
          return Promise.resolve();
        },
      });
    },
    grant: (overrides = {}) =>
      grantFixture({
        id: 'g-1',
        requestId: 'r-123',
        user: 'alice',
        target: { cloud: 'aws', account: ACCOUNT, environment: 'prod' },
        actions: ['ec2:StopInstances'],
        resource: INSTANCE,
        status: 'active',
        startsAt: clock.now(),
        expiresAt: new Date(clock.now().getTime() + HOUR),
        ...overrides,
      }),
    sessionOf(ref) {
      const s = fake.state.session(String(ref.accessKeyId));
      if (!s) throw new Error('no session for ref');
      return s;
    },
    close: () => fake.close(),
  };
}

/** Follows a federation login URL like a browser tab would, returning the console cookie. */
export async function follow(
  url: string,
): Promise<{ status: number; location: string | null; cookie: string | null }> {
  const res = await fetch(url, { redirect: 'manual' });
  await res.body?.cancel();
  const cookie =
    new RegExp(`${AWS_CONSOLE_COOKIE}=([^;]*)`).exec(res.headers.get('set-cookie') ?? '')?.[1] ?? null;
  return { status: res.status, location: res.headers.get('location'), cookie };
}

/** The rejection of `p`, which must be a ProvisionError. */
export async function rejection(p: Promise<unknown>): Promise<ProvisionError> {
  const e = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProvisionError);
  return e as ProvisionError;
}
