/**
 * A grant that cannot be provisioned, tried as a new user would, in real browsers (issue 11):
 * alice is denied `container.clusters.get` on acme-dev (a real GKE denial text, placed on the
 * simulated GCP console), asks for access, policy approves the read at once, and the broker's GCP
 * provisioner finds no predefined role holding the permission in the GCP fake's catalogue. Her
 * banner card then says why and what an operator can do — not "retrying" for as long as she
 * waits —, her popup says the approved request was not granted, and bob finds the failed grant in
 * his side panel's queue with the reason.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { GrantList } from '../../lib/contract/api.ts';
import { GCP, GCP_DEV } from '../../sim/consoles/messages.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import {
  popupUrl,
  requestAccessOn,
  saveScreenshot,
  sidepanelUrl,
  useApproverBrowser,
  useLoopE2E,
  waitForCard,
  type E2E,
  type LoopE2E,
  withLoopDiagnostics,
} from './harness.ts';
import { place, realDenial } from './placements.ts';

const PERMISSION = 'container.clusters.get';
const REASON = `no predefined role grantable on projects/acme-dev contains ${PERMISSION}`;
const JUSTIFICATION = 'E2E failure: read the GKE cluster';

let loop: LoopE2E;
useLoopE2E((l) => (loop = l));
let bob: E2E;
useApproverBrowser(
  'bob',
  () => loop,
  (b) => (bob = b),
);

/** The GCP placement page on the dev project (the page context reads the project from the URL). */
function devPlacementUrl(): string {
  const url = new URL(SIM_URLS.placeGcp);
  url.searchParams.set('project', GCP_DEV.project);
  return url.toString();
}

/** The rendered text of the first `selector` element whose text holds `containing`, once there is one. */
async function itemText(page: Page, selector: string, containing: string): Promise<string> {
  const handle = await page.waitForFunction(
    (sel, text) =>
      [...document.querySelectorAll<HTMLElement>(sel)]
        .map((el) => el.innerText)
        .find((t) => t.includes(text)) ?? null,
    { timeout: 30_000, polling: 250 },
    selector,
    containing,
  );
  return String(await handle.jsonValue());
}

describe('a grant that cannot be provisioned', () => {
  it('GCP permission no predefined role holds: approved, then the banner says why and what an operator can do', async () => {
    const page = await loop.open(devPlacementUrl());
    const pages: Page[] = [page];
    await withLoopDiagnostics(loop, 'loop-grant-failure', pages, async () => {
      await place(page, 'errorDetails', realDenial('gcp/015-gke-action-clusters-get-no-resource').text);
      const card = await waitForCard(page, /container\.clusters\.get/);
      expect(card.text).toContain(GCP_DEV.project);
      await requestAccessOn(card, JUSTIFICATION);

      // Alice: the reason and the operator's advice, in the card; never "retrying".
      const failed = await waitForCard(page, /access could not be granted/, 60_000);
      expect(failed.text).toContain(`Approved, but access could not be granted: ${REASON}`);
      expect(failed.text).toMatch(/What an operator can do: set targets\[\]\.gcp\.customRoles: true/);
      expect(failed.text).not.toMatch(/retrying/);
      await saveScreenshot(page, 'loop-grant-failure-banner');

      // The broker agrees: the grant failed for good, and nothing was bound in the project.
      const grants = GrantList.parse((await loop.api('alice', 'GET', '/grants?status=failed')).json);
      expect(grants.items.map((g) => [g.failure?.cause, g.failure?.reason])).toEqual([['permanent', REASON]]);
      expect(loop.clouds.gcp.state.allows(`user:${GCP.principal}`, GCP_DEV.project, PERMISSION)).toBe(false);

      // Her popup: approved, not granted, and why.
      const popup = await loop.open(popupUrl(loop));
      pages.push(popup);
      const historyText = await itemText(popup, 'li.history', REASON);
      expect(historyText).toContain('Auto-approved, not granted');
      expect(historyText).toContain('What an operator can do:');

      // Bob: the failed grant in his queue, with the reason, for someone to act on.
      const panel = await bob.open(sidepanelUrl(bob));
      pages.push(panel);
      const queued = await itemText(panel, 'section.trouble li.trouble-item', REASON);
      expect(queued).toContain('alice');
      expect(queued).toContain('Could not be granted');
      expect(queued).toMatch(/What an operator can do: set targets\[\]\.gcp\.customRoles: true/);
      await saveScreenshot(panel, 'loop-grant-failure-sidebar');
    });
  }, 240_000);
});
