/**
 * One Firefox session over the simulated consoles, the Firefox twin of session.ts: the consoles on
 * a free port, the proxy that routes their hostnames (console-proxy.ts), firefox-esr (headless)
 * with a private copy of the built Firefox extension, and the calls tests make on it.
 *
 * Firefox has no extension service worker to evaluate in: whatever the Chromium driver does in
 * the worker, this one does in a short-lived tab on the extension's options page (same origin,
 * same APIs, same IndexedDB): reading the drafts, running code in a tab's content-script world
 * (`scripting.executeScript`, which Firefox runs in the extension's content-script sandbox of that
 * tab), and configuring the broker the way a person does, on that page.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import type { DemoClouds } from '../clouds/demo.ts';
import { startConsoles, type RunningConsoles } from '../consoles/server.ts';
import { navigateWithoutWaiting } from './bidi-internals.ts';
import { startConsoleProxy, type ConsoleProxy } from './console-proxy.ts';
import {
  DEFAULT_FIREFOX_BUILD,
  ensureFirefoxBuilt,
  FIREFOX_EXTENSION_UUID,
  firefoxExtensionUrl,
  launchFirefox,
  type FirefoxBuild,
} from './firefox.ts';
import { readDraftsInWorker, type DraftRecord } from './session.ts';

export interface FirefoxExtensionBrowser {
  browser: Browser;
  consoles: RunningConsoles;
  proxy: ConsoleProxy;
  build: FirefoxBuild;
  /** The moz-extension:// UUID; null when started with `{ extension: false }`. */
  extensionId: string | null;
  /** Opens a tab (1280x800) and navigates; waits for `load`. */
  open(url: string): Promise<Page>;
  /** Opens one of the extension's pages (`popup.html`, `sidepanel.html`, `options.html`) as a tab. */
  openExtensionPage(pagePath: string): Promise<Page>;
  /**
   * Evaluates `expression` (its promise awaited) in a tab on the extension's options page, closed
   * afterwards: the WebExtension API (`browser.*`) and the extension's IndexedDB are there.
   */
  inExtensionPage<T>(expression: string): Promise<T>;
  /** All records of IndexedDB `unblock` / `drafts` ([] when the db or store does not exist yet). */
  readDrafts(): Promise<DraftRecord[]>;
  /**
   * Evaluates `expression` (its promise awaited) in the extension's content-script world on
   * `page` and returns its JSON value. For checking what a content script can and cannot do.
   */
  evaluateInContentScript(page: Page, expression: string): Promise<unknown>;
  /** Errors thrown by page scripts. */
  pageErrors: string[];
  close(): Promise<void>;
}

export interface FirefoxBrowserOptions {
  /** Install the built extension (default true). */
  extension?: boolean;
  /** Start the consoles with the demo's cloud fakes (they honour grants, serve AWS sign-in). */
  clouds?: DemoClouds;
  /** Which Firefox build (default MV2, or UNBLOCK_FIREFOX_BUILD). */
  build?: FirefoxBuild;
  headless?: boolean;
}

/** The build the tests load: UNBLOCK_FIREFOX_BUILD=firefox-mv3 tries the other one. */
export function firefoxBuildFromEnv(): FirefoxBuild {
  return process.env.UNBLOCK_FIREFOX_BUILD === 'firefox-mv3' ? 'firefox-mv3' : DEFAULT_FIREFOX_BUILD;
}

