/**
 * The always-injected content core. Kept tiny on purpose: no Preact, no zod, no parser. It watches
 * for new text, runs the keyword prefilter, and only when something looks like a denial asks the
 * background to inject the banner chunk (entrypoints/banner.ts), which parses and renders.
 */
import { browser } from 'wxt/browser';
import { defineContentScript } from 'wxt/utils/define-content-script';
import { CONSOLE_MATCHES } from '@/lib/clouds';
import { handOff, resetBridge, type CandidateBatch } from '@/lib/content/handoff';
import { pageContext } from '@/lib/content/page-context';
import { createWatcher, type Candidate } from '@/lib/content/watcher';

/** The console's own header: AWS shows the account id in its account menu. */
const HEADER_SELECTOR =
  '#awsc-nav-header,[data-testid="awsc-nav-header"],#consoleNavHeader,header[role="banner"],header';

function headerText(): string | undefined {
  return document.querySelector(HEADER_SELECTOR)?.textContent?.slice(0, 20_000) ?? undefined;
}

function hand(candidates: Candidate[]): void {
  const context = pageContext(location.href, document.cookie, headerText());
  if (!context) return;
  const batch: CandidateBatch = {
    texts: candidates.map((c) => c.text),
    nodes: candidates.map((c) => c.node),
    context,
    pageUrl: location.href,
  };
  handOff(batch, requestUi);
}

async function requestUi(): Promise<boolean> {
  const reply: unknown = await browser.runtime.sendMessage({ type: 'load-ui' });
  return (reply as { ok?: unknown } | undefined)?.ok === true;
}

export default defineContentScript({
  // The same console hosts as the manifest's host permissions (wxt.config.ts): one table.
  matches: [...CONSOLE_MATCHES],
  runAt: 'document_idle',
  main(ctx) {
    resetBridge();
    const watcher = createWatcher(document, { onCandidates: hand });
    watcher.scanInitial();
    ctx.onInvalidated(() => watcher.stop());
  },
});
