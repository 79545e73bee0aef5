/**
 * Real-browser harness: the simulated consoles (sim/consoles) on a free port, Debian Chromium (new
 * headless) with the built extension (.output/chrome-mv3) loaded unpacked, and the console hostnames
 * mapped to the sim with --host-resolver-rules so the real manifest match patterns apply.
 *
 * The banner lives in a CLOSED shadow root: `>>>` piercing finds nothing. Everything here reads it
 * through the accessibility tree (`::-p-aria(...)` selectors, `page.accessibility.snapshot`), which
 * includes closed shadow content, or through CDP `DOM.getDocument({ pierce: true })`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import puppeteer, { TargetType } from 'puppeteer-core';
import { afterAll, beforeAll } from 'vitest';
import type { Browser, ElementHandle, Page, SerializedAXNode, WebWorker } from 'puppeteer-core';
import { hostResolverRules, startConsoles } from '../../sim/consoles/server.ts';
import type { RunningConsoles } from '../../sim/consoles/server.ts';
import type { DemoClouds } from '../../sim/clouds/demo.ts';
import type { RunningBroker } from '../../server/main.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const EXT_DIR = path.join(ROOT, '.output', 'chrome-mv3');
export const ARTIFACTS_DIR = path.join(ROOT, 'tests', 'artifacts');
export const SCREENSHOTS_DIR = path.join(ARTIFACTS_DIR, 'screenshots');
export const DOCS_SCREENSHOTS_DIR = path.join(ROOT, 'docs', 'screenshots');

/** The agreed banner interface (see the extension's components). */
export const BANNER = {
  hostTag: 'unblock-banner',
  regionName: 'Unblock: access denied',
  request: 'Request access',
  dismiss: 'Dismiss',
  duration: 'Duration',
  justification: 'Justification',
  saved: 'Request saved',
} as const;

/** A fixed wait for the page (and the extension) to go quiet before asserting absence. */
export const SETTLE_MS = 1500;

const aria = (name: string, role?: string): string =>
  `::-p-aria([name=${JSON.stringify(name)}]${role ? `[role=${JSON.stringify(role)}]` : ''})`;
export const SEL = {
  card: aria(BANNER.regionName, 'region'),
  request: aria(BANNER.request, 'button'),
  dismiss: aria(BANNER.dismiss, 'button'),
  justification: aria(BANNER.justification, 'textbox'),
  duration: aria(BANNER.duration, 'combobox'),
} as const;

// ---------------------------------------------------------------------------------------------
// Build

const execFileP = promisify(execFile);

/**
 * Makes sure .output/chrome-mv3 exists (builds it with `npx wxt build` when the manifest is missing,
 * or always when UNBLOCK_E2E_BUILD=1). `npm test` builds before running vitest, so this is for
 * running the e2e project on its own.
 */
export async function ensureExtensionBuilt(): Promise<string> {
  const manifest = path.join(EXT_DIR, 'manifest.json');
  if (process.env.UNBLOCK_E2E_BUILD === '1' || !fs.existsSync(manifest)) {
    await execFileP('npx', ['wxt', 'build'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 180_000 });
    if (!fs.existsSync(manifest)) throw new Error(`wxt build did not produce ${manifest}`);
  }
  return EXT_DIR;
}

