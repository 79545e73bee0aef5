/**
 * Console landing with both kinds of broker credentials (docs/cloud-mechanics.md §1.1, §1.3): an
 * IAM user's long-term keys (DurationSeconds and SessionDuration carry the grant's length) and a
 * role session the broker runs on (role chaining: neither is sent, each console session lasts the
 * hour the chained credentials last, and the next landing signs in again). Each landing is
 * followed to the console, whose session must really allow the granted action.
 */
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN,
  ALICE,
  DENIED_PAGE,
  HOUR,
  INSTANCE,
  MIN,
  NO_CONTEXT,
  ROLE,
  T0,
  TASK_KEY,
  TASK_TOKEN,
  USER_KEY,
  awsWorld,
  follow,
  rejection,
  type AwsWorld,
} from './aws-fixtures';

let world: AwsWorld;

beforeEach(async () => {
  world = await awsWorld();
});
afterEach(() => world.close());

const sts = (credentials: 'user' | 'role') =>
  new STSClient({
    region: 'us-east-1',
    endpoint: world.fake.endpoints.sts,
    maxAttempts: 1,
    credentials:
      credentials === 'user'
        ? { accessKeyId: USER_KEY, secretAccessKey: 's' }
        : { accessKeyId: TASK_KEY, secretAccessKey: 's', sessionToken: TASK_TOKEN },
  });

/** getSigninToken straight on the fake, for credentials AssumeRole returned. */
async function signinStatus(
  c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string },
  sessionDuration?: number,
): Promise<number> {
  const params = new URLSearchParams({
    Action: 'getSigninToken',
    ...(sessionDuration ? { SessionDuration: String(sessionDuration) } : {}),
    Session: JSON.stringify({
      sessionId: c.AccessKeyId,
      sessionKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
    }),
  });
  const res = await fetch(`${world.fake.endpoints.signin}?${params.toString()}`);
  await res.body?.cancel();
  return res.status;
}

describe('the fake refuses what AWS refuses for a broker on role credentials', () => {
  it('chained AssumeRole: DurationSeconds above one hour is a ValidationError', async () => {
    await expect(
      sts('role').send(
        new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'jit-a', DurationSeconds: 7200 }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message:
        'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    });
  });

  it('federation sign-in fails for chained credentials with SessionDuration, or from an AssumeRole with DurationSeconds', async () => {
    const plain = await sts('role').send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'jit-a' }));
    expect(plain.Credentials?.Expiration?.getTime()).toBe(T0.getTime() + HOUR);
    expect(await signinStatus(plain.Credentials!, 3600)).toBe(400);
    expect(await signinStatus(plain.Credentials!)).toBe(200);
    const timed = await sts('role').send(
      new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'jit-b', DurationSeconds: 900 }),
    );
    expect(await signinStatus(timed.Credentials!)).toBe(400);
  });

  it('an IAM user may set both durations', async () => {
    const out = await sts('user').send(
      new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'jit-c', DurationSeconds: 28_800 }),
    );
    expect(await signinStatus(out.Credentials!, 28_800)).toBe(200);
  });
});

describe('landing on IAM-user keys', () => {
  it('asks for the grant length in AssumeRole and in the console session, and the tab lands with access', async () => {
    const p = world.provisioner('user');
    const g = world.grant({ expiresAt: new Date(T0.getTime() + 8 * HOUR) });
    const ref = await p.grant(g, ALICE, NO_CONTEXT);
    expect(world.fake.state.requestsFor('sts', 'AssumeRole')[0]?.params.DurationSeconds).toBe('28800');
    const landing = await p.landing(g, ref, ALICE, DENIED_PAGE);
    if (landing.kind !== 'url') throw new Error('expected a url landing');
    expect(world.fake.state.requestsFor('signin', 'getSigninToken')[0]?.params.SessionDuration).toBe('28800');
    const tab = await follow(landing.url);
    expect(tab).toMatchObject({ status: 302, location: DENIED_PAGE });
    const console = world.fake.state.consoleSession(tab.cookie!)!;
    expect(console.expiresAt).toEqual(g.expiresAt);
    expect(world.fake.state.allows(console, 'ec2:StopInstances', INSTANCE)).toBe(true);
  });
});

