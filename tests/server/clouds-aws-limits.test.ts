/**
 * The limits STS puts on what AssumeRole carries (docs/cloud-mechanics.md §1.1, §1.2), in the fake
 * and in the provisioner: the session policy's characters, the packed size of policies and tags,
 * session tag characters and lengths, and a trust policy that must also allow sts:TagSession and
 * sts:SetSourceIdentity.
 */
import { createHash } from 'node:crypto';
import { AssumeRoleCommand, STSClient, type AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  ALICE,
  NO_CONTEXT,
  ROLE,
  USER_ARN,
  USER_KEY,
  awsWorld,
  rejection,
  type AwsWorld,
} from './aws-fixtures';

let world: AwsWorld;
afterEach(() => world.close());

/** AssumeRole on the fake as the IAM-user broker: 'ok <PackedPolicySize>' or '<AWS code>: <message>'. */
async function assume(input: Partial<AssumeRoleCommandInput>): Promise<string> {
  const client = new STSClient({
    region: 'us-east-1',
    endpoint: world.fake.endpoints.sts,
    maxAttempts: 1,
    credentials: { accessKeyId: USER_KEY, secretAccessKey: 's' },
  });
  return client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'jit-r-1', ...input })).then(
    (out) => `ok ${out.PackedPolicySize}`,
    (e: Error & { Code?: string }) => `${e.Code ?? e.name}: ${e.message}`,
  );
}

const policyOn = (resource: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: resource }],
  });

describe('session policy characters', () => {
  it('the fake refuses a policy with characters outside tab, LF, CR and U+0020–U+00FF, as STS does', async () => {
    world = await awsWorld();
    expect(await assume({ Policy: policyOn('arn:aws:s3:::reports/résumé.pdf') })).toMatch(/^ok /);
    expect(await assume({ Policy: policyOn('arn:aws:s3:::reports/日本.pdf') })).toMatch(
      /^ValidationError: 1 validation error detected: Value '.*' at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: \[\\u0009\\u000A\\u000D\\u0020-\\u00FF\]\+$/,
    );
  });

  it('the provisioner escapes them, and the session allows exactly that object', async () => {
    world = await awsWorld();
    const key = 'arn:aws:s3:::reports/日本-🚀.pdf';
    const g = world.grant({ actions: ['s3:GetObject'], resource: key });
    const ref = await world.provisioner().grant(g, ALICE, NO_CONTEXT);
    const sent = String(world.fake.state.requestsFor('sts', 'AssumeRole')[0]?.params.Policy);
    expect(sent).toMatch(/^[\t\n\r\u0020-\u00FF]+$/);
    expect((JSON.parse(sent) as { Statement: { Resource: string[] }[] }).Statement[0]?.Resource).toEqual([
      key,
    ]);
    expect(world.fake.state.allows(world.sessionOf(ref), 's3:GetObject', key)).toBe(true);
    expect(world.fake.state.allows(world.sessionOf(ref), 's3:GetObject', 'arn:aws:s3:::reports/x.pdf')).toBe(
      false,
    );
  });
});

describe('packed size of the session policies and tags', () => {
  it('the fake answers the STS model example with its PackedPolicySize', async () => {
    world = await awsWorld();
    // The input of the "To assume a role" example in STS's model, whose answer says 8.
    const out = await assume({
      Policy:
        '{"Version":"2012-10-17","Statement":[{"Sid":"Stmt1","Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}',
      Tags: [
        { Key: 'Project', Value: 'Unicorn' },
        { Key: 'Team', Value: 'Automation' },
        { Key: 'Cost-Center', Value: '12345' },
      ],
      TransitiveTagKeys: ['Project', 'Cost-Center'],
      ExternalId: '123ABC',
    });
    expect(out).toBe('ok 8');
  });

  it('the fake fails with PackedPolicyTooLarge in AWS words, for the policy or for the tags', async () => {
    world = await awsWorld({ packedPolicyBudget: 120 });
    expect(await assume({ Policy: policyOn('arn:aws:s3:::reports/2026/11/25/nightly-export.csv') })).toMatch(
      /^PackedPolicyTooLarge: Packed policy consumes \d+% of allotted space, please use smaller policy\.$/,
    );
    // Hex digests: tags that do not compress.
    const tags = Array.from({ length: 4 }, (_, i) => ({
      Key: `k${i}`,
      Value: createHash('sha256').update(String(i)).digest('hex'),
    }));
    expect(await assume({ Tags: tags })).toMatch(
      /^PackedPolicyTooLarge: Packed size of session tags consumes \d+% of allotted space\.$/,
    );
  });

  it('the provisioner reports it as not retryable, with the percentage and what to change', async () => {
    world = await awsWorld({ packedPolicyBudget: 150 });
    const g = world.grant({ actions: ['ec2:StopInstances', 'ec2:StartInstances', 'ec2:RebootInstances'] });
    const e = await rejection(world.provisioner().grant(g, ALICE, { justification: 'x', ticket: 'OPS-1' }));
    expect(e).toMatchObject({ retryable: false, code: 'PackedPolicyTooLarge' });
    expect(e.message).toMatch(
      /needs \d{3}% of it: request fewer actions at a time, or attach fewer baseline policies/,
    );
  });
});

