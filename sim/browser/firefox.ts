/**
 * Debian's firefox-esr driven by puppeteer-core over WebDriver BiDi, with the built Firefox
 * extension installed as a temporary add-on (BiDi `webExtension.install`: unsigned, like
 * about:debugging's "Load Temporary Add-on"), and the console hostnames sent to the simulated
 * consoles through a PAC script and a loopback CONNECT proxy (console-proxy.ts). Never a
 * downloaded browser. How to do the same by hand: docs/extension.md, "Firefox".
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import puppeteer from 'puppeteer-core';
import type { Browser } from 'puppeteer-core';
import { ROOT } from './chromium.ts';

/**
 * The Firefox build the tests and the demo load: MV2. Firefox ESR runs both of the project's
 * Firefox builds; MV2 keeps a persistent background page (the broker's event stream and the
 * request follow-up never wait for an event page to wake) and is WXT's default Firefox target.
 */
export type FirefoxBuild = 'firefox-mv2' | 'firefox-mv3';
export const DEFAULT_FIREFOX_BUILD: FirefoxBuild = 'firefox-mv2';

/**
 * The extension's moz-extension:// host. Firefox picks a random UUID per profile unless the
 * `extensions.webextensions.uuids` pref names one for the add-on id, which makes the popup, side
 * panel and options URLs known before the add-on is installed.
 */
export const FIREFOX_EXTENSION_UUID = '7c0e5b1a-4f0d-4d6e-9a51-0b1ac4ccee55';

export function firefoxExtDir(build: FirefoxBuild = DEFAULT_FIREFOX_BUILD): string {
  return path.join(ROOT, '.output', build);
}

const execFileP = promisify(execFile);

/** Builds .output/<build> when its manifest is missing (or always with UNBLOCK_E2E_BUILD=1). */
export async function ensureFirefoxBuilt(build: FirefoxBuild = DEFAULT_FIREFOX_BUILD): Promise<string> {
  const dir = firefoxExtDir(build);
  const manifest = path.join(dir, 'manifest.json');
  if (process.env.UNBLOCK_E2E_BUILD === '1' || !fs.existsSync(manifest)) {
    const args = ['wxt', 'build', '-b', 'firefox', ...(build === 'firefox-mv3' ? ['--mv3'] : [])];
    await execFileP('npx', args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 180_000 });
    if (!fs.existsSync(manifest)) throw new Error(`wxt build did not produce ${manifest}`);
  }
  return dir;
}

/** The add-on id the manifest declares (`browser_specific_settings.gecko.id`). */
export function geckoIdOf(extensionDir: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(extensionDir, 'manifest.json'), 'utf8')) as {
    browser_specific_settings?: { gecko?: { id?: string } };
  };
  const id = manifest.browser_specific_settings?.gecko?.id;
  if (!id) throw new Error(`${extensionDir}/manifest.json has no browser_specific_settings.gecko.id`);
  return id;
}

export function firefoxPath(): string {
  const candidates = [process.env.FIREFOX_PATH, '/usr/bin/firefox-esr'];
  const found = candidates.find((p): p is string => !!p && fs.existsSync(p));
  if (!found)
    throw new Error(
      `No Firefox found (tried ${candidates.filter(Boolean).join(', ')}); apt-get install firefox-esr or set FIREFOX_PATH`,
    );
  return found;
}

export interface FirefoxLaunchOptions {
  /** The unpacked extension to install; null for a browser without it. */
  readonly extensionDir: string | null;
  /** The PAC script routing the console hostnames (console-proxy.ts). */
  readonly pac: string;
  readonly headless: boolean;
  /** Leave SIGINT/SIGTERM to the caller, which closes everything in order. */
  readonly ownSignals?: boolean;
}

/**
 * Preferences for a Firefox under test: the PAC script, the extension's fixed UUID, and nothing
 * that reaches for the network on its own (puppeteer adds its own such list on top).
 */
export function firefoxPrefs(pac: string, geckoId: string | null): Record<string, unknown> {
  return {
    'network.proxy.type': 2,
    'network.proxy.autoconfig_url': `data:application/x-ns-proxy-autoconfig,${encodeURIComponent(pac)}`,
    // No DNS over HTTPS, no captive-portal or connectivity probes.
    'network.trr.mode': 5,
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    ...(geckoId
      ? { 'extensions.webextensions.uuids': JSON.stringify({ [geckoId]: FIREFOX_EXTENSION_UUID }) }
      : {}),
  };
}

/**
 * Launches firefox-esr over WebDriver BiDi and installs the extension. `acceptInsecureCerts` takes
 * the consoles' self-signed certificate; `--remote-allow-system-access` lets BiDi open the
 * extension's own moz-extension:// pages (Firefox refuses those navigations to a remote client
 * otherwise).
 */
export async function launchFirefox(options: FirefoxLaunchOptions): Promise<Browser> {
  const ext = options.extensionDir;
  const browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: firefoxPath(),
    headless: options.headless,
    ...(options.ownSignals ? { handleSIGINT: false, handleSIGTERM: false } : {}),
    defaultViewport: options.headless ? { width: 1280, height: 800 } : null,
    acceptInsecureCerts: true,
    protocolTimeout: 60_000,
    args: ['--remote-allow-system-access', ...(options.headless ? ['--width=1280', '--height=800'] : [])],
    extraPrefsFirefox: firefoxPrefs(options.pac, ext ? geckoIdOf(ext) : null),
  });
  try {
    if (ext) await browser.installExtension(ext);
    return browser;
  } catch (err) {
    await browser.close().catch(() => undefined);
    throw err;
  }
}

/** `moz-extension://<uuid>/<path>` of the installed extension. */
export function firefoxExtensionUrl(pagePath: string): string {
  return `moz-extension://${FIREFOX_EXTENSION_UUID}/${pagePath.replace(/^\//, '')}`;
}
