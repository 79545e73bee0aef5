/**
 * Real-browser benchmarks: Debian Chromium with the built extension, on the simulated consoles'
 * heavy synthetic page (sim/consoles/pages/bench.html).
 */
import type { Page } from 'puppeteer-core';
import { startExtensionBrowser, type ExtensionBrowser } from '../sim/browser/session';
import { median, type BenchRow } from './report';

const AWS_BENCH = 'https://us-east-1.console.aws.amazon.com/bench/heavy';
// The same page on a host outside the manifest's match patterns: the extension does not run there.
const PLAIN_BENCH = 'https://example.com/bench/heavy';

/** Main-thread time (CDP `TaskDuration`, seconds) spent while the page mutates for `duration` s. */
async function mainThreadSeconds(e2e: ExtensionBrowser, url: string, duration: number): Promise<number> {
  const page = await e2e.open(`${url}?autostart=0&nodes=20000&rate=1000&duration=${duration}`);
  try {
    const cdp = await page.createCDPSession();
    await cdp.send('Performance.enable');
    await new Promise((r) => setTimeout(r, 500)); // let load-time work (and the initial scan) finish
    const task = async () =>
      (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;
    const before = await task();
    await page.evaluate(() =>
      (window as unknown as { __startMutations(): Promise<unknown> }).__startMutations(),
    );
    await new Promise((r) => setTimeout(r, 300)); // idle callbacks queued by the last mutations
    const after = await task();
    return after - before;
  } finally {
    await page.close();
  }
}

/**
 * Milliseconds from the page inserting a denial to the banner host having a size. Passed as a
 * string: tsx compiles named functions with an `__name` helper that does not exist in the page.
 */
const DENIAL_TO_BANNER = `new Promise((resolve, reject) => {
  const t0 = window.__insertDenial();
  const deadline = t0 + 5000;
  const poll = () => {
    const host = document.querySelector('unblock-banner');
    if (host && host.getBoundingClientRect().height > 0) return resolve(performance.now() - t0);
    if (performance.now() > deadline) return reject(new Error('banner did not appear within 5 s'));
    requestAnimationFrame(poll);
  };
  poll();
})`;

async function denialToBanner(page: Page): Promise<number> {
  return (await page.evaluate(DENIAL_TO_BANNER)) as number;
}

async function latencySamples(e2e: ExtensionBrowser, nodes: number, samples: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const page = await e2e.open(`${AWS_BENCH}?autostart=0&nodes=${nodes}`);
    await new Promise((r) => setTimeout(r, 300)); // the content script's initial scan is done
    out.push(await denialToBanner(page));
    await page.close();
  }
  return out;
}

export async function browserMetrics({ pairs = 5, samples = 20, duration = 10 } = {}): Promise<BenchRow[]> {
  const e2e = await startExtensionBrowser();
  try {
    const ratios: number[] = [];
    const withExt: number[] = [];
    const without: number[] = [];
    for (let i = 0; i < pairs; i++) {
      // Alternate the order so drift (thermal, GC) does not favour one side.
      let w: number;
      let wo: number;
      if (i % 2 === 0) {
        w = await mainThreadSeconds(e2e, AWS_BENCH, duration);
        wo = await mainThreadSeconds(e2e, PLAIN_BENCH, duration);
      } else {
        wo = await mainThreadSeconds(e2e, PLAIN_BENCH, duration);
        w = await mainThreadSeconds(e2e, AWS_BENCH, duration);
      }
      withExt.push(w);
      without.push(wo);
      ratios.push(w / wo);
    }
    // A typical console page (Cloudscape / Fluent / Angular Material pages carry a few thousand
    // elements) for the target, and the 20,000-element page for how it degrades: there the page's
    // own style and layout passes, which the banner has to wait for, dominate.
    const typical = await latencySamples(e2e, 5000, samples);
    const heavy = await latencySamples(e2e, 20000, samples);
    const ratio = median(ratios);
    const row = (label: string, nodes: number, values: number[], target: boolean): BenchRow => ({
      name: `Denial inserted in the DOM → banner visible, ${label} (${nodes.toLocaleString('en')} elements)`,
      value: `${median(values).toFixed(0)} ms (min ${Math.min(...values).toFixed(0)}, max ${Math.max(...values).toFixed(0)})`,
      target: target ? '≤ 100 ms' : '—',
      pass: target ? median(values) <= 100 : null,
      method: `median of ${values.length} fresh page loads, first denial (includes injecting the lazy banner chunk); insertion to a laid-out banner host, polled per animation frame`,
    });
    return [
      {
        name: 'Main-thread cost on a heavy console page (with / without extension)',
        value: `${ratio.toFixed(3)} (${median(withExt).toFixed(2)} s vs ${median(without).toFixed(2)} s)`,
        target: '≤ 1.02',
        pass: ratio <= 1.02,
        method: `CDP TaskDuration over ${duration} s of 1,000 mutations/s on 20,000 nodes; same page on a console host vs a non-matching host in one Chromium; median of ${pairs} pairs`,
      },
      row('typical console page', 5000, typical, true),
      row('heavy page', 20000, heavy, false),
    ];
  } finally {
    await e2e.close();
  }
}
