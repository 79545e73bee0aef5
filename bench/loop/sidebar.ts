/**
 * Measure 2: a request submitted → the approver's side panel shows it (bob's own browser, its
 * event stream connected). Stamped in the panel by a MutationObserver; the submission on this
 * process's clock, corrected by the measured offset of the panel's clock.
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'puppeteer-core';
import type { DemoLoop } from '../../sim/browser/loop';
import { sidepanelUrl, type ExtensionBrowser } from '../../sim/browser/session';
import { waitFor } from '../../sim/browser/wait';
import { ms, RUNS, VERBOSE } from './common';
import { clockOffset, nowMs, type Hit } from './timeline';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * In bob's side panel: stamps the first moment a queue item containing `window.__benchWant` is in
 * the DOM (a MutationObserver: no polling interval in the figure).
 */
const QUEUE_PROBE = `(() => {
  window.__benchWant = null;
  window.__benchSeenAt = null;
  new MutationObserver(() => {
    const want = window.__benchWant;
    if (!want || window.__benchSeenAt) return;
    for (const li of document.querySelectorAll('ul[aria-label="Requests to decide"] > li')) {
      if ((li.textContent || '').includes(want)) {
        window.__benchSeenAt = performance.timeOrigin + performance.now();
        return;
      }
    }
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
})()`;

const prodWrite = (justification: string) => ({
  target: { cloud: 'aws', account: '222222222222' },
  actions: ['ec2:StopInstances'],
  resource: 'arn:aws:ec2:us-east-1:222222222222:instance/i-0bench',
  durationMinutes: 60,
  justification,
  denial: {
    excerpt: 'not authorized to perform: ec2:StopInstances',
    denyKind: 'implicit',
    encodedMessage: null,
  },
  pageUrl: 'https://console.aws.amazon.com/ec2/home',
});

/** One counted or warm-up run: alice submits, bob's panel shows it; ms from submission to the panel. */
async function sidebarRun(loop: DemoLoop, panel: Page, hits: Hit[], run: number): Promise<number> {
  const want = `benchmark sidebar ${run} ${randomUUID().slice(0, 8)}`;
  await panel.evaluate(`window.__benchWant = ${JSON.stringify(want)}; window.__benchSeenAt = null;`);
  const offset = await clockOffset(panel);
  const mark = hits.length;
  const t0 = nowMs() + offset;
  const res = await loop.api('alice', 'POST', '/requests', prodWrite(want));
  if (res.status !== 201) throw new Error(`submit: ${res.status} ${JSON.stringify(res.json)}`);
  const seenAt = (await (
    await panel.waitForFunction('window.__benchSeenAt', { timeout: 30_000, polling: 50 })
  ).jsonValue()) as number;
  if (VERBOSE) {
    for (const h of hits.slice(mark).filter((x) => x.at + offset <= seenAt))
      process.stdout.write(
        `    +${String(Math.round(h.at + offset - t0)).padStart(5)} ms  ${h.method} ${h.path}\n`,
      );
  }
  process.stdout.write(`  sidebar ${run === 0 ? 'warm-up' : `${run}/${RUNS}`}: ${ms(seenAt - t0)}\n`);
  // Withdraw it so the queue stays one item long, and wait until bob's panel has dropped it.
  const id = (res.json as { id: string }).id;
  await loop.api('alice', 'POST', `/requests/${id}/cancel`, { comment: 'benchmark' });
  await panel.waitForFunction(
    (t: string) =>
      ![...document.querySelectorAll('ul[aria-label="Requests to decide"] > li')].some((li) =>
        (li.textContent ?? '').includes(t),
      ),
    { timeout: 30_000, polling: 100 },
    want,
  );
  return seenAt - t0;
}

export async function measureSidebar(loop: DemoLoop, bob: ExtensionBrowser, hits: Hit[]): Promise<number[]> {
  const from = hits.length;
  const panel = await bob.open(sidepanelUrl(bob));
  try {
    await panel.waitForSelector('main.sidebar:not([aria-busy])', { timeout: 30_000 });
    await panel.evaluate(QUEUE_PROBE);
    // The figure is about the live panel: wait for its event stream (nothing else here opens one).
    await waitFor(() => hits.slice(from).some((h) => h.path === '/api/v1/events'), {
      timeout: 30_000,
      what: 'the side panel’s event stream',
    });
    await sleep(500);
    const out: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      const figure = await sidebarRun(loop, panel, hits, run);
      if (run > 0) out.push(figure);
      // Not in step with the panel's own timers.
      await sleep(300 + Math.random() * 700);
    }
    return out;
  } finally {
    await panel.close();
  }
}
