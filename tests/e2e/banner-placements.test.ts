/**
 * Real denial texts placed the way consoles place them, on the simulated consoles: inside web
 * components' open shadow roots, in one cell of a results table, in a toast that comes and goes or
 * a notice shown by removing `hidden`, split across elements written in separate tasks, in an
 * "Error details" <pre>, after a megabyte of page text, and streamed in pieces. Each gives exactly
 * one card for the text's own action.
 */
import { describe, expect, it } from 'vitest';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import { readBanners, saveScreenshot, useE2E, waitForBanners } from './harness.ts';
import type { E2E } from './harness.ts';
import { sleep } from './checks.ts';
import { cardsSeenDuring, escapeRe, expectOneCardFor, place, realDenial } from './placements.ts';

const withDenial = (url: string, params: Record<string, string>): string => {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
};

describe('denials placed the way consoles place them', () => {
  let e2e: E2E;
  useE2E({}, (s) => (e2e = s));

  /** Opens `url`, places the text, expects exactly one card for its action once settled. */
  async function expectBanner(
    url: string,
    file: string,
    placeIt: (text: string, action: string) => [string, ...unknown[]] | null,
    shot: string,
  ): Promise<void> {
    const denial = realDenial(file);
    const action = denial.actions[0]!;
    const page = await e2e.open(url);
    try {
      const call = placeIt(denial.text, action);
      if (call) await place(page, ...call);
      await waitForBanners(page, { text: escapeRe(action), timeout: 10_000 });
      await sleep(800);
      await saveScreenshot(page, `place-${shot}`);
      expectOneCardFor(await readBanners(page), action);
    } finally {
      await page.close();
    }
  }

  it('web component inserted later, text in nested open shadow roots', () =>
    expectBanner(
      SIM_URLS.placeAws,
      'aws/013-terraform-logs-createloggroup-implicit',
      (t) => ['shadow', t],
      'shadow',
    ));

  it('web component already on the page at start', () =>
    expectBanner(
      withDenial(SIM_URLS.placeAws, {
        shadowStart: '1',
        denial: realDenial('aws/012-terraform-bedrock-passrole-implicit').text,
      }),
      'aws/012-terraform-bedrock-passrole-implicit',
      () => null,
      'shadow-start',
    ));

  it('custom element defined after it was inserted (its root attaches on upgrade)', () =>
    expectBanner(
      SIM_URLS.placeGcp,
      'gcp/006-python-permissiondenied-project-number',
      (t) => ['shadowLate', t, 600],
      'shadow-late',
    ));

  it('one cell of a results table (cells wrapped in tooltip triggers)', () =>
    expectBanner(
      SIM_URLS.placeGcp,
      'gcp/006-python-permissiondenied-project-number',
      (t) => ['table', t],
      'table',
    ));

  it('a toast gone before the page was idle', () =>
    expectBanner(
      SIM_URLS.placeAzure,
      'azure/003-cli-resource-group-write-twice',
      (t) => ['toast', t, 0],
      'toast',
    ));

  it('a notice rendered hidden, then shown', () =>
    expectBanner(
      SIM_URLS.placeAzure,
      'azure/009-autorest-role-assignment-current',
      (t) => ['shownNotice', t],
      'notice',
    ));

  it('a sentence written in pieces, the action in bold', () =>
    expectBanner(
      SIM_URLS.placeAws,
      'aws/013-terraform-logs-createloggroup-implicit',
      (t, action) => ['split', t, action],
      'split',
    ));

  it('an "Error details" <pre>', () =>
    expectBanner(
      SIM_URLS.placeGcp,
      'gcp/017-storage-buckets-create-json-in-json',
      (t) => ['errorDetails', t],
      'pre',
    ));

  it('after more than a megabyte of text on the first load', () =>
    expectBanner(
      withDenial(SIM_URLS.placeAws, {
        large: '1200000',
        denial: realDenial('aws/012-terraform-bedrock-passrole-implicit').text,
      }),
      'aws/012-terraform-bedrock-passrole-implicit',
      () => null,
      'large-first-load',
    ));

  it('at the end of a log of more than a megabyte added later', () =>
    expectBanner(
      SIM_URLS.placeAzure,
      'azure/009-autorest-role-assignment-current',
      (t) => ['largeLog', t, 1_200_000],
      'large-added',
    ));

  it('streamed into one node: parsed once settled, no card for a partial text', async () => {
    const denial = realDenial('aws/012-terraform-bedrock-passrole-implicit');
    const action = denial.actions[0]!;
    const page = await e2e.open(SIM_URLS.placeAws);
    try {
      // 8 characters every 40 ms: the truncated `iam:Pa…` would be an admin card of its own.
      const seen = await cardsSeenDuring(page, place(page, 'stream', denial.text, 8, 40));
      expect(seen, 'no card while the text is still arriving').toEqual([]);
      await waitForBanners(page, { text: escapeRe(action) });
      await sleep(800);
      expectOneCardFor(await readBanners(page), action);
    } finally {
      await page.close();
    }
  });

  it('streamed as re-rendered elements, slower than it settles: the complete card replaces the partial ones', async () => {
    const denial = realDenial('aws/012-terraform-bedrock-passrole-implicit');
    const action = denial.actions[0]!;
    const page = await e2e.open(SIM_URLS.placeAws);
    try {
      await place(page, 'streamRerender', denial.text, 40, 250);
      await waitForBanners(page, { text: escapeRe(action) });
      await sleep(1200);
      await saveScreenshot(page, 'place-stream-rerender');
      const card = expectOneCardFor(await readBanners(page), action);
      expect(card.text).toMatch(/govuk-chat-bedrock-access-role/);
    } finally {
      await page.close();
    }
  });
});

describe('no banner for denial texts in documentation samples or code editors', () => {
  let e2e: E2E;
  useE2E({}, (s) => (e2e = s));

  for (const [fn, title] of [
    ['docsSample', '<pre> in a documentation article'],
    ['monaco', 'a Monaco editor'],
    ['codemirror', 'a CodeMirror editor'],
  ] as const) {
    it(title, async () => {
      const page = await e2e.open(SIM_URLS.placeAws);
      try {
        await place(page, fn, realDenial('aws/013-terraform-logs-createloggroup-implicit').text);
        await place(page, fn, realDenial('aws/012-terraform-bedrock-passrole-implicit').text);
        await sleep(1500);
        expect(await readBanners(page)).toEqual([]);
        expect(await page.evaluate(() => document.querySelectorAll('unblock-banner').length)).toBe(0);
      } finally {
        await page.close();
      }
    });
  }
});
