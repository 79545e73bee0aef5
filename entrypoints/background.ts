import { browser, type Browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { brokerToken, REFRESH_ALARM, REFRESH_SKEW_MS, type Auth } from '@/lib/extension/auth-client';
import { OAUTH_KEY } from '@/lib/extension/auth-session';
import { browserAuth } from '@/lib/extension/browser-auth';
import type { Badge } from '@/lib/background/badge';
import { createBrokerClient } from '@/lib/extension/broker-client';
import { BrokerError } from '@/lib/extension/broker-error';
import { idbCache } from '@/lib/extension/cache';
import { createActionCatalog } from '@/lib/background/action-catalog';
import { createBannerQueries } from '@/lib/background/banner-queries';
import { notifiedStore, saveDraft, trackedStore } from '@/lib/background/drafts';
import { handleMessage, type HandlerDeps } from '@/lib/background/handle-message';
import { checkPortSender, coalesce, createLiveEvents, type LiveEvents } from '@/lib/background/live-events';
import { isHeartbeat, LIVE_PORT, type RequestProgressMessage } from '@/lib/messaging/messages';
import {
  createBrokerNotifier,
  createNotifierApi,
  NOTIFICATION_PREFIX,
  notificationId,
  type NotificationContent,
} from '@/lib/background/notifications';
import { createRequestFlow, TRACK_ALARM, type FlowDeps } from '@/lib/background/request-flow';
import {
  API_TOKEN_KEY,
  BROKER_URL_KEY,
  loadManagedBrokerUrl,
  loadSettings,
  restrictSettingsAccess,
} from '@/lib/extension/settings';

/**
 * The periodic poll for the badge and notifications (a minute: alarms are the only timer that
 * survives the worker sleeping). It is the fallback: while an extension page is open or a banner
 * card follows a request, each holds a port (`LIVE_PORT`, heartbeats keep the MV3 worker alive)
 * and the background follows the broker's event stream (`GET /api/v1/events`, lib/background/live-events.ts),
 * polling the notifier and waking the request flow on each event. With nothing connected the worker
 * may sleep and drop the stream; then this alarm (and TRACK_ALARM for followed requests) polls.
 */
export const WATCH_ALARM = 'unblock-watch';
const WATCH_PERIOD_MINUTES = 1;

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

const auth: Auth = browserAuth((notice) => {
  // The popup's cached views were the signed-out user's.
  void idbCache().clear();
  void show(notificationId('signed-out', String(Date.now())), {
    title: 'Signed out of Unblock',
    message: notice,
  });
});

/** OAuth access token when signed in to this broker, else the API token; read on every call. */
const getToken = async () => brokerToken(auth, await loadSettings());

/** The broker client for the stored settings. */
async function brokerClient() {
  const settings = await loadSettings();
  if (!settings) return null;
  return createBrokerClient({ baseUrl: settings.brokerUrl, getToken });
}

async function show(id: string, content: NotificationContent): Promise<void> {
  // Firefox has no notification buttons: there, clicking the notification extends.
  const buttons = content.extend && !import.meta.env.FIREFOX;
  await browser.notifications.create(id, {
    type: 'basic',
    iconUrl: browser.runtime.getURL('/icon/128.png'),
    title: content.title,
    message: content.extend && !buttons ? `${content.message} Click to extend.` : content.message,
    ...(buttons ? { buttons: [{ title: 'Extend' }] } : {}),
  });
}

async function setBadge(badge: Badge): Promise<void> {
  // MV3: action; Firefox MV2: browserAction.
  const action = browser.action ?? browser.browserAction;
  if (!action) return;
  await action.setBadgeText({ text: badge.text });
  if (badge.text) await action.setBadgeBackgroundColor({ color: badge.color });
  await action.setTitle({ title: badge.title });
}

const notifier = createBrokerNotifier({
  async api() {
    const settings = await loadSettings();
    return settings ? createNotifierApi({ baseUrl: settings.brokerUrl, getToken }) : null;
  },
  seen: notifiedStore,
  show,
  badge: setBadge,
  async tracked(requestId) {
    return (await trackedStore.list()).some((r) => r.requestId === requestId && r.phase !== 'done');
  },
});

/** The banner's questions (a service's actions, decoding, is this account managed). */
const queries = createBannerQueries({
  // Extension files (public/actions/), not web-accessible: read only here, on the first question.
  catalog: createActionCatalog(async (cloud) => {
    const res = await fetch(browser.runtime.getURL(`/actions/${cloud}.json`));
    if (!res.ok) throw new Error(`actions/${cloud}.json: HTTP ${res.status}`);
    return (await res.json()) as unknown;
  }),
  broker: brokerClient,
});

const poll = () => void notifier.poll().catch(() => undefined);
/** After events: one notifier poll for a burst (an approval is several events). */
const WATCH_COALESCE_MS = 500;
const pollSoon = coalesce(() => notifier.poll(), WATCH_COALESCE_MS);

/** The one-shot alarm that refreshes the access token shortly before it expires. */
async function scheduleRefresh(): Promise<void> {
  const s = await auth.session();
  if (!s) {
    await browser.alarms.clear(REFRESH_ALARM);
    return;
  }
  await browser.alarms.create(REFRESH_ALARM, {
    when: Math.max(Date.now() + 1000, s.expiresAt - REFRESH_SKEW_MS),
  });
}

async function armWatch(): Promise<void> {
  if (await browser.alarms.get(WATCH_ALARM)) return;
  await browser.alarms.create(WATCH_ALARM, { periodInMinutes: WATCH_PERIOD_MINUTES });
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

/**
 * Holds the live stream while the port is open. Only from our own pages, or our content script on
 * a console tab; the only message accepted on it is the heartbeat (which keeps the worker alive).
 */
function acceptLivePort(port: Browser.runtime.Port, live: LiveEvents): void {
  if (port.name !== LIVE_PORT) return;
  if (checkPortSender(port.sender, browser.runtime.id, browser.runtime.getURL('/'))) {
    port.disconnect();
    return;
  }
  const release = live.hold();
  port.onMessage.addListener((message: unknown) => {
    // The heartbeat needs no answer: its arrival is what keeps the worker alive. Nothing else is
    // expected on this port; anything else is ignored (never acted on).
    if (!isHeartbeat(message)) return;
  });
  port.onDisconnect.addListener(() => release());
}

export default defineBackground(() => {
  void restrictSettingsAccess();
  // Start the (slow, right after browser start) policy read now, so a first click does not wait.
  void loadManagedBrokerUrl();
  const flow = createRequestFlow(flowDeps);
  const live = createLiveEvents({
    async open(options) {
      const client = await brokerClient();
      if (!client) throw new BrokerError('not_signed_in', 'no broker configured');
      await client.streamEvents(options);
    },
    onEvent(event) {
      // Every event names its request (grant events too); a grant merged into another names both.
      flow.wake(event.requestId, event.grantId);
      pollSoon();
    },
    onResync() {
      flow.wake();
      pollSoon();
    },
  });
  browser.runtime.onConnect.addListener((port) => acceptLivePort(port, live));
  const deps: HandlerDeps = {
    runtimeId: browser.runtime.id,
    injectBanner,
    saveDraft,
    fileRequest: (draft, where) => flow.file(draft, where),
    denialSeen: (where, seen) => flow.denialSeen(where, seen),
    queries,
    async relayToTop(tabId, message) {
      // The top frame's content core answers {ok:true}; no answer (not started yet) is a false.
      const reply: unknown = await browser.tabs.sendMessage(tabId, message, { frameId: 0 }).catch(() => null);
      return (reply as { ok?: unknown } | null)?.ok === true;
    },
  };
  browser.runtime.onMessage.addListener((raw, sender, sendResponse) => {
    // sendResponse + `return true` works in Chrome, Firefox and both fake-browser versions.
    void handleMessage(raw, sender, deps).then(sendResponse);
    return true;
  });
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === TRACK_ALARM) {
      void flow.resume().catch(() => undefined);
      poll();
    } else if (alarm.name === WATCH_ALARM) {
      poll();
    } else if (alarm.name === REFRESH_ALARM) {
      void auth
        .refresh()
        .catch(() => undefined)
        .then(() => scheduleRefresh())
        .catch(() => undefined);
    }
  });
  browser.storage.onChanged.addListener((changes, area) => {
    queries.forget();
    if (area === 'managed' || (area === 'local' && (BROKER_URL_KEY in changes || API_TOKEN_KEY in changes))) {
      poll();
      live.restart();
    }
    if (area === 'local' && OAUTH_KEY in changes) {
      void scheduleRefresh().catch(() => undefined);
      // Signed in or out (not a mere refresh): recount at once.
      const before = changes[OAUTH_KEY]?.oldValue as { brokerUrl?: string } | undefined;
      const after = changes[OAUTH_KEY]?.newValue as { brokerUrl?: string } | undefined;
      if (!before || !after || before.brokerUrl !== after.brokerUrl) {
        poll();
        live.restart();
      } else if (live.state === 'signed-out') {
        // A refreshed access token: the stream the broker refused may open now.
        live.restart();
      }
    }
  });
  browser.notifications?.onButtonClicked?.addListener((id, index) => {
    if (id.startsWith(NOTIFICATION_PREFIX)) void notifier.onButton(id, index).catch(() => undefined);
  });
  browser.notifications?.onClicked.addListener((id) => {
    if (!id.startsWith(NOTIFICATION_PREFIX)) return;
    void notifier.onClick(id, !!import.meta.env.FIREFOX).catch(() => undefined);
    void browser.notifications.clear(id).catch(() => undefined);
  });
  // A new worker (browser start, wake-up after sleep, update): pick up where the last one was.
  void flow.resume().catch(() => undefined);
  void armWatch().catch(() => undefined);
  void scheduleRefresh().catch(() => undefined);
  // Not on every worker start (that is every wake-up): the badge outlives the worker. The browser
  // starting or the extension being installed or updated clears it, so count then.
  browser.runtime.onStartup.addListener(poll);
  browser.runtime.onInstalled.addListener(poll);
});
