/**
 * Four eyes, from every surface, in a real browser: alice asks (from the banner on the denied
 * Azure production VM, as in loop-sidebar) for a write that needs an approver, and then cannot
 * get it approved by herself —
 *   - her banner card, popup and side panel offer Cancel / nothing, never Approve (and her side
 *     panel has no queue);
 *   - the broker refuses her approve and deny calls (403, naming her own request);
 *   - the console page cannot forge one: the page's world has no `chrome.runtime`, the
 *     extension listens to no window messages, its content script cannot read the token
 *     (storage.local is for trusted contexts) and the background refuses any message but
 *     `load-ui` / `save-draft`, and the broker takes no ambient credentials;
 * after all of which the request is still pending with no approval, and the audit log (read by
 * carol, the auditor) records none by alice. Then bob approves it through the API, which proves
 * the request was approvable all along (and that the audit check can see an approval).
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { AccessRequestList, AccessRequestView, ApiError, AuditList } from '../../lib/contract/api.ts';
import type { AuditEntryView } from '../../lib/contract/api.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import {
  clickPageButton,
  evaluateInContentScript,
  popupUrl,
  readBanners,
  requestAccessOn,
  saveScreenshot,
  sidepanelUrl,
  useLoopE2E,
  waitFor,
  waitForCard,
  type LoopE2E,
  withLoopDiagnostics,
} from './harness.ts';

const JUSTIFICATION = 'E2E self-approval: start the production VM, then try to approve it myself';

let loop: LoopE2E;
useLoopE2E((l) => (loop = l));

/** The whole audit log, as carol (the auditor) reads it, page by page. */
async function auditAsCarol(): Promise<AuditEntryView[]> {
  const all: AuditEntryView[] = [];
  let after = 0;
  for (;;) {
    const r = await loop.api('carol', 'GET', `/audit?after=${after}&limit=500`);
    expect(r.status).toBe(200);
    const page = AuditList.parse(r.json);
    all.push(...page.items);
    if (!page.items.length || page.nextCursor === null) return all;
    after = page.items[page.items.length - 1]!.seq;
  }
}

/** The audit rows about a request, decisions and recorded approvals only. */
const decisionsOn = (rows: AuditEntryView[], requestId: string) =>
  rows.filter(
    (e) =>
      (e.subject === requestId || JSON.stringify(e.details).includes(requestId)) &&
      /approv|denied/.test(e.type),
  );

async function requestAs(user: 'alice' | 'bob', id: string): Promise<AccessRequestView> {
  const r = await loop.api(user, 'GET', `/requests/${id}`);
  expect(r.status).toBe(200);
  return AccessRequestView.parse(r.json);
}

/** Buttons and text of the list items of `listSelector` on an extension page. */
async function listItems(page: Page, listSelector: string) {
  return page.$$eval(`${listSelector} > li`, (lis) =>
    lis.map((li) => ({
      text: (li as HTMLElement).innerText,
      buttons: [...li.querySelectorAll('button')].map((b) => b.textContent?.trim() ?? ''),
    })),
  );
}

