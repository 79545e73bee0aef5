/**
 * A broker client for the extension's own pages (popup, sidebar), from the stored settings.
 * The token is read from storage on every call and never handed to the UI.
 */
import { browser } from 'wxt/browser';
import { createBrokerClient, type BrokerApi } from '@/lib/broker-client';
import { loadSettings } from '@/lib/settings';

/** Null when no broker URL or no token is set: the page shows "Open settings to sign in". */
export async function brokerFromSettings(): Promise<BrokerApi | null> {
  const settings = await loadSettings();
  if (!settings?.token) return null;
  return createBrokerClient({
    baseUrl: settings.brokerUrl,
    getToken: async () => (await loadSettings())?.token ?? null,
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
