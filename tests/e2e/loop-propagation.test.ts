/**
 * Landing when access has really propagated, in a real browser: the simulated Azure and GCP
 * consoles keep denying a grant for a while after it became active (sim/consoles/propagation.ts),
 * as the real ones do. The tab reloads at once; while the denial comes back, the banner says that
 * access is propagating and the tab reloads again with back-off, landing once the page works —
 * long before the old fixed waits (30 s on Azure, 120 s on GCP). Past the limit (the demo broker's
 * `propagationMs`, 15 s here) the banner says what to do and the tab is left alone.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { AccessRequestList } from '../../lib/contract/api.ts';
import { GCP, GCP_DEV } from '../../sim/consoles/messages.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import {
  markDocument,
  requestAccessOn,
  saveScreenshot,
  useLoopE2E,
  waitFor,
  waitForCard,
  waitForReload,
  withLoopDiagnostics,
  type LoopE2E,
} from './harness.ts';

/** The broker's limit in this file: short, so the give-up case does not take 7 minutes. */
const LIMIT_MS = 15_000;
/** The fixed waits before reloading that this replaces (server/clouds/<cloud>/landing.ts, before). */
const OLD_WAIT_MS = { azure: 30_000, gcp: 120_000 };

let loop: LoopE2E;
useLoopE2E((l) => (loop = l), { clouds: { propagationLimitMs: LIMIT_MS } });

/** Counts the documents the tab loads from now on (each reload is one). */
async function countLoads(page: Page): Promise<() => Promise<number>> {
  await page.evaluateOnNewDocument(() => {
    sessionStorage.setItem('e2eLoads', String(Number(sessionStorage.getItem('e2eLoads') ?? '0') + 1));
  });
  return async () => Number(await page.evaluate(() => sessionStorage.getItem('e2eLoads') ?? '0'));
}

/**
 * Requests access on the card, waits until the banner says access is propagating, then until the
 * page shows `content`; the time from the click to the content, and the propagating card's text.
 */
async function requestAndLand(
  page: Page,
  denied: RegExp,
  content: string,
  justification: string,
): Promise<{ landedAfterMs: number; propagating: string; loads: number }> {
  const card = await waitForCard(page, denied);
  const loads = await countLoads(page);
  await markDocument(page);
  const clicked = Date.now();
  await requestAccessOn(card, justification);
  // Reloaded at once, still denied: the card there says so (and the tab will reload again).
  const propagating = await waitForCard(page, /Access is propagating/, 20_000);
  await saveScreenshot(page, `${justification.replace(/\W+/g, '-')}-propagating`);
  await waitForReload(page, 1000).catch(() => undefined);
  await page.waitForSelector(content, { timeout: 60_000 });
  return { landedAfterMs: Date.now() - clicked, propagating: propagating.text, loads: await loads() };
}

describe('landing when access has really propagated', () => {
  it('Azure: the banner says access is propagating, and the tab lands once the page works', async () => {
    loop.clouds.propagation.azure = 5000;
    const page = await loop.open(SIM_URLS.azureVmDev);
    await withLoopDiagnostics(loop, 'loop-propagation-azure', [page], async () => {
      const { landedAfterMs, propagating, loads } = await requestAndLand(
        page,
        /virtualMachines\/read/,
        '[data-sim-content="azure-vm-read-dev"]',
        'E2E propagation: look at the dev VM',
      );
      expect(propagating).toMatch(/Azure has granted it, but this page is still denied/);
      expect(propagating).toMatch(/Reloading in \d+ s/);
      // The landing reload, then at least one more after the denial came back.
      expect(loads).toBeGreaterThanOrEqual(2);
      // No fixed wait: landed as soon as the grant had propagated, well before the old 30 s.
      expect(landedAfterMs).toBeLessThan(OLD_WAIT_MS.azure);
      expect(page.url()).toBe(SIM_URLS.azureVmDev);
      // The page works: no denial, no card.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await page.$('.toast[role="alert"]')).toBeNull();
      expect(await page.$('unblock-banner')).toBeNull();
      await saveScreenshot(page, 'loop-propagation-azure-landed');
    });
  }, 120_000);

  it('GCP: the banner says access is propagating, and the tab lands once the page works', async () => {
    loop.clouds.propagation.gcp = 6000;
    const page = await loop.open(SIM_URLS.gcpInstancesDev);
    await withLoopDiagnostics(loop, 'loop-propagation-gcp', [page], async () => {
      const { landedAfterMs, propagating, loads } = await requestAndLand(
        page,
        /compute\.instances\.list/,
        '[data-sim-content="gcp-compute-instances-list-dev"]',
        'E2E propagation: list the dev VMs',
      );
      expect(propagating).toMatch(/Google Cloud has granted it, but this page is still denied/);
      expect(loads).toBeGreaterThanOrEqual(2);
      expect(landedAfterMs).toBeLessThan(OLD_WAIT_MS.gcp / 2);
      expect(new URL(page.url()).searchParams.get('project')).toBe(GCP_DEV.project);
      expect(
        loop.clouds.gcp.state.allows(`user:${GCP.principal}`, GCP_DEV.project, 'compute.instances.list'),
      ).toBe(true);
      await saveScreenshot(page, 'loop-propagation-gcp-landed');
    });
  }, 180_000);

  it('past the limit the user is told what to do, and the tab is left alone', async () => {
    loop.clouds.propagation.gcp = 10 * 60_000;
    const page = await loop.open(SIM_URLS.gcpInstances);
    await withLoopDiagnostics(loop, 'loop-propagation-limit', [page], async () => {
      const card = await waitForCard(page, /compute\.instances\.list/);
      await requestAccessOn(card, 'E2E propagation: list the production VMs');
      await waitForCard(page, /Waiting for approval/, 30_000);
      const pending = await waitFor(
        async () => {
          const list = AccessRequestList.parse(
            (await loop.api('bob', 'GET', '/requests?status=pending')).json,
          );
          return list.items.find((r) => r.requester === 'alice' && r.target.account === GCP.project);
        },
        { timeout: 10_000, what: "alice's pending acme-prod request" },
      );
      const approve = await loop.api('bob', 'POST', `/requests/${pending.id}/approve`, { comment: 'ok' });
      expect(approve.status, JSON.stringify(approve.json)).toBe(200);

      await waitForCard(page, /Access is propagating/, 90_000);
      const told = await waitForCard(page, /has still not applied the grant/, LIMIT_MS + 30_000);
      expect(told.text).toContain('Google Cloud has still not applied the grant after 15 seconds.');
      expect(told.text).toContain('reload the page in a few minutes');
      expect(told.text).toContain("ask an administrator to check the project's IAM policy");
      // Nothing more is tried: the tab stays on this document.
      await markDocument(page);
      await new Promise((r) => setTimeout(r, 5000));
      expect(await page.evaluate(() => (window as { __e2eBeforeLanding?: boolean }).__e2eBeforeLanding)).toBe(
        true,
      );
      expect(await page.$('[data-sim-content="gcp-compute-instances-list"]')).toBeNull();
      await saveScreenshot(page, 'loop-propagation-limit');
    });
  }, 240_000);
});
