/**
 * The two things the Firefox driver needs that puppeteer-core 24 has no public API for over
 * WebDriver BiDi, reached through its BiDi objects (`BidiFrame.browsingContext`, `.realms`). Both
 * are here alone, so a puppeteer upgrade that moves them breaks one file, loudly.
 *
 * - Opening a `moz-extension://` page: Firefox navigates there (with `--remote-allow-system-access`)
 *   but sends no load event puppeteer can pair with the navigation, so `page.goto` times out. This
 *   navigates without waiting; the caller waits for the document itself.
 * - The banner's CLOSED shadow root: page scripts cannot reach it and Firefox's accessibility
 *   locator (`::-p-aria`) only walks light-DOM children from the document. BiDi serialises a host's
 *   shadow root whatever its mode when asked (`includeShadowTree: 'all'`), which gives a handle
 *   that `::-p-aria` and CSS queries can start from.
 */
import type { ElementHandle, Frame, Page } from 'puppeteer-core';

interface RemoteNode {
  type: 'node';
  sharedId?: string;
  value?: { shadowRoot?: RemoteNode | null };
}

interface BidiRealm {
  evaluate(
    expression: string,
    awaitPromise: boolean,
    options: Record<string, unknown>,
  ): Promise<
    { type: 'success'; result: RemoteNode } | { type: 'exception'; exceptionDetails: { text: string } }
  >;
}

interface BidiFrameInternals {
  browsingContext: {
    navigate(url: string, wait: 'none' | 'interactive' | 'complete'): Promise<unknown>;
    defaultRealm: BidiRealm;
  };
  realms: { default: { createHandle(value: RemoteNode): unknown } };
}

function internals(frame: Frame): BidiFrameInternals {
  const f = frame as unknown as Partial<BidiFrameInternals>;
  if (!f.browsingContext?.navigate || !f.realms?.default?.createHandle)
    throw new Error('puppeteer-core moved its BiDi internals: update sim/browser/bidi-internals.ts');
  return f as BidiFrameInternals;
}

/** Starts navigating `page` to `url` and returns at once (the caller waits for the document). */
export async function navigateWithoutWaiting(page: Page, url: string): Promise<void> {
  await internals(page.mainFrame()).browsingContext.navigate(url, 'none');
}

/**
 * A handle on the shadow root (open or closed) of the first element matching `hostSelector` in
 * the page's main frame; null when there is no such element or it has no shadow root.
 */
export async function shadowRootOf(page: Page, hostSelector: string): Promise<ElementHandle<Node> | null> {
  const frame = internals(page.mainFrame());
  const r = await frame.browsingContext.defaultRealm.evaluate(
    `document.querySelector(${JSON.stringify(hostSelector)})`,
    false,
    { resultOwnership: 'none', serializationOptions: { maxDomDepth: 0, includeShadowTree: 'all' } },
  );
  if (r.type !== 'success') throw new Error(`finding ${hostSelector}: ${r.exceptionDetails.text}`);
  const root = r.result.type === 'node' ? r.result.value?.shadowRoot : null;
  if (!root?.sharedId) return null;
  return frame.realms.default.createHandle(root) as ElementHandle<Node>;
}
