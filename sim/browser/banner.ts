/**
 * Reading and driving the Unblock banner from outside the page. The banner lives in a CLOSED
 * shadow root: `>>>` piercing finds nothing. Everything here reads it through the accessibility
 * tree (`::-p-aria(...)` selectors, `page.accessibility.snapshot`), which includes closed shadow
 * content, or through CDP `DOM.getDocument({ pierce: true })`.
 */
import type { ElementHandle, Page, SerializedAXNode } from 'puppeteer-core';
import { errText, waitFor } from './wait.ts';

/** The agreed banner interface (see the extension's components). */
export const BANNER = {
  hostTag: 'unblock-banner',
  regionName: 'Unblock: access denied',
  request: 'Request access',
  dismiss: 'Dismiss',
  duration: 'Duration',
  justification: 'Justification',
  saved: 'Request saved',
} as const;

/** A fixed wait for the page (and the extension) to go quiet before asserting absence. */
export const SETTLE_MS = 1500;

export const aria = (name: string, role?: string): string =>
  `::-p-aria([name=${JSON.stringify(name)}]${role ? `[role=${JSON.stringify(role)}]` : ''})`;
export const SEL = {
  card: aria(BANNER.regionName, 'region'),
  request: aria(BANNER.request, 'button'),
  dismiss: aria(BANNER.dismiss, 'button'),
  justification: aria(BANNER.justification, 'textbox'),
  duration: aria(BANNER.duration, 'combobox'),
} as const;

export interface BannerCard {
  handle: ElementHandle<Element>;
  /** Every accessible name / value inside the card, one per line (what a screen reader reads). */
  text: string;
  /** Accessible names of the card's buttons. */
  buttons: string[];
  /** role:name of the card's form fields. */
  fields: string[];
  tree: SerializedAXNode | null;
}

function flattenAx(
  node: SerializedAXNode | null | undefined,
  out: { text: string[]; buttons: string[]; fields: string[] },
) {
  if (!node) return;
  if (node.role !== 'InlineTextBox') {
    for (const v of [node.name, node.value, node.description]) {
      if (v !== undefined && v !== '' && out.text[out.text.length - 1] !== String(v))
        out.text.push(String(v));
    }
  }
  if (node.role === 'button' && node.name) out.buttons.push(node.name);
  if (['textbox', 'combobox', 'listbox', 'checkbox', 'radio', 'spinbutton'].includes(node.role)) {
    out.fields.push(`${node.role}:${node.name ?? ''}`);
  }
  for (const c of node.children ?? []) flattenAx(c, out);
}

/** Reads a card's accessible content. */
export async function readCard(page: Page, handle: ElementHandle<Element>): Promise<BannerCard> {
  const tree = await page.accessibility.snapshot({ root: handle, interestingOnly: false });
  const out = { text: [] as string[], buttons: [] as string[], fields: [] as string[] };
  flattenAx(tree, out);
  return { handle, text: out.text.join('\n'), buttons: out.buttons, fields: out.fields, tree };
}

/**
 * The banner cards currently on the page (accessibility tree, so closed shadow roots are fine).
 * A card is a region named "Unblock: access denied"; when such a region groups several cards as
 * articles (one announced region for the whole stack), each article is a card.
 */
export async function readBanners(page: Page): Promise<BannerCard[]> {
  const regions = await page.$$(SEL.card);
  const cards: ElementHandle<Element>[] = [];
  for (const region of regions) {
    const articles = await region.$$(ARTICLE);
    if (articles.length) cards.push(...articles);
    else cards.push(region);
  }
  return Promise.all(cards.map((h) => readCard(page, h)));
}

const ARTICLE = '::-p-aria([role="article"])';

/** Waits until at least `count` cards are present (and, with `text`, one card matches it). */
export async function waitForBanners(
  page: Page,
  { count = 1, timeout = 8000, text }: { count?: number; timeout?: number; text?: RegExp } = {},
): Promise<BannerCard[]> {
  let last: BannerCard[] = [];
  const deadline = Date.now() + timeout;
  try {
    // Cheap first: the host element in the light DOM (accessibility queries are slow on big pages).
    await page.waitForFunction((tag) => !!document.querySelector(tag), { timeout }, BANNER.hostTag);
    return await waitFor(
      async () => {
        last = await readBanners(page);
        if (last.length < count) return null;
        if (text && !last.some((c) => text.test(c.text))) return null;
        return last;
      },
      {
        timeout: Math.max(deadline - Date.now(), 500),
        interval: 150,
        what: `${count} banner card(s)${text ? ` matching ${String(text)}` : ''}`,
      },
    );
  } catch (err) {
    const seen = last.map((c, i) => `--- card ${i + 1} ---\n${c.text}`).join('\n') || '(no cards)';
    const hosts = await countBannerHosts(page).catch(() => -1);
    throw new Error(`${errText(err)}\n<${BANNER.hostTag}> hosts: ${hosts}\n${seen}`, { cause: err });
  }
}

export function countBannerHosts(page: Page): Promise<number> {
  return page.evaluate((tag) => document.querySelectorAll(tag).length, BANNER.hostTag);
}

