/**
 * A denial that names no permission, in a real browser without a broker: the S3 Permissions tab's
 * bare "Access Denied" gets a card that says so and offers S3's actions (read-only first, with
 * their risk) in a combobox the keyboard drives; the picked action is what the draft requests.
 * The EC2 encoded message cannot be decoded without a broker: the card says why in one line and
 * offers EC2's actions instead.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { AWS } from '../../sim/consoles/messages.ts';
import { openScenario, sleep } from './checks.ts';
import {
  aria,
  readCard,
  requestAccessOn,
  saveScreenshot,
  useE2E,
  waitFor,
  waitForCard,
  type BannerCard,
  type E2E,
} from './harness.ts';
import { scenario } from './scenarios.ts';

let e2e: E2E;
useE2E({}, (s) => (e2e = s));

const PICKER = aria('Permission to request', 'combobox');

/** role:name of the options the card's list shows, in order. */
function optionsOf(card: BannerCard): string[] {
  const out: string[] = [];
  const walk = (n: BannerCard['tree'], inList: boolean) => {
    if (!n) return;
    if (inList && n.role === 'option') out.push(n.name ?? '');
    for (const c of n.children ?? []) walk(c, inList || n.role === 'listbox');
  };
  walk(card.tree, false);
  return out;
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

describe('no permission named: the picker', () => {
  it('S3 bare "Access Denied": says so, lists S3 actions read-only first, picks by keyboard, files the pick', async () => {
    const s = scenario('aws-s3-policy-bare');
    const { page, cards } = await openScenario(e2e, s);
    await withPage(page, 'picker-s3', async () => {
      expect(cards).toHaveLength(1);
      const card = cards[0]!;
      expect(card.text).toContain('Access was denied, and the message does not name the permission.');
      expect(card.fields).toContain('combobox:Permission to request');
      const before = await e2e.readDrafts();

      const picker = await card.handle.$(PICKER);
      await picker!.focus();
      await page.keyboard.press('ArrowDown');
      const open = await waitFor(
        async () => {
          const c = await readCard(page, card.handle);
          return optionsOf(c).length ? c : null;
        },
        { what: 'the list of S3 actions' },
      );
      const options = optionsOf(open);
      expect(options.length).toBe(50);
      // Read-only first: the first options are reads, and no write or admin comes before a read.
      const risks = options.map((o) => /Risk: (Read|Write|Admin)$/.exec(o)?.[1]);
      expect(risks[0]).toBe('Read');
      expect(risks.indexOf('Write') === -1 || risks.lastIndexOf('Read') < risks.indexOf('Write')).toBe(true);
      expect(open.text).toMatch(/50 of \d+ actions shown: type to narrow/);
      await saveScreenshot(page, 'picker-s3-open');

      await page.keyboard.type('GetBucketPol');
      const narrowed = await waitFor(
        async () => {
          const o = optionsOf(await readCard(page, card.handle));
          return o.length && o.length < 5 ? o : null;
        },
        { what: 'the list narrowed to GetBucketPol…' },
      );
      expect(narrowed[0]).toMatch(/^s3:GetBucketPolicy\b/);
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      expect(await picker!.evaluate((el) => (el as HTMLInputElement).value)).toBe('s3:GetBucketPolicy');
      // Escape with the list closed would dismiss: the card is still here after picking.
      await sleep(200);
      expect((await readCard(page, card.handle)).text).toMatch(/Request\s+s3:GetBucketPolicy/);

      // As a user does: the picked list closed and moved the button; the click waits until it is steady.
      await requestAccessOn(card, 'Read the bucket policy for INC-9');
      const fresh = await waitFor(
        async () => {
          const ids = new Set(before.map((d) => d.id));
          const d = (await e2e.readDrafts()).filter((x) => !ids.has(x.id));
          return d.length ? d : null;
        },
        { what: 'the draft' },
      );
      expect(fresh[0]!.request).toMatchObject({
        target: { cloud: 'aws', account: AWS.account },
        actions: ['s3:GetBucketPolicy'],
      });
    });
  });

  it('EC2 encoded message without a broker: says why it is not decoded, and offers EC2 actions', async () => {
    const s = scenario('aws-ec2-encoded');
    const { page, cards } = await openScenario(e2e, s);
    await withPage(page, 'picker-ec2-not-decoded', async () => {
      // The background answers once it has read the settings (slow right after the browser started).
      const card = await waitForCard(page, /Not decoded: no broker is set up/, 15_000);
      expect(cards).toHaveLength(1);
      const picker = await card.handle.$(PICKER);
      expect(await picker!.evaluate((el) => (el as HTMLInputElement).placeholder)).toBe('ec2:Action');
      await picker!.focus();
      await page.keyboard.type('stopinst');
      const options = await waitFor(
        async () => {
          const o = optionsOf(await readCard(page, card.handle));
          return o.length ? o : null;
        },
        { what: 'EC2 actions matching "stopinst"' },
      );
      expect(options.some((o) => o.startsWith('ec2:StopInstances'))).toBe(true);
    });
  });
});
