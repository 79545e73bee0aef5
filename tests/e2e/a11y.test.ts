/**
 * Accessibility in real browsers: axe-core finds no serious or critical violation on the banner,
 * the popup, the side panel and the options page, in the states that matter (light and dark where
 * the page follows the system theme), and everything works by keyboard: real key presses through
 * CDP (Tab, Shift+Tab, Enter, Space, Escape, arrows), a visible focus indicator on every control
 * reached, and actions whose effect is checked where it lands (the broker's API, a new tab).
 *
 * The banner renders into a CLOSED shadow root, which axe (a script in the page) cannot enter: see
 * `axeBanner` for how it is checked anyway.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import type { AxeResults, RunOptions } from 'axe-core';
import { TargetType } from 'puppeteer-core';
import type { ElementHandle, Page, Target } from 'puppeteer-core';
import { AccessRequestView, GrantView, type CreateRequestBody } from '../../lib/contract/api.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import { openScenario, sleep } from './checks.ts';
import {
  aria,
  BANNER,
  BUTTON_STEADY_MS,
  SEL,
  clickPageButton,
  countBannerHosts,
  optionsUrl,
  popupUrl,
  readBanners,
  saveScreenshot,
  seedBrokerSettings,
  sidepanelUrl,
  useApproverBrowser,
  useE2E,
  useLoopE2E,
  waitFor,
  waitForCard,
  type E2E,
  type LoopE2E,
} from './harness.ts';
import { scenario } from './scenarios.ts';

// ---------------------------------------------------------------------------------------------
// axe

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(
  path.join(path.dirname(require.resolve('axe-core')), 'axe.min.js'),
  'utf8',
);
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

interface AxeNode {
  target: string;
  html: string;
  summary: string;
}
interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  nodes: AxeNode[];
}
interface AxeReport {
  violations: AxeFinding[];
  /** Colour contrast axe could not decide (printed, for a human to look at). */
  incomplete: AxeFinding[];
  /** Ids of the rules that passed on at least one node. */
  passed: string[];
}

/** Runs axe in the page's main world on the whole document, or on `include` (a CSS selector). */
async function runAxe(page: Page, include?: string): Promise<AxeReport> {
  // CDP's evaluate is not subject to the extension pages' CSP (a script tag would be).
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(
    async (include, tags) => {
      interface AxeApi {
        run(context: unknown, options: RunOptions): Promise<AxeResults>;
      }
      const axe = (window as unknown as { axe: AxeApi }).axe;
      const results = await axe.run(include ? { include: [include] } : document, {
        runOnly: { type: 'tag', values: tags },
        resultTypes: ['violations', 'incomplete'],
      });
      const finding = (r: AxeResults['violations'][number]) => ({
        id: r.id,
        impact: r.impact ?? null,
        help: r.help,
        nodes: r.nodes.map((n) => ({
          target: JSON.stringify(n.target),
          html: n.html.slice(0, 200),
          summary: (n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 300),
        })),
      });
      return {
        violations: results.violations.map(finding),
        incomplete: results.incomplete.filter((r) => r.id === 'color-contrast').map(finding),
        passed: results.passes.map((r) => r.id),
      };
    },
    include ?? null,
    AXE_TAGS,
  );
}

function describeFindings(found: AxeFinding[]): string {
  return found
    .map(
      (v) =>
        `- [${v.impact ?? '?'}] ${v.id}: ${v.help}\n` +
        v.nodes.map((n) => `    at ${n.target}\n      ${n.html}\n      ${n.summary}`).join('\n'),
    )
    .join('\n');
}

/** Fails on serious or critical violations (rule id, help and target nodes); prints the rest. */
function expectAccessible(report: AxeReport, where: string): void {
  const bad = report.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const notes = report.violations.filter((v) => !bad.includes(v));
  if (notes.length)
    console.info(`axe on ${where}, minor/moderate (not failing):\n${describeFindings(notes)}`);
  if (report.incomplete.length)
    console.info(`axe on ${where}, contrast it could not decide:\n${describeFindings(report.incomplete)}`);
  expect(bad, `axe: serious/critical violations on ${where}:\n${describeFindings(bad)}`).toEqual([]);
}

/** axe on the whole page; `rules` must have passed somewhere (proof axe saw the content). */
async function axePage(page: Page, where: string, rules: string[] = []): Promise<void> {
  const report = await runAxe(page);
  expectAccessible(report, where);
  expect(report.passed, `rules that passed on ${where}`).toEqual(expect.arrayContaining(rules));
}

/** Both themes of a page that follows the system's (extension pages: `color-scheme: light dark`). */
async function axeLightAndDark(page: Page, where: string, rules: string[] = []): Promise<void> {
  try {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
      await axePage(page, `${where} (${scheme})`, rules);
    }
  } finally {
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  }
}

