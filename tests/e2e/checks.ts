/** Shared steps for the banner tests: open a scenario, wait for its cards, check them. */
import { expect } from 'vitest';
import type { Page } from 'puppeteer-core';
import { BANNER, clickPageButton, readBanners, saveScreenshot, waitForBanners } from './harness.ts';
import type { BannerCard, E2E } from './harness.ts';
import type { CardExpectation, Scenario } from './scenarios.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Opens the scenario's page, triggers the failing call if it has one (asserting that nothing shows
 * before the denial exists), waits for the expected number of cards, lets the page settle and
 * returns the cards as they are then (so extra cards are caught too).
 */
export async function openScenario(e2e: E2E, s: Scenario): Promise<{ page: Page; cards: BannerCard[] }> {
  const page = await e2e.open(s.url);
  try {
    if (s.trigger) {
      await sleep(800);
      expect((await readBanners(page)).length, 'no card before the denial is on the page').toBe(0);
      await clickPageButton(page, s.trigger);
    }
    await waitForBanners(page, { count: s.cards.length });
    await sleep(600);
    return { page, cards: await readBanners(page) };
  } catch (err) {
    await saveScreenshot(page, `FAILED-${s.id}`).catch(() => undefined);
    await page.close().catch(() => undefined);
    throw err;
  }
}

function misses(card: BannerCard, exp: CardExpectation): string[] {
  const out = exp.text.filter((re) => !re.test(card.text)).map(String);
  const hasRequest = card.buttons.includes(BANNER.request);
  if (hasRequest !== exp.requestable)
    out.push(exp.requestable ? `a "${BANNER.request}" button` : `no "${BANNER.request}" button`);
  if (exp.requestable) {
    for (const f of [BANNER.duration, BANNER.justification]) {
      if (!card.fields.some((x) => x.endsWith(`:${f}`))) out.push(`a field labelled "${f}"`);
    }
  }
  if (!card.buttons.includes(BANNER.dismiss)) out.push(`a "${BANNER.dismiss}" button`);
  return out;
}

/** Each expectation must be met by a distinct card; the number of cards must match exactly. */
export function expectCards(cards: BannerCard[], expectations: CardExpectation[]): void {
  const dump = () =>
    cards
      .map(
        (c, i) =>
          `--- card ${i + 1} (buttons: ${c.buttons.join(', ')}; fields: ${c.fields.join(', ')}) ---\n${c.text}`,
      )
      .join('\n');
  expect(cards.length, `number of cards\n${dump()}`).toBe(expectations.length);
  const used = new Set<number>();
  for (const exp of expectations) {
    let best: { i: number; missing: string[] } | null = null;
    cards.forEach((card, i) => {
      if (used.has(i)) return;
      const missing = misses(card, exp);
      if (!best || missing.length < best.missing.length) best = { i, missing };
    });
    const b = best as { i: number; missing: string[] } | null;
    expect(
      b?.missing ?? ['(no card left)'],
      `card closest to ${exp.text.map(String).join(' ')} lacks these\n${dump()}`,
    ).toEqual([]);
    if (b) used.add(b.i);
  }
}
