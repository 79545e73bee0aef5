/**
 * A denial with a comment, in real browsers: alice (her own Chromium) is denied listing the
 * production VMs on acme-prod, asks for access and waits (prod needs an approver); bob (a second
 * Chromium with the same build, his own profile and API token) opens the side panel page, finds
 * her request in his queue by its justification, and denies it with a comment; alice's banner card
 * then shows his comment.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import {
  requestAccessOn,
  saveScreenshot,
  sidepanelUrl,
  useApproverBrowser,
  waitForQueueItem,
  useLoopE2E,
  waitForCard,
  type E2E,
  type LoopE2E,
  withLoopDiagnostics,
} from './harness.ts';

const JUSTIFICATION = 'E2E deny: list the production VMs';
const COMMENT = 'Use the staging project for this';

let loop: LoopE2E;
useLoopE2E((l) => (loop = l));
// Bob's browser: registered after alice's loop, so the broker (and bob's token) exist.
let bob: E2E;
useApproverBrowser(
  'bob',
  () => loop,
  (b) => (bob = b),
);

describe('a denial through the approvers’ side panel', () => {
  it('GCP prod list waits → bob denies with a comment in his sidebar → alice’s card shows the comment', async () => {
    const page = await loop.open(SIM_URLS.gcpInstances);
    const pages: Page[] = [page];
    await withLoopDiagnostics(loop, 'loop-deny', pages, async () => {
      // Alice: denied, asks, waits (production needs an approver).
      const card = await waitForCard(page, /compute\.instances\.list/);
      await requestAccessOn(card, JUSTIFICATION);
      await waitForCard(page, /Waiting for approval/, 30_000);

      // Bob: his side panel (as a tab) shows alice's request in the queue; he denies it.
      const panel = await bob.open(sidepanelUrl(bob));
      pages.push(panel);
      const item = await waitForQueueItem(panel, JUSTIFICATION, 30_000);
      expect(await item.evaluate((li) => li.textContent)).toContain('alice');
      await item.scrollIntoView();
      const comment = await item.$('textarea');
      const deny = await item.$('::-p-aria([name="Deny"][role="button"])');
      if (!comment || !deny) throw new Error('the queue item has no decision form');
      await comment.type(COMMENT);
      await deny.click();
      await panel.waitForFunction(
        () =>
          [...document.querySelectorAll('p.ok[role="status"]')].some((p) =>
            /request denied/.test(p.textContent ?? ''),
          ),
        { timeout: 30_000, polling: 250 },
      );
      const bobError = await panel.$('p.error[role="alert"]');
      expect(bobError ? await bobError.evaluate((e) => e.textContent) : null).toBeNull();

      // Alice: back to her tab; the extension notices (it backs off to 15 s between polls).
      await page.bringToFront();
      const deniedCard = await waitForCard(page, /Use the staging project for this/, 90_000);
      expect(deniedCard.text).toContain(`“${COMMENT}”`);
      expect(page.url()).toBe(SIM_URLS.gcpInstances);
      await saveScreenshot(page, 'loop-deny');
    });
  }, 240_000);
});