/** After a fixed settle time: how many cards and banner hosts exist (both should be 0 on clean pages). */
export async function bannerPresenceAfterSettle(
  page: Page,
  settleMs = SETTLE_MS,
): Promise<{ cards: number; hosts: number }> {
  await new Promise((r) => setTimeout(r, settleMs));
  const cards = (await page.$$(SEL.card)).length;
  return { cards, hosts: await countBannerHosts(page) };
}

/**
 * All text inside the banner host(s), shadow content included, via CDP DOM with `pierce: true`
 * (works for closed roots). Includes text the accessibility tree may not expose (e.g. collapsed).
 */
export async function bannerDomText(page: Page): Promise<string> {
  const cdp = await page.createCDPSession();
  try {
    interface CdpNode {
      nodeType: number;
      nodeName: string;
      nodeValue: string;
      children?: CdpNode[];
      shadowRoots?: CdpNode[];
      contentDocument?: CdpNode;
    }
    const { root } = (await cdp.send('DOM.getDocument', { depth: -1, pierce: true })) as { root: CdpNode };
    const texts: string[] = [];
    const collect = (n: CdpNode) => {
      if (n.nodeName === 'STYLE' || n.nodeName === 'SCRIPT') return;
      if (n.nodeType === 3 && n.nodeValue.trim()) texts.push(n.nodeValue.trim());
      for (const c of [...(n.shadowRoots ?? []), ...(n.children ?? [])]) collect(c);
    };
    const find = (n: CdpNode) => {
      if (n.nodeName.toLowerCase() === BANNER.hostTag) return collect(n);
      for (const c of [
        ...(n.shadowRoots ?? []),
        ...(n.children ?? []),
        ...(n.contentDocument ? [n.contentDocument] : []),
      ])
        find(c);
    };
    find(root);
    return texts.join('\n');
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

/** The focused node inside the banner (accessibility tree), or null when focus is elsewhere. */
export async function focusedInBanner(page: Page): Promise<SerializedAXNode | null> {
  const host = await page.$(BANNER.hostTag);
  if (!host) return null;
  const tree = await page.accessibility.snapshot({ root: host, interestingOnly: false });
  const walk = (n: SerializedAXNode | null | undefined): SerializedAXNode | null => {
    if (!n) return null;
    if (n.focused && n.role !== 'RootWebArea') return n;
    for (const c of n.children ?? []) {
      const f = walk(c);
      if (f) return f;
    }
    return null;
  };
  return walk(tree);
}

/** Waits until some banner card's accessible text matches `re`; returns that card. */
export async function waitForCard(page: Page, re: RegExp, timeout = 30_000): Promise<BannerCard> {
  let seen = '';
  try {
    return await waitFor(
      async () => {
        const cards = await readBanners(page);
        seen = cards.map((c) => c.text).join('\n---\n');
        return cards.find((c) => re.test(c.text)) ?? null;
      },
      { timeout, interval: 250, what: `a banner card matching ${String(re)}` },
    );
  } catch (err) {
    throw new Error(`${errText(err)}\ncards seen:\n${seen || '(none)'}`, { cause: err });
  }
}

/**
 * How long a user's click on the banner's filing button waits after the button appeared or moved:
 * the banner refuses clicks on a button shown less than 500 ms (components/banner/click-safety.ts,
 * its watcher samples every 100 ms), as a clickjacking guard.
 */
export const BUTTON_STEADY_MS = 800;
const CONFIRM_PREFIX = 'Confirm request for';

/**
 * On the card: types a justification and presses "Request access" with a real click, as a user
 * would, once the button has been steady; for an admin or production request, then presses the
 * "Confirm request for …" button it turns into, once that is steady too.
 */
export async function requestAccessOn(card: BannerCard, justification: string): Promise<void> {
  const field = await card.handle.$(SEL.justification);
  const button = await card.handle.$(SEL.request);
  if (!field || !button) throw new Error(`the card has no request form:\n${card.text}`);
  await field.type(justification);
  await new Promise((r) => setTimeout(r, BUTTON_STEADY_MS));
  await button.click();
  // The confirmation step, if this request needs one, replaces the button at once. Read from the
  // card's DOM (the handle is inside the shadow tree), which works in Chromium and Firefox alike.
  await new Promise((r) => setTimeout(r, 300));
  // A request filed at once may already have landed the tab (a reload): then nothing asks.
  const asks = await card.handle
    .evaluate(
      (el, prefix) => [...el.querySelectorAll('button')].some((b) => b.textContent?.startsWith(prefix)),
      CONFIRM_PREFIX,
    )
    .catch(() => false);
  if (!asks) return;
  await new Promise((r) => setTimeout(r, BUTTON_STEADY_MS));
  const found = await card.handle.evaluateHandle(
    (el, prefix) => [...el.querySelectorAll('button')].find((b) => b.textContent?.startsWith(prefix)) ?? null,
    CONFIRM_PREFIX,
  );
  const confirm = found.asElement() as ElementHandle<Element> | null;
  if (!confirm) throw new Error(`the confirmation step went away:\n${card.text}`);
  await confirm.click();
}
