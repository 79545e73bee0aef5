import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { brokerToken, createAuth, REFRESH_SKEW_MS, type AuthDeps } from '../../lib/extension/auth-client';
import { AUTH_NOTICE_KEY, OAUTH_KEY, type OAuthSession } from '../../lib/extension/auth-session';
import { CLIENT_ID } from '../../lib/extension/oauth-http';
import {
  authorizeUrl,
  base64url,
  createPkce,
  readAuthorizationResponse,
} from '../../lib/extension/oauth-sign-in';
import { BrokerError } from '../../lib/extension/broker-error';
import {
  API_TOKEN_KEY,
  BROKER_URL_KEY,
  forgetManagedBrokerUrl,
  loadSettings,
  saveSettings,
} from '../../lib/extension/settings';
import { json } from './ext-broker-fixtures';

const BROKER = 'https://unblock.example.com';
const REDIRECT = 'https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/oauth';
const T0 = Date.parse('2026-03-02T10:00:00.000Z');

beforeEach(() => {
  fakeBrowser.reset();
  forgetManagedBrokerUrl();
});

interface Call {
  url: string;
  method: string;
  form: URLSearchParams | null;
  auth: string | null;
}

/** A fake broker: metadata, token endpoint (codes and rotating refresh tokens), revoke, /me. */
function fakeBroker(opts: { issuer?: string } = {}) {
  const calls: Call[] = [];
  let n = 0;
  let refreshGate: Promise<void> = Promise.resolve();
  const live = new Set<string>();
  const state = {
    calls,
    /** Hold refresh answers until released (to overlap callers). */
    hold() {
      let release!: () => void;
      refreshGate = new Promise((r) => (release = r));
      return () => release();
    },
    refuseRefresh: false,
    fetch: vi.fn(async (input: string, init?: RequestInit) => {
      const url = input;
      const form = typeof init?.body === 'string' ? new URLSearchParams(init.body) : null;
      const headers = (init?.headers ?? {}) as Record<string, string>;
      calls.push({ url, method: init?.method ?? 'GET', form, auth: headers.Authorization ?? null });
      const path = url.slice(BROKER.length);
      if (path === '/.well-known/oauth-authorization-server') {
        return json(200, { issuer: opts.issuer ?? BROKER, code_challenge_methods_supported: ['S256'] });
      }
      if (path === '/oauth/token') {
        if (form?.get('grant_type') === 'refresh_token') {
          await refreshGate;
          const rt = form.get('refresh_token')!;
          if (state.refuseRefresh || !live.has(rt)) {
            return json(400, { error: 'invalid_grant', error_description: 'the refresh token was revoked' });
          }
          live.delete(rt);
        }
        n++;
        live.add(`rt-${n}`);
        return json(200, {
          access_token: `at-${n}`,
          token_type: 'Bearer',
          expires_in: 600,
          refresh_token: `rt-${n}`,
          scope: 'unblock',
        });
      }
      if (path === '/oauth/revoke') return new Response(null, { status: 200 });
      if (path === '/api/v1/me') {
        return json(200, {
          user: 'alice',
          displayName: 'Alice',
          groups: [],
          approver: false,
          auditor: false,
        });
      }
      return json(404, { error: { code: 'not_found', message: 'no' } });
    }),
  };
  return state;
}

function setup(broker = fakeBroker(), over: Partial<AuthDeps> = {}) {
  let clock = T0;
  let lastAuthorizeUrl = '';
  const launch = vi.fn(({ url }: { url: string; interactive: boolean }) => {
    lastAuthorizeUrl = url;
    const q = new URL(url).searchParams;
    return Promise.resolve(`${REDIRECT}?code=c0de&state=${q.get('state')}&iss=${encodeURIComponent(BROKER)}`);
  });
  const onSignedOut = vi.fn();
  const auth = createAuth({
    storage: fakeBrowser.storage.local,
    launchWebAuthFlow: launch,
    redirectUrl: () => REDIRECT,
    fetch: broker.fetch as unknown as typeof fetch,
    now: () => clock,
    onSignedOut,
    ...over,
  });
  return {
    auth,
    broker,
    launch,
    onSignedOut,
    authorizeUrl: () => lastAuthorizeUrl,
    advance(ms: number) {
      clock += ms;
    },
  };
}

