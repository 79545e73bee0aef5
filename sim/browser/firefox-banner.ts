/**
 * Reading the Unblock banner in Firefox. The banner's shadow root is CLOSED, Firefox's
 * accessibility locator (`::-p-aria`) does not descend into shadow trees from the document, and
 * puppeteer's accessibility snapshot is CDP-only. So: a handle on the closed root through BiDi
 * (bidi-internals.ts), the same `::-p-aria` selectors as in Chromium started from it (Firefox
 * computes the roles and names), and each card's text read from its rendered DOM: what is shown
 * (`innerText`: nothing hidden or collapsed), the buttons' and fields' accessible names (label,
 * `aria-label`), and the fields' values. The result has the shape of banner.ts's `BannerCard`, so
 * the same expectations apply.
 */
import type { ElementHandle, Page } from 'puppeteer-core';
import { BANNER, SEL, type BannerCard } from './banner.ts';
import { shadowRootOf } from './bidi-internals.ts';
import { errText, waitFor } from './wait.ts';

const ARTICLE = '::-p-aria([role="article"])';

/** Runs in the page, on one card element: what a person (or a screen reader) reads there. */
function readCardInPage(card: Element): { text: string; buttons: string[]; fields: string[] } {
  const nameOf = (el: Element): string => {
    const label = el.getAttribute('aria-label');
    if (label) return label.trim();
    const by = el.getAttribute('aria-labelledby');
    const root = el.getRootNode() as Document | ShadowRoot;
    if (by)
      return by
        .split(/\s+/)
        .map((id) => root.getElementById(id)?.textContent?.trim() ?? '')
        .join(' ');
    const labels = (el as HTMLInputElement).labels;
    if (labels?.length) return [...labels].map((l) => l.textContent?.trim() ?? '').join(' ');
    return el.textContent?.trim() ?? '';
  };
  const shown = (el: Element) => (el as HTMLElement).offsetParent !== null || el.getClientRects().length > 0;
  const buttons = [...card.querySelectorAll('button, [role="button"]')].filter(shown).map(nameOf);
  const fields: string[] = [];
  const values: string[] = [];
  for (const el of card.querySelectorAll('input, select, textarea')) {
    if (!shown(el) || (el as HTMLInputElement).type === 'hidden') continue;
    const type = (el as HTMLInputElement).type;
    const role =
      el.tagName === 'SELECT'
        ? (el as HTMLSelectElement).multiple || (el as HTMLSelectElement).size > 1
          ? 'listbox'
          : 'combobox'
        : type === 'checkbox' || type === 'radio'
          ? type
          : type === 'number'
            ? 'spinbutton'
            : 'textbox';
    fields.push(`${role}:${nameOf(el)}`);
    const value =
      el.tagName === 'SELECT'
        ? ((el as HTMLSelectElement).selectedOptions[0]?.textContent ?? '')
        : (el as HTMLInputElement).value;
    if (value) values.push(value);
  }
  const lines = [(card as HTMLElement).innerText, ...buttons, ...values]
    .flatMap((t) => t.split('\n'))
    .map((t) => t.trim())
    .filter(Boolean);
  return { text: lines.join('\n'), buttons, fields };
}

/** Reads one card (a handle inside the banner's shadow tree). */
export async function readFirefoxCard(handle: ElementHandle<Element>): Promise<BannerCard> {
  const read = await handle.evaluate(readCardInPage);
  return { handle, ...read, tree: null };
}

/** The banner cards on the page: regions named "Unblock: access denied" (or their articles). */
export async function readFirefoxBanners(page: Page): Promise<BannerCard[]> {
  const root = await shadowRootOf(page, BANNER.hostTag);
  if (!root) return [];
  try {
    const cards: ElementHandle<Element>[] = [];
    for (const region of await root.$$(SEL.card)) {
      const articles = await region.$$(ARTICLE);
      if (articles.length) cards.push(...articles);
      else cards.push(region);
    }
    return await Promise.all(cards.map(readFirefoxCard));
  } finally {
    await root.dispose();
  }
}

/** Waits until at least `count` cards are present (and, with `text`, one matches it). */
export async function waitForFirefoxBanners(
  page: Page,
  { count = 1, timeout = 8000, text }: { count?: number; timeout?: number; text?: RegExp } = {},
): Promise<BannerCard[]> {
  let last: BannerCard[] = [];
  try {
    return await waitFor(
      async () => {
        last = await readFirefoxBanners(page);
        if (last.length < count) return null;
        if (text && !last.some((c) => text.test(c.text))) return null;
        return last;
      },
      { timeout, interval: 150, what: `${count} banner card(s)${text ? ` matching ${String(text)}` : ''}` },
    );
  } catch (err) {
    const seen = last.map((c, i) => `--- card ${i + 1} ---\n${c.text}`).join('\n') || '(no cards)';
    throw new Error(`${errText(err)}\n${seen}`, { cause: err });
  }
}

/** Waits until some card's text matches `re`; returns that card. */
export async function waitForFirefoxCard(page: Page, re: RegExp, timeout = 30_000): Promise<BannerCard> {
  const cards = await waitForFirefoxBanners(page, { timeout, text: re });
  return cards.find((c) => re.test(c.text))!;
}
