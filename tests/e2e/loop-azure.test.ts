/**
 * The whole loop on Azure, in a real browser, against the broker's Azure provisioner and the
 * wire-level fake: (b) a VM read in the dev subscription is approved by policy and the tab reloads
 * into access; (d) starting a production VM waits for an approver, bob approves through the API,
 * and alice's tab reloads into access (Start then succeeds).
 */
import { describe, expect, it } from 'vitest';
import { AccessRequestList } from '../../lib/contract/api.ts';
import { AZURE, AZURE_DEV, AZURE_DEV_VM_SCOPE } from '../../sim/consoles/messages.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import {
  clickPageButton,
  requestAccessOn,
  saveScreenshot,
  useLoopE2E,
  waitFor,
  waitForCard,
  type LoopE2E,
  markDocument,
  waitForReload,
  withLoopDiagnostics,
} from './harness.ts';

let loop: LoopE2E;
useLoopE2E((l) => (loop = l));

describe('the loop on Azure', () => {
  it('(b) dev VM read: denied → Request access → auto-approved → the tab reloads into access', async () => {
    const page = await loop.open(SIM_URLS.azureVmDev);
    await withLoopDiagnostics(loop, 'loop-azure-dev', [page], async () => {
      const card = await waitForCard(page, /virtualMachines\/read/);
      await markDocument(page);
      await requestAccessOn(card, 'E2E loop: look at the dev VM');
      await waitForReload(page, 60_000);
      const content = await page.waitForSelector('[data-sim-content="azure-vm-read-dev"]', {
        timeout: 30_000,
      });
      expect(await content!.evaluate((e) => e.textContent)).toContain('Standard B2s');
      expect(page.url()).toBe(SIM_URLS.azureVmDev);
      expect(await page.$('.toast[role="alert"]')).toBeNull();
      expect(
        loop.clouds.azure.state.allows(
          AZURE.objectId,
          AZURE_DEV.subscription,
          'Microsoft.Compute/virtualMachines/read',
          AZURE_DEV_VM_SCOPE,
        ),
      ).toBe(true);
      await saveScreenshot(page, 'loop-azure-dev-landed');
    });
  });

  it('(d) prod VM start: waits for approval → bob approves → the tab reloads into access', async () => {
    const page = await loop.open(SIM_URLS.azureVm);
    await withLoopDiagnostics(loop, 'loop-azure-prod', [page], async () => {
      await clickPageButton(page, '#vm-start');
      const card = await waitForCard(page, /virtualMachines\/start\/action/);
      await requestAccessOn(card, 'E2E loop: start the production VM for the release');
      await waitForCard(page, /Waiting for approval/, 30_000);
      await markDocument(page);

      // Bob, an approver, finds it in his queue and approves it.
      const pending = await waitFor(
        async () => {
          const list = AccessRequestList.parse(
            (await loop.api('bob', 'GET', '/requests?status=pending')).json,
          );
          return list.items.find((r) => r.requester === 'alice' && r.target.account === AZURE.subscription);
        },
        { timeout: 10_000, what: "alice's pending request in bob's queue" },
      );
      const approve = await loop.api('bob', 'POST', `/requests/${pending.id}/approve`, {
        comment: 'go ahead',
      });
      expect(approve.status, JSON.stringify(approve.json)).toBe(200);

      // The extension notices (it backs off to 15 s between polls), lands, the tab reloads.
      await waitForReload(page, 90_000);
      expect(page.url()).toBe(SIM_URLS.azureVm);
      await page.waitForSelector('#vm-start', { timeout: 10_000 });
      await clickPageButton(page, '#vm-start');
      const content = await page.waitForSelector('[data-sim-content="azure-vm-start"]', { timeout: 15_000 });
      expect(await content!.evaluate((e) => e.textContent)).toContain('Running');
      expect(await page.$eval('#vm-status', (e) => e.textContent)).toBe('Running');
      await saveScreenshot(page, 'loop-azure-prod-landed');
    });
  });
});
