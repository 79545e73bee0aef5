/**
 * The banner under a hostile page (clickjacking): the page lays things over the banner, hides or
 * distorts its host, or has it appear under the cursor, so that the user's real click lands on
 * "Request access" unknowingly. Each attack here is a real mouse click in Chromium; the check is
 * the one the other banner tests use: no new draft in the background's IndexedDB, and the card
 * says why. Each case then shows the same click filing once the page stops (the guard is not
 * simply refusing everything). components/banner/click-guard.ts, docs/extension.md.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import { openScenario, sleep } from './checks.ts';
import {
  aria,
  BANNER,
  focusedInBanner,
  readCard,
  SEL,
  saveScreenshot,
  useE2E,
  waitFor,
  waitForCard,
} from './harness.ts';
import type { BannerCard, DraftRecord, E2E } from './harness.ts';
import { scenario } from './scenarios.ts';

let e2e: E2E;
useE2E({}, (s) => (e2e = s));

/** Longer than the guard's 500 ms (click-safety.ts STEADY_MS) plus its 100 ms sampling. */
const STEADY_WAIT_MS = 800;
const REASON = {
  covered: 'The page covered this button; nothing was requested.',
  hidden: 'The page made this banner invisible or see-through; nothing was requested.',
  distorted: 'The page moved or distorted this banner; nothing was requested.',
  tooSoon: 'The button had only just appeared or moved',
};

async function newDrafts(before: DraftRecord[]): Promise<DraftRecord[]> {
  const ids = new Set(before.map((d) => d.id));
  return (await e2e.readDrafts()).filter((d) => !ids.has(d.id));
}

async function withPage<T>(page: Page, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    await saveScreenshot(page, `FAILED-overlay-${name}`).catch(() => undefined);
    throw err;
  } finally {
    await page.close().catch(() => undefined);
  }
}

interface Ready {
  page: Page;
  card: BannerCard;
  /** Centre of "Request access" in viewport coordinates. */
  x: number;
  y: number;
  before: DraftRecord[];
}

/** The Lambda denial's card, justification typed, steady: one real click from filing. */
async function readyCard(): Promise<Ready> {
  const { page, cards } = await openScenario(e2e, scenario('aws-lambda'));
  const card = cards[0]!;
  await (await card.handle.$(SEL.justification))!.type('E2E overlay: list the functions');
  const box = (await (await card.handle.$(SEL.request))!.boundingBox())!;
  await sleep(STEADY_WAIT_MS);
  return { page, card, x: box.x + box.width / 2, y: box.y + box.height / 2, before: await e2e.readDrafts() };
}

/** The user's click lands where they see it; afterwards nothing new is filed and the card says `reason`. */
async function expectRefused(r: Ready, reason: string): Promise<void> {
  await sleep(LOOK_MS);
  await r.page.mouse.click(r.x, r.y);
  await waitFor(async () => (await readCard(r.page, r.card.handle)).text.includes(reason), {
    timeout: 5000,
    what: `"${reason}" on the card`,
  });
  await sleep(600);
  expect(await newDrafts(r.before), 'a refused click files nothing').toEqual([]);
  expect((await readCard(r.page, r.card.handle)).text).not.toContain(BANNER.saved);
}

/** With the page's trick undone and the button steady again, the same click files. */
async function expectFiles(r: Ready): Promise<void> {
  await sleep(STEADY_WAIT_MS);
  // Where the button is now: the refusal's line may have pushed it up (a stack growing from the bottom).
  const box = (await (await r.card.handle.$(SEL.request))!.boundingBox())!;
  await r.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await waitFor(async () => (await newDrafts(r.before)).length === 1, {
    what: 'a draft after the click on the uncovered button',
  });
}