const COPY_ID = 'a11y-open-copy-of-the-banner';

/**
 * axe on the banner. The content script renders it into a CLOSED shadow root (so that the console
 * page cannot read or script it), and axe, which runs as a page script, cannot enter closed roots:
 * run on the page it would silently check nothing. Puppeteer can: an element found through the
 * accessibility tree (`::-p-aria`, see the harness) is a handle into the closed root, and its
 * `getRootNode()` is that root. So the root's nodes (its <style> and the rendered cards, deep
 * clones: live input values and selections included) are copied into an OPEN shadow root of a
 * host that gets the original host's inline style (position: fixed at the same place, the same
 * `all: initial`); the original is hidden meanwhile, so colour contrast is computed against what a
 * user sees at that spot. The copy goes at the end of <body>, not next to the original under
 * <html>: axe's colour-contrast cannot place elements outside <body> (it reports every text as
 * undecidable), and a fixed box with the top z-index lands on the same pixels either way. The
 * copy's box is compared with the original's (the same CSS and markup lay out the same), axe runs
 * on the copy only, and the page is put back. `rules` must have passed on the copy (e.g. `label`:
 * axe saw the form fields; `color-contrast`: it could compute the colours).
 */
async function axeBanner(page: Page, where: string, rules: string[]): Promise<void> {
  const region = await page.waitForSelector(SEL.card, { timeout: 10_000 });
  if (!region) throw new Error('no banner region');
  const boxes = await region.evaluate((section, id) => {
    const root = section.getRootNode() as ShadowRoot;
    if (root.nodeType !== Node.DOCUMENT_FRAGMENT_NODE || !root.host)
      throw new Error('the banner is not in a shadow root');
    const host = root.host as HTMLElement;
    document.getElementById(id)?.remove();
    const copy = document.createElement('div');
    copy.id = id;
    const style = host.getAttribute('style') ?? '';
    copy.setAttribute('style', style);
    const open = copy.attachShadow({ mode: 'open' });
    for (const node of root.childNodes) open.append(node.cloneNode(true));
    open.adoptedStyleSheets = [...root.adoptedStyleSheets];
    host.setAttribute('data-a11y-style', style);
    host.setAttribute('style', `${style} visibility: hidden !important;`);
    document.body.append(copy);
    const rect = (el: Element | null) => {
      const r = el?.getBoundingClientRect();
      return r ? [r.x, r.y, r.width, r.height].map(Math.round) : null;
    };
    return {
      original: rect(section),
      copy: rect(open.querySelector('section')),
      styles: root.querySelectorAll('style').length + root.adoptedStyleSheets.length,
      copiedStyles: open.querySelectorAll('style').length + open.adoptedStyleSheets.length,
    };
  }, COPY_ID);
  try {
    expect(boxes.styles, 'the banner root has its stylesheet').toBeGreaterThan(0);
    expect(boxes.copiedStyles).toBe(boxes.styles);
    expect(boxes.copy, 'the open copy lays out like the banner').toEqual(boxes.original);
    const report = await runAxe(page, `#${COPY_ID}`);
    expectAccessible(report, `the banner: ${where}`);
    expect(report.passed, `rules that passed on the banner (${where})`).toEqual(
      expect.arrayContaining(rules),
    );
  } finally {
    await region
      .evaluate((section, id) => {
        document.getElementById(id)?.remove();
        const host = (section.getRootNode() as ShadowRoot).host;
        const style = host.getAttribute('data-a11y-style');
        if (style !== null) host.setAttribute('style', style);
        host.removeAttribute('data-a11y-style');
      }, COPY_ID)
      .catch(() => undefined);
    // The real banner was hidden while axe ran: the click guard refuses to file from a banner that
    // was not visible moments ago (components/banner/click-safety.ts), so give it a user's pause.
    await sleep(BUTTON_STEADY_MS);
  }
}

/** The controls a request card has, for axe to have checked (`label`: the fields have labels). */
const CARD_RULES = ['button-name', 'label', 'color-contrast', 'aria-allowed-attr'];
/** The picker's combobox and list: their ARIA references and roles were checked. */
const PICKER_RULES = ['aria-valid-attr-value', 'aria-required-children', 'aria-required-parent'];

// ---------------------------------------------------------------------------------------------
// Keyboard

interface Focus {
  /** Accessible-ish name: aria-label, the label of a field, or the text. */
  name: string;
  tag: string;
  role: string | null;
  id: string;
  item: string;
  /** A focus indicator is drawn: an outline (not none, non-zero width) or a box shadow. */
  visible: boolean;
  indicator: string;
}

