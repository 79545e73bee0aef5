/**
 * The OAuth session as every trusted context opens it (background, popup, side panel, options):
 * the same storage, the browser's web-auth flow, the cross-context lock for refreshes, and the
 * settings' access level before every write.
 */
import { browser } from 'wxt/browser';
import { createAuth, type Auth } from './auth-client';
import { restrictSettingsAccess, tokenArea } from './settings';
import { webLock } from './web-lock';

/** `onSignedOut`: after an unasked sign-out (the background shows a notification). */
export function browserAuth(onSignedOut?: (notice: string) => void): Auth {
  return createAuth({
    // storage.local, or in Firefox the vault beside it (lib/extension/token-vault.ts).
    storage: tokenArea(),
    launchWebAuthFlow: (details) => browser.identity.launchWebAuthFlow(details),
    redirectUrl: () => browser.identity.getRedirectURL('oauth'),
    lock: webLock,
    beforeWrite: restrictSettingsAccess,
    onSignedOut,
  });
}
