/**
 * Redirect-URI matching and page escaping, the two checks an open redirect or an injected page
 * would slip through; plain functions, no store.
 */
import { describe, expect, it } from 'vitest';
import { BrokerConfig } from '../../server/config/schema';
import { oauthClients, redirectUriAllowed } from '../../server/auth/clients';
import { esc, loginPage } from '../../server/auth/pages';
import { FailureThrottle } from '../../server/auth/throttle';

const config = BrokerConfig.parse({
  groups: [{ name: 'ops' }],
  users: [{ name: 'alice', groups: ['ops'] }],
  targets: [
    { id: 't', cloud: 'aws', account: '111111111111', name: 't', environment: 'dev', approverGroup: 'ops' },
  ],
  auth: {
    clients: [
      {
        id: 'portal',
        name: 'Portal',
        redirectUris: ['https://portal.example/cb?x=1', 'http://127.0.0.1/portal'],
      },
    ],
  },
});
const clients = oauthClients(config);
const client = (id: string) => clients.get(id)!;
const CHROME_ID = 'abcdefghijklmnopabcdefghijklmnop';

describe('auth: redirect URIs', () => {
  it.each([
    ['unblock-extension', `https://${CHROME_ID}.chromiumapp.org/`],
    ['unblock-extension', `https://${CHROME_ID}.chromiumapp.org/callback?x=1`],
    ['unblock-extension', `https://${'0f'.repeat(20)}.extensions.allizom.org/`],
    ['unblock-cli', 'http://127.0.0.1:49152/callback'],
    ['unblock-cli', 'http://localhost:8080/'],
    ['unblock-cli', 'http://[::1]:8080/cb'],
    ['portal', 'https://portal.example/cb?x=1'],
    ['portal', 'http://127.0.0.1:5000/portal'],
    ['portal', 'http://127.0.0.1/portal'],
  ])('%s accepts %s', (id, uri) => {
    expect(redirectUriAllowed(client(id), uri)).toBe(true);
  });

  it.each([
    ['unblock-extension', `https://${CHROME_ID}.chromiumapp.org.evil.example/`],
    ['unblock-extension', `https://${CHROME_ID}q.chromiumapp.org/`],
    ['unblock-extension', `https://${CHROME_ID.slice(1)}z.chromiumapp.org/`],
    ['unblock-extension', `http://${CHROME_ID}.chromiumapp.org/`],
    ['unblock-extension', `https://evil@${CHROME_ID}.chromiumapp.org/`],
    ['unblock-extension', `https://${CHROME_ID}.chromiumapp.org/#frag`],
    ['unblock-extension', `https://${CHROME_ID}.chromiumapp.org\\@evil.example/`],
    ['unblock-extension', 'http://127.0.0.1:8080/cb'],
    ['unblock-cli', 'https://127.0.0.1:8080/cb'],
    ['unblock-cli', 'http://127.0.0.1.evil.example/cb'],
    ['unblock-cli', 'http://127.0.0.1:8080@evil.example/cb'],
    ['unblock-cli', 'http://user:pw@127.0.0.1:8080/cb'],
    ['unblock-cli', 'http://127.0.0.2:8080/cb'],
    ['unblock-cli', 'http://127.0.0.1:8080/cb\n'],
    ['portal', 'https://portal.example/cb'],
    ['portal', 'https://portal.example/cb?x=1&y=2'],
    ['portal', 'https://PORTAL.example/cb?x=1'],
    ['portal', 'http://127.0.0.1:5000/portal/other'],
    ['portal', 'http://localhost:5000/portal'],
  ])('%s refuses %s', (id, uri) => {
    expect(redirectUriAllowed(client(id), uri)).toBe(false);
  });
});

describe('auth: pages', () => {
  it('escapes every interpolated string', () => {
    expect(esc(`<a href="x" onclick='y'>&\``)).toBe(
      '&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#96;',
    );
    const html = loginPage({
      brokerName: '<img src=x onerror=alert(1)>',
      clientName: '"><script>alert(2)</script>',
      transaction: 'tx"><b>',
      local: true,
      idpName: '<i>idp</i>',
      username: '"><svg onload=alert(3)>',
      error: '<b>bad</b>',
    });
    expect(html).not.toMatch(/<(img|script|svg|b|i)[\s>]/);
  });
});

describe('auth: failure throttle', () => {
  it('locks a key after the limit until its window ends, and forgets cleared keys', () => {
    const t = new FailureThrottle(3, 1000, 4);
    for (let i = 0; i < 3; i++) t.fail('k', 0);
    expect(t.retryAfterMs('k', 10)).toBe(990);
    expect(t.retryAfterMs('other', 10)).toBe(0);
    expect(t.retryAfterMs('k', 1000)).toBe(0);
    for (let i = 0; i < 3; i++) t.fail('k', 2000);
    t.clear('k');
    expect(t.retryAfterMs('k', 2001)).toBe(0);
    // Bounded memory: spraying keys evicts the oldest windows instead of growing without end.
    for (let i = 0; i < 100; i++) t.fail(`spray-${i}`, 3000);
    expect(t.retryAfterMs('spray-0', 3001)).toBe(0);
  });
});