/**
 * Runs in the page: what has focus in the document or shadow root that holds `node`, and how it
 * shows it. `item` is the text of the list item around it (which request, which grant).
 */
function focusIn(node: Node): Focus | null {
  const root = node.getRootNode() as Document | ShadowRoot;
  const el = root.activeElement as HTMLElement | null;
  if (!el || el === document.body || el === document.documentElement) return null;
  const cs = getComputedStyle(el);
  const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
  const shadow = cs.boxShadow !== 'none';
  const label = el.id ? root.querySelector(`label[for="${CSS.escape(el.id)}"]`)?.textContent : null;
  return {
    name: (el.getAttribute('aria-label') ?? label ?? el.textContent ?? '').replace(/\s+/g, ' ').trim(),
    tag: el.tagName.toLowerCase(),
    role: el.getAttribute('role'),
    id: el.id,
    item: (el.closest('li')?.textContent ?? '').replace(/\s+/g, ' ').slice(0, 400),
    visible: outline || shadow,
    indicator: `outline: ${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}; box-shadow: ${cs.boxShadow}`,
  };
}

async function pageFocus(page: Page): Promise<Focus | null> {
  return page.$eval('html', focusIn);
}

/** The focused control inside the banner's closed root (through a handle into that root). */
async function bannerFocus(region: ElementHandle<Element>): Promise<Focus | null> {
  return region.evaluate(focusIn);
}

/**
 * Presses `key` until `done` holds for what has focus (at most `max` times); returns every focus
 * seen on the way (nulls: focus outside what `read` looks at).
 */
async function pressUntil(
  page: Page,
  key: 'Tab' | 'Shift+Tab',
  read: () => Promise<Focus | null>,
  done: (f: Focus) => boolean,
  max = 200,
): Promise<Focus[]> {
  const seen: Focus[] = [];
  for (let i = 0; i < max; i++) {
    if (key === 'Shift+Tab') {
      await page.keyboard.down('Shift');
      await page.keyboard.press('Tab');
      await page.keyboard.up('Shift');
    } else {
      await page.keyboard.press('Tab');
    }
    const f = await read();
    if (!f) continue;
    seen.push(f);
    if (done(f)) return seen;
  }
  throw new Error(
    `${key} never reached the control (${max} presses); focus went through:\n${seen.map((f) => `${f.tag} ${f.role ?? ''} "${f.name}"`).join('\n')}`,
  );
}

function expectFocusVisible(seen: Focus[], where: string): void {
  const invisible = seen.filter((f) => !f.visible);
  expect(
    invisible.map((f) => `${f.tag} "${f.name}": ${f.indicator}`),
    `controls without a visible focus indicator on ${where}`,
  ).toEqual([]);
}

async function blur(page: Page): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
}

