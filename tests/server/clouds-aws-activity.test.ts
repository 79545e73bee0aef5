/**
 * Activity across regions (docs/cloud-mechanics.md §1.6): CloudTrail's event history is per
 * account and region, global services log in us-east-1, and LookupEvents allows 2 requests per
 * second per account and region. The fake keeps trails that way; the provisioner reads every
 * region the grant could act in, within the limit, and merges the events once each.
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALICE, ACCOUNT, INSTANCE, MIN, NO_CONTEXT, USER_KEY, awsWorld, type AwsWorld } from './aws-fixtures';

let world: AwsWorld;
beforeEach(async () => {
  world = await awsWorld();
});
afterEach(() => world.close());

const EU_INSTANCE = `arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/i-0eu00000000000001`;
const SYDNEY_QUEUE = `arn:aws:sqs:ap-southeast-2:${ACCOUNT}:orders`;
const IAM_ROLE = `arn:aws:iam::${ACCOUNT}:role/app`;

/** A session of the grant, whose calls the tests record. */
async function grantedSession(world: AwsWorld, target = {}) {
  const p = world.provisioner('user', {
    baselinePolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
    ...target,
  });
  const g = world.grant({ actions: ['ec2:StopInstances'], resource: null });
  const ref = await p.grant(g, ALICE, NO_CONTEXT);
  return { p, g, ref, session: world.sessionOf(ref) };
}

describe('the fake keeps event history per account and region', () => {
  it('a lookup sees only its signed region and the caller account; IAM calls land in us-east-1', async () => {
    const { session } = await grantedSession(world);
    world.fake.state.recordCall(session, 'ec2:StopInstances', EU_INSTANCE);
    world.fake.state.recordCall(session, 'iam:GetRole', IAM_ROLE);
    const names = async (region: string) => {
      const client = new CloudTrailClient({
        region,
        endpoint: world.fake.endpoints.cloudTrail,
        maxAttempts: 1,
        credentials: {
          accessKeyId: session.accessKeyId,
          secretAccessKey: session.secretAccessKey,
          sessionToken: session.sessionToken,
        },
      });
      const out = await client.send(new LookupEventsCommand({}));
      return (out.Events ?? []).map(
        (e) => `${e.EventName}@${(JSON.parse(e.CloudTrailEvent ?? '{}') as { awsRegion: string }).awsRegion}`,
      );
    };
    expect(await names('eu-west-1')).toEqual(['StopInstances@eu-west-1']);
    expect(await names('us-east-1')).toEqual(['GetRole@us-east-1']);
    expect(await names('ap-southeast-2')).toEqual([]);
  });

  it('throttles per account and region: two per second in each region, not two in all', async () => {
    const client = (region: string) =>
      new CloudTrailClient({
        region,
        endpoint: world.fake.endpoints.cloudTrail,
        maxAttempts: 1,
        credentials: { accessKeyId: USER_KEY, secretAccessKey: 's' },
      });
    const lookup = (region: string) =>
      client(region)
        .send(new LookupEventsCommand({}))
        .then(
          () => 'ok',
          (e: Error) => e.name,
        );
    expect([await lookup('us-east-1'), await lookup('us-east-1')]).toEqual(['ok', 'ok']);
    expect([await lookup('eu-west-1'), await lookup('eu-west-1')]).toEqual(['ok', 'ok']);
    expect(await lookup('us-east-1')).toBe('ThrottlingException');
  });
});

describe('the provisioner reads every region the grant could act in', () => {
  it('merges the events of all default regions and us-east-1, oldest first, within each region’s rate', async () => {
    const { p, g, ref, session } = await grantedSession(world);
    const t0 = world.clock.now().getTime();
    world.fake.state.recordCall(session, 'ec2:StopInstances', EU_INSTANCE, new Date(t0 + 3000));
    world.fake.state.recordCall(session, 'iam:GetRole', IAM_ROLE, new Date(t0 + 1000));
    world.fake.state.recordCall(session, 'sqs:GetQueueAttributes', SYDNEY_QUEUE, new Date(t0 + 2000));
    world.fake.state.recordCall(session, 'ec2:DescribeInstances', INSTANCE, new Date(t0 + 4000));
    world.clock.advance(5 * MIN);

    const entries = await p.activity!(g, ref, ALICE);
    expect(entries.map((e) => e.action)).toEqual([
      'iam:GetRole',
      'sqs:GetQueueAttributes',
      'ec2:StopInstances',
      'ec2:DescribeInstances',
    ]);
    const calls = world.fake.state.requestsFor('cloudtrail', 'LookupEvents');
    const regions = calls.map((c) => c.params.region);
    expect(new Set(regions).size).toBe(regions.length);
    expect(regions).toEqual(
      expect.arrayContaining(['us-east-1', 'eu-west-1', 'ap-southeast-2', 'sa-east-1']),
    );
    expect(regions).toHaveLength(17);
    expect(regions).not.toContain('af-south-1');
  });

  it('reads only the configured regions (with us-east-1 and the resource’s region), pacing each region', async () => {
    const { p, g, ref, session } = await grantedSession(world, { regions: ['eu-west-1'] });
    for (let i = 0; i < 120; i++) {
      world.fake.state.recordCall(
        session,
        'ec2:DescribeInstances',
        EU_INSTANCE,
        new Date(world.clock.now().getTime() + i),
      );
    }
    world.fake.state.recordCall(session, 'sqs:GetQueueAttributes', SYDNEY_QUEUE);
    world.clock.advance(MIN);
    const entries = await p.activity!({ ...g, resource: SYDNEY_QUEUE.replace('orders', '*') }, ref, ALICE);
    expect(entries).toHaveLength(121);
    const calls = world.fake.state.requestsFor('cloudtrail', 'LookupEvents');
    expect([...new Set(calls.map((c) => c.params.region))]).toEqual([
      'us-east-1',
      'eu-west-1',
      'ap-southeast-2',
    ]);
    const eu = calls.filter((c) => c.params.region === 'eu-west-1');
    expect(eu).toHaveLength(3);
    for (let i = 1; i < eu.length; i++) {
      expect(eu[i]!.at.getTime() - eu[i - 1]!.at.getTime()).toBeGreaterThanOrEqual(500);
    }
  });

  it('counts an event found in two regions’ histories once', async () => {
    const { p, g, ref, session } = await grantedSession(world, { regions: ['eu-west-1'] });
    world.fake.state.recordCall(session, 'iam:GetRole', IAM_ROLE);
    world.fake.state.copyEventToRegion(world.fake.state.events.at(-1)!.eventId, 'eu-west-1');
    world.clock.advance(MIN);
    const entries = await p.activity!(g, ref, ALICE);
    expect(entries.map((e) => e.action)).toEqual(['iam:GetRole']);
  });
});
