/**
 * `npm start`: the whole loop on this machine. Starts the demo clouds (wire-level AWS, Azure and
 * GCP fakes), the demo broker on them (real provisioners, store in ./.unblock), the simulated
 * consoles that honour the broker's grants, builds the extension, and — when a display is
 * available — opens Chromium with the extension already pointed at the broker as alice, on a denied
 * console page. Without a display it prints how to do that by hand. Ctrl-C stops everything and
 * removes the temporary browser profile.
 *
 * Environment: PORT (consoles, default 8443), BROKER_PORT (default 8787, a free one if taken),
 * UNBLOCK_DATA_DIR (default ./.unblock; `memory` for a throwaway store), CHROMIUM_PATH,
 * UNBLOCK_SIM_PROPAGATION (how long Azure and GCP grants take to show on the consoles:
 * sim/clouds/demo.ts `parseSimPropagation`; default a few seconds).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { DEMO_USERS, demoConfig } from '../server/config/demo.ts';
import { StoreLockedError } from '../server/store/lock.ts';
import {
  chromiumPath,
  extensionIdOf,
  extensionServiceWorker,
  launchChromium,
  seedBrokerSettingsIn,
} from './browser/chromium.ts';
import { startSimulatedBroker, type SimulatedBroker } from './broker.ts';
import { parseSimPropagation, startDemoClouds } from './clouds/demo.ts';
import { hostResolverRules, SIM_URLS, startConsoles } from './consoles/server.ts';

// The demo runs on the fakes: the AWS SDK's notice that its 2027 releases need Node 22 is for
// operators of a real broker (the README says so), not for someone trying the loop on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const extDir = path.join(root, '.output', 'chrome-mv3');
const consolePort = Number(process.env.PORT ?? 8443);
const brokerPort = Number(process.env.BROKER_PORT ?? 8787);
const dataDir = process.env.UNBLOCK_DATA_DIR ?? path.join(root, '.unblock');
const host = '127.0.0.1';
const TOKEN_TTL_MS = 12 * 3_600_000;

/** What to open first: a read on the sandbox account, which the default policy grants at once. */
const START_URL = SIM_URLS.lambdaFunctionsSandbox;

const stops: Array<() => Promise<unknown>> = [];
let stopping = false;
async function stop(code = 0): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nStopping the demo…');
    for (const fn of stops.splice(0).reverse()) {
      await fn().catch((e: unknown) =>
        console.error(`stopping: ${e instanceof Error ? e.message : String(e)}`),
      );
    }
    console.log('Stopped.');
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const isAddrInUse = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE';