async function withShots<T>(pages: () => Page[], name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    for (const [i, p] of pages().entries())
      await saveScreenshot(p, `FAILED-a11y-${name}-${i}`).catch(() => undefined);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Without a broker: the banner's states, the popup and side panel signed out, the options page

describe('without a broker', () => {
  let e2e: E2E;
  useE2E({}, (s) => (e2e = s));

  async function bannerPage(id: string): Promise<Page> {
    const { page } = await openScenario(e2e, scenario(id));
    // The cards fade in unless motion is reduced; the copy must not be caught half-transparent.
    await page.emulateMediaFeatures([{ name: 'prefers-reduced-motion', value: 'reduce' }]);
    return page;
  }

  it('banner: the request card on each cloud’s theme, the guardrail card, the permission field', async () => {
    for (const [id, rules] of [
      ['aws-lambda', CARD_RULES],
      ['azure-vm-start', CARD_RULES],
      ['gcp-instances', CARD_RULES],
      ['aws-ec2-encoded', CARD_RULES],
      ['aws-scp', ['button-name', 'color-contrast']],
      ['aws-s3-two', CARD_RULES],
    ] as const) {
      const page = await bannerPage(id);
      try {
        await withShots(
          () => [page],
          id,
          () => axeBanner(page, id, [...rules]),
        );
      } finally {
        await page.close();
      }
    }
  });

  it('banner by keyboard: Tab reaches every control with visible focus; details, an error, saved by Enter; Shift+Tab back', async () => {
    const page = await bannerPage('aws-lambda');
    await withShots(
      () => [page],
      'banner-keyboard',
      async () => {
        const region = (await page.$(SEL.card))!;
        await blur(page);
        const read = () => bannerFocus(region);
        const seen = await pressUntil(page, 'Tab', read, (f) => f.name === BANNER.request);
        const names = seen.map((f) => f.name);
        expect(names).toEqual([
          'Details',
          BANNER.dismiss,
          BANNER.duration,
          BANNER.justification,
          BANNER.request,
        ]);
        expectFocusVisible(seen, 'the banner');

        // Details opens with Enter on it; the expanded card is checked too.
        const back = await pressUntil(page, 'Shift+Tab', read, (f) => f.name === 'Details');
        expect(back.map((f) => f.name)).toEqual([
          BANNER.justification,
          BANNER.duration,
          BANNER.dismiss,
          'Details',
        ]);
        await page.keyboard.press('Enter');
        await waitFor(async () => (await readBanners(page))[0]?.text.includes('What the page said'), {
          what: 'the details open',
        });
        await axeBanner(page, 'details open', CARD_RULES);

        // Request access with no justification: the error is shown, tied to the field.
        await pressUntil(page, 'Tab', read, (f) => f.name === BANNER.request);
        await page.keyboard.press('Enter');
        await waitFor(async () => (await readBanners(page))[0]?.text.match(/Justification: /), {
          what: 'the justification error',
        });
        await axeBanner(page, 'justification error', CARD_RULES);

        // Typed and sent with Enter on the button: saved (no broker: a draft in this browser).
        await pressUntil(page, 'Shift+Tab', read, (f) => f.name === BANNER.justification);
        // The field is marked invalid and described by the error (what a screen reader reads on it).
        const field = await region.evaluate((section) => {
          const root = section.getRootNode() as ShadowRoot;
          const input = root.activeElement;
          const ids = input?.getAttribute('aria-describedby')?.split(/\s+/) ?? [];
          return {
            invalid: input?.getAttribute('aria-invalid'),
            description: ids.map((id) => root.getElementById(id)?.textContent ?? '').join(' '),
          };
        });
        expect(field.invalid).toBe('true');
        expect(field.description).toMatch(/^Justification: /);
        await page.keyboard.type('a11y: typed with the keyboard');
        await page.keyboard.press('Tab');
        expect((await read())?.name).toBe(BANNER.request);
        await page.keyboard.press('Enter');
        await waitFor(async () => (await readBanners(page))[0]?.text.includes(BANNER.saved), {
          what: `"${BANNER.saved}"`,
        });
        const drafts = await e2e.readDrafts();
        expect(drafts.map((d) => d.request.justification)).toContain('a11y: typed with the keyboard');
        await axeBanner(page, 'request saved', ['button-name', 'color-contrast']);
      },
    ).finally(() => page.close());
  });

  it('banner: the permission picker by keyboard, its list open and narrowed (checked)', async () => {
    const page = await bannerPage('aws-s3-policy-bare');
    await withShots(
      () => [page],
      'banner-picker',
      async () => {
        const region = (await page.$(SEL.card))!;
        await blur(page);
        const read = () => bannerFocus(region);
        const seen = await pressUntil(page, 'Tab', read, (f) => f.name === 'Permission to request');
        expect(seen.at(-1)?.role).toBe('combobox');
        await page.keyboard.press('ArrowDown');
        await waitFor(async () => (await readBanners(page))[0]?.text.includes('actions shown'), {
          what: 'the list of actions open',
        });
        await axeBanner(page, 'permission picker open', [...CARD_RULES, ...PICKER_RULES]);
        // The check hid the banner for a moment, which took focus away: back to the field.
        await (await region.$(aria('Permission to request', 'combobox')))!.focus();
        await page.keyboard.type('bucket policy');
        await page.keyboard.press('ArrowDown');
        await axeBanner(page, 'permission picker narrowed', [...CARD_RULES, ...PICKER_RULES]);
        await (await region.$(aria('Permission to request', 'combobox')))!.focus();
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('Enter');
        await waitFor(
          async () => /Request\s+s3:\w*BucketPolicy/.test((await readBanners(page))[0]?.text ?? ''),
          {
            what: 'the picked action in the headline',
          },
        );
        // The picked value stays; the rest of the form follows in Tab order.
        const rest = await pressUntil(page, 'Tab', read, (f) => f.name === BANNER.request);
        expect(rest.map((f) => f.name)).toEqual([BANNER.duration, BANNER.justification, BANNER.request]);
        expectFocusVisible([...seen, ...rest], 'the banner with the picker');
      },
    ).finally(() => page.close());
  });

  it('banner by keyboard: Dismiss with Enter, the next card’s Dismiss with Space, Escape', async () => {
    const page = await bannerPage('aws-s3-two');
    await withShots(
      () => [page],
      'banner-dismiss',
      async () => {
        const region = (await page.$(SEL.card))!;
        await blur(page);
        await pressUntil(
          page,
          'Tab',
          () => bannerFocus(region),
          (f) => f.name === BANNER.dismiss,
        );
        await page.keyboard.press('Enter');
        await waitFor(async () => (await readBanners(page)).length === 1, { what: 'one card left' });
        // Focus lands on the next card's Dismiss, so a keyboard user is not thrown to the page top.
        expect((await bannerFocus(region))?.name).toBe(BANNER.dismiss);
        await page.keyboard.press('Space');
        await waitFor(async () => (await countBannerHosts(page)) === 0, { what: 'the banner gone' });
      },
    ).finally(() => page.close());

    const gcp = await bannerPage('gcp-instances');
    await withShots(
      () => [gcp],
      'banner-escape',
      async () => {
        const region = (await gcp.$(SEL.card))!;
        await blur(gcp);
        await pressUntil(
          gcp,
          'Tab',
          () => bannerFocus(region),
          (f) => f.name === BANNER.justification,
        );
        await gcp.keyboard.press('Escape');
        await waitFor(async () => (await countBannerHosts(gcp)) === 0, {
          what: 'the banner gone after Escape',
        });
      },
    ).finally(() => gcp.close());
  });

  it('popup and side panel signed out, options unconfigured and with an error: no serious violations; keyboard', async () => {
    const popup = await e2e.open(popupUrl(e2e));
    const pages = [popup];
    await withShots(
      () => pages,
      'signed-out',
      async () => {
        await popup.waitForSelector('#signed-out-title');
        await axeLightAndDark(popup, 'the popup, signed out', ['button-name', 'color-contrast']);
        // Its one action by keyboard: Tab, Enter opens the options page.
        await blur(popup);
        const seen = await pressUntil(
          popup,
          'Tab',
          () => pageFocus(popup),
          (f) => f.tag === 'button',
        );
        expect(seen.at(-1)?.name).toBe('Open settings to sign in');
        expectFocusVisible(seen, 'the popup');
        const options = e2e.browser.waitForTarget((t: Target) => t.url().endsWith('/options.html'), {
          timeout: 10_000,
        });
        await popup.keyboard.press('Enter');
        const opened = await (await options).page();
        if (opened) pages.push(opened);

        const panel = await e2e.open(sidepanelUrl(e2e));
        pages.push(panel);
        await panel.waitForSelector('#signed-out-title');
        await axeLightAndDark(panel, 'the side panel, signed out', ['button-name']);

        const page = await e2e.open(optionsUrl(e2e));
        pages.push(page);
        await page.waitForSelector('#broker-url');
        await axeLightAndDark(page, 'the options page, empty', ['label', 'button-name', 'color-contrast']);
        // By keyboard: the URL field, a bad URL, Save with Enter: the error is announced and checked.
        await blur(page);
        const fields = await pressUntil(
          page,
          'Tab',
          () => pageFocus(page),
          (f) => f.id === 'broker-url',
        );
        await page.keyboard.type('ftp://nowhere');
        const rest = await pressUntil(
          page,
          'Tab',
          () => pageFocus(page),
          (f) => f.name === 'Save',
        );
        expectFocusVisible([...fields, ...rest], 'the options page');
        await page.keyboard.press('Enter');
        await page.waitForSelector('#broker-url-error[role="alert"]', { timeout: 5000 });
        await axeLightAndDark(page, 'the options page, URL error', ['label', 'aria-valid-attr-value']);
      },
    ).finally(() => Promise.all(pages.map((p) => p.close().catch(() => undefined))));
  });

  it('popup with an unreachable broker', async () => {
    // Nothing listens on port 9 of loopback (discard): the connection is refused at once.
    await seedBrokerSettings(e2e, 'http://127.0.0.1:9', 'ubk_api_unused');
    const popup = await e2e.open(popupUrl(e2e));
    await withShots(
      () => [popup],
      'unreachable',
      async () => {
        await popup.waitForSelector('#unreachable-title', { timeout: 20_000 });
        await axeLightAndDark(popup, 'the popup, broker unreachable', ['button-name', 'color-contrast']);
        await blur(popup);
        const seen = await pressUntil(
          popup,
          'Tab',
          () => pageFocus(popup),
          (f) => f.name === 'Open settings',
        );
        expect(seen.map((f) => f.name)).toEqual(['Try again', 'Open settings']);
        expectFocusVisible(seen, 'the popup, unreachable');
      },
    ).finally(() => popup.close());
  });
});

// ---------------------------------------------------------------------------------------------
// The loop: the banner waiting for an approver, the popup with access and a pending request, the
// side panel as approver (bob) and as requester (alice), the options page connected

const AWS_PROD = '222222222222';
const GCP_PROD = 'acme-prod';

function requestBody(
  cloud: 'aws' | 'gcp',
  account: string,
  actions: string[],
  justification: string,
): CreateRequestBody {
  return {
    target: { cloud, account },
    actions,
    resource: null,
    durationMinutes: 60,
    justification,
    denial: { excerpt: `${actions[0]} denied (a11y test)`, denyKind: 'implicit', encodedMessage: null },
    pageUrl:
      cloud === 'aws' ? 'https://console.aws.amazon.com/console/home' : 'https://console.cloud.google.com/',
  };
}

describe('with the broker (the loop)', () => {
  let loop: LoopE2E;
  useLoopE2E((l) => (loop = l));
  let bob: E2E;
  useApproverBrowser(
    'bob',
    () => loop,
    (b) => (bob = b),
  );

  /** Alice's requests filed through the API: an auto-approved sandbox read, two waiting. */
  const fixtures = { grant: '', toCancel: '', toApprove: '' };
  const CANCEL_WHY = 'a11y: to cancel from the popup';

  const APPROVE_WHY = 'a11y: for bob to approve by keyboard';

  beforeAll(async () => {
    const file = async (body: CreateRequestBody) => {
      const res = await loop.api('alice', 'POST', '/requests', body);
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      return AccessRequestView.parse(res.json);
    };
    const read = await file(
      requestBody('aws', '111111111111', ['lambda:ListFunctions'], 'a11y: sandbox read'),
    );
    expect(read.status).toBe('approved');
    fixtures.grant = read.grantId!;
    fixtures.toCancel = (await file(requestBody('aws', AWS_PROD, ['ec2:StopInstances'], CANCEL_WHY))).id;
    fixtures.toApprove = (
      await file(requestBody('gcp', GCP_PROD, ['compute.instances.list'], APPROVE_WHY))
    ).id;
    await waitFor(
      async () =>
        GrantView.parse((await loop.api('alice', 'GET', `/grants/${fixtures.grant}`)).json).status ===
        'active',
      { timeout: 30_000, interval: 250, what: 'the sandbox grant to be active' },
    );
  });

  const requestStatus = async (id: string) =>
    AccessRequestView.parse((await loop.api('alice', 'GET', `/requests/${id}`)).json).status;

  it('banner: filed by keyboard alone, waiting for approval (checked), dismissed with the keyboard', async () => {
    const page = await loop.open(SIM_URLS.azureVm);
    await withShots(
      () => [page],
      'banner-waiting',
      async () => {
        await page.emulateMediaFeatures([{ name: 'prefers-reduced-motion', value: 'reduce' }]);
        await clickPageButton(page, '#vm-start');
        await waitForCard(page, /virtualMachines\/start\/action/);
        await axeBanner(page, 'Azure request card', CARD_RULES);
        const region = (await page.$(SEL.card))!;
        const read = () => bannerFocus(region);
        await blur(page);
        const seen = await pressUntil(page, 'Tab', read, (f) => f.name === BANNER.justification);
        await page.keyboard.type('a11y: filed with the keyboard only');
        await page.keyboard.press('Tab');
        const button = await read();
        expect(button?.name).toBe(BANNER.request);
        expectFocusVisible([...seen, button!], 'the banner (Azure)');
        await page.keyboard.press('Enter');
        // A production subscription, once the broker has said so (`check-target`): Enter opens the
        // confirmation, focused, which files after a user's pause. Before that answer the card
        // knows only a write, and files at once.
        await sleep(300);
        const next = await read();
        if (next?.name.startsWith('Confirm request for')) {
          expectFocusVisible([next], 'the confirmation');
          await sleep(BUTTON_STEADY_MS);
          await page.keyboard.press('Enter');
        }

        await waitForCard(page, /Waiting for approval from bob or dave/, 30_000);
        const mine = await loop.api('alice', 'GET', '/requests?mine=true');
        const filed = (mine.json as { items: AccessRequestView[] }).items.find(
          (r) => r.justification === 'a11y: filed with the keyboard only',
        );
        expect(filed?.status).toBe('pending');
        await axeBanner(page, 'waiting for approval', ['button-name', 'color-contrast']);

        // The sent form is disabled while waiting, so focus left the button; Shift+Tab from there
        // lands on the card's Dismiss (the disabled fields are skipped), and Escape dismisses it.
        const back = await pressUntil(page, 'Shift+Tab', read, (f) => f.name === BANNER.dismiss, 3);
        expect(back.map((f) => f.name)).toEqual([BANNER.dismiss]);
        await page.keyboard.press('Escape');
        await waitFor(async () => (await countBannerHosts(page)) === 0, {
          what: 'the banner gone after Escape',
        });
      },
    ).finally(() => page.close());
  }, 120_000);

  it('banner: an encoded message decoded by the broker (checked)', async () => {
    const page = await loop.open(SIM_URLS.ec2Instances);
    await withShots(
      () => [page],
      'banner-decoded',
      async () => {
        await page.emulateMediaFeatures([{ name: 'prefers-reduced-motion', value: 'reduce' }]);
        await clickPageButton(page, '#stop-instance');
        await waitForCard(page, /Decoded by the broker from the encoded message/);
        await axeBanner(page, 'decoded by the broker', CARD_RULES);
      },
    ).finally(() => page.close());
  }, 120_000);

  it('side panel as bob: the queue and the grants checked; approve with a comment by keyboard only', async () => {
    const panel = await bob.open(sidepanelUrl(bob));
    await withShots(
      () => [panel],
      'sidebar-bob',
      async () => {
        await panel.waitForFunction(
          (id) => !!document.getElementById(`decide-${id}-comment`),
          { timeout: 30_000, polling: 250 },
          fixtures.toApprove,
        );
        await axeLightAndDark(panel, 'the side panel as bob, queue', [
          'label',
          'button-name',
          'color-contrast',
        ]);

        // The tabs: Tab to the selected one, arrows move between them.
        await blur(panel);
        const toTabs = await pressUntil(
          panel,
          'Tab',
          () => pageFocus(panel),
          (f) => f.role === 'tab',
        );
        expect(toTabs.at(-1)?.name).toBe('To decide');
        await panel.keyboard.press('ArrowRight');
        expect((await pageFocus(panel))?.name).toBe('Active grants');
        await panel.waitForSelector('ul[aria-label="Active grants"]', { timeout: 10_000 });
        await axeLightAndDark(panel, 'the side panel as bob, grants', ['button-name', 'color-contrast']);
        await panel.keyboard.press('ArrowLeft');
        expect((await pageFocus(panel))?.name).toBe('To decide');

        // Tab to the comment of alice's request, type, Tab to Approve, Enter.
        const comment = `decide-${fixtures.toApprove}-comment`;
        const seen = await pressUntil(
          panel,
          'Tab',
          () => pageFocus(panel),
          (f) => f.id === comment,
          300,
        );
        await panel.keyboard.type('fine, approved with the keyboard');
        await panel.keyboard.press('Tab');
        const approve = await pageFocus(panel);
        expect(approve?.name).toBe('Approve');
        expect(
          await panel.evaluate(() => document.activeElement?.closest('li')?.textContent ?? ''),
        ).toContain(APPROVE_WHY);
        expectFocusVisible([...toTabs, ...seen, approve!], 'the side panel');
        await panel.keyboard.press('Enter');
        await waitFor(async () => (await requestStatus(fixtures.toApprove)) === 'approved', {
          timeout: 30_000,
          interval: 250,
          what: 'alice’s request approved',
        });
        const approved = AccessRequestView.parse(
          (await loop.api('alice', 'GET', `/requests/${fixtures.toApprove}`)).json,
        );
        expect(approved.approvals).toMatchObject([
          { approver: 'bob', comment: 'fine, approved with the keyboard' },
        ]);
        await panel.waitForSelector('p.ok[role="status"]', { timeout: 10_000 });
        await axePage(panel, 'the side panel as bob, after approving');
      },
    ).finally(() => panel.close());
  }, 120_000);

  it('side panel as alice: her requests and grants', async () => {
    const panel = await loop.open(sidepanelUrl(loop));
    await withShots(
      () => [panel],
      'sidebar-alice',
      async () => {
        await panel.waitForSelector('ul[aria-label="My requests"] li', { timeout: 30_000 });
        await axeLightAndDark(panel, 'the side panel as alice, her requests', ['color-contrast']);
        await blur(panel);
        await pressUntil(
          panel,
          'Tab',
          () => pageFocus(panel),
          (f) => f.role === 'tab',
        );
        await panel.keyboard.press('ArrowRight');
        await panel.waitForSelector('ul[aria-label="Active grants"]', { timeout: 10_000 });
        await axeLightAndDark(panel, 'the side panel as alice, grants', ['color-contrast']);
      },
    ).finally(() => panel.close());
  }, 120_000);

  it('popup signed in: checked; every action reachable by Tab and working with Enter', async () => {
    const popup = await loop.open(popupUrl(loop));
    const pages = [popup];
    await withShots(
      () => pages,
      'popup',
      async () => {
        const read = () => pageFocus(popup);
        await popup.waitForSelector('li.grant button.primary', { timeout: 30_000 });
        await popup.waitForFunction(
          () => !document.querySelector('.stale') && document.body.innerText.includes('ec2:StopInstances'),
          { timeout: 30_000, polling: 250 },
        );
        await axeLightAndDark(popup, 'the popup, signed in', ['button-name', 'color-contrast', 'list']);

        // Every action is on the Tab path, with a visible focus.
        await blur(popup);
        const seen = await pressUntil(
          popup,
          'Tab',
          read,
          (f) => f.name === 'Cancel request' && f.item.includes('ec2:StopInstances'),
        );
        const names = seen.map((f) => f.name);
        for (const action of [
          'Settings',
          'Open console as this grant',
          'Extend',
          'Revoke now',
          'Cancel request',
        ])
          expect(names).toContain(action);
        expectFocusVisible(seen, 'the popup');

        // Cancel (a real action): Enter on it; the broker says cancelled.
        await popup.keyboard.press('Enter');
        await waitFor(async () => (await requestStatus(fixtures.toCancel)) === 'cancelled', {
          timeout: 15_000,
          what: 'the request cancelled',
        });

        // The sandbox grant's actions (bob's approval gave alice a second grant, on GCP).
        const onSandbox = (name: string) => (f: Focus | null) =>
          f?.name === name && f.item.includes('lambda:ListFunctions');
        const focusOn = async (name: string) => {
          const f = await waitFor(read, { what: `focus on ${name}` });
          expect(onSandbox(name)(f), `focus on the sandbox grant's ${name}: ${JSON.stringify(f)}`).toBe(true);
          return f;
        };

        // Extend: Enter opens the form with focus in it (checked), its Cancel closes it and focus
        // is back on Extend.
        await blur(popup);
        await pressUntil(popup, 'Tab', read, onSandbox('Extend'));
        await popup.keyboard.press('Enter');
        await popup.waitForSelector('form[aria-label="Extend access"]');
        const first = await focusOn('Duration');
        await axeLightAndDark(popup, 'the popup, extend form', ['label', 'button-name']);
        const inForm = await pressUntil(popup, 'Tab', read, (f) => f.name === 'Cancel');
        expect(inForm.map((f) => f.name)).toEqual(['Why more time?', 'Ask for more time', 'Cancel']);
        expectFocusVisible([first, ...inForm], 'the extend form');
        await popup.keyboard.press('Enter');
        await popup.waitForSelector('form[aria-label="Extend access"]', { hidden: true });
        await focusOn('Extend');

        // Open console: Enter opens a new tab for the grant.
        await blur(popup);
        await pressUntil(popup, 'Tab', read, onSandbox('Open console as this grant'));
        const before = new Set(loop.browser.targets());
        const opened = loop.browser.waitForTarget((t) => t.type() === TargetType.PAGE && !before.has(t), {
          timeout: 15_000,
        });
        await popup.keyboard.press('Enter');
        const tab = await (await opened).page();
        if (tab) pages.push(tab);

        // Revoke now: Enter asks, with focus on the confirming button; Keep (Tab, Space) puts focus
        // back; asked again, Enter revokes.
        await popup.bringToFront();
        await blur(popup);
        await pressUntil(popup, 'Tab', read, onSandbox('Revoke now'));
        await popup.keyboard.press('Enter');
        const confirm = await focusOn('Revoke');
        await axeLightAndDark(popup, 'the popup, revoke confirmation', ['button-name']);
        await popup.keyboard.press('Tab');
        const keep = await focusOn('Keep');
        expectFocusVisible([confirm, keep], 'the revoke confirmation');
        await popup.keyboard.press('Space');
        await focusOn('Revoke now');
        await popup.keyboard.press('Enter');
        await focusOn('Revoke');
        await popup.keyboard.press('Enter');
        await waitFor(
          async () =>
            ['revoking', 'revoked'].includes(
              GrantView.parse((await loop.api('alice', 'GET', `/grants/${fixtures.grant}`)).json).status,
            ),
          { timeout: 15_000, what: 'the grant revoked' },
        );
      },
    ).finally(() => Promise.all(pages.map((p) => p.close().catch(() => undefined))));
  }, 120_000);

  it('options page connected', async () => {
    const page = await loop.open(optionsUrl(loop));
    await withShots(
      () => [page],
      'options-connected',
      async () => {
        await page.waitForFunction(
          () => /Connected/.test(document.querySelector('.connection')?.textContent ?? ''),
          {
            timeout: 15_000,
          },
        );
        await axeLightAndDark(page, 'the options page, connected', [
          'label',
          'button-name',
          'color-contrast',
        ]);
        await blur(page);
        const seen = await pressUntil(
          page,
          'Tab',
          () => pageFocus(page),
          (f) => f.name === 'Forget broker',
        );
        expectFocusVisible(seen, 'the options page');
      },
    ).finally(() => page.close());
  });
});
