/**
 * The real sign-in, in a real browser: the extension starts unconfigured (no broker, no token);
 * on its options page alice saves the demo broker's URL and presses "Sign in", which runs
 * `identity.launchWebAuthFlow` (authorization code + PKCE) against the broker's own login page.
 * The test fills that page in the window Chromium opens for the flow (a wrong password first,
 * which the page refuses in place); the broker redirects to
 * `https://<extension id>.chromiumapp.org/oauth?code=…`, which Chromium catches, closing the
 * window, and hands to the extension. launchWebAuthFlow works in new-headless Chromium as is.
 *
 * Then: the options page and the popup say alice; the tokens are in the extension's
 * `storage.local` (and work against the broker), and nowhere a web page can see them — not in a
 * console page's DOM, storage or cookies, and not even in the extension's own content script
 * (storage.local is for trusted contexts only). Sign out revokes them at the broker (the old
 * access token gets 401, the old refresh token `invalid_grant`) and the popup is signed out.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import {
  BROKER_KEYS,
  callBroker,
  evaluateInContentScript,
  optionsUrl,
  popupUrl,
  saveScreenshot,
  useLoopE2E,
  waitFor,
  type LoopE2E,
  withLoopDiagnostics,
} from './harness.ts';

/** lib/extension/auth-session.ts OAUTH_KEY. */
const OAUTH_KEY = 'unblock.oauth';

interface StoredSession {
  brokerUrl: string;
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
  user: string | null;
}

let loop: LoopE2E;
useLoopE2E((l) => (loop = l), { seedToken: false });

/** The extension's storage.local, read in its service worker. */
async function storedItems(keys: string[]): Promise<Record<string, unknown>> {
  const worker = await loop.serviceWorker();
  return worker.evaluate(async (k) => {
    interface Chrome {
      storage: { local: { get(keys: string[]): Promise<Record<string, unknown>> } };
    }
    return (globalThis as unknown as { chrome: Chrome }).chrome.storage.local.get(k);
  }, keys);
}

const brokerMe = (token: string) => callBroker(loop.broker.url, token, 'GET', '/me');

async function refreshWith(refreshToken: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${loop.broker.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: 'unblock-extension',
    }).toString(),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

/** Everything a page script of `page` can read: DOM, web storage, cookies, window names. */
async function pageVisibleText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const storage = (s: Storage) =>
      Array.from({ length: s.length }, (_, i) => `${s.key(i)}=${s.getItem(s.key(i) ?? '')}`).join('\n');
    return [
      document.documentElement.outerHTML,
      storage(localStorage),
      storage(sessionStorage),
      document.cookie,
      window.name,
      location.href,
    ].join('\n');
  });
}

