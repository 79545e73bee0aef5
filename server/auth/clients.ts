/**
 * The broker's OAuth clients and the one check that keeps authorization codes from going to the
 * wrong place: is this redirect URI registered for this client? All clients are public (no
 * secret; PKCE instead), so the redirect URI is what ties a code to the real client.
 */
import type { BrokerConfig } from '../config/schema';

export interface OAuthClient {
  id: string;
  name: string;
  /** Exact URIs; loopback ones (`http://127.0.0.1/…`, `http://localhost/…`) match on any port. */
  redirectUris: readonly string[];
  /** Patterns for redirect URIs that cannot be listed (browser-extension ids, loopback paths). */
  redirectPatterns: readonly RegExp[];
}

/** `chrome.identity.getRedirectURL()`: `https://<extension id>.chromiumapp.org/…`; ids are 32 letters a–p. */
const CHROMIUM_REDIRECT = /^https:\/\/[a-p]{32}\.chromiumapp\.org\/[^\s#\\]*$/;
/** Firefox's `browser.identity.getRedirectURL()`: `https://<40 hex>.extensions.allizom.org/…`. */
const FIREFOX_REDIRECT = /^https:\/\/[0-9a-f]{40}\.extensions\.allizom\.org\/[^\s#\\]*$/;
/** Any port and any path on the loopback interface (RFC 8252 §7.3: the CLI's ephemeral listener). */
const LOOPBACK_REDIRECT = /^http:\/\/(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?\/[^\s#\\]*$/;

export const EXTENSION_CLIENT_ID = 'unblock-extension';
export const CLI_CLIENT_ID = 'unblock-cli';

const BUILT_IN: readonly OAuthClient[] = [
  {
    id: EXTENSION_CLIENT_ID,
    name: 'Unblock browser extension',
    redirectUris: [],
    // Any extension id: unpacked, store and self-hosted builds all differ. PKCE still binds the
    // code to the instance that started the flow; operators who want one id pin it with an
    // `auth.clients` entry and their own client id.
    redirectPatterns: [CHROMIUM_REDIRECT, FIREFOX_REDIRECT],
  },
  {
    id: CLI_CLIENT_ID,
    name: 'Unblock CLI',
    redirectUris: [],
    // Any path: only processes on the user's own machine can listen there, and the CLI's path is
    // its own business.
    redirectPatterns: [LOOPBACK_REDIRECT],
  },
];

export function oauthClients(config: BrokerConfig): Map<string, OAuthClient> {
  const clients = new Map(BUILT_IN.map((c) => [c.id, c]));
  for (const c of config.auth.clients) {
    clients.set(c.id, { id: c.id, name: c.name, redirectUris: c.redirectUris, redirectPatterns: [] });
  }
  return clients;
}

/**
 * Whether `uri` is one of the client's redirect URIs. Exact string comparison (no normalisation:
 * two parsers disagreeing about a URI is how open redirects happen), except that a registered
 * loopback URI matches on any port. Anything with userinfo, a fragment or a backslash is refused
 * outright.
 */
export function redirectUriAllowed(client: OAuthClient, uri: string): boolean {
  if (uri.length > 512 || /[\s#\\]/.test(uri)) return false;
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return false;
  }
  if (parsed.username || parsed.password) return false;
  if (client.redirectPatterns.some((p) => p.test(uri))) return true;
  if (client.redirectUris.includes(uri)) return true;
  const withoutPort = loopbackWithoutPort(uri);
  return withoutPort !== null && client.redirectUris.some((r) => loopbackWithoutPort(r) === withoutPort);
}

/** `http://127.0.0.1:8765/cb` → `http://127.0.0.1/cb`; null when not a loopback http URI. */
function loopbackWithoutPort(uri: string): string | null {
  const m = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?(\/[^\s#\\]*)$/.exec(uri);
  return m ? `http://${m[1]}${m[2]}` : null;
}
