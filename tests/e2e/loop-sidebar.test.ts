/**
 * The whole loop with a human approver in the extension's side panel, in real browsers: alice
 * (her own Chromium, as in loop-azure (d)) is denied starting the production VM, asks for access
 * and waits; bob (a second Chromium with the same build, his own profile and API token) opens the
 * side panel page, finds her request in his queue by its justification, approves it with a
 * comment; alice's tab reloads into access and Start succeeds. Alice's own side panel lists the
 * request as hers, with nothing to approve.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import {
  clickPageButton,
  requestAccessOn,
  saveScreenshot,
  markDocument,
  publishScreenshot,
  sidepanelUrl,
  useApproverBrowser,
  waitForQueueItem,
  waitForReload,
  useLoopE2E,
  waitForCard,
  type E2E,
  type LoopE2E,
  withLoopDiagnostics,
} from './harness.ts';

const JUSTIFICATION = 'E2E sidebar: start the production VM for the hotfix';

let loop: LoopE2E;
useLoopE2E((l) => (loop = l));
// Bob's browser: registered after alice's loop, so the broker (and bob's token) exist.
let bob: E2E;
useApproverBrowser(
  'bob',
  () => loop,
  (b) => (bob = b),
);

describe('the loop through the approvers’ side panel', () => {
  it('Azure prod write waits → bob’s sidebar shows it → bob approves → alice’s tab reloads into access', async () => {
    const page = await loop.open(SIM_URLS.azureVm);
    const pages: Page[] = [page];
    await withLoopDiagnostics(loop, 'loop-sidebar', pages, async () => {
      // Alice: denied, asks, waits.
      await clickPageButton(page, '#vm-start');
      const card = await waitForCard(page, /virtualMachines\/start\/action/);
      await requestAccessOn(card, JUSTIFICATION);
      // The card says who alice waits for: the approvers group's members.
      await waitForCard(page, /Waiting for approval from bob or dave/, 30_000);
      publishScreenshot(await saveScreenshot(page, 'banner-waiting'), 'banner');
      await markDocument(page);

      // Alice's own side panel: the request is listed as hers (pending), nothing to approve.
      const mine = await loop.open(sidepanelUrl(loop));
      pages.push(mine);
      await mine.waitForSelector('ul[aria-label="My requests"] li.status-pending', { timeout: 30_000 });
      const aliceView = await mine.evaluate(() => ({
        text: document.body.innerText,
        buttons: [...document.querySelectorAll('button')].map((b) => b.textContent?.trim() ?? ''),
        queue: document.querySelectorAll('ul[aria-label="Requests to decide"]').length,
      }));
      expect(aliceView.text).toContain('Alice (engineer)');
      expect(aliceView.buttons).not.toContain('Approve');
      expect(aliceView.queue).toBe(0);
      expect(aliceView.text).not.toContain(JUSTIFICATION);
      // Back to the console tab: a background tab may be throttled or frozen while it reloads.
      await mine.close();
      await page.bringToFront();

      // Bob: his side panel (as a tab) shows alice's request in the queue; he approves it.
      const panel = await bob.open(sidepanelUrl(bob));
      pages.push(panel);
      const item = await waitForQueueItem(panel, JUSTIFICATION, 30_000);
      expect(await item.evaluate((li) => li.textContent)).toContain('alice');
      // The README's picture: a side panel's width, from its header down into the request.
      await panel.setViewport({ width: 420, height: 900 });
      await panel.evaluate(() => window.scrollTo(0, 0));
      publishScreenshot(await saveScreenshot(panel, 'sidebar-queue'), 'sidebar');
      const comment = await item.$('textarea');
      const approve = await item.$('::-p-aria([name="Approve"][role="button"])');
      if (!comment || !approve) throw new Error('the queue item has no decision form');
      await comment.type('go ahead, from the sidebar');
      const clickedAt = Date.now();
      await approve.click();
      await panel.waitForFunction(
        () =>
          [...document.querySelectorAll('p.ok[role="status"]')].some((p) =>
            /request approved/.test(p.textContent ?? ''),
          ),
        { timeout: 30_000, polling: 250 },
      );
      const bobError = await panel.$('p.error[role="alert"]');
      expect(bobError ? await bobError.evaluate((e) => e.textContent) : null).toBeNull();

      // Alice: her waiting banner holds the background's event stream open, so the approval's
      // event wakes the request flow (no waiting for its next back-off poll, up to 15 s apart);
      // it lands, and after the cloud's propagation delay the tab reloads.
      await waitForReload(page, 90_000);
      console.log(
        `loop-sidebar: approve click → alice's reload ${Date.now() - clickedAt} ms (informational)`,
      );
      expect(page.url()).toBe(SIM_URLS.azureVm);
      await page.waitForSelector('#vm-start', { timeout: 10_000 });
      await clickPageButton(page, '#vm-start');
      const content = await page.waitForSelector('[data-sim-content="azure-vm-start"]', { timeout: 15_000 });
      expect(await content!.evaluate((e) => e.textContent)).toContain('Running');
      expect(await page.$eval('#vm-status', (e) => e.textContent)).toBe('Running');
      await saveScreenshot(page, 'loop-sidebar-landed');
    });
  }, 240_000);
});
