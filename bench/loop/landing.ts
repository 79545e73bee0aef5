/**
 * Measure 1: trusted click on "Request access" → the same tab has landed on the denied page with
 * content (AWS sandbox read, auto-approved: request → decision → provisioning → federation
 * sign-in). The click and the landing are stamped in the page; the steps in between come from the
 * servers' side (timeline.ts).
 */
import type { ElementHandle, Page } from 'puppeteer-core';
import { SEL, waitForCard } from '../../sim/browser/banner';
import type { DemoLoop } from '../../sim/browser/loop';
import { waitFor } from '../../sim/browser/wait';
import { AWS_SANDBOX } from '../../sim/consoles/messages';
import { SIM_URLS } from '../../sim/consoles/server';
import { aliceGrants, contentProbe, ms, RUNS, VERBOSE, type GrantItem } from './common';
import { clockOffset, type Hit, type Timeline } from './timeline';

const LAMBDA_CONTENT = '[data-sim-content="lambda-list-functions-sandbox"]';

/** At the start of every later document of the tab: stamps when the functions table is in the DOM. */
const LANDING_PROBE = contentProbe(
  LAMBDA_CONTENT,
  '__benchLanded',
  "if (!location.hostname.endsWith('console.aws.amazon.com')) return;",
);

/**
 * In the denied document: the trusted click's own timestamp (the input event's time), handed to
 * this process at once (`__benchClickAt`, exposed by puppeteer): the landing may replace the
 * document before anyone could read it there.
 */
const CLICK_PROBE = `window.addEventListener('click', (e) => {
  if (e.isTrusted) window.__benchClickAt(performance.timeOrigin + e.timeStamp);
}, true)`;

export interface LandingRun {
  total: number;
  /** Click → the broker received the request. */
  submit: number;
  /** Click → the broker was asked for the landing (grant seen active by the extension). */
  landingAsked: number;
  /** Click → the tab started navigating to the sign-in URL (the landing document's time origin). */
  navStart: number;
  /** Click → the landing document's load event ended. */
  loaded: number;
  /** The extension's polls of the grant, ms after the click. */
  grantPolls: number[];
  /** Click → the grant is active: the provisioner's AssumeRole reached the STS fake. */
  grantActive: number;
}

async function revokeAndWait(loop: DemoLoop, grantId: string): Promise<void> {
  const res = await loop.api('alice', 'POST', `/grants/${grantId}/revoke`, { reason: 'benchmark: next run' });
  if (res.status !== 202) throw new Error(`revoke ${grantId}: ${res.status} ${JSON.stringify(res.json)}`);
  await waitFor(
    async () =>
      ((await loop.api('alice', 'GET', `/grants/${grantId}`)).json as GrantItem).status === 'revoked',
    { timeout: 30_000, interval: 100, what: `grant ${grantId} revoked` },
  );
}

/** The page's stamps of one run, on the page's clock. */
interface LandingStamps {
  click: number;
  landed: number;
  /** The landing document's time origin and its load event end (relative to that origin). */
  nav: { origin: number; load: number };
}

/** Clicks the card's request button and waits for the landing; the page's stamps. */
async function clickAndLand(page: Page, button: ElementHandle): Promise<LandingStamps> {
  let stamped: (at: number) => void = () => undefined;
  const clicked = new Promise<number>((resolve) => (stamped = resolve));
  await page.exposeFunction('__benchClickAt', (at: number) => stamped(at));
  await page.evaluate(CLICK_PROBE);
  await button.click();
  const click = await Promise.race([
    clicked,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('the page never stamped the click')), 5000).unref(),
    ),
  ]);
  await page.waitForFunction('window.__benchLanded', { timeout: 60_000, polling: 100 });
  const landed = (await page.evaluate('window.__benchLanded')) as number;
  const nav = (await page.evaluate(
    `({ origin: performance.timeOrigin, load: performance.getEntriesByType('navigation')[0]?.loadEventEnd ?? 0 })`,
  )) as { origin: number; load: number };
  return { click, landed, nav };
}

/** One timeline, ms after the click: what reached the servers, the tab, and this process. */
function printLandingTimeline(
  run: number,
  mine: Hit[],
  stamps: LandingStamps,
  timeline: Timeline,
  offset: number,
): void {
  const { click, landed, nav } = stamps;
  const events = [
    ...mine
      .filter((h) => h.at <= landed - click)
      .map((h) => ({ at: h.at, what: `${h.method} ${h.host}${h.path}` })),
    { at: nav.origin - click, what: 'tab navigation start (landing document)' },
    ...timeline.stalls
      .map((st) => ({ at: st.at + offset - click, what: `this process stalled ${Math.round(st.ms)} ms` }))
      .filter((e) => e.at >= 0 && e.at <= landed - click),
    { at: landed - click, what: 'functions table in the DOM' },
  ].sort((a, b) => a.at - b.at);
  process.stdout.write(`  run ${run}:\n`);
  for (const e of events)
    process.stdout.write(`    +${String(Math.round(e.at)).padStart(5)} ms  ${e.what}\n`);
}

