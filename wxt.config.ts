import { defineConfig } from 'wxt';
import preact from '@preact/preset-vite';

/** Console hosts the extension reads. Keep in sync with entrypoints/content.ts `matches`. */
export const CONSOLE_MATCHES = [
  'https://console.aws.amazon.com/*',
  'https://*.console.aws.amazon.com/*',
  'https://portal.azure.com/*',
  'https://console.cloud.google.com/*',
];

/** The demo broker (`npm run broker`) on loopback, any port. */
export const LOCAL_BROKER_MATCHES = ['http://127.0.0.1/*', 'http://localhost/*'];
/** Any other broker: requested from the options page for its origin only. */
export const OTHER_BROKER_MATCHES = ['https://*/*', 'http://*/*'];

export default defineConfig({
  manifest: ({ browser, manifestVersion }) => ({
    name: 'Unblock',
    description: 'Request just-in-time cloud access from the console page that says access denied.',
    // scripting: the background injects the lazy banner chunk into a console tab once a denial is
    // found. storage: the broker URL and API token (trusted contexts only). alarms: resume
    // following filed requests after the worker slept. Drafts and followed requests live in
    // IndexedDB, which needs no permission.
    permissions: ['scripting', 'storage', 'alarms'],
    host_permissions: [...CONSOLE_MATCHES, ...LOCAL_BROKER_MATCHES],
    // MV2 has no optional_host_permissions: origins go in optional_permissions there.
    ...(manifestVersion === 2
      ? { optional_permissions: OTHER_BROKER_MATCHES }
      : { optional_host_permissions: OTHER_BROKER_MATCHES }),
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: {
              id: 'unblock@unblock-access.org',
              strict_min_version: '140.0',
              data_collection_permissions: { required: ['none'] },
            },
            // Firefox for Android added data_collection_permissions in 142.
            gecko_android: { strict_min_version: '142.0' },
          },
        }
      : {}),
  }),
  vite: () => ({
    plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  }),
});
