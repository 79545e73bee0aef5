/**
 * The AWS provisioner against the AWS fake (sim/clouds/aws): real SDK clients on the wire, the
 * fake's clock for every instant. Grant, landing, revoke, expiry, decode, activity and the error
 * paths, asserted on what the fake received and on what a console session may then do.
 */
import { grantFixture } from './domain-fixtures';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsCloudConfig, AwsTargetConfig } from '../../server/clouds/aws/config';
import { createAwsProvisioner, type AwsProvisioner } from '../../server/clouds/aws';
import type { Grant } from '../../server/domain';
import { ProvisionError, type ProviderRef } from '../../server/provision/types';
import { FakeClock } from '../../sim/clouds/clock';
import { AWS_CONSOLE_COOKIE, startAwsFake, type AwsFake, type AwsSession } from '../../sim/clouds/aws/fake';

const T0 = new Date('2026-11-25T18:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/unblock-jit`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/unblock-broker-admin`;
const ACCOUNT2 = '210987654321';
const ROLE2 = `arn:aws:iam::${ACCOUNT2}:role/unblock-jit`;
const BROKER = 'arn:aws:iam::999999999999:user/unblock-broker';
const INSTANCE = `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0`;
const BASELINE = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const ALICE = { aws: 'alice@example.com' };
const DENIED_PAGE = 'https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#Instances:';

let clock: FakeClock;
let fake: AwsFake;
let logLines: string[];

function grantOf(overrides: Partial<Grant> = {}): Grant {
  return grantFixture({
    id: 'g-1',
    requestId: 'r-123',
    user: 'alice',
    target: { cloud: 'aws', account: ACCOUNT, environment: 'prod' },
    actions: ['ec2:StopInstances'],
    resource: INSTANCE,
    status: 'active',
    startsAt: clock.now(),
    ...overrides,
  });
}

const targets: Record<string, AwsTargetConfig> = {
  [ACCOUNT]: AwsTargetConfig.parse({
    roleArn: ROLE,
    baselinePolicyArns: [BASELINE],
    maxSessionSeconds: 43_200,
    adminRoleArn: ADMIN,
  }),
  [ACCOUNT2]: AwsTargetConfig.parse({ roleArn: ROLE2, maxSessionSeconds: 3600 }),
};

function provisioner(overrides: Record<string, unknown> = {}): AwsProvisioner {
  const cloud = AwsCloudConfig.parse({
    region: 'us-east-1',
    credentials: { accessKeyId: 'env:UNBLOCK_TEST_AWS_KEY', secretAccessKey: 'env:UNBLOCK_TEST_AWS_SECRET' },
    endpoints: { ...fake.endpoints, console: 'https://console.aws.amazon.com' },
    issuer: 'https://unblock.example.com/',
    ...overrides,
  });
  return createAwsProvisioner(cloud, (account) => targets[account], {
    now: () => clock.now(),
    log: (line) => logLines.push(line),
    // Waiting moves cloud time instead: spacing and backoff happen without real delays.
    sleep: (ms) => {
      clock.advance(ms);
      return Promise.resolve();
    },
  });
}

/** The fake's session behind a provider ref. */
function sessionOf(ref: ProviderRef): AwsSession {
  const s = fake.state.session(String(ref.accessKeyId));
  if (!s) throw new Error('no session for ref');
  return s;
}

async function rejection(p: Promise<unknown>): Promise<ProvisionError> {
  const e = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProvisionError);
  return e as ProvisionError;
}

/** No credential of any session the fake issued appears in `text`. */
function expectNoSecrets(text: string) {
  for (const s of [
    ...fake.state.sessionsFor('alice@example.com'),
    ...fake.state.sessionsFor('bob@example.com'),
  ]) {
    expect(text).not.toContain(s.secretAccessKey);
    expect(text).not.toContain(s.sessionToken);
  }
  expect(text).not.toContain(process.env.UNBLOCK_TEST_AWS_SECRET);
}

beforeAll(() => {
  process.env.UNBLOCK_TEST_AWS_KEY = 'AKIAEXAMPLEBROKER001';
  process.env.UNBLOCK_TEST_AWS_SECRET = 'broker-secret-key-never-printed-0000000000';
});