export function chromiumPath(): string {
  const candidates = [process.env.PUPPETEER_EXECUTABLE_PATH, process.env.CHROMIUM_PATH, '/usr/bin/chromium'];
  const found = candidates.find((p): p is string => !!p && fs.existsSync(p));
  if (!found)
    throw new Error(`No Chromium found (tried ${candidates.filter(Boolean).join(', ')}); set CHROMIUM_PATH`);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Session

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

export interface E2E {
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

export interface StartOptions {
  /** Load the built extension (default true). */
  extension?: boolean;
  /** Start the consoles with the demo's cloud fakes: they honour grants and serve AWS sign-in. */
  clouds?: DemoClouds;
}

export async function startE2E({ extension = true, clouds }: StartOptions = {}): Promise<E2E> {
  const cleanups: Array<() => unknown> = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        console.warn('e2e cleanup:', err);
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

    const args = [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-features=Translate,MediaRouter,OptimizationHints',
      `--host-resolver-rules=${hostResolverRules(consoles.port)}`,
      '--ignore-certificate-errors',
      '--window-size=1280,800',
      ...(extDir ? [`--load-extension=${extDir}`, `--disable-extensions-except=${extDir}`] : []),
    ];
    const browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      headless: true,
      userDataDir: profile,
      ignoreDefaultArgs: ['--disable-extensions'],
      args,
      defaultViewport: { width: 1280, height: 800 },
      acceptInsecureCerts: true,
      protocolTimeout: 60_000,
    });
    // Before removing the profile: the browser must be gone.
    cleanups.push(() => browser.close());

    let extensionId: string | null = null;
    if (extDir) {
      const sw = await browser.waitForTarget(
        (t) => t.type() === TargetType.SERVICE_WORKER && t.url().startsWith('chrome-extension://'),
        { timeout: 15_000 },
      );
      extensionId = new URL(sw.url()).host;
    }

    const pageErrors: string[] = [];

    const serviceWorker = async (): Promise<WebWorker> => {
      if (!extensionId) throw new Error('started without the extension');
      const prefix = `chrome-extension://${extensionId}/`;
      const target = await browser.waitForTarget(
        (t) => t.type() === TargetType.SERVICE_WORKER && t.url().startsWith(prefix),
        {
          timeout: 10_000,
        },
      );
      // A worker that has just started (or restarted) can be evaluated in before the extension
      // APIs are bound to its global; wait until chrome.storage is there (CI saw it undefined).
      const deadline = Date.now() + 10_000;
      for (;;) {
        const worker = await target.worker();
        if (!worker) throw new Error('service worker target has no worker');
        const ready = await worker
          .evaluate(() => {
            const g = globalThis as unknown as { chrome?: { storage?: { local?: unknown } } };
            return !!g.chrome?.storage?.local;
          })
          .catch(() => false);
        if (ready) return worker;
        if (Date.now() > deadline) throw new Error('extension service worker never exposed chrome.storage');
        await new Promise((r) => setTimeout(r, 100));
      }
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

    return {
      browser,
      consoles,
      extensionId,
      open,
      serviceWorker,
      readDrafts,
      pageErrors,
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * Registers beforeAll/afterAll for one session per test file. afterAll also waits for a start that
 * outlived beforeAll's timeout, so its browser, server and temp dirs are still cleaned up.
 */
export function useE2E(opts: StartOptions, onReady: (e2e: E2E) => void): void {
  let pending: Promise<E2E> | null = null;
  beforeAll(async () => {
    pending = startE2E(opts);
    onReady(await pending);
  });
  afterAll(async () => {
    const session = await pending?.catch(() => null);
    await session?.close();
  });
}

/** Runs INSIDE the service worker. Never creates the db: an upgrade is aborted. */
async function readDraftsInWorker(): Promise<DraftRecord[]> {
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

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Polls until `fn` returns a truthy value (returned) or the timeout passes (throws). */
export async function waitFor<T>(
  fn: () => Promise<T> | T,
  { timeout = 5000, interval = 100, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${errText(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

// ---------------------------------------------------------------------------------------------
// Banner

export interface BannerCard {
  handle: ElementHandle<Element>;
  /** Every accessible name / value inside the card, one per line (what a screen reader reads). */
  text: string;
  /** Accessible names of the card's buttons. */
  buttons: string[];
  /** role:name of the card's form fields. */
  fields: string[];
  tree: SerializedAXNode | null;
}

function flattenAx(
  node: SerializedAXNode | null | undefined,
  out: { text: string[]; buttons: string[]; fields: string[] },
) {
  if (!node) return;
  if (node.role !== 'InlineTextBox') {
    for (const v of [node.name, node.value, node.description]) {
      if (v !== undefined && v !== '' && out.text[out.text.length - 1] !== String(v))
        out.text.push(String(v));
    }
  }
  if (node.role === 'button' && node.name) out.buttons.push(node.name);
  if (['textbox', 'combobox', 'listbox', 'checkbox', 'radio', 'spinbutton'].includes(node.role)) {
    out.fields.push(`${node.role}:${node.name ?? ''}`);
  }
  for (const c of node.children ?? []) flattenAx(c, out);
}

/** Reads a card's accessible content. */
export async function readCard(page: Page, handle: ElementHandle<Element>): Promise<BannerCard> {
  const tree = await page.accessibility.snapshot({ root: handle, interestingOnly: false });
  const out = { text: [] as string[], buttons: [] as string[], fields: [] as string[] };
  flattenAx(tree, out);
  return { handle, text: out.text.join('\n'), buttons: out.buttons, fields: out.fields, tree };
}

/**
 * The banner cards currently on the page (accessibility tree, so closed shadow roots are fine).
 * A card is a region named "Unblock: access denied"; when such a region groups several cards as
 * articles (one announced region for the whole stack), each article is a card.
 */
export async function readBanners(page: Page): Promise<BannerCard[]> {
  const regions = await page.$$(SEL.card);
  const cards: ElementHandle<Element>[] = [];
  for (const region of regions) {
    const articles = await region.$$(ARTICLE);
    if (articles.length) cards.push(...articles);
    else cards.push(region);
  }
  return Promise.all(cards.map((h) => readCard(page, h)));
}

const ARTICLE = '::-p-aria([role="article"])';

/** Waits until at least `count` cards are present (and, with `text`, one card matches it). */
export async function waitForBanners(
  page: Page,
  { count = 1, timeout = 8000, text }: { count?: number; timeout?: number; text?: RegExp } = {},
): Promise<BannerCard[]> {
  let last: BannerCard[] = [];
  const deadline = Date.now() + timeout;
  try {
    // Cheap first: the host element in the light DOM (accessibility queries are slow on big pages).
    await page.waitForFunction((tag) => !!document.querySelector(tag), { timeout }, BANNER.hostTag);
    return await waitFor(
      async () => {
        last = await readBanners(page);
        if (last.length < count) return null;
        if (text && !last.some((c) => text.test(c.text))) return null;
        return last;
      },
      {
        timeout: Math.max(deadline - Date.now(), 500),
        interval: 150,
        what: `${count} banner card(s)${text ? ` matching ${String(text)}` : ''}`,
      },
    );
  } catch (err) {
    const seen = last.map((c, i) => `--- card ${i + 1} ---\n${c.text}`).join('\n') || '(no cards)';
    const hosts = await countBannerHosts(page).catch(() => -1);
    throw new Error(`${errText(err)}\n<${BANNER.hostTag}> hosts: ${hosts}\n${seen}`, { cause: err });
  }
}

/**
 * Names of the extension's isolated worlds in the page's main frame (the content script's world is
 * named after the extension, "Unblock"). Empty when no content script was injected.
 */
export async function extensionWorlds(page: Page, extensionId: string): Promise<string[]> {
  const cdp = await page.createCDPSession();
  try {
    const names: string[] = [];
    cdp.on('Runtime.executionContextCreated', (e) => {
      if (e.context.origin === `chrome-extension://${extensionId}`) names.push(e.context.name);
    });
    // Enabling replays every existing context as executionContextCreated.
    await cdp.send('Runtime.enable');
    await new Promise((r) => setTimeout(r, 100));
    await cdp.send('Runtime.disable');
    return names;
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

export function countBannerHosts(page: Page): Promise<number> {
  return page.evaluate((tag) => document.querySelectorAll(tag).length, BANNER.hostTag);
}

/** After a fixed settle time: how many cards and banner hosts exist (both should be 0 on clean pages). */
export async function bannerPresenceAfterSettle(
  page: Page,
  settleMs = SETTLE_MS,
): Promise<{ cards: number; hosts: number }> {
  await new Promise((r) => setTimeout(r, settleMs));
  const cards = (await page.$$(SEL.card)).length;
  return { cards, hosts: await countBannerHosts(page) };
}

/**
 * All text inside the banner host(s), shadow content included, via CDP DOM with `pierce: true`
 * (works for closed roots). Includes text the accessibility tree may not expose (e.g. collapsed).
 */
export async function bannerDomText(page: Page): Promise<string> {
  const cdp = await page.createCDPSession();
  try {
    interface CdpNode {
      nodeType: number;
      nodeName: string;
      nodeValue: string;
      children?: CdpNode[];
      shadowRoots?: CdpNode[];
      contentDocument?: CdpNode;
    }
    const { root } = (await cdp.send('DOM.getDocument', { depth: -1, pierce: true })) as { root: CdpNode };
    const texts: string[] = [];
    const collect = (n: CdpNode) => {
      if (n.nodeName === 'STYLE' || n.nodeName === 'SCRIPT') return;
      if (n.nodeType === 3 && n.nodeValue.trim()) texts.push(n.nodeValue.trim());
      for (const c of [...(n.shadowRoots ?? []), ...(n.children ?? [])]) collect(c);
    };
    const find = (n: CdpNode) => {
      if (n.nodeName.toLowerCase() === BANNER.hostTag) return collect(n);
      for (const c of [
        ...(n.shadowRoots ?? []),
        ...(n.children ?? []),
        ...(n.contentDocument ? [n.contentDocument] : []),
      ])
        find(c);
    };
    find(root);
    return texts.join('\n');
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

/** The focused node inside the banner (accessibility tree), or null when focus is elsewhere. */
export async function focusedInBanner(page: Page): Promise<SerializedAXNode | null> {
  const host = await page.$(BANNER.hostTag);
  if (!host) return null;
  const tree = await page.accessibility.snapshot({ root: host, interestingOnly: false });
  const walk = (n: SerializedAXNode | null | undefined): SerializedAXNode | null => {
    if (!n) return null;
    if (n.focused && n.role !== 'RootWebArea') return n;
    for (const c of n.children ?? []) {
      const f = walk(c);
      if (f) return f;
    }
    return null;
  };
  return walk(tree);
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

/**
 * Clicks a control of the simulated console page itself (e.g. `#stop-instance`) with trusted input:
 * a mouse click at its centre, or focus + Enter when something (the banner) covers that point.
 */
export async function clickPageButton(page: Page, selector: string): Promise<void> {
  const el = await page.waitForSelector(selector, { visible: true, timeout: 5000 });
  if (!el) throw new Error(`no page control ${selector}`);
  await el.scrollIntoView();
  const box = await el.boundingBox();
  const uncovered =
    !!box &&
    (await el.evaluate(
      (node, x, y) => {
        const hit = document.elementFromPoint(x, y);
        return !!hit && (hit === node || node.contains(hit));
      },
      box.x + box.width / 2,
      box.y + box.height / 2,
    ));
  if (uncovered) {
    await el.click();
  } else {
    await el.focus();
    await page.keyboard.press('Enter');
  }
}

export { aria };

// ---------------------------------------------------------------------------------------------
// The whole loop: demo clouds + broker + consoles that honour grants + the extension

/** The storage.local keys the extension reads its broker from (lib/extension/settings.ts). */
export const BROKER_KEYS = { url: 'unblock.brokerUrl', token: 'unblock.apiToken' } as const;

/** Sets the extension's broker URL and API token through its service worker. */
export async function seedBrokerSettings(e2e: E2E, brokerUrl: string, token: string): Promise<void> {
  const worker = await e2e.serviceWorker();
  await worker.evaluate(
    async (keys, url, tok) => {
      interface Chrome {
        storage: { local: { set(items: Record<string, string>): Promise<void> } };
      }
      await (globalThis as unknown as { chrome: Chrome }).chrome.storage.local.set({
        [keys.url]: url,
        [keys.token]: tok,
      });
    },
    BROKER_KEYS,
    brokerUrl,
    token,
  );
}

export type DemoUser = 'alice' | 'bob' | 'dave' | 'carol';

export interface LoopE2E extends E2E {
  clouds: DemoClouds;
  broker: RunningBroker;
  /** API tokens of the demo users (alice's is the extension's). */
  tokens: Record<DemoUser, string>;
  /** Broker log lines (printed by the tests when something fails). */
  brokerLog: string[];
  /** Calls the broker API as a demo user. */
  api(
    user: DemoUser,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }>;
}

/**
 * Demo clouds (browser sign-in on signin.aws.amazon.com, 1 s propagation), the demo broker on
 * them (PGlite in memory), the consoles started with the clouds, Chromium with the extension,
 * and the extension configured with the broker URL and alice's token. With `seedToken: false`
 * the extension is left unconfigured (no broker URL, no token): for tests that sign in.
 */
export async function startLoopE2E({ seedToken = true }: { seedToken?: boolean } = {}): Promise<LoopE2E> {
  // Loaded here, not at the top: the other e2e files need none of the broker.
  const { demoConfig } = await import('../../server/config/demo.ts');
  const { startBroker } = await import('../../server/main.ts');
  const { startDemoClouds } = await import('../../sim/clouds/demo.ts');
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((e: unknown) => console.warn(e));
  };
  try {
    const clouds = await startDemoClouds(await demoConfig(), undefined, { browserSignin: true });
    cleanups.push(() => clouds.close());
    const brokerLog: string[] = [];
    const broker = await startBroker({
      demoClouds: clouds,
      dataDir: 'memory',
      port: 0,
      sweepMs: 250,
      // One clock for the broker and the clouds: a test that moves cloud time forward (a grant
      // expiring) moves the broker's with it.
      now: () => clouds.clock.now(),
      log: (line) => brokerLog.push(line),
    });
    cleanups.push(() => broker.close());
    const tokens = {} as Record<DemoUser, string>;
    for (const user of ['alice', 'bob', 'dave', 'carol'] as const) {
      // A day, so tests that move the clock past a grant's hour keep their tokens.
      tokens[user] = (await broker.createApiToken(user, 24 * 3_600_000, 'e2e')).token;
    }
    const e2e = await startE2E({ clouds });
    cleanups.push(() => e2e.close());
    if (seedToken) await seedBrokerSettings(e2e, broker.url, tokens.alice);
    const api: LoopE2E['api'] = (user, method, path, body) =>
      callBroker(broker.url, tokens[user], method, path, body);
    return { ...e2e, clouds, broker, tokens, brokerLog, api, close: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Calls the broker API (`/api/v1<path>`) with a bearer token; the answer as JSON, or as text. */
export async function callBroker(
  brokerUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${brokerUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, json };
}

/** `useE2E` for the loop: one loop session per test file. */
export function useLoopE2E(
  onReady: (loop: LoopE2E) => void,
  options?: Parameters<typeof startLoopE2E>[0],
): void {
  let pending: Promise<LoopE2E> | null = null;
  beforeAll(async () => {
    pending = startLoopE2E(options);
    onReady(await pending);
  });
  afterAll(async () => {
    const session = await pending?.catch(() => null);
    await session?.close();
  });
}

/** Waits until some banner card's accessible text matches `re`; returns that card. */
export async function waitForCard(page: Page, re: RegExp, timeout = 30_000): Promise<BannerCard> {
  let seen = '';
  try {
    return await waitFor(
      async () => {
        const cards = await readBanners(page);
        seen = cards.map((c) => c.text).join('\n---\n');
        return cards.find((c) => re.test(c.text)) ?? null;
      },
      { timeout, interval: 250, what: `a banner card matching ${String(re)}` },
    );
  } catch (err) {
    throw new Error(`${errText(err)}\ncards seen:\n${seen || '(none)'}`, { cause: err });
  }
}

/** On the card: types a justification and presses "Request access" with a real click. */
export async function requestAccessOn(card: BannerCard, justification: string): Promise<void> {
  const field = await card.handle.$(SEL.justification);
  const button = await card.handle.$(SEL.request);
  if (!field || !button) throw new Error(`the card has no request form:\n${card.text}`);
  await field.type(justification);
  await button.click();
}

/** Marks the current document, so that a reload (a new document) can be told apart from it. */
export function markDocument(page: Page): Promise<void> {
  return page.evaluate(() => {
    (window as unknown as { __e2eBeforeLanding?: boolean }).__e2eBeforeLanding = true;
  });
}

/**
 * Runs a loop test's body over the pages it opens (it pushes them into `pages` as it goes). On
 * failure: a screenshot of each page still open, what `extra` adds, and the tail of the broker's
 * log, then the error again. The pages are closed either way.
 */
export async function withLoopDiagnostics<T>(
  loop: LoopE2E,
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

/** Waits until the page marked by `markDocument` has been replaced by a loaded new document. */
export async function waitForReload(page: Page, timeout: number): Promise<void> {
  await page.waitForFunction(
    () =>
      document.readyState === 'complete' &&
      !(window as unknown as { __e2eBeforeLanding?: boolean }).__e2eBeforeLanding,
    { timeout, polling: 250 },
  );
}

/** The extension's side panel page, opened as an ordinary tab. */
export function sidepanelUrl(e2e: E2E): string {
  if (!e2e.extensionId) throw new Error('started without the extension');
  return `chrome-extension://${e2e.extensionId}/sidepanel.html`;
}

/** The extension's popup page, opened as an ordinary tab. */
export function popupUrl(e2e: E2E): string {
  if (!e2e.extensionId) throw new Error('started without the extension');
  return `chrome-extension://${e2e.extensionId}/popup.html`;
}

/** The extension's options page, opened as an ordinary tab. */
export function optionsUrl(e2e: E2E): string {
  if (!e2e.extensionId) throw new Error('started without the extension');
  return `chrome-extension://${e2e.extensionId}/options.html`;
}

/** The queue item (an `<li>` of the side panel's "Requests to decide") whose text contains `text`. */
export async function waitForQueueItem(
  page: Page,
  text: string,
  timeout: number,
): Promise<ElementHandle<Element>> {
  const handle = await page.waitForFunction(
    (t) =>
      [...document.querySelectorAll('ul[aria-label="Requests to decide"] > li')].find((li) =>
        li.textContent?.includes(t),
      ) ?? null,
    { timeout, polling: 250 },
    text,
  );
  const el = handle.asElement() as ElementHandle<Element> | null;
  if (!el) throw new Error('queue item is not an element');
  return el;
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
    pending = startE2E();
    const approver = await pending;
    await seedBrokerSettings(approver, loop().broker.url, loop().tokens[user]);
    onReady(approver);
  });
  afterAll(async () => {
    const session = await pending?.catch(() => null);
    await session?.close();
  });
}

/**
 * Evaluates `expression` in the extension's content-script world on `page` (the isolated
 * execution context Chromium created for the extension there, found over CDP) and returns its
 * JSON value; promises are awaited. For checking what a content script can and cannot do.
 */
export async function evaluateInContentScript(page: Page, expression: string): Promise<unknown> {
  const cdp = await page.createCDPSession();
  try {
    interface Context {
      id: number;
      name: string;
      auxData?: { type?: string };
    }
    const contexts: Context[] = [];
    cdp.on('Runtime.executionContextCreated', (e: { context: Context }) => contexts.push(e.context));
    await cdp.send('Runtime.enable');
    // Content scripts run top-frame only (no all_frames); the world is named after the extension.
    const ctx = await waitFor(
      () => contexts.find((c) => c.auxData?.type === 'isolated' && c.name === 'Unblock'),
      { timeout: 15_000, what: 'the extension’s content-script context' },
    );
    const r = await cdp.send('Runtime.evaluate', {
      expression,
      contextId: ctx.id,
      awaitPromise: true,
      returnByValue: true,
    });
    if (r.exceptionDetails) throw new Error(`in the content script: ${r.exceptionDetails.text}`);
    return r.result.value;
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}
