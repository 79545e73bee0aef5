/**
 * Real-browser test harness: vitest hooks around the browser driver of sim/browser (the simulated
 * consoles, Chromium with the built extension, the whole demo loop), failure diagnostics and
 * screenshots. The driver itself is shared with `npm start` and the benchmarks.
 *
 * The banner lives in a CLOSED shadow root: `>>>` piercing finds nothing. Everything here reads it
 * through the accessibility tree (`::-p-aria(...)` selectors, `page.accessibility.snapshot`), which
 * includes closed shadow content, or through CDP `DOM.getDocument({ pierce: true })`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Page } from 'puppeteer-core';
import { ROOT } from '../../sim/browser/chromium.ts';
import {
  startDemoLoop,
  type DemoLoop,
  type DemoLoopOptions,
  type DemoUser,
  type FirefoxDemoLoop,
} from '../../sim/browser/loop.ts';
import {
  startFirefoxExtensionBrowser,
  type FirefoxBrowserOptions,
  type FirefoxExtensionBrowser,
} from '../../sim/browser/firefox-session.ts';
import {
  seedBrokerSettings,
  startExtensionBrowser,
  type ExtensionBrowser,
  type ExtensionBrowserOptions,
} from '../../sim/browser/session.ts';

export * from '../../sim/browser/banner.ts';
export * from '../../sim/browser/pages.ts';
export { waitFor } from '../../sim/browser/wait.ts';
export {
  BROKER_KEYS,
  chromiumPath,
  ensureExtensionBuilt,
  EXT_DIR,
  ROOT,
} from '../../sim/browser/chromium.ts';
export { callBroker, type DemoUser } from '../../sim/browser/loop.ts';
export {
  optionsUrl,
  popupUrl,
  seedBrokerSettings,
  sidepanelUrl,
  type DraftRecord,
} from '../../sim/browser/session.ts';
// The tests' names for the driver's sessions.
export { startExtensionBrowser as startE2E, startDemoLoop as startLoopE2E };
export type E2E = ExtensionBrowser;
export type LoopE2E = DemoLoop;
export type StartOptions = ExtensionBrowserOptions;

export const ARTIFACTS_DIR = path.join(ROOT, 'tests', 'artifacts');
export const SCREENSHOTS_DIR = path.join(ARTIFACTS_DIR, 'screenshots');
export const DOCS_SCREENSHOTS_DIR = path.join(ROOT, 'docs', 'screenshots');

/**
 * Registers beforeAll/afterAll for one session per test file. afterAll also waits for a start that
 * outlived beforeAll's timeout, so its browser, server and temp dirs are still cleaned up.
 */
export function useE2E(opts: ExtensionBrowserOptions, onReady: (e2e: E2E) => void): void {
  let pending: Promise<E2E> | null = null;
  beforeAll(async () => {
    pending = startExtensionBrowser(opts);
    onReady(await pending);
  });
  afterAll(async () => {
    const session = await pending?.catch(() => null);
    await session?.close();
  });
}

// ---------------------------------------------------------------------------------------------
// Artefacts

export function artifactName(name: string): string {
  return name.replace(/[^a-z0-9._-]+/gi, '-').replace(/^-|-$/g, '');
}

