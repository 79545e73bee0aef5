/**
 * Using the banner: a real (trusted) click on "Request access" reaches the background and persists a
 * draft in IndexedDB; synthetic clicks from the page do not; Dismiss / Escape remove cards; the
 * keyboard reaches every control.
 */
import { describe, expect, it } from 'vitest';
import type { ElementHandle, Page } from 'puppeteer-core';
import { AWS, AZURE, GCP } from '../../sim/consoles/messages.ts';
import { expectCards, openScenario, sleep } from './checks.ts';
import {
  BANNER,
  bannerDomText,
  bannerPresenceAfterSettle,
  clickPageButton,
  focusedInBanner,
  readBanners,
  readCard,
  SEL,
  SETTLE_MS,
  saveScreenshot,
  useE2E,
  waitFor,
} from './harness.ts';
import type { BannerCard, DraftRecord, E2E } from './harness.ts';
import { scenario } from './scenarios.ts';

let e2e: E2E;
useE2E({}, (s) => (e2e = s));

async function within(card: BannerCard, selector: string): Promise<ElementHandle<Element>> {
  const el = await card.handle.$(selector);
  if (!el) throw new Error(`card has no ${selector}\n${card.text}`);
  return el;
}

async function newDrafts(before: DraftRecord[]): Promise<DraftRecord[]> {
  const ids = new Set(before.map((d) => d.id));
  return (await e2e.readDrafts()).filter((d) => !ids.has(d.id));
}

async function withPage<T>(page: Page, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    await saveScreenshot(page, `FAILED-${name}`).catch(() => undefined);
    throw err;
  } finally {
    await page.close().catch(() => undefined);
  }
}

const DRAFT_CASES = [
  {
    id: 'aws-lambda',
    cloud: 'aws',
    account: AWS.account,
    actions: ['lambda:ListFunctions'],
    resource: null as RegExp | null,
    origin: 'https://222222222222-abcd1234.us-east-1.console.aws.amazon.com/',
  },
  {
    id: 'azure-vm-start',
    cloud: 'azure',
    account: AZURE.subscription,
    actions: ['Microsoft.Compute/virtualMachines/start/action'],
    resource: /\/virtualMachines\/vm1$/i,
    origin: 'https://portal.azure.com/',
  },
  {
    id: 'gcp-instances',
    cloud: 'gcp',
    account: GCP.project,
    actions: ['compute.instances.list', 'compute.instances.get'],
    resource: null,
    origin: 'https://console.cloud.google.com/',
  },
] as const;

describe('Request access → draft in the background', () => {
  for (const c of DRAFT_CASES) {
    it(`${c.cloud}: justification required; a real click saves a draft with the right target and actions`, async () => {
      const s = scenario(c.id);
      const { page, cards } = await openScenario(e2e, s);
      await withPage(page, `draft-${c.id}`, async () => {
        expectCards(cards, s.cards);
        const card = cards[0]!;
        const before = await e2e.readDrafts();

        // Empty justification: nothing is saved.
        await (await within(card, SEL.request)).click();
        await sleep(600);
        expect(await newDrafts(before), 'no draft without a justification').toEqual([]);
        expect((await readCard(page, card.handle)).text).not.toContain(BANNER.saved);

        // Duration: keyboard from the default 1 h to 4 h.
        const duration = await within(card, SEL.duration);
        await duration.focus();
        await page.keyboard.press('ArrowDown');
        expect((await readCard(page, card.handle)).text).toMatch(/\b4 h\b/);

        const justification = `E2E ${c.cloud}: fixing the failed deploy (ticket OPS-1234)`;
        await (await within(card, SEL.justification)).type(justification);
        await (await within(card, SEL.request)).click();

        await waitFor(async () => (await readCard(page, card.handle)).text.includes(BANNER.saved), {
          timeout: 5000,
          what: `"${BANNER.saved}" on the card`,
        });
        const fresh = await waitFor(
          async () => {
            const d = await newDrafts(before);
            return d.length ? d : null;
          },
          { what: 'a new draft in IndexedDB unblock/drafts' },
        );
        await saveScreenshot(page, `draft-${c.id}`);

        expect(fresh).toHaveLength(1);
        const draft = fresh[0]!;
        expect(draft.status).toBe('draft');
        expect(typeof draft.id).toBe('string');
        expect(draft.createdAt).toBeTruthy();
        expect(draft.request.target).toEqual({ cloud: c.cloud, account: c.account });
        expect([...draft.request.actions].sort()).toEqual([...c.actions].sort());
        if (c.resource) expect(draft.request.resource).toMatch(c.resource);
        expect(draft.request.durationMinutes).toBe(240);
        expect(draft.request.justification).toBe(justification);
        expect(draft.request.pageUrl.startsWith(c.origin), draft.request.pageUrl).toBe(true);
        expect(draft.request.denial).toBeTypeOf('object');
      });
    });
  }
});

