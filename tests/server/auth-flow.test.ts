/**
 * The authorization server end to end over HTTP, on both store engines: the code flow with PKCE and
 * the broker's own login page, and every way that flow must refuse.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoConfig } from '../../server/config/demo';
import type { BrokerConfig } from '../../server/config/schema';
import { BrokerConfig as BrokerConfigSchema } from '../../server/config/schema';
import {
  Browser,
  CLI,
  REDIRECT,
  authorizeUrl,
  bearer,
  exchange,
  form,
  openLogin,
  pkce,
  postLogin,
  signIn,
  standardParams,
  startBroker,
  tokenRequest,
  tokensFor,
  type Broker,
} from './auth/harness';
import { forEachStore } from './pg-harness';

let config: BrokerConfig;
beforeAll(async () => {
  const demo = await demoConfig();
  config = BrokerConfigSchema.parse({
    ...demo,
    auth: {
      ...demo.auth,
      clients: [
        {
          id: 'ops-tool',
          name: 'Ops <script>alert(1)</script>',
          redirectUris: ['https://ops.example/cb'],
        },
      ],
    },
  });
});

/** Sign-in events in the audit log, oldest first. */
async function auditTypes(broker: Broker): Promise<string[]> {
  const { rows } = await broker.db.query<{ type: string }>(
    "SELECT type FROM audit_log WHERE type LIKE 'auth.%' ORDER BY seq",
  );
  return rows.map((r) => r.type);
}