describe('signing in to the broker from the options page', () => {
  it('launchWebAuthFlow → broker login as alice → signed in everywhere, tokens only in the extension → sign out revokes', async () => {
    const extensionId = loop.extensionId!;
    const pages: Page[] = [];
    await withLoopDiagnostics(loop, 'signin', pages, async () => {
      // Nothing configured: the popup asks to sign in.
      expect(await storedItems([BROKER_KEYS.url, BROKER_KEYS.token, OAUTH_KEY])).toEqual({});
      const popup0 = await loop.open(popupUrl(loop));
      pages.push(popup0);
      await popup0.waitForSelector('::-p-text(Not signed in)', { timeout: 15_000 });
      await popup0.close();

      // Options: the broker URL, saved; the sign-in block appears for it.
      const options = await loop.open(optionsUrl(loop));
      pages.push(options);
      await options.type('#broker-url', loop.broker.url);
      await options.click('button[type="submit"]');
      const signInButton = await options.waitForSelector('::-p-aria([name="Sign in"][role="button"])', {
        timeout: 15_000,
      });
      // Without a token the connection check fails: the sign-in below is what connects.
      await options.waitForFunction(
        () => /Not connected/.test(document.querySelector('p.connection')?.textContent ?? ''),
        { timeout: 15_000 },
      );

      // Sign in: Chromium opens the broker's authorize page in a window of its own.
      const authorizePrefix = `${loop.broker.url}/oauth/authorize?`;
      const authWindow = async () => {
        const waitAuth = loop.browser.waitForTarget((t) => t.url().startsWith(authorizePrefix), {
          timeout: 20_000,
        });
        await options.click('::-p-aria([name="Sign in"][role="button"])');
        return waitAuth;
      };
      // Closing that window cancels: the page says so and offers Sign in again.
      expect(signInButton).not.toBeNull();
      const abandoned = await authWindow();
      await (await abandoned.asPage()).close();
      const failed = await options.waitForSelector('.sign-in .error[role="alert"]', { timeout: 20_000 });
      expect(await failed!.evaluate((e) => e.textContent)).toMatch(/^Sign-in failed: sign-in did not finish/);
      await options.waitForSelector('::-p-aria([name="Sign in"][role="button"]):not([disabled])', {
        timeout: 15_000,
      });
      expect(await storedItems([OAUTH_KEY])).toEqual({});

      const authTarget = await authWindow();
      const authorize = new URL(authTarget.url());
      expect(authorize.searchParams.get('client_id')).toBe('unblock-extension');
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorize.searchParams.get('redirect_uri')).toBe(`https://${extensionId}.chromiumapp.org/oauth`);
      const login = await authTarget.asPage();
      await login.waitForSelector('#username', { timeout: 15_000 });
      expect(await login.title()).toContain('Sign in');
      await saveScreenshot(login, 'signin-broker-login');
      // A wrong password first: the broker's page says so, in the same window, and keeps going.
      await login.type('#username', 'alice');
      await login.type('#password', 'not-alices-password');
      await Promise.all([login.waitForNavigation({ timeout: 15_000 }), login.click('button[type="submit"]')]);
      const refusal = await login.waitForSelector('[role="alert"]', { timeout: 15_000 });
      expect(await refusal!.evaluate((e) => e.textContent)).toBe('Wrong user name or password.');
      expect(await options.$('::-p-text(Signed in as)')).toBeNull();
      // The user name is kept; the password (demo: the user name) is typed again.
      expect(await login.$eval('#username', (e) => (e as HTMLInputElement).value)).toBe('alice');
      await login.type('#password', 'alice');
      // Submitting ends in the chromiumapp.org redirect: Chromium closes the window.
      await login.click('button[type="submit"]');

      // Chromium caught the redirect to the extension's chromiumapp.org address and closed the window.
      await waitFor(() => !loop.browser.targets().includes(authTarget), {
        timeout: 20_000,
        what: 'the sign-in window to close',
      });
      expect(loop.browser.targets().map((t) => t.url())).not.toContainEqual(
        expect.stringContaining('chromiumapp.org'),
      );

      // The options page: signed in as alice, and the connection check now passes.
      await options.waitForSelector('::-p-text(Signed in as alice)', { timeout: 20_000 });
      await options.waitForFunction(
        () => document.querySelector('p.connection')?.textContent === 'Connected as alice',
        { timeout: 15_000 },
      );
      expect(await options.$('::-p-aria([name="Sign out"][role="button"])')).not.toBeNull();
      await saveScreenshot(options, 'signin-options-signed-in');

      // The session is in the extension's storage.local (no API token was ever set).
      const stored = await storedItems([BROKER_KEYS.url, BROKER_KEYS.token, OAUTH_KEY]);
      expect(stored[BROKER_KEYS.url]).toBe(loop.broker.url);
      expect(stored[BROKER_KEYS.token]).toBeUndefined();
      const session = stored[OAUTH_KEY] as StoredSession;
      expect(session).toMatchObject({ brokerUrl: loop.broker.url, user: 'alice' });
      expect(session.accessToken.length).toBeGreaterThan(20);
      expect(session.refreshToken.length).toBeGreaterThan(20);
      expect(session.expiresAt).toBeGreaterThan(Date.now());
      // …and it is a real broker token for alice.
      const me = await brokerMe(session.accessToken);
      expect(me.status).toBe(200);
      expect(me.json).toMatchObject({ user: 'alice' });
      // The options page's own DOM never holds the tokens either (only the name).
      const optionsText = await pageVisibleText(options);
      expect(optionsText).not.toContain(session.accessToken);
      expect(optionsText).not.toContain(session.refreshToken);

      // The popup: alice.
      const popup = await loop.open(popupUrl(loop));
      pages.push(popup);
      await popup.waitForSelector('::-p-text(Alice (engineer))', { timeout: 20_000 });
      expect(await popup.$('::-p-text(Not signed in)')).toBeNull();
      await popup.close();

      // A console page: the content script runs there, and no token reaches the page.
      const consolePage = await loop.open(SIM_URLS.azureVm);
      pages.push(consolePage);
      await consolePage.waitForSelector('#vm-start', { timeout: 15_000 });
      const visible = await pageVisibleText(consolePage);
      for (const secret of [session.accessToken, session.refreshToken]) {
        expect(visible).not.toContain(secret);
      }
      // The extension's own content script cannot read storage.local (trusted contexts only).
      const fromContentScript = (await evaluateInContentScript(
        consolePage,
        `chrome.storage.local.get(null).then(
          (v) => ({ runtimeId: chrome.runtime.id, read: JSON.stringify(v) }),
          (e) => ({ runtimeId: chrome.runtime.id, refused: String((e && e.message) || e) }),
        )`,
      )) as { runtimeId: string; read?: string; refused?: string };
      expect(fromContentScript.runtimeId).toBe(extensionId);
      expect(fromContentScript.read).toBeUndefined();
      expect(fromContentScript.refused).toMatch(/not allowed|access/i);

      // Sign out (options page): the session is gone and the broker revoked its tokens.
      await options.bringToFront();
      await options.click('::-p-aria([name="Sign out"][role="button"])');
      await options.waitForSelector('::-p-aria([name="Sign in"][role="button"])', { timeout: 15_000 });
      // (The page shows "Sign in" again only after the revocation call has returned.)
      expect(await storedItems([OAUTH_KEY])).toEqual({});
      const after = await brokerMe(session.accessToken);
      expect(after.status).toBe(401);
      const refreshed = await refreshWith(session.refreshToken);
      expect(refreshed.status).toBe(400);
      expect(refreshed.json).toMatchObject({ error: 'invalid_grant' });
      expect(JSON.stringify(refreshed.json)).toMatch(/revoked/);

      // The popup: signed out again.
      const popup2 = await loop.open(popupUrl(loop));
      pages.push(popup2);
      await popup2.waitForSelector('::-p-text(Not signed in)', { timeout: 15_000 });
      expect(await popup2.$('::-p-text(Alice (engineer))')).toBeNull();
    });
  }, 180_000);
});