const stored = async () =>
  (await fakeBrowser.storage.local.get(OAUTH_KEY))[OAUTH_KEY] as OAuthSession | undefined;

describe('PKCE, state and iss', () => {
  it('makes an S256 challenge from a 43-character verifier', async () => {
    const { verifier, challenge } = await createPkce();
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    expect(challenge).toBe(base64url(new Uint8Array(digest)));
    expect((await createPkce()).verifier).not.toBe(verifier);
    // RFC 7636 appendix B.
    const rfc = await crypto.subtle.digest(
      'SHA-256',
      new TextEncoder().encode('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'),
    );
    expect(base64url(new Uint8Array(rfc))).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('builds the authorization URL with the extension client, S256 and scope unblock', () => {
    const u = new URL(authorizeUrl(`${BROKER}/`, { redirectUri: REDIRECT, challenge: 'ch', state: 'st' }));
    expect(`${u.origin}${u.pathname}`).toBe(`${BROKER}/oauth/authorize`);
    expect(Object.fromEntries(u.searchParams)).toEqual({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT,
      code_challenge: 'ch',
      code_challenge_method: 'S256',
      state: 'st',
      scope: 'unblock',
    });
  });

  it('accepts only our redirect with our state and the broker as issuer', () => {
    const want = { redirectUri: REDIRECT, state: 'st', issuer: BROKER };
    const iss = encodeURIComponent(BROKER);
    expect(readAuthorizationResponse(`${REDIRECT}?code=abc&state=st&iss=${iss}`, want)).toBe('abc');
    expect(() => readAuthorizationResponse(`${REDIRECT}?code=abc&state=other&iss=${iss}`, want)).toThrow(
      /state/,
    );
    expect(() => readAuthorizationResponse(`${REDIRECT}?code=abc&state=st`, want)).toThrow(/iss/);
    expect(() =>
      readAuthorizationResponse(`${REDIRECT}?code=abc&state=st&iss=https%3A%2F%2Fevil.example`, want),
    ).toThrow(/iss/);
    expect(() =>
      readAuthorizationResponse(`https://evil.example/oauth?code=abc&state=st&iss=${iss}`, want),
    ).toThrow(/unexpected address/);
    expect(() =>
      readAuthorizationResponse(`${REDIRECT}?error=access_denied&state=st&iss=${iss}`, want),
    ).toThrow(/cancelled/);
  });
});

describe('sign-in', () => {
  it('exchanges the code with the verifier and stores the session with the user from /me', async () => {
    const t = setup();
    const s = await t.auth.signIn(`${BROKER}/`);
    expect(t.launch).toHaveBeenCalledWith(expect.objectContaining({ interactive: true }));
    const challenge = new URL(t.authorizeUrl()).searchParams.get('code_challenge');
    const tokenCall = t.broker.calls.find((c) => c.url.endsWith('/oauth/token'))!;
    expect(tokenCall.method).toBe('POST');
    expect(tokenCall.form?.get('grant_type')).toBe('authorization_code');
    expect(tokenCall.form?.get('code')).toBe('c0de');
    expect(tokenCall.form?.get('client_id')).toBe(CLIENT_ID);
    expect(tokenCall.form?.get('redirect_uri')).toBe(REDIRECT);
    const verifier = tokenCall.form!.get('code_verifier')!;
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    expect(base64url(new Uint8Array(digest))).toBe(challenge);
    expect(t.broker.calls.find((c) => c.url.endsWith('/api/v1/me'))?.auth).toBe('Bearer at-1');
    expect(s).toEqual({
      brokerUrl: BROKER,
      accessToken: 'at-1',
      refreshToken: 'rt-1',
      expiresAt: T0 + 600_000,
      user: 'alice',
    });
    expect(await stored()).toEqual(s);
  });

  it('refuses an answer with the wrong state or issuer, and a broker that names another issuer', async () => {
    const wrongState = setup(fakeBroker(), {
      launchWebAuthFlow: () =>
        Promise.resolve(`${REDIRECT}?code=c&state=forged&iss=${encodeURIComponent(BROKER)}`),
    });
    await expect(wrongState.auth.signIn(BROKER)).rejects.toThrow(/state/);
    const wrongIss = setup(fakeBroker(), {
      launchWebAuthFlow: ({ url }) =>
        Promise.resolve(
          `${REDIRECT}?code=c&state=${new URL(url).searchParams.get('state')}&iss=https%3A%2F%2Fevil.example`,
        ),
    });
    await expect(wrongIss.auth.signIn(BROKER)).rejects.toThrow(/iss/);
    const otherIssuer = setup(fakeBroker({ issuer: 'https://other.example.com' }));
    await expect(otherIssuer.auth.signIn(BROKER)).rejects.toThrow(
      /calls itself https:\/\/other\.example\.com/,
    );
    expect(otherIssuer.launch).not.toHaveBeenCalled();
    for (const t of [wrongState, wrongIss]) {
      expect(t.broker.calls.some((c) => c.url.endsWith('/oauth/token'))).toBe(false);
    }
    expect(await stored()).toBeUndefined();
  });
});

describe('tokens', () => {
  it('hands out the access token until shortly before expiry, then refreshes once for concurrent callers', async () => {
    const t = setup();
    await t.auth.signIn(BROKER);
    expect(await t.auth.accessToken(BROKER)).toBe('at-1');
    t.advance(600_000 - REFRESH_SKEW_MS + 1);
    const release = t.broker.hold();
    const callers = [t.auth.accessToken(BROKER), t.auth.accessToken(BROKER), t.auth.refresh()];
    await new Promise((r) => setTimeout(r, 10));
    release();
    const [a, b, c] = await Promise.all(callers);
    expect([a, b, (c as OAuthSession).accessToken]).toEqual(['at-2', 'at-2', 'at-2']);
    const refreshes = t.broker.calls.filter((x) => x.form?.get('grant_type') === 'refresh_token');
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]!.form?.get('refresh_token')).toBe('rt-1');
    expect(await stored()).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-2' });
  });

  it('does not refresh a token another context has just refreshed', async () => {
    const t = setup();
    await t.auth.signIn(BROKER);
    t.advance(600_000);
    // Another context (the options page) refreshed it meanwhile.
    const other = setup(t.broker, { now: () => T0 + 600_000 });
    await other.auth.refresh();
    const before = t.broker.calls.length;
    expect(await t.auth.accessToken(BROKER)).toBe('at-2');
    expect(t.broker.calls.length).toBe(before);
  });

  it('signs out with a notice when the refresh is refused (invalid_grant)', async () => {
    const t = setup();
    await t.auth.signIn(BROKER);
    t.advance(600_000);
    t.broker.refuseRefresh = true;
    expect(await t.auth.accessToken(BROKER)).toBeNull();
    expect(await stored()).toBeUndefined();
    const notice = await t.auth.notice();
    expect(notice).toMatch(/^Signed out: .*refresh token was revoked.*Sign in again/);
    expect(t.onSignedOut).toHaveBeenCalledWith(notice);
    expect(JSON.stringify(await fakeBrowser.storage.local.get(null))).not.toContain('rt-1');
  });

  it('keeps the session on a network failure, and says the broker is unreachable once expired', async () => {
    const broker = fakeBroker();
    const t = setup(broker);
    await t.auth.signIn(BROKER);
    broker.fetch.mockImplementation(() => Promise.reject(new TypeError('Failed to fetch')));
    t.advance(600_000 - 1000); // about to expire: refresh fails, the old token still works
    expect(await t.auth.accessToken(BROKER)).toBe('at-1');
    t.advance(2000);
    const err = await t.auth.accessToken(BROKER).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as BrokerError).code).toBe('unreachable');
    expect(await stored()).toMatchObject({ refreshToken: 'rt-1' });
  });

  it('sign-out revokes the refresh token and clears storage', async () => {
    const t = setup();
    await t.auth.signIn(BROKER);
    await fakeBrowser.storage.local.set({ [AUTH_NOTICE_KEY]: 'old' });
    await t.auth.signOut();
    const revoke = t.broker.calls.find((c) => c.url === `${BROKER}/oauth/revoke`)!;
    expect(revoke.method).toBe('POST');
    expect(revoke.form?.get('token')).toBe('rt-1');
    expect(revoke.form?.get('token_type_hint')).toBe('refresh_token');
    expect(revoke.form?.get('client_id')).toBe(CLIENT_ID);
    expect(await fakeBrowser.storage.local.get([OAUTH_KEY, AUTH_NOTICE_KEY])).toEqual({});
    expect(await t.auth.accessToken(BROKER)).toBeNull();
  });

  it('does not resurrect a session signed out while a refresh was on the wire', async () => {
    const t = setup();
    await t.auth.signIn(BROKER);
    t.advance(600_000);
    const release = t.broker.hold();
    const pending = t.auth.accessToken(BROKER);
    await new Promise((r) => setTimeout(r, 10));
    await fakeBrowser.storage.local.remove(OAUTH_KEY); // signed out elsewhere
    release();
    expect(await pending).toBeNull();
    expect(await stored()).toBeUndefined();
    const revoked = t.broker.calls
      .filter((c) => c.url.endsWith('/oauth/revoke'))
      .map((c) => c.form?.get('token'));
    expect(revoked).toEqual(['rt-2']);
  });
});

