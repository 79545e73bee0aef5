/**
 * The requester's popup in the whole loop, in a real browser (the popup page opened as a tab):
 * (4) alice lands on the sandbox Lambda list with an auto-approved grant; the popup lists it as
 * active with a live countdown; cloud (and broker) time moves past its end, the broker's worker
 * ends it, the popup no longer lists it as active and its request under "Recent requests" says
 * "Access ended", and the console denies again with the banner back.
 * (5) alice lands on the acme-dev VM list; "Revoke now" in the popup (confirmed) revokes it, the
 * broker reports it revoked, the popup (refreshing itself) says "Access revoked" and the console
 * denies again. (4) also takes the README's popup screenshot while the countdown runs.
 */
import { describe, expect, it } from 'vitest';
import type { ElementHandle, Page } from 'puppeteer-core';
import { GrantList, GrantView } from '../../lib/contract/api.ts';
import { AWS_SANDBOX, GCP, GCP_DEV } from '../../sim/consoles/messages.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import {
  aria,
  markDocument,
  publishScreenshot,
  popupUrl,
  readCard,
  requestAccessOn,
  saveScreenshot,
  useLoopE2E,
  waitFor,
  waitForCard,
  waitForReload,
  type LoopE2E,
  withLoopDiagnostics,
} from './harness.ts';

let loop: LoopE2E;
useLoopE2E((l) => (loop = l));

/** What the popup's TargetLine says for the two targets (`targetAccount`). */
const AWS_SANDBOX_LINE = `AWS ${AWS_SANDBOX.account}`;
const GCP_DEV_LINE = `Google Cloud ${GCP_DEV.project}`;
const LAMBDA_CONTENT = '[data-sim-content="lambda-list-functions-sandbox"]';
const GCP_CONTENT = '[data-sim-content="gcp-compute-instances-list-dev"]';

// The popup's sections and controls, by accessible name (components/popup/*).
const POPUP = {
  active: aria('Active access', 'region'),
  history: aria('Recent requests', 'region'),
  revokeNow: aria('Revoke now', 'button'),
  confirm: aria('End this access now?', 'group'),
  revoke: aria('Revoke', 'button'),
  timer: '::-p-aria([role="timer"])',
  item: '::-p-aria([role="listitem"])',
  main: '::-p-aria([role="main"])',
} as const;

interface PopupItem {
  handle: ElementHandle<Element>;
  text: string;
  buttons: string[];
}

/** The items of a popup section (its outer list items: the ones naming a target account). */
async function sectionItems(popup: Page, section: string, targetLine: string): Promise<PopupItem[]> {
  const region = await popup.$(section);
  if (!region) return [];
  const items: PopupItem[] = [];
  for (const handle of await region.$$(POPUP.item)) {
    const { text, buttons } = await readCard(popup, handle);
    if (text.includes(targetLine)) items.push({ handle, text, buttons });
  }
  return items;
}

/** Everything the popup says, for failure messages. */
async function popupText(popup: Page): Promise<string> {
  return popup.evaluate(() => document.body.innerText).catch((e: unknown) => `(unreadable: ${String(e)})`);
}

