/**
 * The live path, in a real browser: while alice's banner card waits for an approver it holds a
 * port to the background, which follows the broker's event stream; bob's approval is an event,
 * and the event — not the next back-off poll — brings the landing.
 *
 * The proof is not a timing: once alice's request is waiting, every timer of 4 s or more in the
 * extension's service worker is frozen (recorded, never run; the request flow backs off 1 s, 1.5 s,
 * … 5 s, …, 15 s, so its polls stop at the first 5 s one; the cloud's 1 s propagation wait before
 * the reload is not affected). With the flow parked on a frozen timer, bob approves through the
 * API. Only a wake can cancel that timer and poll again: the tab reloads into access, and the
 * frozen timer was cleared — by the same worker, which the freeze proves was never restarted.
 */
import { describe, expect, it } from 'vitest';
import { AccessRequestList } from '../../lib/contract/api.ts';
import { POLL_MAX_MS, POLL_MS } from '../../lib/background/request-flow.ts';
import { AZURE } from '../../sim/consoles/messages.ts';
import { SIM_URLS } from '../../sim/consoles/server.ts';
import {
  clickPageButton,
  markDocument,
  requestAccessOn,
  useLoopE2E,
  waitFor,
  waitForCard,
  waitForReload,
  type LoopE2E,
  withLoopDiagnostics,
} from './harness.ts';

const JUSTIFICATION = 'E2E live: start the production VM, woken by the event stream';
/** Timers at least this long are frozen: the flow's back-off from its 5th poll on, not the 1 s reload wait. */
const FREEZE_FROM_MS = 4000;

/**
 * The delays the request flow backs off through while nothing changes (×1.5 from POLL_MS), below
 * POLL_MAX_MS: no other timer in the worker has these (the stream's retries double from 1 s, the
 * broker calls time out at 15 s), so a frozen timer of one of these lengths is the flow's.
 */
function flowBackOffs(): Set<number> {
  const delays = new Set<number>();
  for (let d = POLL_MS; d < POLL_MAX_MS; d = Math.round(d * 1.5)) if (d >= FREEZE_FROM_MS) delays.add(d);
  return delays;
}

let loop: LoopE2E;
useLoopE2E((l) => (loop = l));

/** Runs INSIDE the service worker: from now on, timers of `from` ms or more never fire. */
function freezeLongTimers(from: number): void {
  interface Frozen {
    timers: Map<number, number>;
  }
  const g = globalThis as unknown as {
    __e2eFrozen?: Frozen;
    setTimeout: (fn: () => void, ms?: number) => number;
    clearTimeout: (id?: number) => void;
  };
  if (g.__e2eFrozen) return;
  const frozen: Frozen = { timers: new Map() };
  g.__e2eFrozen = frozen;
  const realSet = g.setTimeout.bind(globalThis);
  const realClear = g.clearTimeout.bind(globalThis);
  let next = 1_000_000_000;
  g.setTimeout = (fn, ms = 0) => {
    if (ms < from) return realSet(fn, ms);
    const id = next++;
    frozen.timers.set(id, ms);
    return id;
  };
  g.clearTimeout = (id) => {
    if (id !== undefined && frozen.timers.delete(id)) return;
    realClear(id);
  };
}

/** Runs INSIDE the service worker: the frozen timers still pending, or null when the freeze is gone. */
function frozenTimers(): Array<[number, number]> | null {
  const g = globalThis as unknown as { __e2eFrozen?: { timers: Map<number, number> } };
  return g.__e2eFrozen ? [...g.__e2eFrozen.timers] : null;
}

describe('the live event path', () => {
  it('with the request flow’s back-off frozen, bob’s approval still lands alice’s tab: the event woke it', async () => {
    const page = await loop.open(SIM_URLS.azureVm);
    await withLoopDiagnostics(loop, 'loop-live', [page], async () => {
      await clickPageButton(page, '#vm-start');
      const card = await waitForCard(page, /virtualMachines\/start\/action/);
      await requestAccessOn(card, JUSTIFICATION);
      await waitForCard(page, /Waiting for approval from bob or dave/, 30_000);
      await markDocument(page);
      // The banner holds the live port only while its page is shown.
      expect(await page.evaluate(() => document.visibilityState)).toBe('visible');

      const backOffs = flowBackOffs();
      expect(backOffs.size).toBeGreaterThan(0);
      const worker = await loop.serviceWorker();
      await worker.evaluate(freezeLongTimers, FREEZE_FROM_MS);
      // Parked: the flow's pending back-off timer is a frozen one (one timer per followed request).
      const parked = await waitFor(
        async () => {
          const timers = await worker.evaluate(frozenTimers);
          if (!timers) throw new Error('the service worker restarted: the freeze is gone');
          const backOff = timers.filter(([, ms]) => backOffs.has(ms));
          return backOff.length ? backOff : null;
        },
        { timeout: 60_000, interval: 250, what: 'the request flow parked on a frozen back-off timer' },
      );
      expect(parked).toHaveLength(1);

      const mine = AccessRequestList.parse((await loop.api('alice', 'GET', '/requests?mine=true')).json);
      const request = mine.items.find((r) => r.justification === JUSTIFICATION);
      expect(request?.status).toBe('pending');
      expect(request?.target.account).toBe(AZURE.subscription);
      const approvedAt = Date.now();
      const approve = await loop.api('bob', 'POST', `/requests/${request!.id}/approve`, {
        comment: 'go ahead, live',
      });
      expect(approve.status, JSON.stringify(approve.json)).toBe(200);

      // Nothing but the event can make the flow poll again; the bound is generous, not a measure.
      await waitForReload(page, 60_000);
      console.log(`loop-live: approval → reload ${Date.now() - approvedAt} ms (informational)`);
      expect(page.url()).toBe(SIM_URLS.azureVm);

      // Same worker (the freeze is still installed), and the parked timer was cancelled by a wake.
      const after = await (await loop.serviceWorker()).evaluate(frozenTimers);
      expect(after).not.toBeNull();
      expect(after!.map(([id]) => id)).not.toContain(parked[0]![0]);

      await page.waitForSelector('#vm-start', { timeout: 10_000 });
      await clickPageButton(page, '#vm-start');
      const content = await page.waitForSelector('[data-sim-content="azure-vm-start"]', { timeout: 15_000 });
      expect(await content!.evaluate((e) => e.textContent)).toContain('Running');
    });
  }, 240_000);
});
