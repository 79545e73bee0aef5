// The `resource` of a new request (lib/contract/resource.ts): trimmed, blank or a lone wildcard
// meaning "no resource named", and text that reads as a policy or holds control characters
// refused with a message naming the field. The banner files what the parser reads, so every
// resource the denial corpus names must still pass.
import { describe, expect, it } from 'vitest';
import { newAccessRequest } from '../../components/banner/request-draft';
import { NewAccessRequest } from '../../lib/contract/request';
import { hasResourceWildcard, normaliseResource, resourceProblem } from '../../lib/contract/resource';
import { parseDenials } from '../../lib/denial';
import { parseRuntimeMessage } from '../../lib/messaging/messages';
import { loadCase, loadCorpus, CORPUS_ROOT } from '../fixtures/denials/corpus';

const draft = (resource: string | null): NewAccessRequest => ({
  target: { cloud: 'aws', account: '111111111111' },
  actions: ['s3:GetObject'],
  resource,
  durationMinutes: 60,
  justification: 'reading the export',
  denial: { excerpt: 'not authorized to perform: s3:GetObject', denyKind: 'implicit', encodedMessage: null },
  pageUrl: 'https://console.aws.amazon.com/s3/',
});

/** The resource as parsed, or the issues naming it. */
function parse(resource: string | null) {
  const r = NewAccessRequest.safeParse(draft(resource));
  return r.success ? { resource: r.data.resource } : { issues: r.error.issues };
}

describe('request resource', () => {
  it('keeps null, and trims a name', () => {
    expect(parse(null)).toEqual({ resource: null });
    expect(parse('  arn:aws:s3:::exports/nightly.csv\n')).toEqual({
      resource: 'arn:aws:s3:::exports/nightly.csv',
    });
  });

  it('reads blank text and a lone wildcard as no resource named', () => {
    for (const blank of ['', ' ', '\n', '\r\n', '\t \t', '\u00a0', '*', ' * ', '**', '\n*\n']) {
      expect(parse(blank), JSON.stringify(blank)).toEqual({ resource: null });
    }
  });

  it('refuses control characters inside a name, naming resource', () => {
    for (const bad of ['a\nb', 'a\rb', 'arn:aws:s3:::a\tb', 'a\u0007b', 'a\u007fb', 'a\u0085b', 'a\u2028b']) {
      const issues = parse(bad).issues;
      expect(issues, JSON.stringify(bad)).toHaveLength(1);
      expect(issues![0]!.path).toEqual(['resource']);
      expect(issues![0]!.message).toMatch(/^resource: .*control/);
    }
  });

  it('refuses direction marks that would make a name display as another to the approver', () => {
    for (const bad of [
      'arn:aws:s3:::prod\u202Egol.txt',
      'arn:aws:s3:::a\u2066b\u2069',
      'x\u200Fy',
      'x\u061Cy',
    ]) {
      expect(parse(bad).issues?.[0]?.path, JSON.stringify(bad)).toEqual(['resource']);
    }
  });

  it('refuses policy-looking text: documents, lists, members and patterns over everything', () => {
    for (const bad of [
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
      '["arn:aws:s3:::a","arn:aws:s3:::b"]',
      '"Resource": "*"',
      'Resource: "*", "Effect": "Allow"',
      '*:*',
      '*/*',
      '?',
      'arn:*',
      'arn:aws:*:*:*:*',
      'arn:aws:s3:*:*:bucket',
      'arn:*:iam::111111111111:role/x',
      'arn:aws:iam::*:role/admin',
      'arn:aws:iam::11111111111?:role/admin',
      'arn:aws:s3:::*',
      'arn:aws:lambda:us-east-1:111111111111:*',
      '/subscriptions/*/resourceGroups/rg',
      'projects/*/buckets/b',
    ]) {
      const issues = parse(bad).issues;
      expect(issues, bad).toHaveLength(1);
      expect(issues![0]!.path).toEqual(['resource']);
      expect(issues![0]!.message, bad).toMatch(/^resource: /);
      expect(issues![0]!.message, bad).not.toMatch(/control/);
    }
  });

  it('keeps a wildcard inside a named resource type as the pattern it is', () => {
    for (const pattern of [
      'arn:aws:rds:us-east-1:909626172446:db:*',
      'arn:aws:iam::123456789012:role/*',
      'arn:aws:ec2:us-east-1:999888777666:instance/*',
      'arn:aws:s3:::exports/*',
      'workspaces/myworkspace/*',
    ]) {
      expect(parse(pattern), pattern).toEqual({ resource: pattern });
      expect(hasResourceWildcard(pattern)).toBe(true);
    }
    expect(hasResourceWildcard('arn:aws:s3:::exports/nightly.csv')).toBe(false);
  });

  it('keeps markup- and SQL-looking names byte for byte (they are names, stored as data)', () => {
    for (const odd of [
      "'); DROP TABLE grants; --",
      'arn:aws:s3:::<script>alert(1)</script>',
      'caf\u00e9 \u{1F525}',
    ]) {
      expect(parse(odd), odd).toEqual({ resource: odd });
    }
  });

  it('accepts every resource the denial corpus names, but for subscription ids a person masked', () => {
    const masked: string[] = [];
    let checked = 0;
    for (const c of loadCorpus()) {
      for (const d of c.expect.denials) {
        const resource = d.resource as string | null;
        if (resource === null) continue;
        checked++;
        expect(normaliseResource(resource), c.file).toBe(resource);
        if (resourceProblem(resource) !== null) masked.push(resource);
      }
    }
    expect(checked).toBeGreaterThan(150);
    // `***` in place of the subscription id, from people redacting before posting: a console
    // page shows the real id.
    expect(masked.length).toBeGreaterThan(0);
    for (const m of masked) expect(m).toMatch(/^\/subscriptions\/\*{3,}/);
  });

  it('the banner still files a denial whose resource is a wildcard pattern (iam:ListRoles on role/*)', () => {
    const c = loadCase(`${CORPUS_ROOT}/aws/018-cli-scp-explicit-before-policy-arn.txt`);
    const [denial] = parseDenials(c.text, c.hints);
    expect(denial?.resource).toBe('arn:aws:iam::123456789012:role/*');
    const request = newAccessRequest(
      { ...denial!, denyKind: 'implicit' },
      { account: '123456789012', permission: '', durationMinutes: 60, justification: 'listing roles' },
      'https://console.aws.amazon.com/iam/home#/roles',
    );
    const parsed = parseRuntimeMessage({ type: 'save-draft', request });
    expect(parsed).toMatchObject({
      ok: true,
      value: { request: { resource: 'arn:aws:iam::123456789012:role/*' } },
    });
  });
});
