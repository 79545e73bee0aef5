import { describe, expect, it } from 'vitest';
import { CLOUD_FACTS, CLOUDS, CONSOLE_MATCHES } from '../../lib/clouds';
import { Denial } from '../../lib/contract/denial';
import { isValidAction } from '../../lib/contract/request';
import { DENY_KIND_FACTS, DENY_KINDS, grantCanHelp } from '../../lib/deny-kinds';

describe('Denial contract', () => {
  it('rejects a denial with an unknown cloud and names the field', () => {
    const r = Denial.safeParse({ cloud: 'oracle' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('cloud');
  });
});

describe('deny kinds table', () => {
  it('says a grant can help exactly the kinds of docs/denial-formats.md §6', () => {
    const helped = DENY_KINDS.filter((k) => grantCanHelp(k));
    expect(helped).toEqual(['implicit', 'session-policy', 'azure-rbac', 'gcp-iam', 'unknown']);
  });

  it('has words for every kind', () => {
    for (const kind of DENY_KINDS) {
      const facts = DENY_KIND_FACTS[kind];
      for (const text of [facts.text, facts.owner, facts.noGrant]) expect(text).toMatch(/^[A-Z].*\.$/);
    }
  });
});

describe('cloud table', () => {
  it('validates permissions with each cloud’s own grammar and example', () => {
    for (const cloud of CLOUDS) {
      expect(isValidAction(cloud, CLOUD_FACTS[cloud].actionExample)).toBe(true);
      for (const other of CLOUDS) {
        if (other !== cloud) expect(isValidAction(cloud, CLOUD_FACTS[other].actionExample)).toBe(false);
      }
    }
  });

  it('lists the console hosts the manifest and the content script match, in this order', () => {
    expect(CONSOLE_MATCHES).toEqual([
      'https://console.aws.amazon.com/*',
      'https://*.console.aws.amazon.com/*',
      'https://portal.azure.com/*',
      'https://console.cloud.google.com/*',
    ]);
  });
});
