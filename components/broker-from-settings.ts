/**
 * A broker client for the extension's own pages (popup, sidebar), from the stored settings and
 * the OAuth session (lib/extension/auth-client.ts): the OAuth access token when signed in to this broker,
 * else the API token. Tokens are read on every call and never handed to the UI.
 */
import { browser } from 'wxt/browser';
import { brokerToken, type Auth } from '@/lib/extension/auth-client';
import { browserAuth } from '@/lib/extension/browser-auth';
import { createBrokerClient, type BrokerApi } from '@/lib/extension/broker-client';
import { loadSettings } from '@/lib/extension/settings';

let auth: Auth | undefined;

/** The same OAuth session the background uses; refreshes are serialised across contexts. */
function pageAuth(): Auth {
  auth ??= browserAuth();
  return auth;
}

/** Null when no broker is set, or neither an OAuth session for it nor an API token: "sign in". */
export async function brokerFromSettings(): Promise<BrokerApi | null> {
  const settings = await loadSettings();
  if (!settings) return null;
  const session = await pageAuth().session();
  if (!settings.token && session?.brokerUrl !== settings.brokerUrl) return null;
  return createBrokerClient({
    baseUrl: settings.brokerUrl,
    getToken: async () => brokerToken(pageAuth(), await loadSettings()),
  });
}

export function openOptionsPage(): void {
  void browser.runtime.openOptionsPage();
}

export function openTab(url: string): void {
  void browser.tabs.create({ url });
}

interface SidePanels {
  /** Firefox. */
  sidebarAction?: { open(): Promise<void> };
  /** Chrome 116+. */
  sidePanel?: { open(options: { windowId: number }): Promise<void> };
}

/**
 * Opens the approvals side panel (Chrome) or sidebar (Firefox). Both browsers only allow it
 * during a user action, so the window id is looked up beforehand and the call made synchronously
 * in the click handler. Returns false when this browser has neither.
 */
export function sidebarOpener(): (() => boolean) | undefined {
  const api = browser as unknown as SidePanels;
  if (api.sidebarAction) {
    const sidebar = api.sidebarAction;
    return () => {
      void sidebar.open();
      return true;
    };
  }
  const panel = api.sidePanel;
  if (!panel) return undefined;
  let windowId: number | undefined;
  void browser.windows
    ?.getCurrent()
    .then((w) => {
      windowId = w.id;
    })
    .catch(() => undefined);
  return () => {
    if (windowId === undefined) return false;
    void panel.open({ windowId });
    return true;
  };
}
