import { defineConfig } from 'wxt';
import preact from '@preact/preset-vite';

/** Console hosts the extension reads. Keep in sync with entrypoints/content.ts `matches`. */
export const CONSOLE_MATCHES = [
  'https://console.aws.amazon.com/*',
  'https://*.console.aws.amazon.com/*',
  'https://portal.azure.com/*',
  'https://console.cloud.google.com/*',
];

export default defineConfig({
  manifest: ({ browser }) => ({
    name: 'Unblock',
    description: 'Request just-in-time cloud access from the console page that says access denied.',
    // scripting: the background injects the lazy banner chunk into a console tab once a denial is
    // found. Drafts live in IndexedDB, which needs no permission.
    permissions: ['scripting'],
    host_permissions: CONSOLE_MATCHES,
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