beforeEach(async () => {
  clock = new FakeClock();
  clock.freeze(T0);
  logLines = [];
  fake = await startAwsFake({
    clock,
    accounts: [
      {
        account: ACCOUNT,
        roleArn: ROLE,
        maxSessionSeconds: 43_200,
        trustedCaller: BROKER,
        adminRoleArn: ADMIN,
      },
      { account: ACCOUNT2, roleArn: ROLE2, maxSessionSeconds: 3600 },
    ],
  });
  return () => fake.close();
});

afterAll(() => {
  delete process.env.UNBLOCK_TEST_AWS_KEY;
  delete process.env.UNBLOCK_TEST_AWS_SECRET;
});

describe('grant', () => {
  it('assumes the JIT role with the session name, source identity, session policy, baseline and duration', async () => {
    const ref = await provisioner().grant(grantOf(), ALICE, { justification: 'fix', ticket: 'OPS-1' });
    const [call] = fake.state.requestsFor('sts', 'AssumeRole');
    expect(call?.params).toMatchObject({
      RoleArn: ROLE,
      RoleSessionName: 'jit-r-123',
      SourceIdentity: 'alice@example.com',
      'PolicyArns.member.1.arn': BASELINE,
      DurationSeconds: '3600',
      Version: '2011-06-15',
    });
    expect(JSON.parse(String(call?.params.Policy))).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Unblockr123', Effect: 'Allow', Action: ['ec2:StopInstances'], Resource: [INSTANCE] },
      ],
    });
    expect(ref).toMatchObject({
      kind: 'aws',
      roleArn: ROLE,
      sessionName: 'jit-r-123',
      sourceIdentity: 'alice@example.com',
      assumedRoleArn: `arn:aws:sts::${ACCOUNT}:assumed-role/unblock-jit/jit-r-123`,
    });
    expectNoSecrets(JSON.stringify(ref));

    const session = sessionOf(ref);
    expect(fake.state.allows(session, 'ec2:StopInstances', INSTANCE)).toBe(true);
    expect(fake.state.allows(session, 'ec2:TerminateInstances', INSTANCE)).toBe(false);
    expect(fake.state.allows(session, 'ec2:StopInstances', INSTANCE.replace('abcdef0', 'ffffff0'))).toBe(
      false,
    );
    // The baseline (ReadOnlyAccess) still lets the user read.
    expect(fake.state.allows(session, 'ec2:DescribeInstances')).toBe(true);
  });

  it('allows every resource only when the grant names none, and is idempotent', async () => {
    const p = provisioner();
    const g = grantOf({ resource: null, actions: ['s3:GetBucketTagging', 's3:GetBucketTagging'] });
    const ref = await p.grant(g, ALICE, { justification: 'x', ticket: null });
    const again = await p.grant(g, ALICE, { justification: 'x', ticket: null });
    expect(again).toEqual(ref);
    expect(fake.state.requestsFor('sts', 'AssumeRole')).toHaveLength(1);
    const policy = JSON.parse(String(fake.state.requestsFor('sts', 'AssumeRole')[0]?.params.Policy)) as {
      Statement: { Action: string[]; Resource: unknown }[];
    };
    expect(policy.Statement[0]).toMatchObject({ Action: ['s3:GetBucketTagging'], Resource: '*' });
    expect(fake.state.allows(sessionOf(ref), 's3:GetBucketTagging', 'arn:aws:s3:::any-bucket')).toBe(true);
  });

  it.each([
    ['8 h grant on a 12 h role', ACCOUNT, 8 * HOUR, '28800', null],
    ['20 h grant, capped by the role max', ACCOUNT, 20 * HOUR, '43200', /MaxSessionDuration caps/],
    ['10 min grant, raised to AWS minimum', ACCOUNT, 10 * MIN, '900', /at least 15 minutes/],
    ['2 h grant on a 1 h role', ACCOUNT2, 2 * HOUR, '3600', /MaxSessionDuration caps/],
  ])('clamps DurationSeconds: %s', async (_name, account, lifetime, expected, note) => {
    const g = grantOf({
      target: { cloud: 'aws', account, environment: 'prod' },
      expiresAt: new Date(T0.getTime() + lifetime),
    });
    await provisioner().grant(g, ALICE, { justification: 'x', ticket: null });
    expect(fake.state.requestsFor('sts', 'AssumeRole')[0]?.params.DurationSeconds).toBe(expected);
    if (note) expect(logLines.join('\n')).toMatch(note);
  });

  it('caps sessions at one hour when the broker runs on temporary credentials (role chaining)', async () => {
    process.env.UNBLOCK_TEST_AWS_TOKEN = 'broker-session-token';
    const p = provisioner({
      credentials: {
        accessKeyId: 'env:UNBLOCK_TEST_AWS_KEY',
        secretAccessKey: 'env:UNBLOCK_TEST_AWS_SECRET',
        sessionToken: 'env:UNBLOCK_TEST_AWS_TOKEN',
      },
    });
    await p.grant(grantOf({ expiresAt: new Date(T0.getTime() + 8 * HOUR) }), ALICE, {
      justification: 'x',
      ticket: null,
    });
    // Role chaining: no DurationSeconds (AWS's default hour), or federation sign-in would fail.
    expect(fake.state.requestsFor('sts', 'AssumeRole')[0]?.params).not.toHaveProperty('DurationSeconds');
    expect(logLines.join('\n')).toMatch(/role chaining/);
    const preview = await p.preview!(
      { cloud: 'aws', account: ACCOUNT, environment: 'prod' },
      ['ec2:StopInstances'],
      null,
    );
    expect(preview.notes?.join(' ')).toMatch(/role chaining/);
    delete process.env.UNBLOCK_TEST_AWS_TOKEN;
  });

  it('refuses when the broker may not assume the role (trust policy): AccessDenied, not retryable', async () => {
    fake.state.denyAssumeRole(ROLE);
    const e = await rejection(provisioner().grant(grantOf(), ALICE, { justification: 'x', ticket: null }));
    expect(e).toMatchObject({ retryable: false, code: 'AccessDenied' });
    expect(e.message).toContain(`the broker may not assume ${ROLE}: check its trust policy`);
    expectNoSecrets(e.message);
  });

  it('reports throttling and server errors as retryable, validation errors as not', async () => {
    const p = provisioner();
    fake.state.failNext(1, 'Throttling', { service: 'sts' });
    expect(await rejection(p.grant(grantOf(), ALICE, { justification: 'x', ticket: null }))).toMatchObject({
      retryable: true,
      code: 'Throttling',
    });
    fake.state.failNext(1, 'ServiceUnavailable', { service: 'sts' });
    expect(await rejection(p.grant(grantOf(), ALICE, { justification: 'x', ticket: null }))).toMatchObject({
      retryable: true,
      code: 'ServiceUnavailable',
    });
    fake.state.failNext(1, 'MalformedPolicyDocument', { service: 'sts' });
    const e = await rejection(p.grant(grantOf(), ALICE, { justification: 'x', ticket: null }));
    expect(e).toMatchObject({ retryable: false, code: 'MalformedPolicyDocument' });
    expect(e.message).toContain('Injected MalformedPolicyDocument');
    // And then it works.
    await p.grant(grantOf(), ALICE, { justification: 'x', ticket: null });
  });

  it('refuses a session policy over 2,048 characters before calling AWS', async () => {
    const actions = Array.from({ length: 80 }, (_, i) => `ec2:SomeRatherLongActionName${i}`);
    const e = await rejection(
      provisioner().grant(grantOf({ actions }), ALICE, { justification: 'x', ticket: null }),
    );
    expect(e).toMatchObject({ retryable: false, code: 'PolicyTooLarge' });
    expect(e.message).toMatch(/AWS allows 2048/);
    expect(fake.state.requestsFor('sts')).toHaveLength(0);
  });

  it('refuses without an AWS identity, or one AWS cannot take as SourceIdentity', async () => {
    const p = provisioner();
    const none = await rejection(p.grant(grantOf(), {}, { justification: 'x', ticket: null }));
    expect(none).toMatchObject({ retryable: false });
    expect(none.message).toContain('users[].identities.aws');
    const bad = await rejection(
      p.grant(grantOf(), { aws: 'aws:alice' }, { justification: 'x', ticket: null }),
    );
    expect(bad.message).toContain('SourceIdentity');
  });

  it('sanitises the session name to what STS accepts', async () => {
    const requestId = `req/${'x'.repeat(80)}`;
    await provisioner().grant(grantOf({ requestId }), ALICE, { justification: 'x', ticket: null });
    const name = String(fake.state.requestsFor('sts', 'AssumeRole')[0]?.params.RoleSessionName);
    expect(name).toMatch(/^jit-req-x+-[0-9a-f]{12}$/);
    expect(name.length).toBeLessThanOrEqual(64);
  });
});

