/**
 * The Azure portal draws frame blades and React views in iframes, some cross-origin on portal-owned
 * hosts (sandbox-N.reactblade.portal.azure.net). A real denial shown inside such a frame reaches the
 * one banner of the tab, in the top frame, with the page context of the top frame's URL.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { AZURE } from '../../sim/consoles/messages.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import { saveScreenshot, useE2E, waitForBanners } from './harness.ts';
import type { E2E } from './harness.ts';
import { escapeRe, expectOneCardFor, frameAt, place, realDenial } from './placements.ts';

/** No frame but the top one holds a banner host (one banner per tab). */
async function bannerHostsInChildFrames(page: Page): Promise<number> {
  let hosts = 0;
  for (const f of page.frames()) {
    if (f === page.mainFrame()) continue;
    hosts += await f.evaluate(() => document.querySelectorAll('unblock-banner').length).catch(() => 0);
  }
  return hosts;
}

describe('denials inside console frames reach the top frame’s banner', () => {
  let e2e: E2E;
  useE2E({}, (s) => (e2e = s));

  it('cross-origin React view (reactblade host): the account comes from the top frame’s URL', async () => {
    // Names no scope: the subscription can only come from the portal URL around the frame.
    const denial = realDenial('azure/026-cli-abbreviated-no-client-no-scope');
    const page = await e2e.open(SIM_URLS.placeAzureFrames);
    try {
      const frame = await frameAt(page, 'https://sandbox-1.reactblade.portal.azure.net/');
      await frame.evaluate(
        (t) => (window as unknown as { __frame: { error(t: string): void } }).__frame.error(t),
        denial.text,
      );
      const cards = await waitForBanners(page, { text: escapeRe(denial.actions[0]!) });
      await saveScreenshot(page, 'frames-cross-origin');
      const card = expectOneCardFor(cards, denial.actions[0]!);
      expect(card.text).toMatch(new RegExp(AZURE.subscription));
      expect(await bannerHostsInChildFrames(page)).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('same-origin frame blade on portal.azure.com', async () => {
    const denial = realDenial('azure/009-autorest-role-assignment-current');
    const page = await e2e.open(SIM_URLS.placeAzureFrames);
    try {
      const frame = await frameAt(page, 'https://portal.azure.com/sim-place/frame');
      await frame.evaluate(
        (t) => (window as unknown as { __frame: { error(t: string): void } }).__frame.error(t),
        denial.text,
      );
      const cards = await waitForBanners(page, { text: escapeRe(denial.actions[0]!) });
      expectOneCardFor(cards, denial.actions[0]!);
      expect(await bannerHostsInChildFrames(page)).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('a frame the portal writes itself (srcdoc)', async () => {
    const denial = realDenial('azure/003-cli-resource-group-write-twice');
    const page = await e2e.open(SIM_URLS.placeAzureFrames);
    try {
      await frameAt(page, 'about:srcdoc');
      await place(page, 'srcdocError', denial.text);
      const cards = await waitForBanners(page, { text: escapeRe(denial.actions[0]!) });
      expectOneCardFor(cards, denial.actions[0]!);
      expect(await bannerHostsInChildFrames(page)).toBe(0);
    } finally {
      await page.close();
    }
  });
});
