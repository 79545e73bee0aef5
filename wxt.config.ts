import { defineConfig } from 'wxt';
import preact from '@preact/preset-vite';
// Console hosts the extension reads: the cloud table, which the content script's `matches` read too.
import { CONSOLE_MATCHES } from './lib/clouds';

/** The demo broker (`npm run broker`) on loopback, any port. */
export const LOCAL_BROKER_MATCHES = ['http://127.0.0.1/*', 'http://localhost/*'];
/** Any other broker: requested from the options page for its origin only. */
export const OTHER_BROKER_MATCHES = ['https://*/*', 'http://*/*'];

export default defineConfig({
  manifest: ({ browser, manifestVersion }) => ({
    name: 'Unblock',
    description: 'Request just-in-time cloud access from the console page that says access denied.',
    // scripting: the background injects the lazy banner chunk into a console tab once a denial is
    // found. storage: the broker URL, API token and OAuth session (trusted contexts only).
    // alarms: resume following filed requests after the worker slept, poll for the badge and
    // notifications, refresh the access token before it expires. identity: sign in to the broker
    // (launchWebAuthFlow; Firefox ≥ 53 in MV2 too). notifications: approved, denied, grant
    // ending soon (with Extend), new request to review. Drafts, followed requests and shown
    // notifications live in IndexedDB, which needs no permission.
    permissions: ['scripting', 'storage', 'alarms', 'identity', 'notifications'],
    // The toolbar button carries the badge (the popup, when there is one, is merged in by WXT;
    // MV2 turns this into browser_action).
    action: { default_title: 'Unblock' },
    // Enterprise policy can set the broker URL (storage.managed). Chrome reads the schema from the
    // manifest; Firefox has no manifest key for it and reads a managed-storage native manifest
    // (see lib/extension/settings.ts), so the key is Chrome-only.
    ...(browser === 'firefox' ? {} : { storage: { managed_schema: 'managed_schema.json' } }),
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