describe('the fake validates AssumeRole as STS does', () => {
  const client = () =>
    new STSClient({
      region: 'us-east-1',
      endpoint: fake.endpoints.sts,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIAEXAMPLEBROKER001', secretAccessKey: 'x' },
    });
  const assume = (input: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]>) =>
    client()
      .send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'jit-r-1', ...input }))
      .then(
        () => 'ok',
        (e: Error) => `${e.name}: ${e.message}`,
      );

  it('DurationSeconds 900 … MaxSessionDuration, names, policies', async () => {
    expect(await assume({ DurationSeconds: 600 })).toMatch(
      /^ValidationError: .*greater than or equal to 900/,
    );
    expect(await assume({ DurationSeconds: 43_201 })).toMatch(/^ValidationError: .*MaxSessionDuration/);
    expect(await assume({ RoleArn: ROLE2, DurationSeconds: 7200 })).toMatch(/MaxSessionDuration/);
    expect(await assume({ RoleSessionName: 'a b' })).toMatch(/^ValidationError/);
    expect(await assume({ SourceIdentity: 'aws:me' })).toMatch(/^ValidationError/);
    expect(await assume({ Policy: '{"Version":' })).toMatch(/^MalformedPolicyDocument/);
    expect(await assume({ Policy: 'x'.repeat(2049) })).toMatch(/^ValidationError: .*2048/);
    const arns = Array.from({ length: 11 }, (_, i) => ({ arn: `arn:aws:iam::aws:policy/P${i}` }));
    expect(await assume({ PolicyArns: arns })).toMatch(/^ValidationError: .*policyArns/);
    expect(await assume({ DurationSeconds: 900 })).toBe('ok');
  });

  it('caps role chaining at one hour and checks the signature scope', async () => {
    const first = await client().send(
      new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'jit-chain', DurationSeconds: 3600 }),
    );
    const chained = new STSClient({
      region: 'us-east-1',
      endpoint: fake.endpoints.sts,
      maxAttempts: 1,
      credentials: {
        accessKeyId: first.Credentials!.AccessKeyId!,
        secretAccessKey: first.Credentials!.SecretAccessKey!,
        sessionToken: first.Credentials!.SessionToken!,
      },
    });
    // The JIT role does not trust its own sessions here (trustedCaller is the broker user).
    await expect(
      chained.send(
        new AssumeRoleCommand({ RoleArn: ROLE2, RoleSessionName: 'jit-c2', DurationSeconds: 7200 }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/role chaining/) as unknown,
    });
    const wrongRegion = new STSClient({
      region: 'eu-west-1',
      endpoint: fake.endpoints.sts,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIAEXAMPLEBROKER001', secretAccessKey: 'x' },
    });
    await expect(
      wrongRegion.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'jit-r-1' })),
    ).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    const res = await fetch(fake.endpoints.sts, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(
      /^<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>IncompleteSignature<\/Code>/,
    );
  });
});

