/**
 * Delegated sign-in: the broker as a relying party of a real OpenID Connect provider (oidc-provider
 * on 127.0.0.1), driven through the whole browser flow, on both store engines.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { demoConfig } from '../../server/config/demo';
import { BrokerConfig } from '../../server/config/schema';
import { OidcConfigError, createAuthService } from '../../server/auth';
import {
  Browser,
  CLI,
  REDIRECT,
  authorizeUrl,
  bearer,
  exchange,
  form,
  pkce,
  signIn,
  standardParams,
  startBroker,
  tokenRequest,
  transactionOf,
  type Broker,
} from './auth/harness';
import {
  IDP_CLIENT,
  quietOidcProviderNotices,
  startFakeIdp,
  type FakeIdp,
  type IdpAccount,
} from './auth/fake-idp';
import { forEachStore } from './pg-harness';
import type { Db } from '../../server/store/db';

const SECRET_ENV = 'UNBLOCK_TEST_OIDC_SECRET';

const jane: IdpAccount = {
  sub: 'idp-0001',
  claims: {
    preferred_username: 'Jane.Doe',
    name: 'Jane Doe',
    email: 'jane@acme.example',
    groups: ['approvers', 'sre'],
  },
};
const aliceAtIdp: IdpAccount = {
  sub: 'idp-0002',
  claims: { preferred_username: 'alice', groups: ['sre', 42, 'sre'] },
};

let demo: BrokerConfig;
let restoreConsole: () => void;
beforeAll(async () => {
  restoreConsole = quietOidcProviderNotices();
  demo = await demoConfig();
  process.env[SECRET_ENV] = IDP_CLIENT.secret;
});
afterAll(() => {
  restoreConsole();
  delete process.env[SECRET_ENV];
});

forEachStore('auth: sign-in with an OpenID Connect provider', (store) => {
  let broker: Broker;
  let idp: FakeIdp;
  let db: Db;
  let config: BrokerConfig;

  beforeEach(async () => {
    // The broker's port must be known before the IdP registers its callback, and the IdP's before
    // the broker's config names it: bind the broker's server first.
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const brokerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    idp = await startFakeIdp(`${brokerUrl}/oauth/oidc/callback`);
    config = BrokerConfig.parse({
      ...demo,
      auth: {
        ...demo.auth,
        oidc: {
          issuer: idp.issuer,
          clientId: IDP_CLIENT.id,
          clientSecret: `env:${SECRET_ENV}`,
          scopes: 'openid profile email groups',
        },
      },
    });
    db = await store.migrated();
    broker = await startBroker(db, config, { server });
  });
  afterEach(async () => {
    await broker.close();
    await idp.close();
  });

  /** Authorize at the broker, choose the IdP, go through it; returns where the broker sent the browser last. */
  async function viaIdp(account: IdpAccount | null, browser = new Browser()) {
    idp.signInAs(account);
    const { verifier, challenge } = pkce();
    const params = standardParams(challenge);
    const page = await browser.fetch(authorizeUrl(broker, params));
    const html = await page.text();
    expect(html).toContain(`Sign in with ${new URL(idp.issuer).host}`);
    const tx = transactionOf(html);
    const res = await browser.follow(`${broker.url}/oauth/oidc/start?tx=${encodeURIComponent(tx)}`, [
      broker.url,
      idp.issuer,
    ]);
    return { res, verifier, state: params.state, browser };
  }

  it('signs in through the IdP; the user name and groups come from its claims', async () => {
    const { res, verifier, state } = await viaIdp(jane);
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe(state);
    const tokens = await exchange(broker, location.searchParams.get('code')!, verifier);
    expect(tokens.status).toBe(200);
    expect(await broker.auth.authenticate(bearer(tokens.body.access_token as string))).toEqual({
      ok: true,
      principal: { user: 'jane.doe', groups: ['approvers', 'sre'], tokenKind: 'oauth', clientId: CLI },
    });
    // Refreshed tokens keep the IdP's groups.
    const refreshed = await tokenRequest(broker, {
      grant_type: 'refresh_token',
      refresh_token: tokens.body.refresh_token as string,
      client_id: CLI,
    });
    expect(await broker.auth.authenticate(bearer(refreshed.body.access_token as string))).toMatchObject({
      ok: true,
      principal: { user: 'jane.doe', groups: ['approvers', 'sre'] },
    });
  });

  it('unions the IdP groups with the config groups of a configured user (and only for IdP sign-ins)', async () => {
    const { res, verifier } = await viaIdp(aliceAtIdp);
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    const tokens = await exchange(broker, code, verifier);
    expect(await broker.auth.authenticate(bearer(tokens.body.access_token as string))).toMatchObject({
      ok: true,
      principal: { user: 'alice', groups: ['engineers', 'sre'] },
    });
    // A later local sign-in of the same user has the config's groups only.
    const local = pkce();
    const localCode = (await signIn(broker, 'alice', standardParams(local.challenge))).get('code')!;
    const localTokens = await exchange(broker, localCode, local.verifier);
    expect(await broker.auth.authenticate(bearer(localTokens.body.access_token as string))).toMatchObject({
      ok: true,
      principal: { user: 'alice', groups: ['engineers'] },
    });
  });

  it('refuses an IdP user name that is not a valid broker user name, with a page that says why', async () => {
    const { res } = await viaIdp({
      sub: 'idp-0003',
      claims: { preferred_username: 'Zoë Smith', groups: [] },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
    const html = await res.text();
    expect(html).toContain('cannot be a broker user name');
    expect(html).toContain('Zoë Smith');
  });

  it('refuses a callback in a browser that did not start the sign-in', async () => {
    idp.signInAs(jane);
    const browser = new Browser();
    const tx = transactionOf(
      await (await browser.fetch(authorizeUrl(broker, standardParams(pkce().challenge)))).text(),
    );
    const start = await browser.fetch(`${broker.url}/oauth/oidc/start?tx=${encodeURIComponent(tx)}`);
    expect(start.status).toBe(303);
    // The attacker's browser completes the IdP step and hands the callback URL to someone else.
    let res = await browser.fetch(start.headers.get('location')!);
    while (res.status === 303 || res.status === 302) {
      const next = new URL(res.headers.get('location')!, idp.issuer);
      if (next.pathname === '/oauth/oidc/callback') {
        const victim = await fetch(next, { redirect: 'manual' });
        expect(victim.status).toBe(403);
        expect(victim.headers.get('location')).toBeNull();
        return;
      }
      res = await browser.fetch(next.toString());
    }
    expect.fail(`the IdP never redirected to the broker (status ${res.status})`);
  });

  it('refuses to start the IdP step without the login cookie', async () => {
    const browser = new Browser();
    const tx = transactionOf(
      await (await browser.fetch(authorizeUrl(broker, standardParams(pkce().challenge)))).text(),
    );
    const res = await fetch(`${broker.url}/oauth/oidc/start?tx=${encodeURIComponent(tx)}`, {
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
  });

  it('passes an IdP refusal back to the client as access_denied', async () => {
    const { res, state } = await viaIdp(null);
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe(state);
    expect(location.searchParams.has('code')).toBe(false);
  });

  it('with local accounts off, offers only the IdP and refuses password posts', async () => {
    const idpOnly = await startBroker(db, { ...config, auth: { ...config.auth, local: false } });
    try {
      const browser = new Browser();
      const page = await browser.fetch(authorizeUrl(idpOnly, standardParams(pkce().challenge)));
      const html = await page.text();
      expect(html).toContain('Sign in with');
      expect(html).not.toContain('type="password"');
      const login = await browser.fetch(
        `${idpOnly.url}/oauth/login`,
        form({ tx: transactionOf(html), username: 'alice', password: 'alice' }),
      );
      expect(login.status).toBe(404);
    } finally {
      await idpOnly.close();
    }
  });

  it('says so on a page when the IdP cannot be reached, without internals', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadIssuer = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const oidc = { ...config.auth.oidc!, issuer: deadIssuer };
    const unreachable = await startBroker(db, { ...config, auth: { ...config.auth, oidc } });
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const browser = new Browser();
      const page = await browser.fetch(authorizeUrl(unreachable, standardParams(pkce().challenge)));
      const tx = transactionOf(await page.text());
      const res = await browser.fetch(`${unreachable.url}/oauth/oidc/start?tx=${encodeURIComponent(tx)}`);
      expect(res.status).toBe(502);
      const html = await res.text();
      expect(html).toContain('cannot be reached');
      expect(html).not.toMatch(/ECONNREFUSED|\bat \S+ \(|node:internal/);
      expect(quiet).toHaveBeenCalled();
    } finally {
      quiet.mockRestore();
      await unreachable.close();
    }
  });

  it('clears its cookies once the sign-in is done', async () => {
    const { res, browser } = await viaIdp(jane);
    expect(res.status).toBe(303);
    expect([...browser.cookies.keys()].filter((name) => name.startsWith('ubk_'))).toEqual([]);
  });

  it('refuses IdP users the broker has disabled', async () => {
    await db.query('INSERT INTO users (id, disabled_at) VALUES ($1, now())', ['jane.doe']);
    const { res } = await viaIdp(jane);
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('disabled');
  });
});

describe('auth: OIDC configuration', () => {
  it('refuses to start when the client secret names an unset environment variable', async () => {
    const config = BrokerConfig.parse({
      ...demo,
      auth: {
        oidc: { issuer: 'https://idp.example', clientId: 'x', clientSecret: 'env:UNBLOCK_TEST_UNSET_SECRET' },
      },
    });
    delete process.env.UNBLOCK_TEST_UNSET_SECRET;
    const db = {} as never;
    await expect(createAuthService({ db, config, publicUrl: 'https://broker.example' })).rejects.toThrow(
      OidcConfigError,
    );
  });

  it('refuses a plain-http issuer that is not on this machine', async () => {
    const config = BrokerConfig.parse({
      ...demo,
      auth: { oidc: { issuer: 'http://idp.example', clientId: 'x' } },
    });
    await expect(
      createAuthService({ db: {} as never, config, publicUrl: 'https://broker.example' }),
    ).rejects.toThrow(/https/);
  });
});