forEachStore('auth: authorization code flow', (store) => {
  let broker: Broker;
  beforeEach(async () => {
    broker = await startBroker(await store.migrated(), config);
  });
  afterEach(() => broker.close());

  it('publishes RFC 8414 metadata', async () => {
    const res = await fetch(`${broker.url}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    const meta = (await res.json()) as Record<string, unknown>;
    expect(meta).toMatchObject({
      issuer: broker.url,
      authorization_endpoint: `${broker.url}/oauth/authorize`,
      token_endpoint: `${broker.url}/oauth/token`,
      revocation_endpoint: `${broker.url}/oauth/revoke`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
    });
  });

  it('signs in locally and exchanges the code (PKCE S256) for tokens that authenticate', async () => {
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const params = standardParams(challenge);
    const page = await browser.fetch(authorizeUrl(broker, params));
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self' http://127.0.0.1:53682");
    expect(page.headers.get('cache-control')).toBe('no-store');
    const setCookie = page.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const html = await page.text();
    expect(html).toContain('Unblock CLI');
    expect(html).not.toMatch(/<script|src=|href="http/);
    const tx = /name="tx" value="([^"]+)"/.exec(html)![1]!;

    const login = await postLogin(broker, browser, tx, 'Alice', 'alice');
    expect(login.status).toBe(303);
    const location = new URL(login.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe(params.state);
    expect(location.searchParams.get('iss')).toBe(broker.url);
    const code = location.searchParams.get('code')!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const res = await exchange(broker, code, verifier);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 15 * 60, scope: 'unblock' });
    expect(res.body.access_token).toMatch(/^ubk_at_[A-Za-z0-9_-]{43}$/);
    expect(res.body.refresh_token).toMatch(/^ubk_rt_[A-Za-z0-9_-]{43}$/);

    const auth = await broker.auth.authenticate(bearer(res.body.access_token as string));
    expect(auth).toEqual({
      ok: true,
      principal: { user: 'alice', groups: ['engineers'], tokenKind: 'oauth', clientId: CLI },
    });
  });

  it('stores only hashes of tokens and codes', async () => {
    const db = await store.migrated();
    const b = await startBroker(db, config);
    try {
      const { access, refresh } = await tokensFor(b, 'bob');
      const dump = JSON.stringify([
        (await db.query('SELECT * FROM tokens')).rows,
        (await db.query('SELECT * FROM refresh_tokens')).rows,
        (await db.query('SELECT * FROM oauth_codes')).rows,
      ]);
      expect(dump).not.toContain(access.slice(7));
      expect(dump).not.toContain(refresh.slice(7));
    } finally {
      await b.close();
    }
  });

  it('racing exchanges of one code: one gets tokens, and the replay revokes them', async () => {
    const { verifier, challenge } = pkce();
    const code = (await signIn(broker, 'alice', standardParams(challenge))).get('code')!;
    const results = await Promise.all([exchange(broker, code, verifier), exchange(broker, code, verifier)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    const winner = results.find((r) => r.status === 200)!;
    expect(await broker.auth.authenticate(bearer(winner.body.access_token as string))).toEqual({
      ok: false,
      reason: 'revoked',
    });
  });

  it('records the signed-in local user with the config identities, and no groups of its own', async () => {
    const db = await store.migrated();
    const b = await startBroker(db, config);
    try {
      await tokensFor(b, 'alice');
      const { rows } = await db.query<{ display_name: string; groups: unknown; cloud_identities: unknown }>(
        'SELECT display_name, groups, cloud_identities FROM users WHERE id = $1',
        ['alice'],
      );
      expect(rows).toEqual([
        {
          display_name: 'Alice (engineer)',
          groups: [],
          cloud_identities: {
            aws: 'alice',
            azure: '3f2b9c1e-7d4a-4e8b-9a61-5c0d2e8f7b14',
            gcp: 'user:alice@acme-corp.dev',
          },
        },
      ]);
    } finally {
      await b.close();
    }
  });

  it('refuses a wrong code_verifier, and the code is spent afterwards', async () => {
    const { verifier, challenge } = pkce();
    const code = (await signIn(broker, 'alice', standardParams(challenge))).get('code')!;
    const wrong = await exchange(broker, code, pkce().verifier);
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const right = await exchange(broker, code, verifier);
    expect(right).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses the plain PKCE method and a missing challenge, by redirect with error=', async () => {
    const { verifier } = pkce();
    for (const overrides of [
      { code_challenge: verifier, code_challenge_method: 'plain' },
      { code_challenge: verifier, code_challenge_method: undefined },
      { code_challenge: undefined },
      { response_type: 'token' },
      { scope: 'admin' },
    ]) {
      const params = standardParams(pkce().challenge, overrides);
      const res = await fetch(authorizeUrl(broker, params), { redirect: 'manual' });
      expect(res.status).toBe(303);
      const location = new URL(res.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
      expect(location.searchParams.get('error')).toMatch(
        /^(invalid_request|unsupported_response_type|invalid_scope)$/,
      );
      expect(location.searchParams.get('state')).toBe(params.state);
      expect(location.searchParams.has('code')).toBe(false);
    }
  });

  it('a reused code fails and revokes the tokens issued from it', async () => {
    const { verifier, challenge } = pkce();
    const code = (await signIn(broker, 'alice', standardParams(challenge))).get('code')!;
    const first = await exchange(broker, code, verifier);
    expect(first.status).toBe(200);
    const access = first.body.access_token as string;
    expect((await broker.auth.authenticate(bearer(access))).ok).toBe(true);
    const second = await exchange(broker, code, verifier);
    expect(second).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await broker.auth.authenticate(bearer(access))).toEqual({ ok: false, reason: 'revoked' });
    expect(await auditTypes(broker)).toEqual(['auth.signed-in', 'auth.code-reused']);
    const refreshed = await tokenRequest(broker, {
      grant_type: 'refresh_token',
      refresh_token: first.body.refresh_token as string,
      client_id: CLI,
    });
    expect(refreshed).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('binds the code to its client, redirect URI, and 60-second lifetime', async () => {
    const a = pkce();
    const codeA = (await signIn(broker, 'alice', standardParams(a.challenge))).get('code')!;
    expect(
      await exchange(broker, codeA, a.verifier, { redirect_uri: 'http://127.0.0.1:53682/other' }),
    ).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    const b = pkce();
    const codeB = (await signIn(broker, 'alice', standardParams(b.challenge))).get('code')!;
    expect(await exchange(broker, codeB, b.verifier, { client_id: 'unblock-extension' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    const c = pkce();
    const codeC = (await signIn(broker, 'alice', standardParams(c.challenge))).get('code')!;
    broker.clock.advance(61_000);
    expect(await exchange(broker, codeC, c.verifier)).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
  });

  it('never redirects to an unregistered redirect URI or for an unknown client', async () => {
    const { challenge } = pkce();
    for (const overrides of [
      { redirect_uri: 'https://evil.example/callback' },
      { redirect_uri: 'http://127.0.0.1.evil.example:53682/callback' },
      { redirect_uri: 'http://127.0.0.1:53682@evil.example/callback' },
      { redirect_uri: undefined },
      {
        client_id: 'unblock-extension',
        redirect_uri: 'https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org.evil.example/',
      },
      { client_id: 'nobody' },
      { client_id: 'ops-tool', redirect_uri: 'https://ops.example/cb2' },
    ]) {
      const res = await fetch(authorizeUrl(broker, standardParams(challenge, overrides)), {
        redirect: 'manual',
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    }
  });

  it('accepts the extension redirect URIs (Chromium and Firefox) and configured clients', async () => {
    const { challenge } = pkce();
    for (const [client_id, redirect_uri] of [
      ['unblock-extension', 'https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/'],
      ['unblock-extension', 'https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/cb'],
      ['unblock-extension', `https://${'a1'.repeat(20)}.extensions.allizom.org/`],
      ['unblock-cli', 'http://localhost:1234/anything'],
      ['ops-tool', 'https://ops.example/cb'],
    ] as const) {
      const res = await fetch(authorizeUrl(broker, standardParams(challenge, { client_id, redirect_uri })));
      expect(res.status).toBe(200);
      const html = await res.text();
      // Client names come from the config file: escaped, never markup.
      expect(html).not.toContain('<script>');
    }
  });

  it('refuses a login post without the browser-binding cookie (login CSRF)', async () => {
    const victim = new Browser();
    const tx = await openLogin(broker, victim, standardParams(pkce().challenge));
    // The attacker's page posts the form: same transaction id, none of the victim's cookies.
    const forged = await fetch(`${broker.url}/oauth/login`, {
      ...form({ tx, username: 'alice', password: 'alice' }),
      redirect: 'manual',
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('location')).toBeNull();
    const wrongCookie = await fetch(`${broker.url}/oauth/login`, {
      ...form({ tx, username: 'alice', password: 'alice' }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: [...victim.cookies.keys()].map((k) => `${k}=forged`).join('; '),
      },
      redirect: 'manual',
    });
    expect(wrongCookie.status).toBe(403);
    const noTx = await victim.fetch(
      `${broker.url}/oauth/login`,
      form({ username: 'alice', password: 'alice' }),
    );
    expect(noTx.status).toBe(400);
  });

  it('answers a wrong password or unknown user with the same generic message', async () => {
    const browser = new Browser();
    const tx = await openLogin(broker, browser, standardParams(pkce().challenge));
    const cookies = new Map(browser.cookies);
    const pages: string[] = [];
    for (const [user, password] of [
      ['alice', 'wrong'],
      ['mallory', 'mallory'],
    ] as const) {
      const res = await postLogin(broker, browser, tx, user, password);
      expect(res.status).toBe(200);
      expect(res.headers.get('location')).toBeNull();
      const html = await res.text();
      expect(html).toContain('Wrong user name or password.');
      pages.push(html.replace(/value="[^"]*"/g, ''));
    }
    expect(pages[0]).toBe(pages[1]);
    // The same transaction still works with the right password.
    expect((await postLogin(broker, browser, tx, 'alice', 'alice')).status).toBe(303);
    // …once: the binding cookie is cleared, and the transaction is spent even with a copy of it.
    expect((await postLogin(broker, browser, tx, 'alice', 'alice')).status).toBe(403);
    for (const [k, v] of cookies) browser.cookies.set(k, v);
    const again = await postLogin(broker, browser, tx, 'alice', 'alice');
    expect(again.status).toBe(400);
    expect(again.headers.get('location')).toBeNull();
  });

  it('throttles repeated failures for a user name, even with the right password afterwards', async () => {
    const browser = new Browser();
    const tx = await openLogin(broker, browser, standardParams(pkce().challenge));
    for (let i = 0; i < 5; i++)
      expect((await postLogin(broker, browser, tx, 'bob', `guess-${i}`)).status).toBe(200);
    const locked = await postLogin(broker, browser, tx, 'bob', 'bob');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await locked.text()).toContain('Too many failed sign-in attempts');
    // Another user is not locked out by bob's failures.
    expect((await postLogin(broker, browser, tx, 'dave', 'dave')).status).toBe(303);
    broker.clock.advance(15 * 60_000 + 1);
    await signIn(broker, 'bob', standardParams(pkce().challenge));
  });

  it('throttles one address spraying many user names', async () => {
    const browser = new Browser();
    const tx = await openLogin(broker, browser, standardParams(pkce().challenge));
    for (let i = 0; i < 20; i++) await postLogin(broker, browser, tx, `user${i}`, 'password');
    expect((await postLogin(broker, browser, tx, 'carol', 'carol')).status).toBe(429);
  });

  it('rotates refresh tokens', async () => {
    const first = await tokensFor(broker, 'bob');
    const res = await tokenRequest(broker, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh,
      client_id: CLI,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'unblock' });
    expect(res.body.refresh_token).not.toBe(first.refresh);
    const auth = await broker.auth.authenticate(bearer(res.body.access_token as string));
    expect(auth).toMatchObject({ ok: true, principal: { user: 'bob', groups: ['approvers', 'engineers'] } });
    // Another client cannot use it.
    const stolen = await tokenRequest(broker, {
      grant_type: 'refresh_token',
      refresh_token: res.body.refresh_token as string,
      client_id: 'unblock-extension',
    });
    expect(stolen).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('a replayed refresh token revokes the whole family, access tokens included', async () => {
    const first = await tokensFor(broker, 'bob');
    const rotated = await tokenRequest(broker, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh,
      client_id: CLI,
    });
    expect(rotated.status).toBe(200);
    const replay = await tokenRequest(broker, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh,
      client_id: CLI,
    });
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await auditTypes(broker)).slice(-1)).toEqual(['auth.refresh-token-reused']);
    expect(await broker.auth.authenticate(bearer(first.access))).toEqual({ ok: false, reason: 'revoked' });
    expect(await broker.auth.authenticate(bearer(rotated.body.access_token as string))).toEqual({
      ok: false,
      reason: 'revoked',
    });
    const next = await tokenRequest(broker, {
      grant_type: 'refresh_token',
      refresh_token: rotated.body.refresh_token as string,
      client_id: CLI,
    });
    expect(next).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // Another sign-in (another family) is untouched.
    const other = await tokensFor(broker, 'bob');
    expect((await broker.auth.authenticate(bearer(other.access))).ok).toBe(true);
  });

  it('revokes access and refresh tokens (RFC 7009), and answers 200 for unknown ones', async () => {
    const revoke = (token: string, client_id = CLI) =>
      fetch(`${broker.url}/oauth/revoke`, form({ token, client_id }));
    const a = await tokensFor(broker, 'alice');
    expect((await revoke(a.access)).status).toBe(200);
    expect(await broker.auth.authenticate(bearer(a.access))).toEqual({ ok: false, reason: 'revoked' });
    // Revoking the access token leaves the refresh token usable.
    const refreshed = await tokenRequest(broker, {
      grant_type: 'refresh_token',
      refresh_token: a.refresh,
      client_id: CLI,
    });
    expect(refreshed.status).toBe(200);

    const b = await tokensFor(broker, 'alice');
    expect((await revoke(b.refresh)).status).toBe(200);
    expect(await broker.auth.authenticate(bearer(b.access))).toEqual({ ok: false, reason: 'revoked' });
    expect(
      await tokenRequest(broker, { grant_type: 'refresh_token', refresh_token: b.refresh, client_id: CLI }),
    ).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    expect((await revoke('ubk_at_' + 'A'.repeat(43))).status).toBe(200);
    expect((await revoke('nonsense')).status).toBe(200);
    expect((await revoke(b.access, 'nobody')).status).toBe(400);
  });

  it('reports missing, malformed, forged and expired tokens', async () => {
    const { auth } = broker;
    const { access, refresh } = await tokensFor(broker, 'carol');
    expect(await auth.authenticate(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(await auth.authenticate('Basic YWxpY2U6YWxpY2U=')).toEqual({ ok: false, reason: 'malformed' });
    expect(await auth.authenticate(`Bearer ${access} extra`)).toEqual({ ok: false, reason: 'malformed' });
    expect(await auth.authenticate(bearer('ubk_at_' + 'x'.repeat(43)))).toEqual({
      ok: false,
      reason: 'unknown',
    });
    expect(await auth.authenticate(bearer(access.slice(0, -1) + (access.endsWith('A') ? 'B' : 'A')))).toEqual(
      {
        ok: false,
        reason: 'unknown',
      },
    );
    expect(await auth.authenticate(bearer(access.replace('ubk_at_', 'ubk_api_')))).toEqual({
      ok: false,
      reason: 'unknown',
    });
    // A refresh token is not an API credential.
    expect(await auth.authenticate(bearer(refresh))).toEqual({ ok: false, reason: 'unknown' });
    expect((await auth.authenticate(`bearer ${access}`)).ok).toBe(true);
    const later = new Date(broker.clock.now.getTime() + 15 * 60_000);
    expect(await auth.authenticate(bearer(access), later)).toEqual({ ok: false, reason: 'expired' });
    // An expired refresh token cannot be used either.
    broker.clock.advance(30 * 24 * 3_600_000 + 1);
    expect(
      await tokenRequest(broker, { grant_type: 'refresh_token', refresh_token: refresh, client_id: CLI }),
    ).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('creates API tokens for configured users only', async () => {
    const { token, expiresAt } = await broker.auth.createApiToken('carol', 3_600_000, 'ci audit export');
    expect(token).toMatch(/^ubk_api_[A-Za-z0-9_-]{43}$/);
    expect(expiresAt?.getTime()).toBe(broker.clock.now.getTime() + 3_600_000);
    expect(await broker.auth.authenticate(bearer(token))).toEqual({
      ok: true,
      principal: { user: 'carol', groups: ['auditors'], tokenKind: 'api', clientId: null },
    });
    expect(await broker.auth.authenticate(bearer(token), expiresAt!)).toEqual({
      ok: false,
      reason: 'expired',
    });
    await expect(broker.auth.createApiToken('mallory', 3_600_000)).rejects.toThrow(/no user "mallory"/);
    await expect(broker.auth.createApiToken('carol', -1)).rejects.toThrow(/lifetime/);
  });

  it('refuses disabled users everywhere', async () => {
    const db = await store.migrated();
    const b = await startBroker(db, config);
    try {
      const tokens = await tokensFor(b, 'dave');
      const api = await b.auth.createApiToken('dave', 3_600_000);
      await db.query('UPDATE users SET disabled_at = now() WHERE id = $1', ['dave']);
      expect(await b.auth.authenticate(bearer(tokens.access))).toEqual({ ok: false, reason: 'disabled' });
      expect(await b.auth.authenticate(bearer(api.token))).toEqual({ ok: false, reason: 'disabled' });
      expect(
        await tokenRequest(b, { grant_type: 'refresh_token', refresh_token: tokens.refresh, client_id: CLI }),
      ).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      const browser = new Browser();
      const tx = await openLogin(b, browser, standardParams(pkce().challenge));
      const login = await postLogin(b, browser, tx, 'dave', 'dave');
      expect(login.status).toBe(403);
      expect(login.headers.get('location')).toBeNull();
      await expect(b.auth.createApiToken('dave', 3_600_000)).rejects.toThrow(/disabled/);
    } finally {
      await b.close();
    }
  });

  it('limits form bodies to 64 kB and wants form encoding', async () => {
    const big = await fetch(`${broker.url}/oauth/token`, form({ grant_type: 'x'.repeat(70 * 1024) }));
    expect(big.status).toBe(413);
    const jsonBody = await fetch(`${broker.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(jsonBody.status).toBe(415);
    expect(await tokenRequest(broker, { grant_type: 'password', client_id: CLI })).toMatchObject({
      status: 400,
      body: { error: 'unsupported_grant_type' },
    });
    expect(
      await tokenRequest(broker, { grant_type: 'authorization_code', client_id: 'nobody' }),
    ).toMatchObject({
      status: 400,
      body: { error: 'invalid_client' },
    });
    expect(await tokenRequest(broker, { grant_type: 'authorization_code', client_id: CLI })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
  });

  it('leaves other paths to the caller', async () => {
    expect((await fetch(`${broker.url}/api/requests`)).status).toBe(404);
    expect((await fetch(`${broker.url}/oauth/token`)).status).toBe(405);
  });
});

describe('auth: configuration', () => {
  it('has exactly the built-in clients plus configured ones', () => {
    expect(config.auth.clients.map((c) => c.id)).toEqual(['ops-tool']);
  });
});
