/**
 * Measure 3: popup opened → its grant list first rendered, from the IndexedDB cache and cold
 * (the cache dropped first). Stamped in the popup document, relative to its navigation start.
 */
import type { Page } from 'puppeteer-core';
import type { DemoLoop } from '../../sim/browser/loop';
import { popupUrl, type ExtensionBrowser } from '../../sim/browser/session';
import { waitFor } from '../../sim/browser/wait';
import { AWS_SANDBOX } from '../../sim/consoles/messages';
import { aliceGrants, ms, RUNS } from './common';

/**
 * At the start of the popup document: stamps when the first grant is in the list (MutationObserver)
 * and the next frame after it (a rAF callback, then a task queued from it: the frame with the
 * list has been produced), relative to the navigation start, and whether it came from the cache
 * (the "Updating…" line shows while the cached snapshot is on screen).
 */
const POPUP_PROBE = `(() => {
  const sel = 'section[aria-labelledby="grants-title"] ul.list > li';
  const observer = new MutationObserver(() => {
    if (window.__benchGrants || !document.querySelector(sel)) return;
    observer.disconnect();
    const dom = performance.now();
    const fromCache = !!document.querySelector('p.stale');
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        window.__benchGrants = { dom, frame: performance.now(), fromCache, fcp: fcp ? fcp.startTime : null };
      };
      channel.port2.postMessage(null);
    });
  });
  observer.observe(document, { childList: true, subtree: true });
})()`;

export interface PopupRun {
  dom: number;
  frame: number;
  fromCache: boolean;
  /** The page's first contentful paint ("Loading…" or the list itself). */
  fcp: number | null;
}

/** Whether the popup has saved its snapshot in IndexedDB (what the next open finds). */
function snapshotSaved(page: Page): Promise<boolean> {
  return page.evaluate(
    () =>
      new Promise<boolean>((resolve) => {
        void indexedDB.databases().then((dbs) => {
          if (!dbs.some((d) => d.name === 'unblock-cache')) return resolve(false);
          const req = indexedDB.open('unblock-cache');
          req.onerror = () => resolve(false);
          req.onsuccess = () => {
            const db = req.result;
            if (!db.objectStoreNames.contains('snapshots')) {
              db.close();
              return resolve(false);
            }
            const count = db.transaction('snapshots').objectStore('snapshots').count();
            count.onsuccess = () => {
              db.close();
              resolve(count.result > 0);
            };
            count.onerror = () => {
              db.close();
              resolve(false);
            };
          };
        });
      }),
  );
}

async function openPopup(e2e: ExtensionBrowser): Promise<PopupRun> {
  const page = await e2e.browser.newPage();
  try {
    await page.evaluateOnNewDocument(POPUP_PROBE);
    await page.goto(popupUrl(e2e), { waitUntil: 'load' });
    const run = (await (
      await page.waitForFunction('window.__benchGrants', { timeout: 30_000, polling: 50 })
    ).jsonValue()) as PopupRun;
    // Leave the snapshot saved for the next open: wait for the fresh view, then for the write.
    await page.waitForFunction(() => !document.querySelector('p.stale'), { timeout: 30_000 });
    await waitFor(() => snapshotSaved(page), {
      timeout: 10_000,
      interval: 50,
      what: 'the popup snapshot in IndexedDB',
    });
    return run;
  } finally {
    await page.close();
  }
}

/** Drops the popup's cache (from the service worker: no page holds the database open). */
async function clearPopupCache(e2e: ExtensionBrowser): Promise<void> {
  const worker = await e2e.serviceWorker();
  await worker.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const req = indexedDB.deleteDatabase('unblock-cache');
        req.onsuccess = req.onerror = req.onblocked = () => resolve();
      }),
  );
}

export async function measurePopup(loop: DemoLoop): Promise<{ cold: PopupRun[]; cached: PopupRun[] }> {
  // Two more live grants besides the last landing's, so the list has a few rows to render.
  for (const action of ['s3:GetObject', 'ec2:DescribeInstances']) {
    const res = await loop.api('alice', 'POST', '/requests', {
      target: { cloud: 'aws', account: AWS_SANDBOX.account },
      actions: [action],
      resource: null,
      durationMinutes: 60,
      justification: 'benchmark popup grants',
      denial: { excerpt: `not authorized to perform: ${action}`, denyKind: 'implicit', encodedMessage: null },
      pageUrl: 'https://console.aws.amazon.com/',
    });
    if (res.status !== 201) throw new Error(`submit: ${res.status} ${JSON.stringify(res.json)}`);
  }
  await waitFor(async () => (await aliceGrants(loop)).filter((g) => g.status === 'active').length >= 3, {
    timeout: 30_000,
    what: 'three active grants',
  });
  const cold: PopupRun[] = [];
  const cached: PopupRun[] = [];
  // Pairs: an open with the cache dropped, then one that finds the snapshot the first one saved.
  for (let run = 1; run <= RUNS; run++) {
    await clearPopupCache(loop);
    const c = await openPopup(loop);
    const w = await openPopup(loop);
    if (c.fromCache || !w.fromCache) throw new Error(`popup run ${run}: cache use not as set up`);
    cold.push(c);
    cached.push(w);
    process.stdout.write(`  popup ${run}/${RUNS}: cold ${ms(c.frame)}, cached ${ms(w.frame)}\n`);
  }
  return { cold, cached };
}