/** Follows a federation login URL like a browser tab would, returning the console cookie. */
async function follow(
  url: string,
): Promise<{ status: number; location: string | null; cookie: string | null }> {
  const res = await fetch(url, { redirect: 'manual' });
  await res.body?.cancel();
  const cookie =
    new RegExp(`${AWS_CONSOLE_COOKIE}=([^;]*)`).exec(res.headers.get('set-cookie') ?? '')?.[1] ?? null;
  return { status: res.status, location: res.headers.get('location'), cookie };
}

describe('landing', () => {
  it('signs the tab in with a one-time URL back to the denied page, whose session allows the action', async () => {
    const p = provisioner();
    const g = grantOf();
    const ref = await p.grant(g, ALICE, { justification: 'x', ticket: null });
    const landing = await p.landing(g, ref, ALICE, DENIED_PAGE);
    expect(landing.kind).toBe('url');
    if (landing.kind !== 'url') return;
    const url = new URL(landing.url);
    expect(`${url.origin}${url.pathname}`).toBe(fake.endpoints.signin);
    expect(url.searchParams.get('Action')).toBe('login');
    expect(url.searchParams.get('Destination')).toBe(DENIED_PAGE);
    expect(url.searchParams.get('Issuer')).toBe('https://unblock.example.com/');
    expect(landing.expiresAt).toBe(new Date(T0.getTime() + 15 * MIN).toISOString());
    expectNoSecrets(landing.url);
    const token = fake.state.requestsFor('signin', 'getSigninToken')[0];
    expect(token?.params.SessionDuration).toBe('3600');

    const first = await follow(landing.url);
    expect(first).toMatchObject({ status: 302, location: DENIED_PAGE });
    const view = fake.state.consoleSession(first.cookie!);
    expect(view).toMatchObject({
      account: ACCOUNT,
      sourceIdentity: 'alice@example.com',
      sessionName: 'jit-r-123',
      expired: false,
    });
    expect(fake.state.allows(view!, 'ec2:StopInstances', INSTANCE)).toBe(true);
    expect(fake.state.allows(view!, 'ec2:TerminateInstances', INSTANCE)).toBe(false);
    // Single use.
    expect((await follow(landing.url)).status).toBe(400);
  });

  it('refuses sign-in tokens older than 15 minutes', async () => {
    const p = provisioner();
    const g = grantOf();
    const ref = await p.grant(g, ALICE, { justification: 'x', ticket: null });
    const landing = await p.landing(g, ref, ALICE, DENIED_PAGE);
    clock.advance(16 * MIN);
    expect((await follow(landing.kind === 'url' ? landing.url : '')).status).toBe(400);
  });

  it.each([
    ['another site', 'https://evil.example.com/console'],
    ['plain http', 'http://us-east-1.console.aws.amazon.com/ec2/home'],
    ['a look-alike host', 'https://console.aws.amazon.com.evil.example/'],
    ['not a URL', 'javascript:alert(1)'],
  ])('replaces an off-console destination (%s) with the console home', async (_name, destination) => {
    const p = provisioner();
    const g = grantOf();
    const ref = await p.grant(g, ALICE, { justification: 'x', ticket: null });
    const landing = await p.landing(g, ref, ALICE, destination);
    if (landing.kind !== 'url') throw new Error('expected a url landing');
    expect(new URL(landing.url).searchParams.get('Destination')).toBe(
      'https://console.aws.amazon.com/console/home',
    );
  });

  it('strips a multi-session prefix from the destination host', async () => {
    const p = provisioner();
    const g = grantOf();
    const ref = await p.grant(g, ALICE, { justification: 'x', ticket: null });
    const landing = await p.landing(
      g,
      ref,
      ALICE,
      'https://123456789012-abc123.us-east-1.console.aws.amazon.com/lambda/home#/functions',
    );
    if (landing.kind !== 'url') throw new Error('expected a url landing');
    expect(new URL(landing.url).searchParams.get('Destination')).toBe(
      'https://us-east-1.console.aws.amazon.com/lambda/home#/functions',
    );
  });

  it('assumes the role again after a restart (no credentials in memory), with the same session name', async () => {
    const g = grantOf();
    const ref = await provisioner().grant(g, ALICE, { justification: 'x', ticket: null });
    const restarted = provisioner();
    const landing = await restarted.landing(g, ref, ALICE, null);
    const assumed = fake.state.requestsFor('sts', 'AssumeRole');
    expect(assumed).toHaveLength(2);
    expect(assumed[1]?.params.RoleSessionName).toBe('jit-r-123');
    const { cookie } = await follow(landing.kind === 'url' ? landing.url : '');
    expect(fake.state.consoleSession(cookie!)?.session.accessKeyId).not.toBe(ref.accessKeyId);
  });

  it('logout ends the console session', async () => {
    const p = provisioner();
    const g = grantOf();
    const ref = await p.grant(g, ALICE, { justification: 'x', ticket: null });
    const landing = await p.landing(g, ref, ALICE, DENIED_PAGE);
    const { cookie } = await follow(landing.kind === 'url' ? landing.url : '');
    const oauth = fake.endpoints.signin.replace(/\/federation$/, '/oauth');
    const res = await fetch(`${oauth}?Action=logout&redirect_uri=${encodeURIComponent(DENIED_PAGE)}`, {
      redirect: 'manual',
      headers: { cookie: `${AWS_CONSOLE_COOKIE}=${cookie}` },
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(DENIED_PAGE);
    const view = fake.state.consoleSession(cookie!)!;
    expect(view.expired).toBe(true);
    expect(fake.state.allows(view, 'ec2:StopInstances', INSTANCE)).toBe(false);
  });
});

describe('revoke', () => {
  it('early: denies the sessions of that grant, console included; later grants of the user still work', async () => {
    const p = provisioner();
    const g = grantOf();
    const other = grantOf({ id: 'g-other', requestId: 'r-other', actions: ['s3:GetObject'], resource: null });
    const ref = await p.grant(g, ALICE, { justification: 'x', ticket: null });
    const otherRef = await p.grant(other, ALICE, { justification: 'x', ticket: null });
    const landing = await p.landing(g, ref, ALICE, DENIED_PAGE);
    const view = fake.state.consoleSession(
      (await follow(landing.kind === 'url' ? landing.url : '')).cookie!,
    )!;

    clock.advance(10 * MIN);
    await p.revoke({ ...g, status: 'revoking' }, ref, ALICE);
    expect(fake.state.allows(sessionOf(ref), 'ec2:StopInstances', INSTANCE)).toBe(false);
    expect(fake.state.allows(view, 'ec2:StopInstances', INSTANCE)).toBe(false);
    // The user's other grant on the same role is not touched.
    expect(fake.state.allows(sessionOf(otherRef), 's3:GetObject', 'arn:aws:s3:::b/k')).toBe(true);

    // IAM read-modify-write through the admin role's session, in the target account.
    const iam = fake.state.requestsFor('iam');
    expect(iam.map((r) => r.action)).toEqual(['GetRolePolicy', 'PutRolePolicy']);
    expect(iam[1]?.params).toMatchObject({ RoleName: 'unblock-jit', PolicyName: 'unblock-revocations' });
    expect(fake.state.session(iam[1]!.accessKeyId!)?.roleArn).toBe(ADMIN);
    const doc = JSON.parse(fake.state.rolePolicies(ROLE)['unblock-revocations']!) as {
      Statement: { Condition: Record<string, Record<string, unknown>> }[];
    };
    expect(doc.Statement).toHaveLength(1);
    expect(doc.Statement[0]?.Condition).toMatchObject({
      StringEquals: { 'aws:SourceIdentity': 'alice@example.com' },
      StringLike: { 'aws:userid': ['*:jit-r-123'] },
      DateLessThanEquals: { 'aws:TokenIssueTime': '2026-11-25T18:15:00Z' },
    });

    // Idempotent: revoking again leaves one statement.
    await p.revoke({ ...g, status: 'revoking' }, ref, ALICE);
    expect(JSON.parse(fake.state.rolePolicies(ROLE)['unblock-revocations']!)).toEqual(doc);

    // A re-grant for the same user (a new request) is unaffected by the deny.
    const regrant = grantOf({
      id: 'g-2',
      requestId: 'r-456',
      expiresAt: new Date(clock.now().getTime() + HOUR),
    });
    const regrantRef = await p.grant(regrant, ALICE, { justification: 'again', ticket: null });
    expect(fake.state.allows(sessionOf(regrantRef), 'ec2:StopInstances', INSTANCE)).toBe(true);
  });

  it('a session issued after the cutoff is not caught, even with the same name', async () => {
    const p = provisioner();
    const g = grantOf({ expiresAt: new Date(T0.getTime() + 4 * HOUR) });
    const ref = await p.grant(g, ALICE, { justification: 'x', ticket: null });
    await p.revoke(g, ref, ALICE);
    clock.advance(6 * MIN);
    const later = await provisioner().grant(g, ALICE, { justification: 'x', ticket: null });
    expect(fake.state.allows(sessionOf(ref), 'ec2:StopInstances', INSTANCE)).toBe(false);
    expect(fake.state.allows(sessionOf(later), 'ec2:StopInstances', INSTANCE)).toBe(true);
  });

  it('at natural expiry does nothing: the session ended with the grant', async () => {
    const p = provisioner();
    const g = grantOf();
    const ref = await p.grant(g, ALICE, { justification: 'x', ticket: null });
    clock.advance(HOUR);
    expect(fake.state.allows(sessionOf(ref), 'ec2:StopInstances', INSTANCE)).toBe(false);
    await p.revoke({ ...g, status: 'revoking' }, ref, ALICE);
    expect(fake.state.requestsFor('iam')).toHaveLength(0);
  });

  it('at natural expiry denies a session AWS made outlive the grant (15-minute minimum)', async () => {
    const p = provisioner();
    const g = grantOf({ expiresAt: new Date(T0.getTime() + 5 * MIN) });
    const ref = await p.grant(g, ALICE, { justification: 'x', ticket: null });
    clock.advance(5 * MIN);
    expect(fake.state.allows(sessionOf(ref), 'ec2:StopInstances', INSTANCE)).toBe(true);
    await p.revoke({ ...g, status: 'revoking' }, ref, ALICE);
    expect(fake.state.allows(sessionOf(ref), 'ec2:StopInstances', INSTANCE)).toBe(false);
  });

  it('drops denies that can no longer matter, and deletes the policy when none is left', async () => {
    const p = provisioner();
    const g = grantOf();
    await p.revoke(g, null, ALICE);
    expect(Object.keys(fake.state.rolePolicies(ROLE))).toEqual(['unblock-revocations']);
    expect(await p.sweepRevocations(ACCOUNT)).toBe(0);
    clock.advance(13 * HOUR);
    expect(await p.sweepRevocations(ACCOUNT)).toBe(1);
    expect(fake.state.rolePolicies(ROLE)).toEqual({});
  });

  it('refuses clearly when the denies would exceed IAM 10,240-character limit (retryable: old ones drop out)', async () => {
    const p = provisioner();
    let error: ProvisionError | null = null;
    for (let i = 0; i < 60 && !error; i++) {
      await p
        .revoke(grantOf({ id: `g-${i}`, requestId: `r-${i}` }), null, ALICE)
        .catch((e: ProvisionError) => {
          error = e;
        });
    }
    expect(error).toMatchObject({ retryable: true, code: 'LimitExceeded' });
  });

  it('without an admin role, says how to let the broker edit the role', async () => {
    const g = grantOf({ target: { cloud: 'aws', account: ACCOUNT2, environment: 'dev' } });
    const e = await rejection(provisioner().revoke(g, null, ALICE));
    expect(e).toMatchObject({ retryable: false, code: 'NoSuchEntity' });
    expect(e.message).toContain('targets[].aws.adminRoleArn');
  });
});

describe('decode', () => {
  it('decodes an encoded message (whitespace removed, service prefix added)', async () => {
    const blob = fake.state.encodeDenial({
      account: ACCOUNT,
      principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/Dev/alice`,
      action: 'RunInstances',
      resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:volume/*`,
    });
    const wrapped = blob.replace(/(.{60})/g, '$1\n');
    const decoded = await provisioner().decode!(
      { cloud: 'aws', account: ACCOUNT, environment: 'prod' },
      wrapped,
    );
    expect(decoded).toEqual({
      actions: ['ec2:RunInstances'],
      resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:volume/*`,
      summary: `arn:aws:sts::${ACCOUNT}:assumed-role/Dev/alice was denied ec2:RunInstances on arn:aws:ec2:us-east-1:${ACCOUNT}:volume/*`,
    });
  });

  it('decodes through a decode-only JIT session when there is no admin role, and names explicit denies', async () => {
    const blob = fake.state.encodeDenial({
      account: ACCOUNT2,
      principalArn: `arn:aws:sts::${ACCOUNT2}:assumed-role/Dev/alice`,
      action: 'ec2:DescribeInstances',
      resource: '*',
      explicitDeny: true,
    });
    const decoded = await provisioner().decode!(
      { cloud: 'aws', account: ACCOUNT2, environment: 'dev' },
      blob,
    );
    expect(decoded).toMatchObject({ actions: ['ec2:DescribeInstances'], resource: null });
    expect(decoded?.summary).toMatch(/explicit deny \(not grantable\)/);
    expect(fake.state.requestsFor('sts', 'AssumeRole')[0]?.params).toMatchObject({
      RoleArn: ROLE2,
      RoleSessionName: 'jit-unblock-broker-reader',
    });
  });

  it('refuses an unknown message as not retryable', async () => {
    const e = await rejection(
      provisioner().decode!({ cloud: 'aws', account: ACCOUNT, environment: 'prod' }, 'not-a-message'),
    );
    expect(e).toMatchObject({ retryable: false, code: 'InvalidAuthorizationMessageException' });
  });
});

describe('activity', () => {
  it('pages through CloudTrail by session name within the rate limit, retrying throttling', async () => {
    const p = provisioner();
    const g = grantOf();
    const ref = await p.grant(g, ALICE, { justification: 'x', ticket: null });
    const session = sessionOf(ref);
    for (let i = 0; i < 120; i++) {
      fake.state.recordCall(session, 'ec2:StopInstances', INSTANCE, new Date(T0.getTime() + (i + 1) * 1000));
    }
    fake.state.recordCall(session, 'ec2:TerminateInstances', INSTANCE, new Date(T0.getTime() + 200_000));
    // Another user's session, not this grant's.
    const otherRef = await p.grant(
      grantOf({ id: 'g-b', requestId: 'r-b' }),
      { aws: 'bob@example.com' },
      {
        justification: 'x',
        ticket: null,
      },
    );
    fake.state.recordCall(sessionOf(otherRef), 'ec2:StopInstances', INSTANCE, new Date(T0.getTime() + 5000));
    fake.state.failNext(1, 'ThrottlingException', { service: 'cloudtrail' });
    clock.advance(5 * MIN);

    const entries = await p.activity!(g, ref, ALICE);
    expect(entries).toHaveLength(121);
    expect(entries[0]).toEqual({
      at: new Date(T0.getTime() + 1000).toISOString(),
      action: 'ec2:StopInstances',
      resource: INSTANCE,
      outcome: 'success',
    });
    expect(entries.at(-1)).toMatchObject({ action: 'ec2:TerminateInstances', outcome: 'AccessDenied' });

    // Every region is read now (clouds-aws-activity.test.ts); the events are in us-east-1.
    const calls = fake.state
      .requestsFor('cloudtrail', 'LookupEvents')
      .filter((c) => c.params.region === 'us-east-1');
    // One throttled call, retried, then three pages of at most 50.
    expect(calls).toHaveLength(4);
    for (const c of calls) {
      expect(c.params).toMatchObject({
        LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'jit-r-123' }],
        MaxResults: 50,
        StartTime: T0.getTime() / 1000,
      });
    }
    expect(calls.filter((c) => c.params.NextToken !== undefined)).toHaveLength(2);
    // Calls were spaced at least 500 ms apart on the cloud's clock (no ThrottlingException beyond the injected one).
    for (let i = 1; i < calls.length; i++) {
      expect(calls[i]!.at.getTime() - calls[i - 1]!.at.getTime()).toBeGreaterThanOrEqual(500);
    }
  });

  it('gives up on persistent throttling with a retryable error', async () => {
    const p = provisioner();
    const g = grantOf();
    const ref = await p.grant(g, ALICE, { justification: 'x', ticket: null });
    fake.state.failNext(10, 'ThrottlingException', { service: 'cloudtrail' });
    expect(await rejection(p.activity!(g, ref, ALICE))).toMatchObject({
      retryable: true,
      code: 'ThrottlingException',
    });
  });
});

describe('preview and configuration', () => {
  it('previews the session policy, the baseline and the duration caps', async () => {
    const preview = await provisioner().preview!(
      { cloud: 'aws', account: ACCOUNT, environment: 'prod' },
      ['ec2:StopInstances'],
      INSTANCE,
    );
    expect(preview.sessionPolicy).toMatchObject({
      Statement: [{ Effect: 'Allow', Action: ['ec2:StopInstances'], Resource: [INSTANCE] }],
    });
    expect(preview.alsoGrants).toEqual([BASELINE]);
    expect(preview.notes?.join(' ')).toMatch(/at most 12 h/);
    const bare = await provisioner().preview!(
      { cloud: 'aws', account: ACCOUNT2, environment: 'dev' },
      ['s3:GetObject'],
      null,
    );
    expect(bare.notes?.join(' ')).toMatch(/No baseline policies/);
  });

  it('fails at creation when a credential variable is not set, naming the field', () => {
    const cloud = AwsCloudConfig.parse({
      credentials: {
        accessKeyId: 'env:UNBLOCK_TEST_AWS_UNSET',
        secretAccessKey: 'env:UNBLOCK_TEST_AWS_SECRET',
      },
    });
    expect(() => createAwsProvisioner(cloud, () => undefined)).toThrow(
      'clouds.aws.credentials.accessKeyId: environment variable UNBLOCK_TEST_AWS_UNSET is not set',
    );
  });

  it('refuses an account without settings', async () => {
    const e = await rejection(
      provisioner().grant(
        grantOf({ target: { cloud: 'aws', account: '000000000000', environment: 'x' } }),
        ALICE,
        {
          justification: 'x',
          ticket: null,
        },
      ),
    );
    expect(e.message).toContain('targets[].aws');
  });
});
