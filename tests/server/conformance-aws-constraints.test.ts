/**
 * The AWS fake and provisioner against AWS's service models (tests/fixtures/conformance/aws/):
 * the constraints the fake enforces are the model's, checked at their boundaries (lengths,
 * ranges, patterns, enums), and everything the provisioner sends through a whole grant is a
 * modelled member within the model's constraints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, DENIED_PAGE, HOUR, INSTANCE, ROLE, awsWorld, follow, type AwsWorld } from './aws-fixtures';
import { child, constraintOf, ioOf, loadModel, membersOf, shapeOf, type Model } from './aws-model';
import { USER, wireOf, type Signer, type Wire } from './aws-wire';

const STS = loadModel('sts.json');
const IAM = loadModel('iam.json');
const TRAIL = loadModel('cloudtrail.json');

let world: AwsWorld;
let wire: Wire;
let admin: Signer;
const user = USER;

beforeAll(async () => {
  world = await awsWorld();
  wire = wireOf(world);
  admin = await wire.admin();
});
afterAll(() => world.close());

/** What the fake said to one value of a member: its error code and message, or null codes for success. */
interface Verdict {
  readonly code: string | null;
  readonly message: string;
}

const queryVerdict = async (
  service: 'sts' | 'iam',
  params: Record<string, string>,
  s: Signer,
): Promise<Verdict> => {
  const out = await wire.query(service, params, s);
  if (out.xml.name !== 'ErrorResponse') return { code: null, message: '' };
  const error = child(out.xml, 'Error');
  return { code: child(error, 'Code').text, message: child(error, 'Message').text };
};

/** Characters a pattern may refuse, tried in turn. */
const STRANGERS = ['#', ' ', '日', '\u0100', '!', '\u0001'];

/** The model's boundary values of a string member: at and beyond its lengths, and one refused character. */
function stringSamples(model: Model, target: string, fill: string): { value: string; valid: boolean }[] {
  const c = constraintOf(model, target);
  const samples: { value: string; valid: boolean }[] = [];
  if (c.min !== undefined && c.min > 0) {
    samples.push({ value: fill.repeat(c.min), valid: true }, { value: fill.repeat(c.min - 1), valid: false });
  }
  if (c.max !== undefined) {
    samples.push({ value: fill.repeat(c.max), valid: true }, { value: fill.repeat(c.max + 1), valid: false });
  }
  const base = fill.repeat(Math.max(c.min ?? 1, 1));
  const stranger = c.pattern && STRANGERS.find((ch) => !c.pattern!.test(base + ch));
  if (stranger) samples.push({ value: base + stranger, valid: false });
  return samples;
}

/** A refusal is the model's constraint error naming the member; anything else is not about it. */
function expectVerdict(v: Verdict, valid: boolean, member: RegExp, refusal = 'ValidationError') {
  if (valid) expect(v.code === refusal && member.test(v.message), `${v.code}: ${v.message}`).toBe(false);
  else
    expect(v, member.source).toMatchObject({
      code: refusal,
      message: expect.stringMatching(member) as unknown,
    });
}

