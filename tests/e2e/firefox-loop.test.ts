/**
 * The whole loop in Firefox (firefox-esr, the Firefox MV2 build), alice's API token saved on the
 * options page the way a person does (sim/browser/firefox-session.ts):
 * - AWS: the sandbox Lambda page is denied → "Request access" → the default policy approves a read
 *   on a dev account → the SAME tab goes through the federation sign-in on signin.aws.amazon.com,
 *   which sets the console session cookie on .aws.amazon.com, and lands on the page with content.
 * - Azure: starting a production VM waits for an approver; alice's side panel (the sidebar page,
 *   opened as a tab) lists her pending request; bob approves through the API; alice's tab reloads
 *   into access (Start succeeds); her popup lists the grant as active, with time left.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { AccessRequestList } from '../../lib/contract/api.ts';
import { AWS_CONSOLE_COOKIE } from '../../sim/clouds/aws/fake.ts';
import { AWS_SANDBOX, AZURE } from '../../sim/consoles/messages.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import {
  clickPageButton,
  markDocument,
  requestAccessOn,
  saveScreenshot,
  useFirefoxLoopE2E,
  waitFor,
  waitForFirefoxCard,
  waitForReload,
  withLoopDiagnostics,
  type FirefoxLoopE2E,
} from './harness.ts';

let loop: FirefoxLoopE2E;
useFirefoxLoopE2E((l) => (loop = l));

const LAMBDA_CONTENT = '[data-sim-content="lambda-list-functions-sandbox"]';
const AZURE_JUSTIFICATION = 'Firefox E2E: start the production VM for the release';

async function alertText(page: Page): Promise<string> {
  return page.evaluate(() =>
    [...document.querySelectorAll('[role="alert"]')].map((e) => e.textContent ?? '').join('\n'),
  );
}

describe('Firefox: the whole loop', () => {
  it('AWS: denied → Request access → auto-approved → signed in on the same tab → content', async () => {
    const page = await loop.open(SIM_URLS.lambdaFunctionsSandbox);
    await withLoopDiagnostics(loop, 'firefox-loop-aws', [page], async () => {
      const card = await waitForFirefoxCard(page, /lambda:ListFunctions/);
      expect(card.buttons).toContain('Request access');
      await requestAccessOn(card, 'Firefox E2E: list the sandbox functions');

      await page.waitForSelector(LAMBDA_CONTENT, { timeout: 60_000 });
      const landed = new URL(page.url());
      expect(landed.hostname).toBe('us-east-1.console.aws.amazon.com');
      expect(landed.pathname).toBe('/lambda/home');
      expect(await page.$eval(LAMBDA_CONTENT, (e) => e.textContent ?? '')).toContain('sandbox-hello');
      expect(await alertText(page)).not.toMatch(/not authorized/);
      const session = (await page.browserContext().cookies()).find((c) => c.name === AWS_CONSOLE_COOKIE);
      expect(session?.domain).toBe('.aws.amazon.com');
      const console = loop.clouds.aws.state.consoleSession(decodeURIComponent(session!.value));
      expect(console).toMatchObject({ account: AWS_SANDBOX.account, sourceIdentity: 'alice' });
      await saveScreenshot(page, 'firefox-loop-aws-landed');
    });
  }, 120_000);

  it('Azure: waits for approval (her side panel lists it) → bob approves → the tab reloads into access; the popup lists the grant', async () => {
    const page = await loop.open(SIM_URLS.azureVm);
    const pages: Page[] = [page];
    await withLoopDiagnostics(loop, 'firefox-loop-azure', pages, async () => {
      await clickPageButton(page, '#vm-start');
      const card = await waitForFirefoxCard(page, /virtualMachines\/start\/action/);
      await requestAccessOn(card, AZURE_JUSTIFICATION);
      await waitForFirefoxCard(page, /Waiting for approval from bob or dave/, 30_000);
      await markDocument(page);

      // Alice's side panel (sidebar_action's page, opened as a tab): her request, pending.
      const panel = await loop.openExtensionPage('sidepanel.html');
      pages.push(panel);
      const mine = await panel.waitForSelector('ul[aria-label="My requests"] li.status-pending', {
        timeout: 30_000,
      });
      const item = await mine!.evaluate((e) => (e as HTMLElement).innerText);
      expect(item).toContain('Contoso Production');
      expect(item).toContain('Waiting for approval');
      expect(item).toContain('Microsoft.Compute/virtualMachines/start/action');
      await saveScreenshot(panel, 'firefox-loop-sidepanel');
      await panel.close();

      // Bob approves it through the API.
      const pending = await waitFor(
        async () => {
          const list = AccessRequestList.parse(
            (await loop.api('bob', 'GET', '/requests?status=pending')).json,
          );
          return list.items.find((r) => r.justification === AZURE_JUSTIFICATION);
        },
        { timeout: 10_000, what: "alice's pending request in bob's queue" },
      );
      expect(pending.target.account).toBe(AZURE.subscription);
      const approve = await loop.api('bob', 'POST', `/requests/${pending.id}/approve`, {
        comment: 'go ahead',
      });
      expect(approve.status, JSON.stringify(approve.json)).toBe(200);

      // The extension notices, lands, and the tab reloads into access.
      await waitForReload(page, 90_000);
      expect(page.url()).toBe(SIM_URLS.azureVm);
      await clickPageButton(page, '#vm-start');
      await page.waitForSelector('[data-sim-content="azure-vm-start"]', { timeout: 15_000 });
      expect(await page.$eval('#vm-status', (e) => e.textContent)).toBe('Running');
      await saveScreenshot(page, 'firefox-loop-azure-landed');

      // Her popup (the toolbar popup's page, opened as a tab): the grant, active, with time left.
      const popup = await loop.openExtensionPage('popup.html');
      pages.push(popup);
      const active = await popup.waitForSelector('::-p-aria([name="Active access"][role="region"])', {
        timeout: 30_000,
      });
      await waitFor(
        async () =>
          /Contoso Production|2222/.test(await active!.evaluate((e) => (e as HTMLElement).innerText)),
        {
          timeout: 30_000,
          what: 'the Azure grant in the popup',
        },
      );
      const text = await active!.evaluate((e) => (e as HTMLElement).innerText);
      expect(text).toMatch(/\d+:\d{2} left/);
      await saveScreenshot(popup, 'firefox-loop-popup');
    });
  }, 180_000);
});
