/**
 * The banner in Firefox (firefox-esr, the Firefox MV2 build): one scenario per console, with the
 * same expectations as the Chromium banner tests (scenarios.ts), a non-console host that quotes a
 * denial and must stay clean, and "Request access" without a broker saving a draft in the
 * background's IndexedDB. The console hostnames reach the simulated consoles through
 * the PAC script and the loopback proxy (sim/browser/console-proxy.ts), so the manifest's real
 * match patterns decide where the content script runs.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { GCP } from '../../sim/consoles/messages.ts';
import { expectCards, sleep } from './checks.ts';
import {
  BANNER,
  BUTTON_STEADY_MS,
  clickPageButton,
  readFirefoxBanners,
  readFirefoxCard,
  requestAccessOn,
  saveScreenshot,
  SEL,
  useFirefoxE2E,
  waitFor,
  waitForFirefoxBanners,
  type BannerCard,
  type FirefoxE2E,
} from './harness.ts';
import { CLEAN_PAGES, scenario, type Scenario } from './scenarios.ts';

let e2e: FirefoxE2E;
useFirefoxE2E({}, (s) => (e2e = s));

/** checks.ts `openScenario`, reading the cards the Firefox way. */
async function openScenario(s: Scenario): Promise<{ page: Page; cards: BannerCard[] }> {
  const page = await e2e.open(s.url);
  try {
    if (s.trigger) {
      await sleep(800);
      expect((await readFirefoxBanners(page)).length, 'no card before the denial is on the page').toBe(0);
      await clickPageButton(page, s.trigger);
    }
    await waitForFirefoxBanners(page, { count: s.cards.length });
    await sleep(600);
    return { page, cards: await readFirefoxBanners(page) };
  } catch (err) {
    await saveScreenshot(page, `FAILED-firefox-${s.id}`).catch(() => undefined);
    await page.close().catch(() => undefined);
    throw err;
  }
}

describe('Firefox: the banner on each console', () => {
  for (const id of ['aws-lambda', 'azure-vm-start', 'gcp-instances', 'aws-scp']) {
    const s = scenario(id);
    it(s.title, async () => {
      const { page, cards } = await openScenario(s);
      try {
        await saveScreenshot(page, `firefox-${s.id}`);
        expectCards(cards, s.cards);
        expect(e2e.pageErrors).toEqual([]);
      } finally {
        await page.close();
      }
    });
  }

  it('stays off a page that is not a console, even one quoting a real-looking denial', async () => {
    const clean = CLEAN_PAGES.find((p) => p.id === 'example-denial')!;
    const page = await e2e.open(clean.url);
    try {
      expect(await page.evaluate(() => document.body.innerText)).toMatch(/not authorized/);
      await sleep(1500);
      expect(await readFirefoxBanners(page)).toEqual([]);
      expect(await page.$$(BANNER.hostTag)).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('Request access without a broker: a real click saves a draft with the target and actions', async () => {
    const s = scenario('gcp-instances');
    const { page, cards } = await openScenario(s);
    try {
      const before = new Set((await e2e.readDrafts()).map((d) => d.id));
      const justification = 'Firefox E2E: look at the instances (ticket OPS-1234)';
      await requestAccessOn(cards[0]!, justification);
      await waitFor(async () => (await readFirefoxCard(cards[0]!.handle)).text.includes(BANNER.saved), {
        timeout: 5000,
        what: `"${BANNER.saved}" on the card`,
      });
      const fresh = await waitFor(
        async () => {
          const d = (await e2e.readDrafts()).filter((x) => !before.has(x.id));
          return d.length ? d : null;
        },
        { what: 'a new draft in IndexedDB unblock/drafts' },
      );
      expect(fresh).toHaveLength(1);
      expect(fresh[0]!.status).toBe('draft');
      expect(fresh[0]!.request.target).toEqual({ cloud: 'gcp', account: GCP.project });
      expect([...fresh[0]!.request.actions].sort()).toEqual([
        'compute.instances.get',
        'compute.instances.list',
      ]);
      expect(fresh[0]!.request.justification).toBe(justification);
      expect(fresh[0]!.request.pageUrl.startsWith('https://console.cloud.google.com/')).toBe(true);
      await saveScreenshot(page, 'firefox-draft-gcp');
    } finally {
      await page.close();
    }
  });

  it('a page decoy with pointer-events: none over "Request access": the click is refused and says why; uncovered, it files', async () => {
    // Firefox has no IntersectionObserver v2: the guard's own checks (the page's top-layer
    // elements over the button) find the decoy. components/banner/click-guard.ts
    const { page, cards } = await openScenario(scenario('aws-lambda'));
    try {
      const card = cards[0]!;
      const before = new Set((await e2e.readDrafts()).map((d) => d.id));
      await (await card.handle.$(SEL.justification))!.type('Firefox E2E: overlay');
      const box = (await (await card.handle.$(SEL.request))!.boundingBox())!;
      const x = box.x + box.width / 2;
      const y = box.y + box.height / 2;
      await page.evaluate(
        (px, py) => {
          const decoy = document.createElement('div');
          decoy.id = 'decoy';
          decoy.popover = 'manual';
          decoy.textContent = 'Play again';
          decoy.setAttribute(
            'style',
            `position: fixed; inset: auto; left: ${px - 90}px; top: ${py - 30}px; width: 180px; height: 60px; margin: 0; border: 0; pointer-events: none; background: #2a2;`,
          );
          document.body.append(decoy);
          decoy.showPopover();
        },
        x,
        y,
      );
      await sleep(BUTTON_STEADY_MS);
      await page.mouse.click(x, y);
      const refused = 'The page covered this button; nothing was requested.';
      await waitFor(async () => (await readFirefoxCard(card.handle)).text.includes(refused), {
        timeout: 5000,
        what: 'the refusal on the card',
      });
      await sleep(600);
      expect((await e2e.readDrafts()).filter((d) => !before.has(d.id))).toEqual([]);

      await page.evaluate(() => document.getElementById('decoy')!.remove());
      await sleep(BUTTON_STEADY_MS);
      const now = (await (await card.handle.$(SEL.request))!.boundingBox())!;
      await page.mouse.click(now.x + now.width / 2, now.y + now.height / 2);
      await waitFor(async () => (await e2e.readDrafts()).some((d) => !before.has(d.id)), {
        what: 'a draft after the click on the uncovered button',
      });
    } finally {
      await page.close();
    }
  });
});
