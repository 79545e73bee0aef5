/**
 * The whole loop on Google Cloud, in a real browser, against the broker's GCP provisioner and the
 * wire-level fake: "You need additional access" on acme-dev → Request access → the read is
 * approved by policy → a conditional binding → the tab reloads into the VM list.
 */
import { describe, expect, it } from 'vitest';
import { GCP, GCP_DEV } from '../../sim/consoles/messages.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import {
  markDocument,
  requestAccessOn,
  saveScreenshot,
  useLoopE2E,
  waitForCard,
  waitForReload,
  type LoopE2E,
  withLoopDiagnostics,
} from './harness.ts';

let loop: LoopE2E;
useLoopE2E((l) => (loop = l));

describe('the loop on Google Cloud', () => {
  it('(c) acme-dev instances: denied → Request access → auto-approved → the tab reloads into access', async () => {
    const page = await loop.open(SIM_URLS.gcpInstancesDev);
    await withLoopDiagnostics(loop, 'loop-gcp-dev', [page], async () => {
      const card = await waitForCard(page, /compute\.instances\.list/);
      expect(card.text).toContain(GCP_DEV.project);
      await markDocument(page);
      await requestAccessOn(card, 'E2E loop: list the dev VMs');
      await waitForReload(page, 60_000);
      const content = await page.waitForSelector('[data-sim-content="gcp-compute-instances-list-dev"]', {
        timeout: 30_000,
      });
      expect(await content!.evaluate((e) => e.textContent)).toContain('dev-runner');
      expect(new URL(page.url()).searchParams.get('project')).toBe(GCP_DEV.project);
      expect(await page.$('[role="alert"]')).toBeNull();
      expect(
        loop.clouds.gcp.state.allows(`user:${GCP.principal}`, GCP_DEV.project, 'compute.instances.list'),
      ).toBe(true);
      await saveScreenshot(page, 'loop-gcp-dev-landed');
    });
  });
});
