/**
 * Debian Chromium with the built extension (.output/chrome-mv3) loaded unpacked, the console
 * hostnames mapped to the simulated consoles with --host-resolver-rules so the manifest's real
 * match patterns apply. Shared by `npm start`, the real-browser tests and the benchmarks.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import puppeteer, { TargetType } from 'puppeteer-core';
import type { Browser, WebWorker } from 'puppeteer-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const EXT_DIR = path.join(ROOT, '.output', 'chrome-mv3');

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

export interface LaunchOptions {
  /** The unpacked extension to load; null for a browser without it. */
  readonly extensionDir: string | null;
  /** `--host-resolver-rules` mapping the console hosts to the simulated consoles. */
  readonly hostResolverRules: string;
  readonly userDataDir: string;
  /** New headless (tests, benchmarks) or a window (`npm start` with a display). */
  readonly headless: boolean;
  /** Leave SIGINT/SIGTERM to the caller, which closes everything in order (`npm start`). */
  readonly ownSignals?: boolean;
}

/**
 * Launches Chromium. The flags keep it off the network it cannot reach here (background
 * networking, component updates, sync) and accept the consoles' self-signed certificate;
 * `--no-sandbox` only where Chromium refuses to start without it (as root).
 */
export function launchChromium(options: LaunchOptions): Promise<Browser> {
  const ext = options.extensionDir;
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: options.headless,
    userDataDir: options.userDataDir,
    ...(options.ownSignals ? { handleSIGINT: false, handleSIGTERM: false } : {}),
    ignoreDefaultArgs: options.headless
      ? ['--disable-extensions']
      : ['--disable-extensions', '--enable-automation'],
    defaultViewport: options.headless ? { width: 1280, height: 800 } : null,
    acceptInsecureCerts: true,
    protocolTimeout: 60_000,
    args: [
      ...(options.headless || process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      ...(options.headless ? ['--disable-gpu', '--window-size=1280,800'] : []),
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-features=Translate,MediaRouter,OptimizationHints',
      `--host-resolver-rules=${options.hostResolverRules}`,
      '--ignore-certificate-errors',
      ...(ext ? [`--load-extension=${ext}`, `--disable-extensions-except=${ext}`] : []),
    ],
  });
}

/** The id of the extension loaded in `browser` (from its service worker's URL). */
export async function extensionIdOf(browser: Browser, timeout = 15_000): Promise<string> {
  const sw = await browser.waitForTarget(
    (t) => t.type() === TargetType.SERVICE_WORKER && t.url().startsWith('chrome-extension://'),
    { timeout },
  );
  return new URL(sw.url()).host;
}

/**
 * The extension's service worker, once its extension APIs are bound (re-acquired on each call: MV3
 * workers come and go). A worker that has just started can be evaluated in before `chrome.storage`
 * exists on its global (CI saw it undefined), so this waits for it.
 */
export async function extensionServiceWorker(browser: Browser, extensionId: string): Promise<WebWorker> {
  const prefix = `chrome-extension://${extensionId}/`;
  const target = await browser.waitForTarget(
    (t) => t.type() === TargetType.SERVICE_WORKER && t.url().startsWith(prefix),
    { timeout: 10_000 },
  );
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
}

/** The storage.local keys the extension reads its broker from (lib/extension/settings.ts). */
export const BROKER_KEYS = { url: 'unblock.brokerUrl', token: 'unblock.apiToken' } as const;

/** Sets the extension's broker URL and API token through its service worker. */
export async function seedBrokerSettingsIn(
  worker: WebWorker,
  brokerUrl: string,
  token: string,
): Promise<void> {
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
