/**
 * No banner where there is no denial: console pages full of permission text (policy editor, role
 * lists, help quoting example errors with placeholders) and example.com, a non-console host that
 * shows a real-looking denial. Absence is asserted after a fixed settle time (quiescence, not a
 * performance assertion).
 */
import { describe, expect, it } from 'vitest';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import { sleep } from './checks.ts';
import {
  bannerPresenceAfterSettle,
  extensionWorlds,
  saveScreenshot,
  useE2E,
  waitForBanners,
} from './harness.ts';
import type { E2E } from './harness.ts';
import { CLEAN_PAGES } from './scenarios.ts';

describe('no banner without a denial, or off the console hosts', () => {
  let e2e: E2E;
  useE2E({}, (s) => (e2e = s));

  for (const p of CLEAN_PAGES) {
    it(p.title, async () => {
      const page = await e2e.open(p.url);
      try {
        const presence = await bannerPresenceAfterSettle(page);
        await saveScreenshot(page, `clean-${p.id}`);
        expect(presence).toEqual({ cards: 0, hosts: 0 });
        const worlds = await extensionWorlds(page, e2e.extensionId!);
        if (p.console) {
          // Sanity: the content script did run here, so "no banner" means it chose not to show one.
          expect(worlds.length, 'content script injected on a console host').toBeGreaterThan(0);
        } else {
          expect(worlds, 'no extension script on a non-console host').toEqual([]);
        }
      } finally {
        await page.close();
      }
    });
  }

  it('heavy mutating console page: no banner from ordinary text, then one for an inserted denial', async () => {
    const page = await e2e.open(`${SIM_URLS.benchHeavy}?rate=1000&duration=2`);
    try {
      await page.evaluate(() => (window as unknown as { __benchDone: Promise<unknown> }).__benchDone);
      expect(await bannerPresenceAfterSettle(page, 500)).toEqual({ cards: 0, hosts: 0 });
      await page.evaluate(() => (window as unknown as { __insertDenial(): number }).__insertDenial());
      const cards = await waitForBanners(page, { text: /logs:DescribeLogGroups/ });
      expect(cards).toHaveLength(1);
      await sleep(100);
    } finally {
      await page.close();
    }
  });
});
