/**
 * Real denial texts (the corpus in tests/fixtures/denials, each from a public source) placed on the
 * simulated consoles the way consoles place them, through the placement pages'
 * `window.__place.*` (sim/consoles/pages/place-console.html) and `window.__frame.*`
 * (place-frame.html).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Frame, Page } from 'puppeteer-core';
import { readBanners, ROOT, waitFor, type BannerCard } from './harness.ts';

export interface RealDenial {
  file: string;
  text: string;
  /** The first expected denial's actions (the corpus case's `expect`). */
  actions: string[];
}

/** A corpus case (`aws/013-…`, without `.txt`): its text verbatim and what it must parse to. */
export function realDenial(file: string): RealDenial {
  const raw = fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'denials', `${file}.txt`), 'utf8');
  const cut = raw.indexOf('\n----\n');
  const expectLine = /^expect: (.*)$/m.exec(raw.slice(0, cut))?.[1];
  if (cut < 0 || !expectLine) throw new Error(`${file}: not a corpus case`);
  const expected = JSON.parse(expectLine) as { denials: Array<{ actions: string[] }> };
  const actions = expected.denials[0]?.actions ?? [];
  if (!actions.length) throw new Error(`${file}: pick a case that names its action`);
  return { file, text: raw.slice(cut + 6), actions };
}

export const escapeRe = (s: string): RegExp => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

/** Calls `window.__place[fn](...args)` in the page and waits for it (streams take a while). */
export async function place(page: Page, fn: string, ...args: unknown[]): Promise<void> {
  await page.evaluate(
    (name, rest) =>
      (window as unknown as { __place: Record<string, (...a: unknown[]) => unknown> }).__place[name]!(
        ...rest,
      ),
    fn,
    args,
  );
}

/** The child frame whose URL starts with `prefix`, once its page script is ready. */
export async function frameAt(page: Page, prefix: string): Promise<Frame> {
  const frame = await waitFor(() => page.frames().find((f) => f.url().startsWith(prefix)) ?? null, {
    timeout: 10_000,
    what: `a frame at ${prefix}`,
  });
  await frame.waitForFunction(() => document.readyState === 'complete', { timeout: 10_000 });
  return frame;
}

/** One card, naming `action`; the whole banner is exactly that card. */
export function expectOneCardFor(cards: BannerCard[], action: string): BannerCard {
  const dump = cards.map((c) => c.text).join('\n---\n');
  expect(cards.length, `exactly one card\n${dump}`).toBe(1);
  expect(cards[0]!.text, dump).toMatch(escapeRe(action));
  return cards[0]!;
}

/** Every card seen while `during` runs (polled), so a card that came and went is caught too. */
export async function cardsSeenDuring(page: Page, during: Promise<unknown>): Promise<string[]> {
  const seen = new Set<string>();
  let done = false;
  const finished = during.finally(() => (done = true));
  while (!done) {
    for (const c of await readBanners(page).catch(() => [])) seen.add(c.text);
    await new Promise((r) => setTimeout(r, 100));
  }
  await finished;
  return [...seen];
}
