import { describe, expect, it } from 'vitest';
import { ExplainResult } from '../../lib/contract/denial';
import { DENY_KINDS } from '../../lib/deny-kinds';
import type { Denial } from '../../lib/contract/denial';
import { DENY_KIND_TEXT, clean, explain, formatExplanation, lookAlike } from '../../cli/explain';

const AWS_SENTENCE =
  'User: arn:aws:sts::123456789012:assumed-role/Developer/alice is not authorized to perform: lambda:ListFunctions on resource: * because no identity-based policy allows the lambda:ListFunctions action';

function denial(overrides: Partial<Denial> = {}): Denial {
  return {
    cloud: 'aws',
    actions: ['s3:GetObject'],
    resource: 'arn:aws:s3:::my-bucket/report.csv',
    principal: 'arn:aws:iam::123456789012:user/alice',
    account: '123456789012',
    denyKind: 'implicit',
    requestable: true,
    reason: null,
    excerpt: 'User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject',
    source: null,
    encodedMessage: null,
    operation: null,
    policyId: null,
    confidence: 'high',
    ...overrides,
  };
}

const plain = (denials: Denial[]): string =>
  formatExplanation({ isDenial: denials.length > 0, denials }, { color: false });

describe('explain', () => {
  it('finds no denial in ordinary text', () => {
    const r = explain('All 3 resources created. Apply complete!');
    expect(r).toEqual({ isDenial: false, denials: [] });
    expect(ExplainResult.safeParse(r).success).toBe(true);
  });

  it('finds an AWS IAM sentence and returns a valid ExplainResult', () => {
    const r = explain(`Error: listing functions\n${AWS_SENTENCE}\n`);
    expect(ExplainResult.safeParse(r).success).toBe(true);
    expect(r.isDenial).toBe(true);
    expect(r.denials[0]?.cloud).toBe('aws');
    expect(r.denials[0]?.actions).toContain('lambda:ListFunctions');
  });
});

