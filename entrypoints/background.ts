import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { createBrokerClient } from '@/lib/broker-client';
import { saveDraft, trackedStore } from '@/lib/drafts';
import { handleMessage, type HandlerDeps } from '@/lib/handle-message';
import type { RequestProgressMessage } from '@/lib/messages';
import { createRequestFlow, TRACK_ALARM, type FlowDeps } from '@/lib/request-flow';
import { loadSettings, restrictSettingsAccess } from '@/lib/settings';

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

/** The broker client for the stored settings; the token is read from storage on every call. */
async function brokerClient() {
  const settings = await loadSettings();
  if (!settings) return null;
  return createBrokerClient({
    baseUrl: settings.brokerUrl,
    getToken: async () => (await loadSettings())?.token ?? null,
  });
}

const flowDeps: FlowDeps = {
  client: brokerClient,
  store: trackedStore,
  async notify(tabId: number, frameId: number, message: RequestProgressMessage) {
    await browser.tabs.sendMessage(tabId, message, { frameId });
  },
  async tabUrl(tabId: number) {
    try {
      return (await browser.tabs.get(tabId)).url;
    } catch {
      return undefined; // closed
    }
  },
  async navigate(tabId: number, url: string) {
    await browser.tabs.update(tabId, { url });
  },
  async reload(tabId: number) {
    await browser.tabs.reload(tabId);
  },
  safetyNet: {
    async arm() {
      // 30 s is the shortest period Chrome allows; Firefox accepts it too.
      await browser.alarms.create(TRACK_ALARM, { periodInMinutes: 0.5 });
    },
    async disarm() {
      await browser.alarms.clear(TRACK_ALARM);
    },
  },
};

export default defineBackground(() => {
  void restrictSettingsAccess();
  const flow = createRequestFlow(flowDeps);
  const deps: HandlerDeps = {
    runtimeId: browser.runtime.id,
    injectBanner,
    saveDraft,
    fileRequest: (draft, where) => flow.file(draft, where),
  };
  browser.runtime.onMessage.addListener((raw, sender, sendResponse) => {
    // sendResponse + `return true` works in Chrome, Firefox and both fake-browser versions.
    void handleMessage(raw, sender, deps).then(sendResponse);
    return true;
  });
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === TRACK_ALARM) void flow.resume().catch(() => undefined);
  });
  // A new worker (browser start, wake-up after sleep, update): pick up where the last one was.
  void flow.resume().catch(() => undefined);
});