describe('page scripts cannot press the button', () => {
  it('synthetic clicks (host, point, even a leaked inner reference) create no draft; a real click does', async () => {
    const s = scenario('aws-lambda');
    const { page, cards } = await openScenario(e2e, s);
    await withPage(page, 'synthetic-click', async () => {
      const card = cards[0]!;
      await (await within(card, SEL.justification)).type('typed by the user');
      const button = await within(card, SEL.request);
      const box = await button.boundingBox();
      expect(box).not.toBeNull();
      const before = await e2e.readDrafts();

      // What any page script can do: the root is closed, so it only ever sees the host.
      const seen = await page.evaluate(
        (tag, x, y) => {
          const host = document.querySelector(tag);
          const atPoint = document.elementFromPoint(x, y);
          const opts = { bubbles: true, composed: true, cancelable: true, clientX: x, clientY: y };
          host?.dispatchEvent(new MouseEvent('click', opts));
          atPoint?.dispatchEvent(new MouseEvent('click', opts));
          (atPoint as HTMLElement | null)?.click();
          return {
            host: !!host,
            shadowRoot: host ? (host.shadowRoot === null ? 'null' : 'open') : 'no host',
            atPoint: atPoint?.tagName.toLowerCase() ?? null,
          };
        },
        BANNER.hostTag,
        box!.x + box!.width / 2,
        box!.y + box!.height / 2,
      );
      expect(seen.shadowRoot).toBe('null');
      // The page cannot read the banner either; the content is there (CDP sees through the root).
      expect(await page.$eval(BANNER.hostTag, (h) => h.textContent)).toBe('');
      expect(await bannerDomText(page)).toContain(BANNER.request);
      expect(seen.atPoint, 'a point inside the banner resolves to the host, not the button').not.toBe(
        'button',
      );

      // Worst case: a script that somehow holds the real button dispatches an untrusted click.
      await button.evaluate((el) => {
        el.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true }));
        (el as HTMLElement).click();
      });
      await sleep(800);
      expect(await newDrafts(before), 'synthetic clicks must not create a draft').toEqual([]);
      expect((await readCard(page, card.handle)).text).not.toContain(BANNER.saved);

      // Control: the same button with a real click works.
      await button.click();
      await waitFor(async () => (await newDrafts(before)).length === 1, {
        what: 'a draft after a real click',
      });
    });
  });
});

describe('one card per distinct denial', () => {
  it('the same late denial twice (Stop instance clicked again) still shows one card', async () => {
    const s = scenario('aws-ec2-encoded');
    const { page, cards } = await openScenario(e2e, s);
    await withPage(page, 'dedupe', async () => {
      expect(cards).toHaveLength(1);
      await clickPageButton(page, s.trigger!);
      // The page now shows the flash twice; wait until the second one is there, then settle.
      await page.waitForFunction(() => document.querySelectorAll('.flash-error').length === 2, {
        timeout: 5000,
      });
      await sleep(SETTLE_MS);
      expect(await readBanners(page)).toHaveLength(1);
    });
  });
});

describe('dismissing and keyboard', () => {
  it('Dismiss removes one card at a time; the host goes with the last', async () => {
    const s = scenario('aws-s3-two');
    const { page, cards } = await openScenario(e2e, s);
    await withPage(page, 'dismiss', async () => {
      expect(cards).toHaveLength(2);
      await (await within(cards[0]!, SEL.dismiss)).click();
      await waitFor(async () => (await readBanners(page)).length === 1, { what: 'one card left' });
      const [last] = await readBanners(page);
      await (await within(last!, SEL.dismiss)).click();
      await waitFor(async () => (await readBanners(page)).length === 0, { what: 'no card left' });
      expect(await bannerPresenceAfterSettle(page, 800)).toEqual({ cards: 0, hosts: 0 });
    });
  });

  it('Escape inside a card dismisses it', async () => {
    const s = scenario('gcp-instances');
    const { page, cards } = await openScenario(e2e, s);
    await withPage(page, 'escape', async () => {
      await (await within(cards[0]!, SEL.justification)).focus();
      await page.keyboard.press('Escape');
      await waitFor(async () => (await readBanners(page)).length === 0, { what: 'card gone after Escape' });
    });
  });

  it('Tab reaches Duration, Justification and Request access', async () => {
    const s = scenario('aws-lambda');
    const { page } = await openScenario(e2e, s);
    await withPage(page, 'keyboard', async () => {
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      const reached: string[] = [];
      for (let i = 0; i < 150 && !reached.includes(`button:${BANNER.request}`); i++) {
        await page.keyboard.press('Tab');
        const f = await focusedInBanner(page);
        if (f) reached.push(`${f.role}:${f.name ?? ''}`);
      }
      expect(reached).toEqual(
        expect.arrayContaining([
          `combobox:${BANNER.duration}`,
          `textbox:${BANNER.justification}`,
          `button:${BANNER.request}`,
        ]),
      );
      expect(reached.indexOf(`textbox:${BANNER.justification}`)).toBeLessThan(
        reached.indexOf(`button:${BANNER.request}`),
      );
    });
  });
});
