import { render } from 'preact';
import { browser } from 'wxt/browser';
import '@/components/panel.css';
import { brokerFromSettings, openOptionsPage } from '@/components/broker-from-settings';
import { Sidebar } from '@/components/sidebar/Sidebar';
import { holdLivePort } from '@/lib/messaging/live-port';

render(
  <Sidebar deps={{ client: brokerFromSettings, openOptions: openOptionsPage }} />,
  document.getElementById('app')!,
);

// While this page is open the background follows the broker's events (badge, notifications,
// a waiting banner lands at once); the port closes with the page.
holdLivePort({ connect: (name) => browser.runtime.connect({ name }) });
