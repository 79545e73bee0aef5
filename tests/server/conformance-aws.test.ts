/**
 * The AWS fake against AWS's own service models (tests/fixtures/conformance/aws/, excerpts of the
 * Smithy models the AWS SDK is generated from), for every operation the provisioner calls:
 * answers carry only modelled members and every required one, and errors carry modelled codes,
 * statuses and fault types in the protocol's envelope. The constraints and what the provisioner
 * sends: conformance-aws-constraints.test.ts.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, INSTANCE, ROLE, awsWorld, type AwsWorld } from './aws-fixtures';
import { child, errorsOf, examplesOf, ioOf, loadModel } from './aws-model';
import { USER, expectConforms, expectQueryError, wireOf, type Signer, type Wire } from './aws-wire';
import { faultStatus } from '../../sim/clouds/aws/wire';

const STS = loadModel('sts.json');
const IAM = loadModel('iam.json');
const TRAIL = loadModel('cloudtrail.json');

let world: AwsWorld;
let wire: Wire;
let admin: Signer;
const user = USER;
const query = (...args: Parameters<Wire['query']>) => wire.query(...args);
const lookup = (...args: Parameters<Wire['lookup']>) => wire.lookup(...args);

beforeAll(async () => {
  world = await awsWorld();
  wire = wireOf(world);
  admin = await wire.admin();
});
afterAll(() => world.close());

describe('answers carry the modelled members', () => {
  it('STS AssumeRole (the model example: its PackedPolicySize too), GetCallerIdentity, DecodeAuthorizationMessage', async () => {
    const example = examplesOf(STS, 'AssumeRole')[0]!;
    const input = example.input as {
      Policy: string;
      Tags: { Key: string; Value: string }[];
      TransitiveTagKeys: string[];
    };
    const params: Record<string, string> = {
      Action: 'AssumeRole',
      RoleArn: ROLE,
      RoleSessionName: 'jit-example',
      Policy: input.Policy,
    };
    input.Tags.forEach((t, i) =>
      Object.assign(params, { [`Tags.member.${i + 1}.Key`]: t.Key, [`Tags.member.${i + 1}.Value`]: t.Value }),
    );
    input.TransitiveTagKeys.forEach((k, i) => (params[`TransitiveTagKeys.member.${i + 1}`] = k));
    const assumed = await query('sts', params, user);
    expect(assumed.status).toBe(200);
    const result = child(assumed.xml, 'AssumeRoleResult');
    expectConforms(STS, ioOf(STS, 'AssumeRole', 'output'), result);
    expect(Number(child(result, 'PackedPolicySize').text)).toBe(example.output.PackedPolicySize);

    const me = await query('sts', { Action: 'GetCallerIdentity' }, user);
    expectConforms(STS, ioOf(STS, 'GetCallerIdentity', 'output'), child(me.xml, 'GetCallerIdentityResult'));

    const blob = world.fake.state.encodeDenial({
      account: '123456789012',
      principalArn: 'arn:aws:sts::123456789012:assumed-role/Dev/alice',
      action: 'ec2:RunInstances',
      resource: INSTANCE,
    });
    // Decoding happens in the denied request's account.
    const decoded = await query('sts', { Action: 'DecodeAuthorizationMessage', EncodedMessage: blob }, admin);
    expectConforms(
      STS,
      ioOf(STS, 'DecodeAuthorizationMessage', 'output'),
      child(decoded.xml, 'DecodeAuthorizationMessageResult'),
    );
  });

  it('IAM PutRolePolicy, GetRolePolicy, DeleteRolePolicy', async () => {
    const doc = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*' }],
    });
    const names = { RoleName: 'unblock-jit', PolicyName: 'conformance' };
    const put = await query('iam', { Action: 'PutRolePolicy', ...names, PolicyDocument: doc }, admin);
    expect(child(put.xml, 'PutRolePolicyResult').children).toEqual([]);
    const got = await query('iam', { Action: 'GetRolePolicy', ...names }, admin);
    expectConforms(IAM, ioOf(IAM, 'GetRolePolicy', 'output'), child(got.xml, 'GetRolePolicyResult'));
    const deleted = await query('iam', { Action: 'DeleteRolePolicy', ...names }, admin);
    expect(child(deleted.xml, 'DeleteRolePolicyResult').children).toEqual([]);
  });

  it('CloudTrail LookupEvents', async () => {
    const ref = await world.provisioner().grant(world.grant(), ALICE, { justification: 'x', ticket: null });
    world.fake.state.recordCall(world.sessionOf(ref), 'ec2:StopInstances', INSTANCE);
    const out = await lookup(
      { LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'jit-r-123' }], MaxResults: 1 },
      admin,
    );
    expect(out.status).toBe(200);
    expectConforms(TRAIL, ioOf(TRAIL, 'LookupEvents', 'output'), out.json);
    expect((out.json.Events as unknown[]).length).toBe(1);
  });
});

describe('errors carry modelled codes, statuses and fault types', () => {
  it('STS: MalformedPolicyDocument, PackedPolicyTooLarge, InvalidAuthorizationMessageException', async () => {
    const base = { Action: 'AssumeRole', RoleArn: ROLE, RoleSessionName: 'jit-e' };
    expectQueryError(
      STS,
      'AssumeRole',
      await query('sts', { ...base, Policy: '{"Version":' }, user),
      'MalformedPolicyDocument',
    );
    // Tags that do not compress (hex digests) fill the packed space.
    const tags = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [
        [`Tags.member.${i + 1}.Key`, `k${i}`],
        [`Tags.member.${i + 1}.Value`, createHash('sha512').update(String(i)).digest('hex')],
      ]).flat(),
    ) as Record<string, string>;
    const packed = await query('sts', { ...base, ...tags }, user);
    expectQueryError(STS, 'AssumeRole', packed, 'PackedPolicyTooLarge');
    const bad = await query(
      'sts',
      { Action: 'DecodeAuthorizationMessage', EncodedMessage: 'never-issued' },
      admin,
    );
    expectQueryError(STS, 'DecodeAuthorizationMessage', bad, 'InvalidAuthorizationMessageException');
  });

  it('IAM: NoSuchEntity, MalformedPolicyDocument, LimitExceeded', async () => {
    const names = { RoleName: 'unblock-jit', PolicyName: 'absent' };
    expectQueryError(
      IAM,
      'GetRolePolicy',
      await query('iam', { Action: 'GetRolePolicy', ...names }, admin),
      'NoSuchEntity',
    );
    expectQueryError(
      IAM,
      'DeleteRolePolicy',
      await query('iam', { Action: 'DeleteRolePolicy', ...names }, admin),
      'NoSuchEntity',
    );
    const put = (doc: string) =>
      query('iam', { Action: 'PutRolePolicy', ...names, PolicyDocument: doc }, admin);
    expectQueryError(IAM, 'PutRolePolicy', await put('{"Version":'), 'MalformedPolicyDocument');
    const big = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Action: '*',
          Resource: Array.from({ length: 400 }, (_, i) => `arn:aws:s3:::bucket-${i}`),
        },
      ],
    });
    expectQueryError(IAM, 'PutRolePolicy', await put(big), 'LimitExceeded');
  });

  it('CloudTrail: the modelled exceptions as __type, with their status and the model’s Message member', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        {
          LookupAttributes: [
            { AttributeKey: 'Username', AttributeValue: 'a' },
            { AttributeKey: 'EventName', AttributeValue: 'b' },
          ],
        },
        'InvalidLookupAttributesException',
      ],
      [{ MaxResults: 51 }, 'InvalidMaxResultsException'],
      [{ NextToken: 'forged' }, 'InvalidNextTokenException'],
      [{ StartTime: 2, EndTime: 1 }, 'InvalidTimeRangeException'],
    ];
    const modelled = errorsOf(TRAIL, 'LookupEvents');
    for (const [body, shape] of cases) {
      world.clock.advance(1000);
      const out = await lookup(body, { ...admin, region: 'eu-west-1' });
      const error = modelled.find((e) => e.shape === shape)!;
      expect(out).toMatchObject({ status: error.status, type: shape, json: { __type: shape } });
      expect(Object.keys(out.json).sort()).toEqual(['__type', error.messageMember!].sort());
    }
  });

  it('injected faults answer each modelled code with the model’s status', () => {
    for (const [model, operations] of [
      [STS, ['AssumeRole', 'DecodeAuthorizationMessage']],
      [IAM, ['PutRolePolicy', 'GetRolePolicy', 'DeleteRolePolicy']],
    ] as const) {
      for (const op of operations)
        for (const e of errorsOf(model, op)) expect(faultStatus(e.code), e.code).toBe(e.status);
    }
  });
});
