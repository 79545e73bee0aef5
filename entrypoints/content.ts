/**
 * The always-injected content core. Kept tiny on purpose: no Preact, no zod, no parser. It watches
 * for new text, runs the keyword prefilter, and only when something looks like a denial asks the
 * background to inject the banner chunk (entrypoints/banner.ts), which parses and renders.
 *
 * It runs in every frame of a console tab (the Azure portal draws its frame blades and React views
 * in iframes, some on other hosts: lib/clouds.ts `consoleFrameMatches`). One banner per tab, in the
 * top frame: a child frame's core sends its candidates to the background, which relays them to the
 * top frame's core (lib/messaging/frame-relay.ts); page context comes from the top frame's URL.
 */
import { browser } from 'wxt/browser';
import { defineContentScript } from 'wxt/utils/define-content-script';
import { consoleCloud, CONSOLE_FRAME_MATCHES, CONSOLE_MATCHES } from '@/lib/clouds';
import { handOff, resetBridge, type CandidateBatch } from '@/lib/content/handoff';
import { pageContext } from '@/lib/content/page-context';
import { createWatcher, type Candidate } from '@/lib/content/watcher';
import {
  FRAME_CANDIDATES,
  FRAME_CANDIDATES_MAX,
  FRAME_TEXT_MAX,
  parseRelayedCandidates,
  type FrameCandidate,
} from '@/lib/messaging/frame-relay';

/** The console's own header: AWS shows the account id in its account menu. */
const HEADER_SELECTOR =
  '#awsc-nav-header,[data-testid="awsc-nav-header"],#consoleNavHeader,header[role="banner"],header';
/** A frame retries while the top frame's core has not started yet (it runs at document_idle too). */
const RELAY_RETRY_MS = [250, 500, 1000, 2000, 4000];

function headerText(): string | undefined {
  return document.querySelector(HEADER_SELECTOR)?.textContent?.slice(0, 20_000) ?? undefined;
}

/** Top frame: hand texts (its own, or relayed from its frames) to the banner chunk. */
function hand(texts: string[], sources: string[], nodes: Element[]): void {
  const context = pageContext(location.href, document.cookie, headerText());
  if (!context) return;
  const batch: CandidateBatch = { texts, sources, nodes, context, pageUrl: location.href };
  handOff(batch, requestUi);
}

async function requestUi(): Promise<boolean> {
  const reply: unknown = await browser.runtime.sendMessage({ type: 'load-ui' });
  return (reply as { ok?: unknown } | undefined)?.ok === true;
}

/** Child frame: send the candidates to the top frame through the background. */
function relay(candidates: FrameCandidate[], attempt = 0): void {
  for (let i = 0; i < candidates.length; i += FRAME_CANDIDATES_MAX) {
    const part = candidates.slice(i, i + FRAME_CANDIDATES_MAX);
    browser.runtime.sendMessage({ type: FRAME_CANDIDATES, candidates: part }).then(
      (reply: unknown) => {
        const delay = RELAY_RETRY_MS[attempt];
        if ((reply as { ok?: unknown } | undefined)?.ok !== true && delay !== undefined)
          setTimeout(() => relay(part, attempt + 1), delay);
      },
      () => undefined, // extension reloaded: this frame's core is gone with it
    );
  }
}

export default defineContentScript({
  // The console hosts (the manifest's host permissions too) and the hosts of console frames: one table.
  matches: [...CONSOLE_MATCHES, ...CONSOLE_FRAME_MATCHES],
  allFrames: true,
  // A console's about:blank / srcdoc frames (written by the console itself).
  matchAboutBlank: true,
  runAt: 'document_idle',
  main(ctx) {
    const top = window === window.top;
    // A console frame host opened on its own is no console: nothing to do there.
    if (top && !consoleCloud(location.hostname)) return;
    if (top) resetBridge();
    const watcher = createWatcher(document, {
      onCandidates(candidates: Candidate[]) {
        if (top)
          hand(
            candidates.map((c) => c.text),
            candidates.map((c) => c.source),
            candidates.map((c) => c.node),
          );
        else relay(candidates.map((c) => ({ text: c.text.slice(0, FRAME_TEXT_MAX), source: c.source })));
      },
    });
    watcher.scanInitial();
    const onRelayed = (
      raw: unknown,
      sender: { id?: string; tab?: unknown },
      respond: (r: unknown) => void,
    ) => {
      const relayed = parseRelayedCandidates(raw, sender, browser.runtime.id);
      if (!relayed) return undefined;
      respond({ ok: true });
      const prefix = `f${relayed.frameId}:`;
      hand(
        relayed.candidates.map((c) => c.text),
        relayed.candidates.map((c) => prefix + c.source),
        [],
      );
      return undefined;
    };
    if (top) browser.runtime.onMessage.addListener(onRelayed);
    ctx.onInvalidated(() => {
      watcher.stop();
      if (top) browser.runtime.onMessage.removeListener(onRelayed);
    });
  },
});
