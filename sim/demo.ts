/**
 * `npm start`: the local demo. Builds the extension, serves the simulated consoles, and — when a
 * display is available — opens Chromium with the extension loaded on a denied console page.
 * Ctrl-C stops everything and removes the temporary browser profile.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostResolverRules, SIM_URLS, startConsoles } from './consoles/server.ts';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const extDir = path.join(root, '.output', 'chrome-mv3');
const port = Number(process.env.PORT ?? 8443);
const host = '127.0.0.1';

console.log('Building the extension (.output/chrome-mv3)…');
execFileSync('npx', ['wxt', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

const consoles = await startConsoles({ port, host });
const rules = hostResolverRules(consoles.port, host);
const chromium = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find(
  (p): p is string => !!p && fs.existsSync(p),
);
const hasDisplay = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

console.log(`\nUnblock demo — simulated consoles on ${consoles.origin(host)} (self-signed certificate)\n`);
for (const [name, url] of Object.entries(SIM_URLS)) console.log(`  ${name.padEnd(20)} ${url}`);

let browser: ChildProcess | null = null;
let profile: string | null = null;
if (chromium && hasDisplay) {
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-demo-'));
  const args = [
    `--user-data-dir=${profile}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--ignore-certificate-errors',
    `--host-resolver-rules=${rules}`,
    `--load-extension=${extDir}`,
    `--disable-extensions-except=${extDir}`,
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    SIM_URLS.lambdaFunctions,
  ];
  browser = spawn(chromium, args, { stdio: 'ignore' });
  console.log(`\nOpened Chromium with the extension on the simulated AWS Lambda console (denied page).`);
  browser.on('exit', () => console.log('Chromium closed; the consoles keep running until Ctrl-C.'));
} else {
  console.log(`
No display${chromium ? '' : ' or Chromium'} found, so no browser was opened. To try it yourself:
  1. Load the unpacked extension from ${extDir}
     (chrome://extensions → Developer mode → Load unpacked).
  2. Start Chromium with the console hosts mapped to this server:
     chromium --user-data-dir=$(mktemp -d) --ignore-certificate-errors \\
       --host-resolver-rules="${rules}" \\
       --load-extension=${extDir} '${SIM_URLS.lambdaFunctions}'`);
}
console.log('\nPress Ctrl-C to stop.');

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  browser?.kill('SIGTERM');
  void consoles.close().then(() => {
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    process.exit(0);
  });
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
