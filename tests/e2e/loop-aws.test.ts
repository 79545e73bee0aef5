/**
 * The whole loop on AWS, in a real browser: the sandbox Lambda page is denied → "Request access"
 * on the banner → the default policy approves a read on a dev account → the broker's AWS
 * provisioner (against the wire-level fake) grants it → the extension sends the SAME tab through
 * the federation sign-in on signin.aws.amazon.com (served by the simulated consoles), which sets
 * the console session cookie on .aws.amazon.com and lands on the denied page, now with content.
 * Then an early revoke through the API takes the access away: reloading shows the denial again.
 */
import { describe, expect, it } from 'vitest';
import type { HTTPRequest, Page } from 'puppeteer-core';
import { GrantList, GrantView } from '../../lib/contract/api.ts';
import { AWS_CONSOLE_COOKIE } from '../../sim/clouds/aws/fake.ts';
import { AWS_SANDBOX } from '../../sim/consoles/messages.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import {
  requestAccessOn,
  saveScreenshot,
  useLoopE2E,
  waitFor,
  waitForCard,
  withLoopDiagnostics,
  type LoopE2E,
} from './harness.ts';

let loop: LoopE2E;
useLoopE2E((l) => (loop = l));

const CONTENT = '[data-sim-content="lambda-list-functions-sandbox"]';

async function alertText(page: Page): Promise<string> {
  return page.evaluate(() =>
    [...document.querySelectorAll('[role="alert"]')].map((e) => e.textContent ?? '').join('\n'),
  );
}

describe('the loop on AWS (sandbox, auto-approved read)', () => {
  it('denied → Request access → signed in on the same tab through signin.aws.amazon.com → content; revoke → denied again', async () => {
    const page = await loop.open(SIM_URLS.lambdaFunctionsSandbox);
    const signin: string[] = [];
    page.on('request', (r: HTTPRequest) => {
      if (r.isNavigationRequest() && new URL(r.url()).hostname === 'signin.aws.amazon.com')
        signin.push(new URL(r.url()).pathname);
    });
    await withLoopDiagnostics(loop, 'loop-aws', [page], async () => {
      const card = await waitForCard(page, /lambda:ListFunctions/);
      expect(card.text).toMatch(new RegExp(`${AWS_SANDBOX.account}|${AWS_SANDBOX.accountDisplay}|sandbox`));
      expect(await alertText(page)).toContain(AWS_SANDBOX.principal);
      await requestAccessOn(card, 'E2E loop: list the sandbox functions');

      // Auto-approved, granted, signed in: the same tab now shows the functions.
      await page.waitForSelector(CONTENT, { timeout: 60_000 });
      const landed = new URL(page.url());
      expect(landed.hostname).toBe('us-east-1.console.aws.amazon.com');
      expect(landed.pathname).toBe('/lambda/home');
      expect(signin).toContain('/federation');
      const text = await page.$eval(CONTENT, (e) => e.textContent ?? '');
      expect(text).toContain('sandbox-hello');
      expect(await alertText(page)).not.toMatch(/not authorized/);
      const cookies = await page.browserContext().cookies();
      const session = cookies.find((c) => c.name === AWS_CONSOLE_COOKIE);
      expect(session?.domain).toBe('.aws.amazon.com');
      expect(await page.$eval('#account-id', (e) => e.textContent)).toBe(AWS_SANDBOX.accountDisplay);
      await saveScreenshot(page, 'loop-aws-landed');

      // The console's call is in CloudTrail as the grant's session.
      const console = loop.clouds.aws.state.consoleSession(decodeURIComponent(session!.value));
      expect(console).toMatchObject({ account: AWS_SANDBOX.account, sourceIdentity: 'alice' });

      // Revoke early through the API, as alice.
      const grants = GrantList.parse((await loop.api('alice', 'GET', '/grants?mine=true')).json);
      const grant = grants.items.find(
        (g) => g.target.account === AWS_SANDBOX.account && g.status === 'active',
      );
      expect(grant, JSON.stringify(grants.items)).toBeDefined();
      const revoke = await loop.api('alice', 'POST', `/grants/${grant!.id}/revoke`, { reason: 'e2e' });
      expect(revoke.status, JSON.stringify(revoke.json)).toBe(202);
      await waitFor(
        async () =>
          GrantView.parse((await loop.api('alice', 'GET', `/grants/${grant!.id}`)).json).status === 'revoked',
        { timeout: 30_000, interval: 250, what: 'the grant to be revoked' },
      );
      expect(loop.clouds.aws.state.allows(console!, 'lambda:ListFunctions', '*')).toBe(false);

      await page.reload({ waitUntil: 'load' });
      await waitFor(async () => /lambda:ListFunctions/.test(await alertText(page)), {
        timeout: 15_000,
        what: 'the denial after the revoke',
      });
      expect(await page.$(CONTENT)).toBeNull();
      await saveScreenshot(page, 'loop-aws-revoked');
    });
  });
});