export async function startFirefoxExtensionBrowser({
  extension = true,
  clouds,
  build = firefoxBuildFromEnv(),
  headless = true,
}: FirefoxBrowserOptions = {}): Promise<FirefoxExtensionBrowser> {
  const cleanups: Array<() => unknown> = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        console.warn('firefox session cleanup:', err);
      }
    }
  };
  try {
    // A private copy of the build: other work may rebuild .output while the browser runs.
    let extDir: string | null = null;
    if (extension) {
      const built = await ensureFirefoxBuilt(build);
      const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-ext-firefox-'));
      cleanups.push(() => fs.rmSync(copy, { recursive: true, force: true }));
      fs.cpSync(built, copy, { recursive: true });
      extDir = copy;
    }
    const consoles = await startConsoles({ port: 0, ...(clouds ? { clouds } : {}) });
    cleanups.push(() => consoles.close());
    const proxy = await startConsoleProxy(consoles.port);
    cleanups.push(() => proxy.close());
    // puppeteer makes (and removes) a temporary profile with these preferences.
    const browser = await launchFirefox({ extensionDir: extDir, pac: proxy.pac, headless });
    cleanups.push(() => browser.close());
    return firefoxSession({ browser, consoles, proxy, build, extension: !!extDir, close: cleanup });
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function firefoxSession(parts: {
  browser: Browser;
  consoles: RunningConsoles;
  proxy: ConsoleProxy;
  build: FirefoxBuild;
  extension: boolean;
  close: () => Promise<void>;
}): FirefoxExtensionBrowser {
  const { browser } = parts;
  const pageErrors: string[] = [];
  const newTab = async () => {
    const page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${String(err)}`));
    return page;
  };
  const requireExtension = () => {
    if (!parts.extension) throw new Error('started without the extension');
  };

  const openExtensionPage = async (pagePath: string): Promise<Page> => {
    requireExtension();
    const url = firefoxExtensionUrl(pagePath);
    const page = await newTab();
    try {
      await navigateWithoutWaiting(page, url);
      await page.waitForFunction(
        (u) => location.href === u && document.readyState === 'complete',
        { timeout: 15_000, polling: 100 },
        url,
      );
      return page;
    } catch (err) {
      await page.close().catch(() => undefined);
      throw err;
    }
  };

  const inExtensionPage = async <T>(expression: string): Promise<T> => {
    const page = await openExtensionPage('options.html');
    try {
      return (await page.evaluate(expression)) as T;
    } finally {
      await page.close().catch(() => undefined);
    }
  };

  return {
    browser,
    consoles: parts.consoles,
    proxy: parts.proxy,
    build: parts.build,
    extensionId: parts.extension ? FIREFOX_EXTENSION_UUID : null,
    pageErrors,
    async open(url) {
      const page = await newTab();
      await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
      return page;
    },
    openExtensionPage,
    inExtensionPage,
    async readDrafts() {
      return inExtensionPage<DraftRecord[]>(`(${readDraftsInWorker.toString()})()`);
    },
    async evaluateInContentScript(page, expression) {
      return inExtensionPage(inContentScriptOf(page.url(), expression));
    },
    close: parts.close,
  };
}

/**
 * The extension-page code that runs `expression` in the content-script world of the one tab at
 * `tabUrl` and answers its value (or throws its error).
 */
function inContentScriptOf(tabUrl: string, expression: string): string {
  return `(async () => {
    const tabs = (await browser.tabs.query({})).filter((t) => t.url === ${JSON.stringify(tabUrl)});
    if (tabs.length !== 1) throw new Error(tabs.length + ' tabs at ' + ${JSON.stringify(tabUrl)});
    const [injected] = await browser.scripting.executeScript({
      target: { tabId: tabs[0].id },
      func: async () => (${expression}),
    });
    if (injected.error) throw injected.error;
    return injected.result;
  })()`;
}

/**
 * Configures the broker as a person does: on the options page, the broker URL and an API token,
 * Save, and wait for "Connected as …" (the token works).
 */
export async function seedFirefoxBrokerSettings(
  session: FirefoxExtensionBrowser,
  brokerUrl: string,
  token: string,
): Promise<string> {
  const page = await session.openExtensionPage('options.html');
  try {
    const url = await page.waitForSelector('#broker-url', { visible: true, timeout: 10_000 });
    // Whatever was there (a saved URL) goes: select it all and type over it.
    await url!.click({ count: 3 });
    await url!.type(brokerUrl);
    await page.type('#api-token', token);
    await page.click('button[type="submit"]');
    const status = await page.waitForFunction(
      () => {
        const text = document.querySelector('p.connection')?.textContent ?? '';
        return /^(Connected as|Not connected)/.test(text) ? text : null;
      },
      { timeout: 15_000, polling: 100 },
    );
    const text = String(await status.jsonValue());
    if (!text.startsWith('Connected as')) throw new Error(`options page: ${text}`);
    return text;
  } finally {
    await page.close().catch(() => undefined);
  }
}