/** Saves a viewport screenshot to tests/artifacts/screenshots/<name>.png and returns the path. */
export async function saveScreenshot(page: Page, name: string, { fullPage = false } = {}): Promise<string> {
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const file = path.join(SCREENSHOTS_DIR, `${artifactName(name)}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

/**
 * Copies a screenshot to docs/screenshots/<name>.png (committed, shown in the README) when the
 * file is missing or UNBLOCK_UPDATE_DOCS_SCREENSHOTS=1, so ordinary test runs leave the tree clean.
 */
export function publishScreenshot(
  file: string,
  name: 'aws' | 'azure' | 'gcp' | 'banner' | 'popup' | 'sidebar' | 'options',
): string | null {
  const dest = path.join(DOCS_SCREENSHOTS_DIR, `${name}.png`);
  if (fs.existsSync(dest) && process.env.UNBLOCK_UPDATE_DOCS_SCREENSHOTS !== '1') return null;
  fs.mkdirSync(DOCS_SCREENSHOTS_DIR, { recursive: true });
  fs.copyFileSync(file, dest);
  return dest;
}

/** `useE2E` for the loop: one loop session per test file. */
export function useLoopE2E(
  onReady: (loop: LoopE2E) => void,
  options?: DemoLoopOptions & { browser?: 'chromium' },
): void {
  let pending: Promise<LoopE2E> | null = null;
  beforeAll(async () => {
    pending = startDemoLoop(options);
    onReady(await pending);
  });
  afterAll(async () => {
    const session = await pending?.catch(() => null);
    await session?.close();
  });
}

/**
 * Runs a loop test's body over the pages it opens (it pushes them into `pages` as it goes). On
 * failure: a screenshot of each page still open, what `extra` adds, and the tail of the broker's
 * log, then the error again. The pages are closed either way.
 */
export async function withLoopDiagnostics<T>(
  loop: Pick<LoopE2E, 'browser' | 'brokerLog'>,
  name: string,
  pages: Page[],
  body: () => Promise<T>,
  extra?: (page: Page) => Promise<string | null>,
): Promise<T> {
  try {
    return await body();
  } catch (err) {
    for (const [i, p] of pages.entries()) {
      if (p.isClosed()) continue;
      await saveScreenshot(p, `FAILED-${name}-${i}`).catch(() => undefined);
      const more = await extra?.(p).catch(() => null);
      if (more) console.error(`${name}, page ${i}:\n${more}`);
    }
    const targets = loop.browser.targets().map((t) => `${t.type()} ${t.url()}`);
    console.error(`browser targets (${name}):\n${targets.join('\n')}`);
    console.error(`broker log (${name}):\n${loop.brokerLog.slice(-40).join('\n')}`);
    throw err;
  } finally {
    for (const p of pages) await p.close().catch(() => undefined);
  }
}

/**
 * A second browser for an approver, seeded with the loop broker and that user's token. Call after
 * `useLoopE2E` in the same file, so the broker exists when this one starts.
 */
export function useApproverBrowser(
  user: DemoUser,
  loop: () => LoopE2E,
  onReady: (approver: E2E) => void,
): void {
  let pending: Promise<E2E> | null = null;
  beforeAll(async () => {
    pending = startExtensionBrowser();
    const approver = await pending;
    await seedBrokerSettings(approver, loop().broker.url, loop().tokens[user]);
    onReady(approver);
  });
  afterAll(async () => {
    const session = await pending?.catch(() => null);
    await session?.close();
  });
}

// ---------------------------------------------------------------------------------------------
// Firefox (firefox-esr over WebDriver BiDi; sim/browser/firefox*.ts)

export * from '../../sim/browser/firefox-banner.ts';
export { firefoxExtensionUrl, FIREFOX_EXTENSION_UUID } from '../../sim/browser/firefox.ts';
export { seedFirefoxBrokerSettings } from '../../sim/browser/firefox-session.ts';
export type FirefoxE2E = FirefoxExtensionBrowser;
export type FirefoxLoopE2E = FirefoxDemoLoop;

/** `useE2E` in Firefox: one Firefox session per test file. */
export function useFirefoxE2E(opts: FirefoxBrowserOptions, onReady: (e2e: FirefoxE2E) => void): void {
  let pending: Promise<FirefoxE2E> | null = null;
  beforeAll(async () => {
    pending = startFirefoxExtensionBrowser(opts);
    onReady(await pending);
  });
  afterAll(async () => {
    const session = await pending?.catch(() => null);
    await session?.close();
  });
}

/** `useLoopE2E` in Firefox: one loop session per test file. */
export function useFirefoxLoopE2E(
  onReady: (loop: FirefoxLoopE2E) => void,
  options: Omit<DemoLoopOptions, 'browser'> = {},
): void {
  let pending: Promise<FirefoxLoopE2E> | null = null;
  beforeAll(async () => {
    pending = startDemoLoop({ ...options, browser: 'firefox' });
    onReady(await pending);
  });
  afterAll(async () => {
    const session = await pending?.catch(() => null);
    await session?.close();
  });
}
