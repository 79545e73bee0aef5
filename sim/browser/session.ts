/**
 * One browser session over the simulated consoles: the consoles on a free port, Chromium (new
 * headless) with a private copy of the built extension, and the calls tests and benchmarks make
 * on it (open a page, reach the service worker, read the drafts it stored, its own pages' URLs).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page, WebWorker } from 'puppeteer-core';
import type { DemoClouds } from '../clouds/demo.ts';
import { hostResolverRules, startConsoles, type RunningConsoles } from '../consoles/server.ts';
import {
  ensureExtensionBuilt,
  extensionIdOf,
  extensionServiceWorker,
  launchChromium,
  seedBrokerSettingsIn,
} from './chromium.ts';

/** A draft the background stores in IndexedDB `unblock` / `drafts`. */
export interface DraftRecord {
  id: string;
  createdAt: number | string;
  status: string;
  request: {
    target: { cloud: string; account: string | null };
    actions: string[];
    resource: string | null;
    durationMinutes: number;
    justification: string;
    denial: Record<string, unknown>;
    pageUrl: string;
  };
}

export interface ExtensionBrowser {
  browser: Browser;
  consoles: RunningConsoles;
  /** Null when started with `{ extension: false }`. */
  extensionId: string | null;
  /** Opens a tab (1280x800) and navigates; waits for `load`. */
  open(url: string): Promise<Page>;
  /** The extension's service worker (re-acquired on each call: MV3 workers come and go). */
  serviceWorker(): Promise<WebWorker>;
  /** All records of IndexedDB `unblock` / `drafts` ([] when the db or store does not exist yet). */
  readDrafts(): Promise<DraftRecord[]>;
  /** Errors thrown by page scripts (sim pages and content scripts report here too). */
  pageErrors: string[];
  close(): Promise<void>;
}

export interface ExtensionBrowserOptions {
  /** Load the built extension (default true). */
  extension?: boolean;
  /** Start the consoles with the demo's cloud fakes: they honour grants and serve AWS sign-in. */
  clouds?: DemoClouds;
}

export async function startExtensionBrowser({
  extension = true,
  clouds,
}: ExtensionBrowserOptions = {}): Promise<ExtensionBrowser> {
  const cleanups: Array<() => unknown> = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        console.warn('browser session cleanup:', err);
      }
    }
  };
  try {
    // Load a private copy of the build: other work may rebuild .output while the browser runs.
    let extDir: string | null = null;
    if (extension) {
      const built = await ensureExtensionBuilt();
      const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-ext-'));
      cleanups.push(() => fs.rmSync(copy, { recursive: true, force: true }));
      fs.cpSync(built, copy, { recursive: true });
      extDir = copy;
    }
    const consoles = await startConsoles({ port: 0, ...(clouds ? { clouds } : {}) });
    cleanups.push(() => consoles.close());

    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-profile-'));
    cleanups.push(() => fs.rmSync(profile, { recursive: true, force: true }));
    const browser = await launchChromium({
      extensionDir: extDir,
      hostResolverRules: hostResolverRules(consoles.port),
      userDataDir: profile,
      headless: true,
    });
    // Before removing the profile: the browser must be gone.
    cleanups.push(() => browser.close());
    const extensionId = extDir ? await extensionIdOf(browser) : null;

    const pageErrors: string[] = [];
    const serviceWorker = (): Promise<WebWorker> => {
      if (!extensionId) throw new Error('started without the extension');
      return extensionServiceWorker(browser, extensionId);
    };
    const readDrafts = async (): Promise<DraftRecord[]> => {
      const worker = await serviceWorker();
      return worker.evaluate(readDraftsInWorker);
    };
    const open = async (url: string): Promise<Page> => {
      const page = await browser.newPage();
      page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${String(err)}`));
      await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
      return page;
    };
    return { browser, consoles, extensionId, open, serviceWorker, readDrafts, pageErrors, close: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Sets the extension's broker URL and API token through its service worker. */
export async function seedBrokerSettings(
  session: ExtensionBrowser,
  brokerUrl: string,
  token: string,
): Promise<void> {
  await seedBrokerSettingsIn(await session.serviceWorker(), brokerUrl, token);
}

/**
 * Runs INSIDE the service worker (or, in Firefox, an extension page: same origin, same database).
 * Never creates the db: an upgrade is aborted.
 */
export async function readDraftsInWorker(): Promise<DraftRecord[]> {
  if (typeof indexedDB.databases === 'function') {
    const dbs = await indexedDB.databases();
    if (!dbs.some((d) => d.name === 'unblock')) return [];
  }
  return new Promise<DraftRecord[]>((resolve, reject) => {
    const req = indexedDB.open('unblock');
    req.onupgradeneeded = () => req.transaction?.abort();
    req.onerror = () => resolve([]);
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('drafts')) {
        db.close();
        resolve([]);
        return;
      }
      const get = db.transaction('drafts', 'readonly').objectStore('drafts').getAll();
      get.onsuccess = () => {
        db.close();
        resolve(get.result as DraftRecord[]);
      };
      get.onerror = () => {
        db.close();
        reject(new Error(String(get.error)));
      };
    };
  });
}

/** The extension's side panel page, opened as an ordinary tab. */
export function sidepanelUrl(session: ExtensionBrowser): string {
  if (!session.extensionId) throw new Error('started without the extension');
  return `chrome-extension://${session.extensionId}/sidepanel.html`;
}

/** The extension's popup page, opened as an ordinary tab. */
export function popupUrl(session: ExtensionBrowser): string {
  if (!session.extensionId) throw new Error('started without the extension');
  return `chrome-extension://${session.extensionId}/popup.html`;
}

/** The extension's options page, opened as an ordinary tab. */
export function optionsUrl(session: ExtensionBrowser): string {
  if (!session.extensionId) throw new Error('started without the extension');
  return `chrome-extension://${session.extensionId}/options.html`;
}

/** The browser type, for callers that hold one without importing puppeteer. */
export type { Browser };
