/**
 * Tokens in Firefox, in firefox-esr with the Firefox MV2 build. Firefox's `storage.local` has no
 * access level: the extension's content script reads it like any extension page. So the Firefox
 * builds keep the API token (and the OAuth session) in the extension's own IndexedDB, which a
 * content script never reaches (its `indexedDB` is the page's), and leave only a token-free shadow
 * in `storage.local` (lib/extension/token-vault.ts).
 *
 * Each check runs in the content script's world on a console page (`scripting.executeScript` from
 * an extension page, which Firefox runs in that tab's content-script sandbox: the test checks the
 * content script's own hand-off global is there) and reads everything it can: all of
 * `storage.local`, `storage.session` if it has one, and the IndexedDB it sees.
 * (1) A token stored in `storage.local` the old way (a profile from before the vault) is moved out
 *     of it the first time the extension reads it, and still works: the popup is signed in.
 * (2) A token saved on the options page goes straight to the vault; the content script reads
 *     neither token, and the background still files requests with it.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import {
  BROKER_KEYS,
  requestAccessOn,
  seedFirefoxBrokerSettings,
  useFirefoxLoopE2E,
  waitForFirefoxCard,
  withLoopDiagnostics,
  type FirefoxLoopE2E,
} from './harness.ts';

let loop: FirefoxLoopE2E;
useFirefoxLoopE2E((l) => (loop = l), { seedToken: false });

interface ContentScriptView {
  /** The content script's hand-off global (lib/content/handoff.ts): proves this is its world. */
  handOff: string;
  local: string;
  session: string;
  databases: string;
  vaultDb: string;
}

/** Everything the content script can read where a token might be. */
const CONTENT_SCRIPT_PROBE = `(async () => {
  const api = globalThis.browser ?? globalThis.chrome;
  const text = (p) => p.then((v) => JSON.stringify(v), (e) => 'refused: ' + String((e && e.message) || e));
  return {
    handOff: typeof globalThis.__unblock,
    local: await text(api.storage.local.get(null)),
    session: api.storage.session ? await text(api.storage.session.get(null)) : 'no storage.session',
    databases: await text(indexedDB.databases()),
    vaultDb: await new Promise((resolve) => {
      const open = indexedDB.open('unblock-vault');
      open.onupgradeneeded = () => {
        open.transaction.abort();
        resolve('absent');
      };
      open.onerror = () => resolve('absent');
      open.onsuccess = () => {
        resolve('present: ' + [...open.result.objectStoreNames].join(','));
        open.result.close();
      };
    }),
  };
})()`;

/** The vault's contents, read from an extension page (a trusted context). */
const VAULT_CONTENTS = `new Promise((resolve, reject) => {
  const open = indexedDB.open('unblock-vault');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('secrets')) return resolve({});
    const store = db.transaction('secrets').objectStore('secrets');
    const keys = store.getAllKeys();
    const values = store.getAll();
    values.onsuccess = () => resolve(Object.fromEntries(keys.result.map((k, i) => [k, values.result[i]])));
  };
})`;

async function contentScriptView(page: Page): Promise<ContentScriptView> {
  const view = (await loop.evaluateInContentScript(page, CONTENT_SCRIPT_PROBE)) as ContentScriptView;
  expect(view.handOff, 'evaluated in the content script’s world').toBe('object');
  return view;
}

function expectNoToken(view: ContentScriptView, ...tokens: string[]): void {
  const all = JSON.stringify(view);
  for (const token of tokens) expect(all).not.toContain(token);
  expect(view.vaultDb).toBe('absent');
  expect(view.databases).not.toContain('unblock-vault');
}

describe('Firefox: tokens stay out of the content script’s reach', () => {
  it('(1) a token stored the old way moves out of storage.local and keeps working', async () => {
    const page = await loop.open(SIM_URLS.lambdaFunctions);
    const pages: Page[] = [page];
    await withLoopDiagnostics(loop, 'firefox-tokens-legacy', pages, async () => {
      await waitForFirefoxCard(page, /lambda:ListFunctions/);
      // A profile from before the vault: the token straight in storage.local.
      await loop.inExtensionPage(
        `browser.storage.local.set(${JSON.stringify({
          [BROKER_KEYS.url]: loop.broker.url,
          [BROKER_KEYS.token]: loop.tokens.alice,
        })})`,
      );

      // The popup reads the settings (which moves the token) and is signed in with it.
      const popup = await loop.openExtensionPage('popup.html');
      pages.push(popup);
      await popup.waitForFunction(() => document.body.innerText.includes('Alice (engineer)'), {
        timeout: 30_000,
        polling: 250,
      });
      await popup.close();

      const view = await contentScriptView(page);
      // The content script can read storage.local (the broker URL is there), but no token.
      expect(view.local).toContain(loop.broker.url);
      expect(view.local).toContain(BROKER_KEYS.token); // the shadow, not the token
      expectNoToken(view, loop.tokens.alice);
      // The token is in the vault, where the extension's pages read it.
      expect(await loop.inExtensionPage(VAULT_CONTENTS)).toEqual({ [BROKER_KEYS.token]: loop.tokens.alice });
    });
  }, 120_000);

  it('(2) a token saved on the options page goes to the vault; the background files with it', async () => {
    const fresh = (await loop.broker.createApiToken('alice', 3_600_000, 'firefox-options')).token;
    expect(await seedFirefoxBrokerSettings(loop, loop.broker.url, fresh)).toBe('Connected as alice');
    const page = await loop.open(SIM_URLS.lambdaFunctions);
    await withLoopDiagnostics(loop, 'firefox-tokens-options', [page], async () => {
      const card = await waitForFirefoxCard(page, /lambda:ListFunctions/);
      expectNoToken(await contentScriptView(page), fresh, loop.tokens.alice);
      expect(await loop.inExtensionPage(VAULT_CONTENTS)).toEqual({ [BROKER_KEYS.token]: fresh });

      // Filing from the banner: the background reads the token from the vault.
      await requestAccessOn(card, 'Firefox E2E: list the production functions');
      await waitForFirefoxCard(page, /Waiting for approval from bob or dave/, 30_000);
    });
  }, 120_000);
});
