import { render } from 'preact';
import '@/components/panel.css';
import { brokerFromSettings, openOptionsPage } from '@/components/broker-from-settings';
import { Sidebar } from '@/components/sidebar/Sidebar';

render(
  <Sidebar deps={{ client: brokerFromSettings, openOptions: openOptionsPage }} />,
  document.getElementById('app')!,
);
