import { describe, expect, it } from 'vitest';
import { NewAccessRequest, firstIssueMessage, isValidAction } from '../../lib/contract/request';
import { isReply, parseRuntimeMessage } from '../../lib/messaging/messages';
import { checkSender } from '../../lib/background/handle-message';

export const validRequest = (): NewAccessRequest => ({
  target: { cloud: 'aws', account: '222222222222' },
  actions: ['s3:GetObject'],
  resource: 'arn:aws:s3:::my-bucket/report.csv',
  durationMinutes: 60,
  justification: 'Investigating INC-1234',
  denial: {
    excerpt: 'User: … is not authorized to perform: s3:GetObject',
    denyKind: 'implicit',
    encodedMessage: null,
  },
  pageUrl: 'https://s3.console.aws.amazon.com/s3/buckets/my-bucket',
});

function errorOf(value: unknown): string {
  const r = NewAccessRequest.safeParse(value);
  expect(r.success).toBe(false);
  return r.success ? '' : firstIssueMessage(r.error);
}

describe('NewAccessRequest', () => {
  it('accepts a valid request and trims the justification', () => {
    const r = NewAccessRequest.safeParse({ ...validRequest(), justification: '  why  ' });
    expect(r.success && r.data.justification).toBe('why');
  });

  it.each([
    [{ justification: '   ' }, /^justification: required/],
    [{ justification: 'x'.repeat(501) }, /^justification: at most 500/],
    [{ actions: [] }, /^actions: name at least one/],
    [{ actions: ['s3:*'] }, /^actions: "s3:\*" is not a valid AWS permission/],
    [
      { actions: ['Microsoft.Compute/*'], target: { cloud: 'azure', account: null } },
      /^actions: .* Azure permission/,
    ],
    [{ durationMinutes: 5 }, /^durationMinutes: at least 15/],
    [{ durationMinutes: 721 }, /^durationMinutes: at most 720/],
    [{ durationMinutes: 60.5 }, /^durationMinutes/],
    [{ pageUrl: 'javascript:alert(1)' }, /^pageUrl: must be an https URL/],
    [{ target: { cloud: 'oracle', account: null } }, /^target\.cloud/],
  ])('rejects %j naming the field', (patch, message) => {
    expect(errorOf({ ...validRequest(), ...patch })).toMatch(message);
  });

  it('knows each cloud grammar', () => {
    expect(isValidAction('aws', 'ec2:StartInstances')).toBe(true);
    expect(isValidAction('aws', 'ec2:Start*')).toBe(false);
    expect(isValidAction('azure', 'Microsoft.Compute/virtualMachines/start/action')).toBe(true);
    expect(isValidAction('azure', 's3:GetObject')).toBe(false);
    expect(isValidAction('gcp', 'iam.serviceAccounts.actAs')).toBe(true);
    expect(isValidAction('gcp', 'compute.instances')).toBe(false);
    expect(isValidAction('gcp', 'compute.instances.*')).toBe(false);
  });
});

describe('runtime messages', () => {
  it('accepts load-ui and save-draft', () => {
    expect(parseRuntimeMessage({ type: 'load-ui' }).ok).toBe(true);
    expect(parseRuntimeMessage({ type: 'save-draft', request: validRequest() }).ok).toBe(true);
  });

  it('rejects unknown types and bad payloads with the field named', () => {
    const unknown = parseRuntimeMessage({ type: 'grant-now' });
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.error).toMatch(/type/);
    const bad = parseRuntimeMessage({
      type: 'save-draft',
      request: { ...validRequest(), justification: '' },
    });
    expect(!bad.ok && bad.error).toMatch(/^justification:/);
    expect(parseRuntimeMessage('load-ui').ok).toBe(false);
    expect(parseRuntimeMessage(null).ok).toBe(false);
  });

  it('checks replies', () => {
    expect(isReply({ ok: true, id: 'x' })).toBe(true);
    expect(isReply({ ok: false, error: 'e' })).toBe(true);
    expect(isReply({ ok: 'yes' })).toBe(false);
    expect(isReply(true)).toBe(false);
  });
});

describe('sender checks', () => {
  const tab = { id: 3, url: 'https://console.aws.amazon.com/ec2/home' };
  it('accepts our own content script on a console tab', () => {
    expect(checkSender({ id: 'me', tab, url: tab.url, frameId: 0 }, 'me')).toBeUndefined();
  });
  it('rejects other extensions, non-tab senders and non-console pages', () => {
    expect(checkSender({ id: 'other', tab }, 'me')).toMatch(/sender/);
    expect(checkSender({ id: 'me' }, 'me')).toMatch(/not a tab/);
    expect(checkSender({ id: 'me', tab, url: 'https://example.com/' }, 'me')).toMatch(/not a console/);
  });
});