describe('landing on role credentials (role chaining)', () => {
  it('sends neither duration, and the tab lands in a one-hour console session that allows the action', async () => {
    const p = world.provisioner('role');
    const g = world.grant({ expiresAt: new Date(T0.getTime() + 8 * HOUR) });
    const ref = await p.grant(g, ALICE, NO_CONTEXT);
    const [assumed] = world.fake.state.requestsFor('sts', 'AssumeRole');
    expect(assumed?.params).not.toHaveProperty('DurationSeconds');
    expect(ref.sessionExpiresAt).toBe(new Date(T0.getTime() + HOUR).toISOString());

    const landing = await p.landing(g, ref, ALICE, DENIED_PAGE);
    if (landing.kind !== 'url') throw new Error('expected a url landing');
    expect(world.fake.state.requestsFor('signin', 'getSigninToken')[0]?.params).not.toHaveProperty(
      'SessionDuration',
    );
    const tab = await follow(landing.url);
    expect(tab).toMatchObject({ status: 302, location: DENIED_PAGE });
    const console = world.fake.state.consoleSession(tab.cookie!)!;
    expect(console.expiresAt.getTime()).toBe(T0.getTime() + HOUR);
    expect(world.fake.state.allows(console, 'ec2:StopInstances', INSTANCE)).toBe(true);
    expect(world.log.join('\n')).toMatch(/role chaining/);
  });

  it('signs in again with a fresh one-hour session when the held one runs short, until the grant ends', async () => {
    const p = world.provisioner('role');
    const g = world.grant({ expiresAt: new Date(T0.getTime() + 3 * HOUR) });
    const ref = await p.grant(g, ALICE, NO_CONTEXT);
    world.clock.advance(50 * MIN);
    const landing = await p.landing(g, ref, ALICE, DENIED_PAGE);
    if (landing.kind !== 'url') throw new Error('expected a url landing');
    expect(world.fake.state.requestsFor('sts', 'AssumeRole')).toHaveLength(2);
    const console = world.fake.state.consoleSession((await follow(landing.url)).cookie!)!;
    expect(console.expiresAt.getTime()).toBe(T0.getTime() + 50 * MIN + HOUR);
    expect(world.fake.state.allows(console, 'ec2:StopInstances', INSTANCE)).toBe(true);
  });

  it('a grant shorter than the hour: the console session outlives it, so its end denies the session', async () => {
    const p = world.provisioner('role');
    const g = world.grant({ expiresAt: new Date(T0.getTime() + 20 * MIN) });
    const ref = await p.grant(g, ALICE, NO_CONTEXT);
    const landing = await p.landing(g, ref, ALICE, DENIED_PAGE);
    if (landing.kind !== 'url') throw new Error('expected a url landing');
    const console = world.fake.state.consoleSession((await follow(landing.url)).cookie!)!;
    world.clock.advance(20 * MIN);
    // AWS would still let it act (its credentials last the hour); the grant's end takes it away.
    expect(world.fake.state.allows(console, 'ec2:StopInstances', INSTANCE)).toBe(true);
    await p.revoke({ ...g, status: 'revoking' }, ref, ALICE);
    expect(world.fake.state.allows(console, 'ec2:StopInstances', INSTANCE)).toBe(false);
    expect(world.fake.state.allows(world.sessionOf(ref), 'ec2:StopInstances', INSTANCE)).toBe(false);
  });

  it('the approver is told each console session lasts at most an hour', async () => {
    const preview = await world.provisioner('role').preview!(
      { cloud: 'aws', account: world.grant().target.account, environment: 'prod' },
      ['ec2:StopInstances'],
      null,
    );
    expect(preview.notes?.join(' ')).toMatch(/role chaining.*1 hour/);
  });

  it('a federation refusal is reported without credentials and as not retryable', async () => {
    const p = world.provisioner('role');
    const g = world.grant();
    const ref = await p.grant(g, ALICE, NO_CONTEXT);
    world.fake.state.failNext(1, 'AccessDenied', { service: 'signin' });
    const e = await rejection(p.landing(g, ref, ALICE, DENIED_PAGE));
    expect(e).toMatchObject({ retryable: false });
    expect(e.message).not.toContain(TASK_TOKEN);
  });
});