/** Checks the run took every step and issued a new grant (which the next run revokes); remembers it in `seen`. */
async function checkLanding(
  loop: DemoLoop,
  page: Page,
  mine: Hit[],
  seen: Set<string>,
  run: number,
): Promise<{ submit: Hit; landing: Hit }> {
  const submit = mine.find((h) => h.method === 'POST' && h.path === '/api/v1/requests');
  const landing = mine.find((h) => h.method === 'POST' && /^\/api\/v1\/grants\/[^/]+\/landing$/.test(h.path));
  const federation = mine.find((h) => h.host.startsWith('signin.aws.amazon.com') && h.path === '/federation');
  if (!submit || !landing || !federation)
    throw new Error(
      `run ${run} skipped a step:\n${mine.map((h) => `${h.method} ${h.host}${h.path}`).join('\n')}`,
    );
  const url = new URL(page.url());
  if (url.pathname !== '/lambda/home' || !url.hostname.endsWith('console.aws.amazon.com'))
    throw new Error(`run ${run} landed on ${page.url()}`);
  // A grant issued for this run (not merged into a live one), which the next run revokes.
  const grant = (await aliceGrants(loop)).find(
    (g) => g.status === 'active' && g.target.account === AWS_SANDBOX.account && !seen.has(g.id),
  );
  if (!grant) throw new Error(`run ${run}: no new active grant on the sandbox`);
  seen.add(grant.id);
  return { submit, landing };
}

async function landingRun(
  loop: DemoLoop,
  timeline: Timeline,
  seen: Set<string>,
  run: number,
): Promise<LandingRun> {
  const { hits } = timeline;
  // A fresh tab on the denied page: the previous grant was revoked, so the console session that
  // the last landing left in the cookie jar is denied again and the banner offers a new request.
  const page = await loop.open(SIM_URLS.lambdaFunctionsSandbox);
  try {
    const card = await waitForCard(page, /lambda:ListFunctions/);
    const field = await card.handle.$(SEL.justification);
    const button = await card.handle.$(SEL.request);
    if (!field || !button) throw new Error(`the card has no request form:\n${card.text}`);
    await field.type(`benchmark landing run ${run}`);
    await page.evaluateOnNewDocument(LANDING_PROBE);
    const offset = await clockOffset(page);
    const from = hits.length;
    const stamps = await clickAndLand(page, button);
    const { click, landed, nav } = stamps;

    // What the extension and the tab did in between, from the servers' side (on the page clock).
    const mine = hits.slice(from).map((h) => ({ ...h, at: h.at + offset - click }));
    const { submit, landing } = await checkLanding(loop, page, mine, seen, run);
    const sts = new URL(loop.clouds.aws.endpoints.sts).host;
    const assumed = mine.find((h) => h.method === 'POST' && h.host === sts);
    if (!assumed) throw new Error(`run ${run}: the broker never called STS`);
    if (VERBOSE) printLandingTimeline(run, mine, stamps, timeline, offset);
    return {
      total: landed - click,
      submit: submit.at,
      landingAsked: landing.at,
      navStart: nav.origin - click,
      loaded: nav.origin + nav.load - click,
      grantPolls: mine
        .filter((h) => h.method === 'GET' && /^\/api\/v1\/grants\/[^/]+$/.test(h.path))
        .map((h) => h.at),
      grantActive: assumed.at,
    };
  } finally {
    await page.close();
  }
}

export async function measureLanding(loop: DemoLoop, timeline: Timeline): Promise<LandingRun[]> {
  const seen = new Set<string>();
  const out: LandingRun[] = [];
  // One run more than counted: the first pays one-off costs that no later click sees (policy engine
  // and SDK clients warming up, and Chromium's first `storage.managed` read, which it answers only
  // some 5 s after starting: the extension's settings read waits for it).
  for (let run = 0; run <= RUNS; run++) {
    const last = [...seen].at(-1);
    if (last) await revokeAndWait(loop, last);
    const r = await landingRun(loop, timeline, seen, run);
    if (run > 0) out.push(r);
    process.stdout.write(`  landing ${run === 0 ? 'warm-up' : `${run}/${RUNS}`}: ${ms(r.total)}\n`);
  }
  return out;
}
