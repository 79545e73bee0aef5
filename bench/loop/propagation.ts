/**
 * Measure 4: grant active → the denied page works, on Azure and GCP, whose simulated consoles show
 * a grant only after the demo's propagation time (sim/consoles/propagation.ts, DEMO_PROPAGATION):
 * the tab reloads at once, and again with back-off while the denial comes back
 * (lib/background/propagation.ts). "Grant active" is the provisioner's call reaching the cloud fake
 * (Azure: the PIM schedule request or role assignment PUT; GCP: setIamPolicy), stamped in this
 * process; "works" is the page's content in the DOM of the landed document, stamped there by a
 * MutationObserver. Each run files a new request (auto-approved dev read) on a fresh tab after the
 * previous run's grant was revoked. AWS's figure comes from measure 1 (a federation sign-in into a
 * new session, which carries the grant: no propagation).
 */
import type { Page } from 'puppeteer-core';
import { requestAccessOn, waitForCard } from '../../sim/browser/banner';
import type { DemoLoop } from '../../sim/browser/loop';
import { waitFor } from '../../sim/browser/wait';
import { AZURE_DEV, GCP_DEV } from '../../sim/consoles/messages';
import { SIM_URLS } from '../../sim/consoles/server';
import { aliceGrants, contentProbe, ms, RUNS, VERBOSE, type GrantItem } from './common';
import { clockOffset, type Hit } from './timeline';

export interface PropagationCloud {
  cloud: 'azure' | 'gcp';
  page: string;
  account: string;
  denied: RegExp;
  content: string;
  /** The provisioner's call that makes the grant active in the fake. */
  isGrantCall(hit: Hit): boolean;
}

export const PROPAGATION_CLOUDS: readonly PropagationCloud[] = [
  {
    cloud: 'azure',
    page: SIM_URLS.azureVmDev,
    account: AZURE_DEV.subscription,
    denied: /virtualMachines\/read/,
    content: '[data-sim-content="azure-vm-read-dev"]',
    isGrantCall: (h) =>
      h.method === 'PUT' && /\/providers\/Microsoft\.Authorization\/roleAssignment/i.test(h.path),
  },
  {
    cloud: 'gcp',
    page: SIM_URLS.gcpInstancesDev,
    account: GCP_DEV.project,
    denied: /compute\.instances\.list/,
    content: '[data-sim-content="gcp-compute-instances-list-dev"]',
    isGrantCall: (h) => h.method === 'POST' && h.path.endsWith(':setIamPolicy'),
  },
];

export interface PropagationRun {
  /** Grant active in the cloud → the page's content in the DOM. */
  activeToWorks: number;
  /** Documents the tab loaded after the click (the landing reload and every retry). */
  loads: number;
}

/** At the start of every document of the tab: counts it, and stamps when the content is in the DOM. */
const worksProbe = (content: string) =>
  contentProbe(
    content,
    '__benchWorks',
    "sessionStorage.setItem('benchLoads', String(Number(sessionStorage.getItem('benchLoads') || '0') + 1));",
  );

async function revoke(loop: DemoLoop, grantId: string): Promise<void> {
  const res = await loop.api('alice', 'POST', `/grants/${grantId}/revoke`, { reason: 'benchmark: next run' });
  if (res.status !== 202) throw new Error(`revoke ${grantId}: ${res.status} ${JSON.stringify(res.json)}`);
  await waitFor(
    async () =>
      ((await loop.api('alice', 'GET', `/grants/${grantId}`)).json as GrantItem).status === 'revoked',
    { timeout: 30_000, interval: 100, what: `grant ${grantId} revoked` },
  );
}

async function propagationRun(
  loop: DemoLoop,
  hits: Hit[],
  target: PropagationCloud,
  run: number,
): Promise<{ result: PropagationRun; grantId: string }> {
  const page: Page = await loop.open(target.page);
  try {
    const card = await waitForCard(page, target.denied);
    await page.evaluateOnNewDocument(worksProbe(target.content));
    const from = hits.length;
    await requestAccessOn(card, `benchmark propagation run ${run}`);
    await page.waitForFunction('window.__benchWorks', { timeout: 120_000, polling: 100 });
    const works = (await page.evaluate('window.__benchWorks')) as number;
    const loads = Number(await page.evaluate(`sessionStorage.getItem('benchLoads') || '0'`));
    const offset = await clockOffset(page);
    const mine = hits.slice(from);
    const active = mine.find((h) => target.isGrantCall(h));
    if (!active)
      throw new Error(
        `${target.cloud} run ${run}: no grant call reached the fake:\n${mine.map((h) => `${h.method} ${h.host}${h.path}`).join('\n')}`,
      );
    if (VERBOSE) {
      process.stdout.write(`  ${target.cloud} run ${run}:\n`);
      for (const h of mine.filter((x) => x.at <= works - offset))
        process.stdout.write(
          `    +${String(Math.round(h.at - active.at)).padStart(6)} ms  ${h.method} ${h.host}${h.path}\n`,
        );
    }
    const grant = (await aliceGrants(loop)).find(
      (g) => g.status === 'active' && g.target.account === target.account,
    );
    if (!grant) throw new Error(`${target.cloud} run ${run}: no active grant on ${target.account}`);
    return { result: { activeToWorks: works - offset - active.at, loads }, grantId: grant.id };
  } finally {
    await page.close();
  }
}

/** Ends the run's grant, so the next run is denied again and files a new request. */
async function endGrant(loop: DemoLoop, target: PropagationCloud, grantId: string): Promise<void> {
  // PIM refuses to remove an assignment within 5 minutes of its activation
  // (docs/cloud-mechanics.md §2.4): move cloud and broker time past that first.
  if (target.cloud === 'azure') loop.clouds.clock.advance(5 * 60_000 + 1000);
  await revoke(loop, grantId);
}

export async function measurePropagation(
  loop: DemoLoop,
  hits: Hit[],
  target: PropagationCloud,
): Promise<PropagationRun[]> {
  const out: PropagationRun[] = [];
  // One warm-up run, uncounted, as for the other measures.
  for (let run = 0; run <= RUNS; run++) {
    const { result, grantId } = await propagationRun(loop, hits, target, run);
    await endGrant(loop, target, grantId);
    if (run > 0) out.push(result);
    process.stdout.write(
      `  ${target.cloud} ${run === 0 ? 'warm-up' : `${run}/${RUNS}`}: ${ms(result.activeToWorks)} (${result.loads} loads)\n`,
    );
  }
  return out;
}