describe('formatExplanation', () => {
  it('says plainly when there is no denial, naming the input and any look-alike', () => {
    expect(formatExplanation({ isDenial: false, denials: [] }, { color: false })).toBe(
      'No access denial found.\n',
    );
    const out = formatExplanation(
      { isDenial: false, denials: [] },
      { color: false, inputName: 'build.log', lookAlike: 'rate limiting — retry later' },
    );
    expect(out).toBe('No access denial found in build.log.\nThis looks like rate limiting — retry later.\n');
  });

  it('shows cloud, action with its risk, resource, account, principal, kind and what to ask for', () => {
    const out = plain([denial()]);
    expect(out).toContain('Access denied — AWS');
    expect(out).toMatch(/Action: +s3:GetObject {2}\[read\]/);
    expect(out).toMatch(/Resource: +arn:aws:s3:::my-bucket\/report\.csv/);
    expect(out).toMatch(/Account: +123456789012/);
    expect(out).toMatch(/Principal: +arn:aws:iam::123456789012:user\/alice/);
    expect(out).toContain(DENY_KIND_TEXT.implicit);
    expect(out).toContain(
      'A just-in-time grant can help: ask for s3:GetObject on arn:aws:s3:::my-bucket/report.csv in account 123456789012.',
    );
    expect(out).toContain('unblock request');
    expect(out).not.toContain('Confidence');
    expect(out.endsWith('\n')).toBe(true);
  });

  it('lists several actions with their own risks and flags admin-level requests', () => {
    const out = plain([
      denial({ actions: ['ec2:RunInstances', 'iam:PassRole'], resource: null, confidence: 'medium' }),
    ]);
    expect(out).toMatch(/Actions: +ec2:RunInstances {2}\[write\]/);
    expect(out).toMatch(/\n {16}iam:PassRole {2}\[admin\]/);
    expect(out).toContain('ask for ec2:RunInstances and iam:PassRole in account 123456789012 (admin-level');
    expect(out).toContain('A just-in-time grant can help:');
    const unknown = plain([denial({ denyKind: 'unknown' })]);
    expect(unknown).toContain('A just-in-time grant should help: ask for s3:GetObject');
    expect(out).toMatch(/Resource: +not named/);
    expect(out).toMatch(/Confidence: +medium/);
  });

  it('uses the right word for the account per cloud and does not repeat it when the scope names it', () => {
    const scope = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1';
    const out = plain([
      denial({
        cloud: 'azure',
        actions: ['Microsoft.Resources/subscriptions/resourceGroups/write'],
        resource: scope,
        account: '00000000-0000-0000-0000-000000000000',
        denyKind: 'azure-rbac',
      }),
    ]);
    expect(out).toContain('Access denied — Azure');
    expect(out).toMatch(/Subscription: +00000000-0000-0000-0000-000000000000/);
    expect(out).toContain(`ask for Microsoft.Resources/subscriptions/resourceGroups/write on ${scope}.`);
    const gcp = plain([
      denial({
        cloud: 'gcp',
        actions: ['compute.instances.start'],
        resource: null,
        account: 'my-project',
        denyKind: 'gcp-iam',
      }),
    ]);
    expect(gcp).toContain('Access denied — Google Cloud');
    expect(gcp).toMatch(/Project: +my-project/);
    expect(gcp).toContain('ask for compute.instances.start in project my-project.');
  });

  it("prints a requestable denial's caution (GCP: the resource may not exist)", () => {
    const caution = 'Google does not say whether the resource exists ("or it may not exist").';
    const out = plain([
      denial({ cloud: 'gcp', actions: [], denyKind: 'gcp-iam', confidence: 'low', reason: caution }),
    ]);
    expect(out).toContain('A just-in-time grant may help');
    expect(out).toContain(caution);
  });

  it('says why a grant will not help and who to talk to', () => {
    const out = plain([
      denial({
        denyKind: 'explicit-scp',
        requestable: false,
        reason: 'Blocked by an organisation guardrail.',
        policyId: 'arn:aws:organizations::111111111111:policy/o-x/service_control_policy/p-1',
      }),
    ]);
    expect(out).toContain('A grant will not help: Blocked by an organisation guardrail — talk to');
    expect(out).toMatch(/Policy: +arn:aws:organizations::111111111111:policy/);
    expect(out).not.toContain('just-in-time grant can help');
    expect(out).not.toContain('unblock request');
  });

  it('has wording for every deny kind, with or without a reason from the parser', () => {
    for (const kind of DENY_KINDS) {
      const out = plain([denial({ denyKind: kind, requestable: false, reason: null })]);
      expect(out).toContain(DENY_KIND_TEXT[kind]);
      expect(out).toMatch(/A grant will not help: \S.* — \S.*\.\n$/);
      expect(out).not.toMatch(/undefined|null/);
    }
  });

  it('explains an encoded EC2 message: no action named, the broker can decode it', () => {
    const out = plain([
      denial({
        actions: [],
        resource: null,
        principal: null,
        denyKind: 'unknown',
        encodedMessage: 'QXdPNaIeg',
        operation: 'StartInstances',
        confidence: 'low',
        excerpt:
          'You are not authorized to perform this operation. Encoded authorization failure message: QXdPNaIeg',
      }),
    ]);
    expect(out).toMatch(/Action: +not named in the message/);
    expect(out).toMatch(/Operation: +StartInstances/);
    expect(out).toContain('decode');
    expect(out).toContain('behind StartInstances');
    expect(out).toContain('in account 123456789012');
  });

  it('explains a bare S3 Access Denied from its operation', () => {
    const out = plain([
      denial({
        actions: [],
        resource: null,
        principal: null,
        account: null,
        denyKind: 'unknown',
        operation: 'GetObject',
        confidence: 'low',
        excerpt: 'An error occurred (AccessDenied) when calling the GetObject operation: Access Denied',
      }),
    ]);
    expect(out).toContain('ask for the permission the GetObject operation needs');
    expect(out).toContain('(the account and resource are not named)');
    expect(out).toContain('bucket or key policy');
  });

  it('numbers several denials', () => {
    const out = plain([denial(), denial({ actions: ['s3:PutObject'] })]);
    expect(out).toContain('Access denied 1 of 2 — AWS');
    expect(out).toContain('Access denied 2 of 2 — AWS');
  });

  it('never prints control characters or bidi overrides from the input', () => {
    const out = plain([
      denial({
        resource: 'arn:aws:s3:::evil\u001b]0;pwned\u0007\u001b[2J',
        principal: 'alice\u202eexe.txt',
        reason: null,
      }),
    ]);
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
    expect(out).toContain('arn:aws:s3:::evil?]0;pwned??[2J');
    expect(out).toContain('alice?exe.txt');
    expect(clean('x'.repeat(1000)).length).toBe(400);
  });

  it('colours only when asked', () => {
    const result = { isDenial: true, denials: [denial()] };
    expect(formatExplanation(result, { color: false })).not.toContain('\u001b[');
    expect(formatExplanation(result, { color: true })).toContain('\u001b[');
  });
});

describe('lookAlike', () => {
  it.each([
    ['An error occurred (ExpiredToken) when calling the ListBuckets operation', 'credentials'],
    [
      '(ExpiredAuthenticationToken) The access token expiry UTC time is earlier than current UTC time',
      'credentials',
    ],
    ['An error occurred (ThrottlingException): Rate exceeded', 'rate limiting'],
    ['"reason": "SERVICE_DISABLED"', 'not enabled'],
    ['Request had insufficient authentication scopes.', 'OAuth scopes'],
    ['AADSTS50076: Due to a configuration change made by your administrator', 'Entra ID sign-in'],
  ])('recognises %s', (text, words) => {
    expect(lookAlike(text)).toContain(words);
  });

  it('stays quiet on ordinary text', () => {
    expect(lookAlike('Apply complete! Resources: 3 added, 0 changed, 0 destroyed.')).toBeNull();
  });
});
