/**
 * `npm run bench:loop`: the whole local loop in real Chromium (Debian's, with the built extension),
 * on the demo clouds, the broker and the simulated consoles, all in this process. Four measures:
 *
 * 1. trusted click on "Request access" → the same tab has landed on the denied page with content
 *    (AWS sandbox read, auto-approved: request → decision → provisioning → federation sign-in);
 * 2. a request submitted → the approver's side panel shows it (bob's own browser);
 * 3. popup opened → its grant list first rendered, from the IndexedDB cache and cold;
 * 4. grant active → the denied page works, per cloud (AWS from measure 1; Azure and GCP on
 *    consoles that show a grant only after the demo's propagation time: reload and retry).
 *
 * Writes its own section of docs/benchmarks.md. `BENCH_RUNS` sets the runs per measure (default
 * 10); `BENCH_SKIP_BUILD=1` uses the existing .output/chrome-mv3 instead of building it first;
 * `BENCH_VERBOSE=1` prints the timeline of each landing and side-panel run (what reached which
 * server when), which is how to see where the time goes.
 *
 * Timestamps are taken where the thing happens, as `performance.timeOrigin + performance.now()`
 * (epoch milliseconds, sub-millisecond): the click and the landing in the page itself, the
 * broker's and the clouds' requests in this process through `diagnostics_channel`. Node and each
 * page have their own origin; where a figure spans both, the page's offset from this process's
 * clock is measured first (the round trip with the smallest delay wins) and applied.
 *
 * This entry starts everything and runs the measures in order; bench/loop/ holds the parts:
 * timeline.ts (clocks, the servers' requests, event-loop stalls), landing.ts, propagation.ts,
 * sidebar.ts and popup.ts (one measure each), section.ts (the rows, the method text and the
 * section writer).
 */
import { execFileSync } from 'node:child_process';
import { chromiumPath } from '../sim/browser/chromium';
import { startDemoLoop } from '../sim/browser/loop';
import { DEMO_PROPAGATION } from '../sim/clouds/demo';
import { seedBrokerSettings, startExtensionBrowser, type ExtensionBrowser } from '../sim/browser/session';
import { RUNS } from './loop/common';
import { measureLanding } from './loop/landing';
import { measurePopup } from './loop/popup';
import { measurePropagation, PROPAGATION_CLOUDS, type PropagationRun } from './loop/propagation';
import { loopRows, methodLines, printSummary, renderSection, writeSection } from './loop/section';
import { measureSidebar } from './loop/sidebar';
import { recordHttp, recordStalls } from './loop/timeline';

// Event-loop stalls from the start; the servers' requests once the extension is built.
const stalls = recordStalls();

if (process.env.BENCH_SKIP_BUILD !== '1') execFileSync('npm', ['run', 'build:chrome'], { stdio: 'inherit' });

const timeline = { hits: recordHttp(), stalls };
const delays = { ...DEMO_PROPAGATION };
const loop = await startDemoLoop({ clouds: { propagation: delays } });
let bob: ExtensionBrowser | null = null;
try {
  const chromium = `Chromium ${(await loop.browser.version()).split('/').pop()} (${chromiumPath()})`;
  process.stdout.write(`bench:loop: ${chromium}, ${RUNS} runs per measure\n`);

  process.stdout.write('bench:loop: click → console landed (AWS, auto-approved)…\n');
  const landing = await measureLanding(loop, timeline);

  process.stdout.write('bench:loop: request submitted → approver’s side panel…\n');
  bob = await startExtensionBrowser();
  await seedBrokerSettings(bob, loop.broker.url, loop.tokens.bob);
  const sidebar = await measureSidebar(loop, bob, timeline.hits);
  await bob.close();
  bob = null;

  process.stdout.write('bench:loop: popup open → grant list…\n');
  const popup = await measurePopup(loop);

  // Last: on Azure it moves cloud time forward (PIM's floor before a revoke), which would end
  // the grants the popup measure counts on.
  const propagation = { azure: [] as PropagationRun[], gcp: [] as PropagationRun[], delays };
  for (const target of PROPAGATION_CLOUDS) {
    process.stdout.write(
      `bench:loop: grant active → page works (${target.cloud}, ${delays[target.cloud]} ms propagation)…\n`,
    );
    propagation[target.cloud] = await measurePropagation(loop, timeline.hits, target);
  }

  const figures = { landing, propagation, sidebar, popup };
  const rows = loopRows(figures);
  const method = methodLines(figures);
  printSummary(rows, method);
  writeSection('loop', renderSection(rows, chromium, method));
  process.stdout.write('bench:loop: wrote docs/benchmarks.md (loop section)\n');
} finally {
  await bob?.close();
  await loop.close();
}