describe('alice cannot approve her own request', () => {
  it('from her banner, popup, side panel, the API or the console page; bob can', async () => {
    const page = await loop.open(SIM_URLS.azureVm);
    const pages: Page[] = [page];
    await withLoopDiagnostics(loop, 'self-approval', pages, async () => {
      // Alice: denied starting the prod VM; she asks and waits for an approver.
      await clickPageButton(page, '#vm-start');
      const card = await waitForCard(page, /virtualMachines\/start\/action/);
      await requestAccessOn(card, JUSTIFICATION);
      const waiting = await waitForCard(page, /Waiting for approval from bob or dave/, 30_000);
      expect(waiting.buttons).not.toContain('Approve');
      for (const c of await readBanners(page)) expect(c.buttons.join('|')).not.toMatch(/approve/i);

      const mine = AccessRequestList.parse((await loop.api('alice', 'GET', '/requests?mine=true')).json);
      const filed = mine.items.filter((r) => r.justification === JUSTIFICATION);
      expect(filed).toHaveLength(1);
      const request = filed[0]!;
      expect(request).toMatchObject({ requester: 'alice', status: 'pending', approvals: [] });
      const id = request.id;

      // The console page tries to forge an approval.
      // (1) Its own world: no extension messaging at all (no externally_connectable), and
      //     window messages / events go nowhere.
      const mainWorld = await page.evaluate((requestId) => {
        const g = globalThis as unknown as { chrome?: { runtime?: { sendMessage?: unknown } } };
        const forged = { type: 'approve', requestId, comment: 'forged by the page' };
        window.postMessage(forged, '*');
        window.postMessage({ source: 'unblock', ...forged }, '*');
        document.dispatchEvent(new CustomEvent('unblock:approve', { detail: forged }));
        return typeof g.chrome?.runtime?.sendMessage;
      }, id);
      expect(mainWorld).toBe('undefined');
      // (2) The broker takes no ambient credentials: a page's credentialed call to the approve
      //     route reaches it and is refused (401, no bearer token); the page cannot even read
      //     that answer (no CORS headers for it).
      const approveUrl = `${loop.broker.url}/api/v1/requests/${id}/approve`;
      // The status as it came off the wire (CDP), since the page itself may not read it.
      const cdp = await page.createCDPSession();
      const wire = new Map<string, { url?: string; status?: number }>();
      cdp.on('Network.requestWillBeSent', (e: { requestId: string; request: { url: string } }) =>
        wire.set(e.requestId, { ...wire.get(e.requestId), url: e.request.url }),
      );
      cdp.on('Network.responseReceivedExtraInfo', (e: { requestId: string; statusCode: number }) =>
        wire.set(e.requestId, { ...wire.get(e.requestId), status: e.statusCode }),
      );
      await cdp.send('Network.enable');
      const fromPage = await page.evaluate(async (url) => {
        try {
          const r = await fetch(url, {
            method: 'POST',
            credentials: 'include',
            headers: { 'content-type': 'text/plain' },
            body: '{"comment":"forged"}',
          });
          return `read HTTP ${r.status}`;
        } catch (e) {
          return `blocked: ${String(e)}`;
        }
      }, approveUrl);
      const answered = await waitFor(
        () => [...wire.values()].find((w) => w.url === approveUrl && w.status !== undefined),
        { timeout: 10_000, what: 'the broker’s answer to the page’s call' },
      );
      await cdp.detach();
      expect(answered.status).toBe(401);
      expect(fromPage).toMatch(/^blocked: /);
      // (3) Even the extension's content script on the page: no token to read, and the
      //     background refuses every message type but load-ui / save-draft.
      const fromContentScript = (await evaluateInContentScript(
        page,
        `(async () => {
          const requestId = ${JSON.stringify(id)};
          const send = (m) => chrome.runtime.sendMessage(m).catch((e) => ({ thrown: String(e) }));
          const storage = await chrome.storage.local.get(null).then(
            (v) => 'read ' + Object.keys(v).join(','),
            (e) => 'refused: ' + String((e && e.message) || e),
          );
          return {
            runtimeId: chrome.runtime.id,
            storage,
            replies: [
              await send({ type: 'approve', requestId, comment: 'forged' }),
              await send({ type: 'approve-request', id: requestId }),
              await send({ type: 'decide', requestId, decision: 'approve' }),
              await send({ type: 'load-ui' }),
            ],
          };
        })()`,
      )) as { runtimeId: string; storage: string; replies: unknown[] };
      expect(fromContentScript.runtimeId).toBe(loop.extensionId);
      expect(fromContentScript.storage).toMatch(/^refused: /);
      const [approveReply, approveRequestReply, decideReply, loadUiReply] = fromContentScript.replies;
      for (const reply of [approveReply, approveRequestReply, decideReply]) {
        // Refused as an unknown message type, before anything is looked at.
        expect(reply).toMatchObject({ ok: false, error: expect.stringMatching(/^type: /) as unknown });
      }
      // The one known message type still works (so the refusals above are about the message).
      expect(loadUiReply).toEqual({ ok: true });

      // Her popup: the request is waiting, with Cancel and nothing to approve.
      const popup = await loop.open(popupUrl(loop));
      pages.push(popup);
      await popup.waitForSelector('section[aria-labelledby="pending-title"] li.item.pending', {
        timeout: 30_000,
      });
      const pending = await listItems(popup, 'section[aria-labelledby="pending-title"] > ul');
      expect(pending).toHaveLength(1);
      expect(pending[0]!.text).toMatch(/Waiting/);
      expect(pending[0]!.text).toMatch(/Contoso Production|22222222-2222-2222-2222-222222222222/);
      expect(pending[0]!.buttons).toEqual(['Cancel request']);
      const popupButtons = await popup.$$eval('button', (bs) => bs.map((b) => b.textContent?.trim() ?? ''));
      expect(popupButtons.filter((b) => /approve|deny/i.test(b))).toEqual([]);
      await saveScreenshot(popup, 'self-approval-popup');
      await popup.close();
      await page.bringToFront();

      // Her side panel: her request, pending; no queue, no decision controls.
      const panel = await loop.open(sidepanelUrl(loop));
      pages.push(panel);
      await panel.waitForSelector('ul[aria-label="My requests"] li.status-pending', { timeout: 30_000 });
      const panelView = await panel.evaluate(() => ({
        text: document.body.innerText,
        buttons: [...document.querySelectorAll('button')].map((b) => b.textContent?.trim() ?? ''),
        queue: document.querySelectorAll('ul[aria-label="Requests to decide"]').length,
        forms: document.querySelectorAll('textarea').length,
      }));
      expect(panelView.text).toContain('Alice (engineer)');
      expect(panelView.queue).toBe(0);
      expect(panelView.forms).toBe(0);
      expect(panelView.buttons.filter((b) => /approve|deny/i.test(b))).toEqual([]);
      await saveScreenshot(panel, 'self-approval-sidepanel');
      await panel.close();
      await page.bringToFront();

      // The broker API: alice's approve and deny are refused, naming her own request.
      for (const decision of ['approve', 'deny'] as const) {
        const r = await loop.api('alice', 'POST', `/requests/${id}/${decision}`, {
          comment: `alice ${decision}s her own request`,
        });
        expect(r.status, JSON.stringify(r.json)).toBe(403);
        const err = ApiError.parse(r.json).error;
        expect(err.code).toBe('forbidden');
        expect(err.message).toMatch(/own request/i);
      }

      // Nothing moved: still pending, no approval, and no decision by alice in the audit log.
      const still = await requestAs('alice', id);
      expect(still.status).toBe('pending');
      expect(still.approvals).toEqual([]);
      expect(still.denials).toEqual([]);
      const before = await auditAsCarol();
      expect(before.some((e) => e.type === 'request.submitted' && e.actor === 'alice')).toBe(true);
      expect(decisionsOn(before, id)).toEqual([]);
      expect(before.filter((e) => e.actor === 'alice' && /approv|denied/.test(e.type))).toEqual([]);

      // Bob can: the request was approvable.
      const approved = await loop.api('bob', 'POST', `/requests/${id}/approve`, { comment: 'four eyes: ok' });
      expect(approved.status, JSON.stringify(approved.json)).toBe(200);
      const after = AccessRequestView.parse(approved.json);
      expect(after.status).not.toBe('pending');
      expect(after.approvals.map((a) => a.approver)).toEqual(['bob']);
      const decided = decisionsOn(await auditAsCarol(), id);
      expect(decided.map((e) => e.actor)).toContain('bob');
      expect(decided.some((e) => e.type === 'request.approved' && e.actor === 'bob')).toBe(true);
      expect(decided.filter((e) => e.actor === 'alice')).toEqual([]);
    });
  }, 240_000);
});