describe('session tags', () => {
  it('the fake checks keys and values against the model: characters, lengths, at most 50', async () => {
    world = await awsWorld();
    expect(await assume({ Tags: [{ Key: 'ticket', Value: 'OPS-1 é ü/ @x' }] })).toMatch(/^ok /);
    expect(await assume({ Tags: [{ Key: 'ticket', Value: 'OPS#1' }] })).toMatch(
      /^ValidationError: .*'tags\.1\.member\.value'.*regular expression pattern/,
    );
    expect(await assume({ Tags: [{ Key: 'tick#et', Value: 'x' }] })).toMatch(/'tags\.1\.member\.key'/);
    expect(await assume({ Tags: [{ Key: 'k'.repeat(129), Value: 'x' }] })).toMatch(
      /length between 1 and 128/,
    );
    expect(await assume({ Tags: [{ Key: 'ticket', Value: 'v'.repeat(257) }] })).toMatch(
      /length less than or equal to 256/,
    );
    expect(await assume({ Tags: [{ Key: 'ticket', Value: '𝒜'.repeat(256) }] })).toMatch(/^ok /);
    const many = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(await assume({ Tags: many })).toMatch(/^ValidationError: .*'tags'.*less than or equal to 50/);
  });

  it('the provisioner sends a long ticket within the limits, never cutting a character in half', async () => {
    world = await awsWorld();
    const ticket = `a${'𝒜'.repeat(300)} #🚀`;
    await world.provisioner().grant(world.grant(), ALICE, { justification: 'x', ticket });
    const params = world.fake.state.requestsFor('sts', 'AssumeRole')[0]?.params ?? {};
    const value = String(params['Tags.member.2.Value']);
    expect(params['Tags.member.2.Key']).toBe('unblock-ticket');
    expect([...value]).toHaveLength(256);
    expect(value).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u);
  });
});

describe('the trust policy must also allow sts:TagSession and sts:SetSourceIdentity', () => {
  it('the fake refuses AssumeRole with tags or a source identity the trust policy does not allow', async () => {
    world = await awsWorld();
    world.fake.state.setTrustActions(ROLE, ['sts:AssumeRole']);
    expect(await assume({})).toMatch(/^ok /);
    expect(await assume({ Tags: [{ Key: 'k', Value: 'v' }] })).toBe(
      `AccessDenied: User: ${USER_ARN} is not authorized to perform: sts:TagSession on resource: ${ROLE}`,
    );
    expect(await assume({ SourceIdentity: 'alice@example.com' })).toBe(
      `AccessDenied: User: ${USER_ARN} is not authorized to perform: sts:SetSourceIdentity on resource: ${ROLE}`,
    );
  });

  it.each([
    ['sts:TagSession', ['sts:AssumeRole', 'sts:SetSourceIdentity'], /not pass session tags/],
    ['sts:SetSourceIdentity', ['sts:AssumeRole', 'sts:TagSession'], /not set the source identity/],
  ] as const)('the provisioner says precisely what to add: %s', async (action, allowed, why) => {
    world = await awsWorld();
    world.fake.state.setTrustActions(ROLE, allowed);
    const e = await rejection(world.provisioner().grant(world.grant(), ALICE, NO_CONTEXT));
    expect(e).toMatchObject({ retryable: false, code: 'AccessDenied' });
    expect(e.message).toMatch(why);
    expect(e.message).toContain(`add "${action}" to the Action of the statement that trusts the broker`);
    expect(e.message).toContain(USER_ARN);
  });
});

describe('the setup check tells the operator precisely what to change', () => {
  it('all set: broker identity, the three trust actions, the revocation policy, CloudTrail in every region', async () => {
    world = await awsWorld();
    const checks = await world.provisioner().checkSetup(ACCOUNT);
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks.map((c) => c.name)).toEqual([
      'the broker credentials',
      `sts:AssumeRole in the trust policy of ${ROLE}`,
      `sts:TagSession in the trust policy of ${ROLE}`,
      `sts:SetSourceIdentity in the trust policy of ${ROLE}`,
      `reading unblock-revocations on ${ROLE}`,
      'CloudTrail LookupEvents in 17 region(s)',
    ]);
    expect(checks[0]?.detail).toContain(`${USER_ARN}, long-term keys`);
    // The probe session can do nothing.
    const probe = world.fake.state.sessionsFor('unblock-setup-check')[0]!;
    expect(world.fake.state.allows(probe, 'ec2:DescribeInstances')).toBe(false);
  });

  it('names each trust action the role refuses, and what to add', async () => {
    world = await awsWorld();
    world.fake.state.setTrustActions(ROLE, ['sts:AssumeRole']);
    const checks = await world.provisioner('role').checkSetup(ACCOUNT);
    const byName = new Map(checks.map((c) => [c.name.split(' ')[0]!, c]));
    expect(checks[0]?.detail).toMatch(
      /temporary credentials: every session and console sign-in lasts 1 hour/,
    );
    expect(byName.get('sts:AssumeRole')).toMatchObject({ ok: true });
    expect(byName.get('sts:TagSession')?.ok).toBe(false);
    expect(byName.get('sts:TagSession')?.detail).toContain('add "sts:TagSession"');
    expect(byName.get('sts:SetSourceIdentity')?.ok).toBe(false);
    expect(byName.get('sts:SetSourceIdentity')?.detail).toContain('add "sts:SetSourceIdentity"');
  });

  it('a role that does not trust the broker at all', async () => {
    world = await awsWorld();
    world.fake.state.denyAssumeRole(ROLE);
    const checks = await world.provisioner().checkSetup(ACCOUNT);
    expect(checks[1]).toMatchObject({ ok: false });
    expect(checks[1]?.detail).toContain('"sts:AssumeRole", "sts:TagSession" and "sts:SetSourceIdentity"');
    expect(checks[2]).toMatchObject({ ok: false, detail: 'not checked: the broker may not assume the role' });
  });
});