describe('which token the broker client gets', () => {
  it('prefers the OAuth access token for the same broker, else the API token', async () => {
    const t = setup();
    await fakeBrowser.storage.local.set({ [BROKER_URL_KEY]: BROKER, [API_TOKEN_KEY]: 'ubk_api' });
    expect(await brokerToken(t.auth, await loadSettings())).toBe('ubk_api');
    await t.auth.signIn(BROKER);
    expect(await brokerToken(t.auth, await loadSettings())).toBe('at-1');
    // Tokens are bound to the broker that issued them: never sent to another one.
    await saveSettings({ brokerUrl: 'https://other.example.com' });
    expect(await brokerToken(t.auth, await loadSettings())).toBe('ubk_api');
    await t.auth.signOut();
    await saveSettings({ brokerUrl: BROKER });
    expect(await brokerToken(t.auth, await loadSettings())).toBe('ubk_api');
    expect(await brokerToken(t.auth, null)).toBeNull();
  });
});

describe('managed storage', () => {
  it('prefers the broker URL set by policy, and marks it managed', async () => {
    await fakeBrowser.storage.local.set({
      [BROKER_URL_KEY]: 'http://127.0.0.1:8787',
      [API_TOKEN_KEY]: 'tok',
    });
    expect(await loadSettings()).toEqual({ brokerUrl: 'http://127.0.0.1:8787', token: 'tok' });
    await fakeBrowser.storage.managed.set({ brokerUrl: 'https://unblock.corp.example/' });
    expect(await loadSettings()).toEqual({
      brokerUrl: 'https://unblock.corp.example',
      token: 'tok',
      managed: true,
    });
    // Works without anything stored locally, too.
    await fakeBrowser.storage.local.clear();
    expect(await loadSettings()).toEqual({
      brokerUrl: 'https://unblock.corp.example',
      token: null,
      managed: true,
    });
  });

  it('reads the policy once per context, and again when the managed area changes', async () => {
    await fakeBrowser.storage.local.set({ [BROKER_URL_KEY]: 'http://127.0.0.1:8787' });
    const get = vi.spyOn(fakeBrowser.storage.managed, 'get');
    await loadSettings();
    await loadSettings();
    expect(get).toHaveBeenCalledTimes(1);
    await fakeBrowser.storage.managed.set({ brokerUrl: 'https://unblock.corp.example/' });
    expect(await loadSettings()).toMatchObject({ brokerUrl: 'https://unblock.corp.example', managed: true });
    expect(get).toHaveBeenCalledTimes(2);
  });

  it('ignores an invalid policy value and a browser without managed storage', async () => {
    await fakeBrowser.storage.local.set({ [BROKER_URL_KEY]: 'http://127.0.0.1:8787' });
    await fakeBrowser.storage.managed.set({ brokerUrl: 'javascript:alert(1)' });
    expect(await loadSettings()).toMatchObject({ brokerUrl: 'http://127.0.0.1:8787' });
    // Firefox without a managed-storage manifest rejects the call.
    vi.spyOn(fakeBrowser.storage.managed, 'get').mockRejectedValue(
      new Error('Managed storage manifest not found'),
    );
    expect(await loadSettings()).toEqual({ brokerUrl: 'http://127.0.0.1:8787', token: null });
  });
});