describe('revoking reaches console sessions (the same condition keys as API calls)', () => {
  /** A console session of a role session, straight on the fake: 15-minute credentials, a 12-hour console. */
  async function longConsole(sessionName: string) {
    const out = await sts('user').send(
      new AssumeRoleCommand({
        RoleArn: ROLE,
        RoleSessionName: sessionName,
        SourceIdentity: 'alice@example.com',
        DurationSeconds: 900,
      }),
    );
    const c = out.Credentials!;
    const params = new URLSearchParams({
      Action: 'getSigninToken',
      SessionDuration: '43200',
      Session: JSON.stringify({
        sessionId: c.AccessKeyId,
        sessionKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
      }),
    });
    const { SigninToken } = (await (
      await fetch(`${world.fake.endpoints.signin}?${params.toString()}`)
    ).json()) as {
      SigninToken: string;
    };
    const login = new URLSearchParams({ Action: 'login', Destination: DENIED_PAGE, SigninToken });
    return world.fake.state.consoleSession(
      (await follow(`${world.fake.endpoints.signin}?${login.toString()}`)).cookie!,
    )!;
  }

  it("a revoked grant's console session is denied, even once it has outlived its credentials", async () => {
    const console = await longConsole('jit-r-123');
    world.clock.advance(HOUR);
    // The console session outlives its 15-minute credentials, as getSigninToken allows.
    expect(world.fake.state.allows(console, 'ec2:StopInstances', INSTANCE)).toBe(true);
    const g = world.grant({ expiresAt: new Date(world.clock.now().getTime() + HOUR) });
    await world.provisioner().revoke({ ...g, status: 'revoking' }, null, ALICE);
    expect(world.fake.state.allows(console, 'ec2:StopInstances', INSTANCE)).toBe(false);
  });

  it('"Revoke active sessions" (a deny on aws:TokenIssueTime alone) ends older console sessions, not newer ones', async () => {
    const older = await longConsole('jit-old');
    world.clock.advance(MIN);
    // The console's "Revoke active sessions", written in the role's account (as its admin role).
    const admin = (
      await sts('user').send(new AssumeRoleCommand({ RoleArn: ADMIN, RoleSessionName: 'admin' }))
    ).Credentials!;
    await new IAMClient({
      region: 'us-east-1',
      endpoint: world.fake.endpoints.iam,
      maxAttempts: 1,
      credentials: {
        accessKeyId: admin.AccessKeyId!,
        secretAccessKey: admin.SecretAccessKey!,
        sessionToken: admin.SessionToken!,
      },
    }).send(
      new PutRolePolicyCommand({
        RoleName: 'unblock-jit',
        PolicyName: 'AWSRevokeOlderSessions',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: {
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: { DateLessThan: { 'aws:TokenIssueTime': world.clock.now().toISOString() } },
          },
        }),
      }),
    );
    world.clock.advance(MIN);
    const newer = await longConsole('jit-new');
    expect(world.fake.state.allows(older, 'ec2:StopInstances', INSTANCE)).toBe(false);
    expect(world.fake.state.allows(newer, 'ec2:StopInstances', INSTANCE)).toBe(true);
  });

  it('console calls reach CloudTrail with the console’s own access key id, under the session name', async () => {
    const console = await longConsole('jit-r-123');
    world.fake.state.recordCall(console, 'ec2:StopInstances', INSTANCE);
    const event = world.fake.state.events.at(-1)!;
    expect(console.accessKeyId).not.toBe(console.session.accessKeyId);
    expect(event).toMatchObject({
      accessKeyId: console.accessKeyId,
      username: 'jit-r-123',
      region: 'us-east-1',
    });
  });
});