/** A page popover (top layer, above our host once shown after it) over the button. */
function coverWithPopover(page: Page, x: number, y: number, style: string, closedShadow = false) {
  return page.evaluate(
    (px, py, css, inShadow) => {
      const decoy = document.createElement('div');
      decoy.id = 'decoy';
      decoy.popover = 'manual';
      decoy.textContent = 'Play again';
      decoy.setAttribute(
        'style',
        `position: fixed; inset: auto; left: ${px - 90}px; top: ${py - 30}px; width: 180px; height: 60px; margin: 0; border: 0; padding: 0; ${css}`,
      );
      const holder = document.createElement('div');
      holder.id = 'decoy-holder';
      (inShadow ? holder.attachShadow({ mode: 'closed' }) : holder).append(decoy);
      document.body.append(holder);
      decoy.showPopover();
      (window as unknown as { removeDecoy: () => void }).removeDecoy = () => holder.remove();
    },
    x,
    y,
    style,
    closedShadow,
  );
}
/** The user looks at what the page shows before clicking. */
const LOOK_MS = 400;
const removeDecoy = (page: Page) =>
  page.evaluate(() => (window as unknown as { removeDecoy: () => void }).removeDecoy());

describe('the page lays something over the banner', () => {
  it('a transparent element over the button takes the click: nothing filed, and the card says so', async () => {
    const r = await readyCard();
    await withPage(r.page, 'transparent', async () => {
      await coverWithPopover(r.page, r.x, r.y, 'opacity: 0; background: white;');
      await expectRefused(r, REASON.covered);
      await removeDecoy(r.page);
      await expectFiles(r);
    });
  });

  it('an opaque decoy with pointer-events: none (the click passes through to the banner) is refused', async () => {
    const r = await readyCard();
    await withPage(r.page, 'decoy', async () => {
      await coverWithPopover(r.page, r.x, r.y, 'pointer-events: none; background: #2a2; color: #fff;');
      await expectRefused(r, REASON.covered);
      await removeDecoy(r.page);
      await expectFiles(r);
    });
  });

  it('the same decoy inside a closed shadow root (only the browser can tell: IntersectionObserver v2) is refused', async () => {
    const r = await readyCard();
    await withPage(r.page, 'decoy-closed', async () => {
      await coverWithPopover(r.page, r.x, r.y, 'pointer-events: none; background: #2a2;', true);
      await expectRefused(r, REASON.covered);
      await removeDecoy(r.page);
      await expectFiles(r);
    });
  });

  it('a z-index overlay outside the top layer cannot get above the banner: the visible button files', async () => {
    const r = await readyCard();
    await withPage(r.page, 'z-index', async () => {
      await r.page.evaluate(() => {
        const over = document.createElement('div');
        over.setAttribute(
          'style',
          'position: fixed; inset: 0; z-index: 2147483647; background: rgba(0, 128, 0, 0.3); pointer-events: none;',
        );
        document.documentElement.append(over);
      });
      await expectFiles(r);
    });
  });
});

describe('the page hides or distorts the banner', () => {
  it('host made transparent (opacity: 0 !important on its inline style): refused', async () => {
    const r = await readyCard();
    await withPage(r.page, 'host-opacity', async () => {
      await r.page.evaluate((tag) => {
        document.querySelector<HTMLElement>(tag)!.style.setProperty('opacity', '0', 'important');
      }, BANNER.hostTag);
      await expectRefused(r, REASON.hidden);
    });
  });

  it('host taken out of the top layer under a transformed ancestor: refused', async () => {
    const r = await readyCard();
    await withPage(r.page, 'ancestor-transform', async () => {
      // Scaled about the button's own point, so the user's click still lands on it.
      await r.page.evaluate(
        (tag, x, y) => {
          (document.querySelector(tag) as HTMLElement).hidePopover();
          const html = document.documentElement;
          html.style.transformOrigin = `${x}px ${y}px`;
          html.style.transform = 'scale(0.98)';
        },
        BANNER.hostTag,
        r.x,
        r.y,
      );
      await expectRefused(r, REASON.distorted);
    });
  });

  it('a transform on the page root alone does not reach the banner in the top layer: it files', async () => {
    const r = await readyCard();
    await withPage(r.page, 'root-transform', async () => {
      await r.page.evaluate(() => {
        document.documentElement.style.transform = 'translateX(-300px) scale(0.5)';
        document.documentElement.style.opacity = '0.2';
      });
      await expectFiles(r);
    });
  });
});