async function main(): Promise<void> {
  console.log('Building the extension (.output/chrome-mv3)…');
  execFileSync('npx', ['wxt', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

  const propagation = parseSimPropagation(process.env.UNBLOCK_SIM_PROPAGATION);
  const clouds = await startDemoClouds(await demoConfig(), undefined, { browserSignin: true, propagation });
  stops.push(() => clouds.close());

  const brokerLog = (line: string) => console.log(`  [broker] ${line}`);
  const brokerOptions = { demoClouds: clouds, host, log: brokerLog };
  let store = dataDir;
  let port = brokerPort;
  let broker: SimulatedBroker | undefined;
  for (let attempt = 0; !broker; attempt++) {
    try {
      broker = await startSimulatedBroker({ ...brokerOptions, dataDir: store, port });
    } catch (e) {
      if (attempt < 2 && isAddrInUse(e) && port !== 0) {
        console.log(`Port ${port} is taken: the broker uses a free port instead.`);
        port = 0;
      } else if (attempt < 2 && e instanceof StoreLockedError && store !== 'memory') {
        console.log(`${e.message}\nThe demo broker keeps its store in memory instead.`);
        store = 'memory';
      } else {
        throw e;
      }
    }
  }
  stops.push(() => broker.close());

  const consoles = await startConsoles({ port: consolePort, host, clouds }).catch((e: unknown) => {
    if (!isAddrInUse(e)) throw e;
    console.log(`Port ${consolePort} is taken: the consoles use a free port instead.`);
    return startConsoles({ port: 0, host, clouds });
  });
  stops.push(() => consoles.close());

  const alice = await broker.createApiToken('alice', TOKEN_TTL_MS, 'npm start (extension)');
  const bob = await broker.createApiToken('bob', TOKEN_TTL_MS, 'npm start (approver)');
  const rules = hostResolverRules(consoles.port, host);

  console.log(`
Unblock demo
  Broker     ${broker.url}   (store: ${store})
  Consoles   ${consoles.origin(host)}   (self-signed certificate; console hostnames mapped here)
  Users      ${DEMO_USERS.map((u) => `${u.name} (${u.displayName.replace(/^\w+ \((.*)\)$/, '$1')})`).join(', ')}
             password = user name; sign in at ${broker.url}
  Pages`);
  for (const [name, url] of Object.entries(SIM_URLS)) console.log(`    ${name.padEnd(22)} ${url}`);
  console.log(`
  Dev-account pages (reads there are granted at once): lambdaFunctionsSandbox, azureVmDev, gcpInstancesDev.
  Azure and GCP grants reach their consoles ${propagation.azure / 1000} s and ${propagation.gcp / 1000} s after they are made (UNBLOCK_SIM_PROPAGATION).
  Production pages wait for an approver. To approve as bob:
    curl -s -H 'authorization: Bearer ${bob.token}' '${broker.url}/api/v1/requests?status=pending'
    curl -s -X POST -H 'authorization: Bearer ${bob.token}' -H 'content-type: application/json' \\
      -d '{}' '${broker.url}/api/v1/requests/<id>/approve'`);

  const chromium = (() => {
    try {
      return chromiumPath();
    } catch {
      return null;
    }
  })();
  const hasDisplay = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
  if (chromium && hasDisplay) {
    const browser = await openBrowser(rules, broker.url, alice.token, () => START_URL);
    // Bob, the approver, in a second window with his own profile: his side panel page as a tab.
    await openBrowser(rules, broker.url, bob.token, (id) => `chrome-extension://${id}/sidepanel.html`);
    console.log(
      `\nOpened two Chromium windows with the extension: alice on the AWS sandbox Lambda page (press
"Request access"; reads on dev are granted at once), and bob's approver side panel. Production
pages (e.g. ${SIM_URLS.lambdaFunctions}) wait for bob's approval there.`,
    );
    browser.on('disconnected', () => {
      if (!stopping) console.log('Chromium closed; the broker and consoles keep running until Ctrl-C.');
    });
  } else {
    // Chromium refuses to start as root without --no-sandbox: print the command that works here.
    const asRoot = process.getuid?.() === 0;
    console.log(`
No display${chromium ? '' : ' or Chromium'} found, so no browser was opened. To try it yourself:
  1. Start Chromium with the console hosts mapped to the simulated consoles:
       ${chromium ?? 'chromium'}${asRoot ? ' --no-sandbox' : ''} --user-data-dir=$(mktemp -d) --ignore-certificate-errors \\
         --host-resolver-rules="${rules}" \\
         --load-extension=${extDir} '${START_URL}'
     (or load ${extDir} unpacked: chrome://extensions → Developer mode → Load unpacked)
  2. In the extension's options page (chrome://extensions → Unblock → Details → Extension options)
     set Broker URL  ${broker.url}
     then press "Sign in" and sign in as alice (password alice),
     or paste alice's API token (valid 12 hours) instead:
       ${alice.token}
  3. Reload the denied page and press "Request access" on the banner.`);
  }
  console.log('\nPress Ctrl-C to stop.');
}

/** Chromium in a window with the extension, its broker settings seeded through the service worker. */
async function openBrowser(
  rules: string,
  brokerUrl: string,
  token: string,
  startUrl: (extensionId: string) => string,
): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-demo-'));
  stops.push(() => Promise.resolve(fs.rmSync(profile, { recursive: true, force: true })));
  const browser = await launchChromium({
    extensionDir: extDir,
    hostResolverRules: rules,
    userDataDir: profile,
    headless: false,
    // Our own SIGINT/SIGTERM handler closes everything in order; puppeteer's would kill Chromium
    // and exit at once, leaving the broker's store unclosed.
    ownSignals: true,
  });
  // Before removing the profile (stops run in reverse).
  stops.push(() => browser.close());
  const extensionId = await extensionIdOf(browser, 20_000);
  await seedBrokerSettingsIn(await extensionServiceWorker(browser, extensionId), brokerUrl, token);
  const [first] = await browser.pages();
  const page = first ?? (await browser.newPage());
  await page.goto(startUrl(extensionId), { waitUntil: 'domcontentloaded' });
  return browser;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  void stop(1);
});