describe('the constraints the fake enforces are the model’s, at their boundaries', () => {
  const assume = (extra: Record<string, string>) =>
    queryVerdict('sts', { Action: 'AssumeRole', RoleArn: ROLE, RoleSessionName: 'jit-c', ...extra }, user);
  const req = (model: Model, op: string, member: string) =>
    membersOf(model, ioOf(model, op, 'input'))[member]!.target;

  it('STS AssumeRole: session name, source identity, policy characters, tags, duration; decoding’s message', async () => {
    const cases: [string, string, (v: string) => Record<string, string>, RegExp][] = [
      [req(STS, 'AssumeRole', 'RoleSessionName'), 'a', (v) => ({ RoleSessionName: v }), /'roleSessionName'/],
      [req(STS, 'AssumeRole', 'SourceIdentity'), 'a', (v) => ({ SourceIdentity: v }), /'sourceIdentity'/],
      [req(STS, 'AssumeRole', 'Policy'), ' ', (v) => ({ Policy: v }), /'policy'/],
      [
        membersOf(STS, 'Tag').Key!.target,
        'k',
        (v) => ({ 'Tags.member.1.Key': v, 'Tags.member.1.Value': 'v' }),
        /'tags\.1\.member\.key'/,
      ],
      [
        membersOf(STS, 'Tag').Value!.target,
        'v',
        (v) => ({ 'Tags.member.1.Key': 'k', 'Tags.member.1.Value': v }),
        /'tags\.1\.member\.value'/,
      ],
    ];
    for (const [target, fill, params, member] of cases) {
      for (const { value, valid } of stringSamples(STS, target, fill))
        expectVerdict(await assume(params(value)), valid, member);
    }
    const tagsMax = constraintOf(STS, req(STS, 'AssumeRole', 'Tags')).max!;
    const tags = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [
          [`Tags.member.${i + 1}.Key`, `k${i}`],
          [`Tags.member.${i + 1}.Value`, 'v'],
        ]).flat(),
      ) as Record<string, string>;
    expectVerdict(await assume(tags(tagsMax)), true, /'tags'/);
    expectVerdict(await assume(tags(tagsMax + 1)), false, /'tags'/);
    const duration = constraintOf(STS, req(STS, 'AssumeRole', 'DurationSeconds'));
    for (const [seconds, valid] of [
      [duration.min!, true],
      [duration.min! - 1, false],
      [duration.max!, true],
      [duration.max! + 1, false],
    ] as const) {
      expectVerdict(await assume({ DurationSeconds: String(seconds) }), valid, /durationSeconds/i);
    }
    for (const { value, valid } of stringSamples(
      STS,
      req(STS, 'DecodeAuthorizationMessage', 'EncodedMessage'),
      'a',
    )) {
      expectVerdict(
        await queryVerdict('sts', { Action: 'DecodeAuthorizationMessage', EncodedMessage: value }, admin),
        valid,
        /'encodedMessage'/,
      );
    }
  });

  it('IAM: role name, policy name, policy document', async () => {
    const names = { RoleName: 'unblock-jit', PolicyName: 'conformance' };
    for (const { value, valid } of stringSamples(IAM, req(IAM, 'GetRolePolicy', 'RoleName'), 'r')) {
      expectVerdict(
        await queryVerdict('iam', { Action: 'GetRolePolicy', ...names, RoleName: value }, admin),
        valid,
        /'roleName'/,
      );
    }
    for (const { value, valid } of stringSamples(IAM, req(IAM, 'GetRolePolicy', 'PolicyName'), 'p')) {
      expectVerdict(
        await queryVerdict('iam', { Action: 'GetRolePolicy', ...names, PolicyName: value }, admin),
        valid,
        /'policyName'/,
      );
    }
    for (const { value, valid } of stringSamples(IAM, req(IAM, 'PutRolePolicy', 'PolicyDocument'), ' ')) {
      const put = { Action: 'PutRolePolicy', ...names, PolicyDocument: value };
      expectVerdict(await queryVerdict('iam', put, admin), valid, /'policyDocument'/);
    }
  });

  it('CloudTrail: MaxResults, lookup attribute keys and values', async () => {
    const verdict = async (body: Record<string, unknown>): Promise<Verdict> => {
      world.clock.advance(1000);
      const out = await wire.lookup(body, admin);
      return out.status === 200
        ? { code: null, message: '' }
        : { code: String(out.json.__type), message: String(out.json.Message) };
    };
    const max = constraintOf(TRAIL, req(TRAIL, 'LookupEvents', 'MaxResults'));
    for (const [n, valid] of [
      [max.min!, true],
      [max.min! - 1, false],
      [max.max!, true],
      [max.max! + 1, false],
    ] as const) {
      expectVerdict(await verdict({ MaxResults: n }), valid, /MaxResults/, 'InvalidMaxResultsException');
    }
    const attribute = membersOf(TRAIL, 'LookupAttribute');
    for (const key of [...constraintOf(TRAIL, attribute.AttributeKey!.target).enumValues!, 'Nope']) {
      const v = await verdict({ LookupAttributes: [{ AttributeKey: key, AttributeValue: 'x' }] });
      expectVerdict(v, key !== 'Nope', /lookup attribute/, 'InvalidLookupAttributesException');
    }
    for (const { value, valid } of stringSamples(TRAIL, attribute.AttributeValue!.target, 'u')) {
      const v = await verdict({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: value }] });
      expectVerdict(v, valid, /lookup attribute/, 'InvalidLookupAttributesException');
    }
  });
});

describe('what the provisioner sends is modelled and within the model’s constraints', () => {
  it('AssumeRole, DecodeAuthorizationMessage, IAM revocation and CloudTrail reads of a whole grant', async () => {
    const own = await awsWorld();
    try {
      const p = own.provisioner('user', { baselinePolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] });
      const g = own.grant({
        actions: ['s3:GetObject'],
        resource: 'arn:aws:s3:::reports/日本.csv',
        expiresAt: new Date(own.clock.now().getTime() + 2 * HOUR),
      });
      const ref = await p.grant(g, ALICE, { justification: 'x', ticket: 'OPS-1 #urgent 🚀' });
      const landing = await p.landing(g, ref, ALICE, DENIED_PAGE);
      if (landing.kind === 'url') await follow(landing.url);
      const blob = own.fake.state.encodeDenial({
        account: '123456789012',
        principalArn: 'arn:aws:sts::123456789012:assumed-role/Dev/alice',
        action: 'ec2:RunInstances',
        resource: INSTANCE,
      });
      await p.decode!(g.target, blob);
      await p.activity!(g, ref, ALICE);
      await p.revoke({ ...g, status: 'revoking' }, ref, ALICE);
      const models = { sts: STS, iam: IAM, cloudtrail: TRAIL } as const;
      for (const r of own.fake.state.requests) {
        if (r.service === 'signin') continue;
        const model = models[r.service];
        const input = membersOf(model, ioOf(model, r.action, 'input'));
        const sent = Object.entries(r.params).filter(([k]) => !['Action', 'Version', 'region'].includes(k));
        const names = new Set(sent.map(([k]) => k.split('.')[0]!));
        expect(Object.keys(input), r.action).toEqual(expect.arrayContaining([...names]));
        for (const [name, m] of Object.entries(input))
          if (m.required) expect([...names], r.action).toContain(name);
        for (const [key, value] of sent) {
          const [name, , , field] = key.split('.');
          const target = field
            ? membersOf(model, shapeOf(model, input[name!]!.target).member!.target)[field]?.target
            : input[name!]!.target;
          if (!target || shapeOf(model, target).type !== 'string' || typeof value !== 'string') continue;
          const c = constraintOf(model, target);
          if (c.pattern) expect(value, `${r.action} ${key}`).toMatch(c.pattern);
          if (c.max !== undefined) expect([...value].length, `${r.action} ${key}`).toBeLessThanOrEqual(c.max);
          if (c.min !== undefined)
            expect([...value].length, `${r.action} ${key}`).toBeGreaterThanOrEqual(c.min);
        }
      }
      expect(new Set(own.fake.state.requests.map((r) => r.action))).toEqual(
        new Set([
          'AssumeRole',
          'getSigninToken',
          'login',
          'DecodeAuthorizationMessage',
          'LookupEvents',
          'GetRolePolicy',
          'PutRolePolicy',
        ]),
      );
    } finally {
      await own.close();
    }
  });
});
