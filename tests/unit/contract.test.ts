import { describe, expect, it } from 'vitest';
import { CLOUD_FACTS, CLOUDS, CONSOLE_MATCHES, consoleOf } from '../../lib/clouds';
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
      'https://console.amazonaws-us-gov.com/*',
      'https://*.console.amazonaws-us-gov.com/*',
      'https://console.amazonaws.cn/*',
      'https://*.console.amazonaws.cn/*',
      'https://portal.azure.com/*',
      'https://entra.microsoft.com/*',
      'https://portal.azure.us/*',
      'https://entra.microsoft.us/*',
      'https://portal.azure.cn/*',
      'https://entra.microsoftonline.cn/*',
      'https://console.cloud.google.com/*',
    ]);
  });

  it('gives each cloud one console per partition, the commercial one first, hosts in no other', () => {
    expect(CLOUDS.map((c) => CLOUD_FACTS[c].consoles.map((k) => k.partition))).toEqual([
      ['aws', 'aws-us-gov', 'aws-cn'],
      ['AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud'],
      ['googleapis.com'],
    ]);
    for (const cloud of CLOUDS) {
      for (const { partition, matches } of CLOUD_FACTS[cloud].consoles) {
        for (const pattern of matches) {
          // Every pattern is `https://<host>/*` and its host (or, for `*.host`, host itself and a
          // subdomain) is recognised as this console and no other.
          const host = /^https:\/\/(?:\*\.)?([a-z0-9.-]+)\/\*$/.exec(pattern)?.[1];
          expect(host, pattern).toBeDefined();
          expect(consoleOf(host!), pattern).toEqual({ cloud, partition });
          if (pattern.includes('*.')) expect(consoleOf(`eu-west-1.${host!}`)).toEqual({ cloud, partition });
        }
      }
    }
  });
});
