import { render } from 'preact';
import '@/components/panel.css';
import {
  brokerFromSettings,
  openOptionsPage,
  openTab,
  sidebarOpener,
} from '@/components/broker-from-settings';
import { Popup } from '@/components/popup/Popup';
import { idbCache } from '@/lib/cache';

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