/** `59:58 left` / `1:05:07 left` → seconds. */
function parseRemaining(text: string): number | null {
  const m = /^(?:(\d+):)?(\d{1,2}):(\d{2}) left$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

async function timerText(item: PopupItem): Promise<string> {
  const timer = await item.handle.$(POPUP.timer);
  if (!timer) throw new Error(`the grant item has no timer:\n${item.text}`);
  return timer.evaluate((e) => e.textContent ?? '');
}

async function alertText(page: Page): Promise<string> {
  return page.evaluate(() =>
    [...document.querySelectorAll('[role="alert"]')].map((e) => e.textContent ?? '').join('\n'),
  );
}

/** alice's grant on `account` in status `status`, from the broker. */
async function aliceGrant(account: string, status: GrantView['status']): Promise<GrantView | null> {
  const grants = GrantList.parse((await loop.api('alice', 'GET', '/grants?mine=true')).json);
  return grants.items.find((g) => g.target.account === account && g.status === status) ?? null;
}

async function waitForGrantStatus(id: string, status: GrantView['status']): Promise<GrantView> {
  let last = '';
  return waitFor(
    async () => {
      const grant = GrantView.parse((await loop.api('alice', 'GET', `/grants/${id}`)).json);
      last = grant.status;
      return grant.status === status ? grant : null;
    },
    { timeout: 30_000, interval: 250, what: `grant ${id} to be ${status} (last: ${last || '?'})` },
  );
}

/** Waits until the popup (as it refreshes itself, or after `reload`) satisfies `check`. */
async function waitForPopup(
  popup: Page,
  what: string,
  check: () => Promise<boolean>,
  timeout = 45_000,
): Promise<void> {
  try {
    await waitFor(check, { timeout, interval: 250, what });
  } catch (err) {
    throw new Error(`${(err as Error).message}\npopup says:\n${await popupText(popup)}`, { cause: err });
  }
}

/** On failure, the popup's text beside its screenshot. */
const popupTextOf = async (p: Page) =>
  p.url().startsWith('chrome-extension://') ? `popup:\n${await popupText(p)}` : null;

describe('the requester’s popup in the loop', () => {
  it('(4) a grant expires on the shared clock → the popup lists it as ended; the console denies again', async () => {
    const page = await loop.open(SIM_URLS.lambdaFunctionsSandbox);
    const pages: Page[] = [page];
    await withLoopDiagnostics(
      loop,
      'loop-popup-expiry',
      pages,
      async () => {
        // Denied → Request access → auto-approved → signed in on the same tab.
        const card = await waitForCard(page, /lambda:ListFunctions/);
        await requestAccessOn(card, 'E2E popup: list the sandbox functions until the grant ends');
        await page.waitForSelector(LAMBDA_CONTENT, { timeout: 60_000 });
        expect(await page.$eval(LAMBDA_CONTENT, (e) => e.textContent ?? '')).toContain('sandbox-hello');
        const grant = await waitFor(() => aliceGrant(AWS_SANDBOX.account, 'active'), {
          timeout: 10_000,
          what: 'alice’s active sandbox grant',
        });

        // The popup: the grant is active access, with the actions and a running countdown.
        const popup = await loop.open(popupUrl(loop));
        pages.push(popup);
        await popup.setViewport({ width: 360, height: 600 });
        let item: PopupItem | undefined;
        await waitForPopup(popup, 'the sandbox grant under Active access', async () => {
          item = (await sectionItems(popup, POPUP.active, AWS_SANDBOX_LINE))[0];
          return !!item;
        });
        expect(item!.text).toContain('sandbox (dev)');
        expect(item!.text).toContain('lambda:ListFunctions');
        expect(item!.buttons).toEqual(['Open console as this grant', 'Extend', 'Revoke now']);
        const first = await timerText(item!);
        const firstLeft = parseRemaining(first);
        expect(firstLeft, `timer says "${first}"`).not.toBeNull();
        // A one-hour grant, just granted: well under the hour left, and far from its end.
        expect(firstLeft!).toBeLessThanOrEqual(60 * 60);
        expect(firstLeft!).toBeGreaterThan(30 * 60);
        // It counts down by itself.
        await waitFor(
          async () => {
            const left = parseRemaining(await timerText(item!));
            return left !== null && left < firstLeft!;
          },
          { timeout: 10_000, what: `the countdown to move on from "${first}"` },
        );
        const history = await sectionItems(popup, POPUP.history, AWS_SANDBOX_LINE);
        expect(history.map((h) => h.text).join('\n')).toContain('Auto-approved');
        // The README's picture: the popup's own size (360 px wide, as tall as its content).
        const height = await popup.$eval(POPUP.main, (e) => Math.ceil(e.getBoundingClientRect().height));
        await popup.setViewport({ width: 360, height: Math.min(Math.max(height, 200), 600) });
        publishScreenshot(await saveScreenshot(popup, 'popup-active-grant'), 'popup');

        // Cloud and broker time move past the grant's end; the broker's worker ends it.
        const left = Date.parse(grant.expiresAt) - loop.clouds.clock.now().getTime();
        expect(left).toBeGreaterThan(0);
        loop.clouds.clock.advance(left + 60_000);
        const ended = await waitForGrantStatus(grant.id, 'ended');
        expect(ended.endedAt).not.toBeNull();

        // Reopened, the popup has no active access left and lists the grant as ended.
        await popup.reload({ waitUntil: 'load' });
        await waitForPopup(popup, 'the popup to list the sandbox grant as ended', async () => {
          const active = await sectionItems(popup, POPUP.active, AWS_SANDBOX_LINE);
          const past = await sectionItems(popup, POPUP.history, AWS_SANDBOX_LINE);
          return active.length === 0 && past.some((h) => /Access ended/.test(h.text));
        });
        const activeRegion = await popup.$(POPUP.active);
        expect((await readCard(popup, activeRegion!)).text).toContain('No active access');
        expect(await popup.$(POPUP.revokeNow)).toBeNull();
        expect(await popup.$$(POPUP.timer)).toHaveLength(0);
        await saveScreenshot(popup, 'loop-popup-ended');
        await popup.close();
        pages.pop();

        // The console: denied again, and the banner offers to ask again.
        await page.bringToFront();
        await page.reload({ waitUntil: 'load' });
        await waitFor(async () => /lambda:ListFunctions/.test(await alertText(page)), {
          timeout: 15_000,
          what: 'the console to deny lambda:ListFunctions again',
        });
        expect(await page.$(LAMBDA_CONTENT)).toBeNull();
        const again = await waitForCard(page, /lambda:ListFunctions/);
        expect(again.buttons).toContain('Request access');
        await saveScreenshot(page, 'loop-popup-expired-denied');
      },
      popupTextOf,
    );
  }, 180_000);

  it('(5) Revoke now in the popup → the broker revokes the grant → the console denies again', async () => {
    const page = await loop.open(SIM_URLS.gcpInstancesDev);
    const pages: Page[] = [page];
    await withLoopDiagnostics(
      loop,
      'loop-popup-revoke',
      pages,
      async () => {
        const card = await waitForCard(page, /compute\.instances\.list/);
        await markDocument(page);
        await requestAccessOn(card, 'E2E popup: list the dev VMs, then give the access back');
        await waitForReload(page, 60_000);
        await page.waitForSelector(GCP_CONTENT, { timeout: 30_000 });
        const grant = await waitFor(() => aliceGrant(GCP_DEV.project, 'active'), {
          timeout: 10_000,
          what: 'alice’s active acme-dev grant',
        });
        const member = `user:${GCP.principal}`;
        expect(loop.clouds.gcp.state.allows(member, GCP_DEV.project, 'compute.instances.list')).toBe(true);

        const popup = await loop.open(popupUrl(loop));
        pages.push(popup);
        await popup.setViewport({ width: 360, height: 600 });
        let item: PopupItem | undefined;
        await waitForPopup(popup, 'the acme-dev grant under Active access', async () => {
          item = (await sectionItems(popup, POPUP.active, GCP_DEV_LINE))[0];
          return !!item?.buttons.includes('Revoke now');
        });
        expect(item!.text).toContain('acme-dev (dev)');
        expect(item!.text).toContain('compute.instances.list');
        expect(await item!.handle.$(POPUP.timer)).not.toBeNull();

        // "Revoke now" asks first; "Revoke" (real clicks) does it.
        const revokeNow = await item!.handle.$(POPUP.revokeNow);
        await revokeNow!.click();
        const confirm = await item!.handle.waitForSelector(POPUP.confirm, { timeout: 5000 });
        const revoke = await confirm!.$(POPUP.revoke);
        if (!revoke) throw new Error(`the confirmation has no Revoke button:\n${await popupText(popup)}`);
        await revoke.click();

        // The broker revokes it (the worker takes the binding away).
        const revoked = await waitForGrantStatus(grant.id, 'revoked');
        expect(revoked.endedAt).not.toBeNull();
        expect(loop.clouds.gcp.state.allows(member, GCP_DEV.project, 'compute.instances.list')).toBe(false);

        // The popup, refreshing itself (no reload): no longer active, listed as revoked.
        await waitForPopup(popup, 'the popup to list the acme-dev grant as revoked', async () => {
          const active = await sectionItems(popup, POPUP.active, GCP_DEV_LINE);
          const past = await sectionItems(popup, POPUP.history, GCP_DEV_LINE);
          return active.length === 0 && past.some((h) => /Access revoked/.test(h.text));
        });
        expect(await popup.$('::-p-aria([role="alert"])')).toBeNull();
        await saveScreenshot(popup, 'loop-popup-revoked');
        await popup.close();
        pages.pop();

        // The console: denied again on reload (bounded: the cloud may take a moment).
        await page.bringToFront();
        await waitFor(
          async () => {
            await page.reload({ waitUntil: 'load' });
            await page.waitForSelector(`${GCP_CONTENT}, [role="alert"]`, { timeout: 10_000 });
            return /compute\.instances\.list|additional access/i.test(await alertText(page));
          },
          { timeout: 30_000, interval: 1000, what: 'the console to deny compute.instances.list again' },
        );
        expect(await page.$(GCP_CONTENT)).toBeNull();
        const again = await waitForCard(page, /compute\.instances\.list/);
        expect(again.buttons).toContain('Request access');
        await saveScreenshot(page, 'loop-popup-revoked-denied');
      },
      popupTextOf,
    );
  }, 180_000);
});
