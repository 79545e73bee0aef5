import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { saveDraft } from '@/lib/drafts';
import { handleMessage, type HandlerDeps } from '@/lib/handle-message';

/** The lazily loaded banner chunk (WXT unlisted script `entrypoints/banner.ts`). */
const BANNER_FILE = '/banner.js';

async function injectBanner(tabId: number, frameId: number): Promise<void> {
  // No web_accessible_resources: the page cannot fetch or probe for the chunk; only we inject it.
  if (browser.scripting?.executeScript) {
    await browser.scripting.executeScript({ target: { tabId, frameIds: [frameId] }, files: [BANNER_FILE] });
  } else {
    // Firefox MV2 without the scripting namespace (older releases).
    await (
      browser.tabs as unknown as {
        executeScript(tabId: number, details: { file: string; frameId: number }): Promise<unknown>;
      }
    ).executeScript(tabId, { file: BANNER_FILE, frameId });
  }
}

export default defineBackground(() => {
  const deps: HandlerDeps = { runtimeId: browser.runtime.id, injectBanner, saveDraft };
  browser.runtime.onMessage.addListener((raw, sender, sendResponse) => {
    // sendResponse + `return true` works in Chrome, Firefox and both fake-browser versions.
    void handleMessage(raw, sender, deps).then(sendResponse);
    return true;
  });
});