describe('the banner appears or changes under the cursor', () => {
  it('a click landing moments after the banner appeared is refused', async () => {
    // Where the button appears on this page, learnt from a first visit.
    const first = await readyCard();
    await first.page.close();
    const page = await e2e.open(scenario('aws-lambda').url);
    await withPage(page, 'appeared', async () => {
      const before = await e2e.readDrafts();
      await page.mouse.move(first.x, first.y);
      await page.waitForFunction((tag) => !!document.querySelector(tag), { polling: 'raf' }, BANNER.hostTag);
      await page.mouse.click(first.x, first.y);
      const card = await waitForCard(page, /Request access/, 8000);
      expect(card.text).toContain(REASON.tooSoon);
      // Not the form's own check (the justification is empty): the guard refused first.
      expect(card.text).not.toMatch(/Justification: required/);
      expect(await newDrafts(before)).toEqual([]);
    });
  });

  it('admin access: the first click turns into "Confirm request for …", a click on it as it appears is refused, a steady one files', async () => {
    const page = await e2e.open(SIM_URLS.awsHome);
    await withPage(page, 'confirm-admin', async () => {
      await page.evaluate(() => {
        const p = document.createElement('p');
        p.className = 'flash-error';
        p.textContent =
          'User: arn:aws:sts::222222222222:assumed-role/Developer/alice is not authorized to perform: iam:PassRole on resource: arn:aws:iam::222222222222:role/deployer because no identity-based policy allows the iam:PassRole action';
        document.body.prepend(p);
      });
      const card = await waitForCard(page, /iam:PassRole/, 15_000);
      await (await card.handle.$(SEL.justification))!.type(
        'E2E overlay: hand the deployer role to the pipeline',
      );
      await sleep(STEADY_WAIT_MS);
      const before = await e2e.readDrafts();
      const centre = async (name: string) => {
        const box = (await (await card.handle.$(aria(name, 'button')))!.boundingBox())!;
        return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
      };
      const request = await centre(BANNER.request);

      // First click: the confirmation, naming the action and the account, with focus on it.
      await page.mouse.click(request.x, request.y);
      const asking = await waitForCard(page, /Confirm request for iam:PassRole/, 5000);
      const confirmName = asking.buttons.find((b) =>
        /^Confirm request for iam:PassRole on .*222222222222/.test(b),
      );
      expect(confirmName, asking.buttons.join(', ')).toBeDefined();
      expect(asking.buttons).not.toContain(BANNER.request);
      expect(await page.evaluate(() => document.activeElement?.tagName.toLowerCase())).toBe(BANNER.hostTag);
      expect((await focusedInBanner(page))?.name).toBe(confirmName);
      await sleep(600);
      expect(await newDrafts(before), 'the first click only asks').toEqual([]);
      const confirm = await centre(confirmName!);

      // Back, then the same two clicks in quick succession: the second lands on the confirmation
      // just as it appears (what a page that gets the user to double-click arranges).
      await (await card.handle.$(aria('Cancel', 'button')))!.click();
      await sleep(STEADY_WAIT_MS);
      await page.mouse.click(request.x, request.y);
      await page.mouse.click(confirm.x, confirm.y);
      await waitFor(async () => (await readCard(page, card.handle)).text.includes(REASON.tooSoon), {
        timeout: 5000,
        what: 'the too-soon refusal on the card',
      });
      await sleep(600);
      expect(await newDrafts(before), 'a click on the confirmation as it appears files nothing').toEqual([]);

      // A steady click on the confirmation files the request.
      await sleep(STEADY_WAIT_MS);
      await page.mouse.click(confirm.x, confirm.y);
      const fresh = await waitFor(
        async () => {
          const d = await newDrafts(before);
          return d.length ? d : null;
        },
        { what: 'a draft after the confirming click' },
      );
      expect(fresh).toHaveLength(1);
      expect(fresh[0]!.request.actions).toEqual(['iam:PassRole']);
    });
  });
});
