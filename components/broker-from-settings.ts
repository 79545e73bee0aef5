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
