import { render } from 'preact';
import { browser } from 'wxt/browser';
import '@/components/panel.css';
import {
  brokerFromSettings,
  openOptionsPage,
  openTab,
  sidebarOpener,
} from '@/components/broker-from-settings';
import { Popup } from '@/components/popup/Popup';
import { idbCache } from '@/lib/extension/cache';
import { holdLivePort } from '@/lib/messaging/live-port';

render(
  <Popup
    deps={{
      client: brokerFromSettings,
      cache: idbCache(),
      openOptions: openOptionsPage,
      openTab,
      openSidebar: sidebarOpener(),
    }}
  />,
  document.getElementById('app')!,
);

// While this page is open the background follows the broker's events (badge, notifications,
// a waiting banner lands at once); the port closes with the page.
holdLivePort({ connect: (name) => browser.runtime.connect({ name }) });
