/**
 * Driving the simulated console pages and the extension's own pages the way a person would, and
 * looking at what the extension's isolated worlds can see.
 */
import type { ElementHandle, Page } from 'puppeteer-core';
import { waitFor } from './wait.ts';

/**
 * Clicks a control of the simulated console page itself (e.g. `#stop-instance`) with trusted input:
 * a mouse click at its centre, or focus + Enter when something (the banner) covers that point.
 */
export async function clickPageButton(page: Page, selector: string): Promise<void> {
  const el = await page.waitForSelector(selector, { visible: true, timeout: 5000 });
  if (!el) throw new Error(`no page control ${selector}`);
  await el.scrollIntoView();
  const box = await el.boundingBox();
  const uncovered =
    !!box &&
    (await el.evaluate(
      (node, x, y) => {
        const hit = document.elementFromPoint(x, y);
        return !!hit && (hit === node || node.contains(hit));
      },
      box.x + box.width / 2,
      box.y + box.height / 2,
    ));
  if (uncovered) {
    await el.click();
  } else {
    await el.focus();
    await page.keyboard.press('Enter');
  }
}

/** Marks the current document, so that a reload (a new document) can be told apart from it. */
export function markDocument(page: Page): Promise<void> {
  return page.evaluate(() => {
    (window as unknown as { __e2eBeforeLanding?: boolean }).__e2eBeforeLanding = true;
  });
}

/** Waits until the page marked by `markDocument` has been replaced by a loaded new document. */
export async function waitForReload(page: Page, timeout: number): Promise<void> {
  await page.waitForFunction(
    () =>
      document.readyState === 'complete' &&
      !(window as unknown as { __e2eBeforeLanding?: boolean }).__e2eBeforeLanding,
    { timeout, polling: 250 },
  );
}

/** The queue item (an `<li>` of the side panel's "Requests to decide") whose text contains `text`. */
export async function waitForQueueItem(
  page: Page,
  text: string,
  timeout: number,
): Promise<ElementHandle<Element>> {
  const handle = await page.waitForFunction(
    (t) =>
      [...document.querySelectorAll('ul[aria-label="Requests to decide"] > li')].find((li) =>
        li.textContent?.includes(t),
      ) ?? null,
    { timeout, polling: 250 },
    text,
  );
  const el = handle.asElement() as ElementHandle<Element> | null;
  if (!el) throw new Error('queue item is not an element');
  return el;
}

/**
 * Names of the extension's isolated worlds in the page's main frame (the content script's world is
 * named after the extension, "Unblock"). Empty when no content script was injected.
 */
export async function extensionWorlds(page: Page, extensionId: string): Promise<string[]> {
  const cdp = await page.createCDPSession();
  try {
    const names: string[] = [];
    cdp.on('Runtime.executionContextCreated', (e) => {
      if (e.context.origin === `chrome-extension://${extensionId}`) names.push(e.context.name);
    });
    // Enabling replays every existing context as executionContextCreated.
    await cdp.send('Runtime.enable');
    await new Promise((r) => setTimeout(r, 100));
    await cdp.send('Runtime.disable');
    return names;
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

/**
 * Evaluates `expression` in the extension's content-script world on `page` (the isolated
 * execution context Chromium created for the extension there, found over CDP) and returns its
 * JSON value; promises are awaited. For checking what a content script can and cannot do.
 */
export async function evaluateInContentScript(page: Page, expression: string): Promise<unknown> {
  const cdp = await page.createCDPSession();
  try {
    interface Context {
      id: number;
      name: string;
      auxData?: { type?: string };
    }
    const contexts: Context[] = [];
    cdp.on('Runtime.executionContextCreated', (e: { context: Context }) => contexts.push(e.context));
    await cdp.send('Runtime.enable');
    // Content scripts run top-frame only (no all_frames); the world is named after the extension.
    const ctx = await waitFor(
      () => contexts.find((c) => c.auxData?.type === 'isolated' && c.name === 'Unblock'),
      { timeout: 15_000, what: 'the extension’s content-script context' },
    );
    const r = await cdp.send('Runtime.evaluate', {
      expression,
      contextId: ctx.id,
      awaitPromise: true,
      returnByValue: true,
    });
    if (r.exceptionDetails) throw new Error(`in the content script: ${r.exceptionDetails.text}`);
    return r.result.value;
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}
