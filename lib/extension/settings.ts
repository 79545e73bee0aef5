/**
 * Where the broker is and how to authenticate to it: two keys in `browser.storage.local`, read
 * only by trusted extension contexts (the background and the options page). Content scripts never
 * read them, and in MV3 Chrome they cannot (`setAccessLevel`, called on every background start and
 * before every write). Firefox has no such access level, so its builds keep the API token (and the
 * OAuth session, lib/extension/auth-session.ts) in the extension's own IndexedDB instead, with a
 * token-free shadow in `storage.local` (lib/extension/token-vault.ts); `tokenArea()` is the one
 * way in for every trusted context.
 *
 * An enterprise policy may set the broker URL instead (`storage.managed`, key `brokerUrl`; schema in
 * `public/managed_schema.json`): it then wins over the stored one, and the options page shows it
 * read-only. Chrome reads it from policy (`3rdparty.extensions.<id>.brokerUrl`); Firefox from a
 * managed-storage manifest (a native-manifest JSON file, `"type": "storage"`, named after the
 * add-on id `unblock@unblock-access.org`, or the `3rdparty` section of `policies.json`).
 *
 * For tests: seed both keys from the service worker,
 * `chrome.storage.local.set({ 'unblock.brokerUrl': 'http://127.0.0.1:8787', 'unblock.apiToken': token })`
 * (Firefox moves a token seeded this way into the vault the first time it is read).
 */
import { browser } from 'wxt/browser';
import { OAUTH_KEY, type KeyValueArea } from './auth-session';
import { normalizeBaseUrl } from './broker-client';
import {
  idbSecretStore,
  tokensNeedVault,
  vaultedArea,
  type SecretStore,
  type VaultedArea,
} from './token-vault';
import { webLock } from './web-lock';

export const BROKER_URL_KEY = 'unblock.brokerUrl';
export const API_TOKEN_KEY = 'unblock.apiToken';

export const URL_MAX = 2048;
export const TOKEN_MAX = 4096;

export interface BrokerSettings {
  /** Normalised: no trailing slash, no `/api/v1`. */
  brokerUrl: string;
  /** Null when only the URL is set (requests then fail with "not signed in"). */
  token: string | null;
  /** The URL comes from enterprise policy (`storage.managed`) and cannot be changed here. */
  managed?: boolean;
}

/** The key in `storage.managed` (see public/managed_schema.json). */
export const MANAGED_BROKER_URL_KEY = 'brokerUrl';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.has(hostname) || hostname.endsWith('.localhost');
}

/**
 * A broker URL: http(s), no credentials, query or fragment. Plain http is accepted (the demo
 * broker listens on loopback); `insecure` says the token would cross the network unencrypted.
 */
export function checkBrokerUrl(raw: string): Checked<{ url: string; origin: string; insecure: boolean }> {
  const text = raw.trim();
  if (!text) return { ok: false, error: 'Broker URL: required' };
  if (text.length > URL_MAX) return { ok: false, error: `Broker URL: at most ${URL_MAX} characters` };
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { ok: false, error: 'Broker URL: not a URL (like https://unblock.example.com)' };
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    return { ok: false, error: 'Broker URL: must start with https:// (or http:// for a local broker)' };
  }
  if (u.username || u.password)
    return { ok: false, error: 'Broker URL: must not contain a user or password' };
  if (u.search || u.hash) return { ok: false, error: 'Broker URL: must not have a query or fragment' };
  const url = normalizeBaseUrl(`${u.origin}${u.pathname}`);
  return {
    ok: true,
    value: { url, origin: u.origin, insecure: u.protocol === 'http:' && !isLoopbackHost(u.hostname) },
  };
}

/** An API token as `unblock-server token create` prints it: one line of visible ASCII. */
export function checkToken(raw: string): Checked<string> {
  const token = raw.trim();
  if (!token) return { ok: false, error: 'API token: required' };
  if (token.length > TOKEN_MAX) return { ok: false, error: `API token: at most ${TOKEN_MAX} characters` };
  if (!/^[\x21-\x7e]+$/.test(token))
    return { ok: false, error: 'API token: unexpected characters (paste it again)' };
  return { ok: true, value: token };
}

interface AccessLevelArea {
  setAccessLevel?: (details: {
    accessLevel: 'TRUSTED_CONTEXTS' | 'TRUSTED_AND_UNTRUSTED_CONTEXTS';
  }) => Promise<void>;
}

/**
 * The secrets among the stored keys, each with what its shadow in `storage.local` may show in the
 * Firefox builds: nothing of the API token; the broker URL of the OAuth session, which the
 * background compares to tell a sign-in from a refresh.
 */
const SECRET_KEYS = {
  [API_TOKEN_KEY]: () => ({}),
  [OAUTH_KEY]: (session: unknown) => {
    const brokerUrl = (session as { brokerUrl?: unknown } | null)?.brokerUrl;
    return typeof brokerUrl === 'string' ? { brokerUrl } : {};
  },
} as const;

let vault: SecretStore | undefined;

/**
 * Where the settings and tokens are read and written: `storage.local` (restricted to trusted
 * contexts) in Chrome; in Firefox the same with the secrets in the extension's IndexedDB.
 */
export function tokenArea(): KeyValueArea {
  return tokensNeedVault() ? firefoxArea() : browser.storage.local;
}

function firefoxArea(): VaultedArea {
  vault ??= idbSecretStore();
  return vaultedArea({
    local: browser.storage.local,
    secrets: vault,
    secretKeys: SECRET_KEYS,
    lock: webLock,
  });
}

/**
 * Keep the tokens away from content scripts: restrict storage.local to trusted contexts where the
 * browser can (Chrome MV3); in Firefox, move any token still in storage.local into the vault.
 */
export async function restrictSettingsAccess(): Promise<void> {
  const area = browser.storage?.local as unknown as AccessLevelArea | undefined;
  try {
    await area?.setAccessLevel?.({ accessLevel: 'TRUSTED_CONTEXTS' });
  } catch {
    // Not supported for this area in this browser: the Firefox builds use the vault instead.
  }
  if (tokensNeedVault()) await firefoxArea().migrate();
}

/**
 * The broker URL set by enterprise policy, or null: none set, not valid, or no managed storage
 * here (Firefox rejects the call when no managed-storage manifest is installed).
 */
export function loadManagedBrokerUrl(): Promise<string | null> {
  // Chromium answers the first storage.managed read only once policy has loaded (seconds after
  // the browser starts), and the value only changes with policy: read it once per context and
  // again when the managed area reports a change.
  managedRead ??= readManagedBrokerUrl();
  return managedRead;
}

let managedRead: Promise<string | null> | null = null;

function onStorageChanged(_changes: unknown, area: string): void {
  if (area === 'managed') managedRead = null;
}

/** Reads storage.managed again on the next call (tests; a policy change does this itself). */
export function forgetManagedBrokerUrl(): void {
  managedRead = null;
}

async function readManagedBrokerUrl(): Promise<string | null> {
  const changed = browser.storage?.onChanged;
  if (changed && !changed.hasListener(onStorageChanged)) changed.addListener(onStorageChanged);
  try {
    const managed = browser.storage?.managed;
    if (!managed) return null;
    const raw = (await managed.get(MANAGED_BROKER_URL_KEY))[MANAGED_BROKER_URL_KEY];
    if (typeof raw !== 'string') return null;
    const url = checkBrokerUrl(raw);
    return url.ok ? url.value.url : null;
  } catch {
    // Not remembered: Firefox without a policy manifest rejects at once, so asking again is cheap.
    managedRead = null;
    return null;
  }
}

/**
 * The settings, or null when no broker URL is set (the extension then only saves drafts). A URL
 * set by policy wins over the stored one.
 */
export async function loadSettings(): Promise<BrokerSettings | null> {
  const [managedUrl, stored] = await Promise.all([
    loadManagedBrokerUrl(),
    tokenArea().get([BROKER_URL_KEY, API_TOKEN_KEY]),
  ]);
  const rawToken = stored[API_TOKEN_KEY];
  const checked = typeof rawToken === 'string' ? checkToken(rawToken) : undefined;
  const token = checked?.ok ? checked.value : null;
  if (managedUrl) return { brokerUrl: managedUrl, token, managed: true };
  const rawUrl = stored[BROKER_URL_KEY];
  if (typeof rawUrl !== 'string') return null;
  const url = checkBrokerUrl(rawUrl);
  if (!url.ok) return null;
  return { brokerUrl: url.value.url, token };
}

/**
 * Validates and stores the settings. `token: undefined` keeps the stored token (the options page
 * never shows it back); `null` removes it.
 */
export async function saveSettings(input: {
  brokerUrl: string;
  token?: string | null;
}): Promise<Checked<BrokerSettings>> {
  const url = checkBrokerUrl(input.brokerUrl);
  if (!url.ok) return url;
  let token: string | null | undefined = input.token;
  if (typeof token === 'string') {
    const checked = checkToken(token);
    if (!checked.ok) return checked;
    token = checked.value;
  }
  await restrictSettingsAccess();
  const area = tokenArea();
  await area.set({ [BROKER_URL_KEY]: url.value.url });
  if (token === null) await area.remove(API_TOKEN_KEY);
  else if (token !== undefined) await area.set({ [API_TOKEN_KEY]: token });
  const saved = await loadSettings();
  return saved ? { ok: true, value: saved } : { ok: false, error: 'Broker URL: could not be saved' };
}

/** Forget the broker: back to drafts only. */
export async function clearSettings(): Promise<void> {
  await tokenArea().remove([BROKER_URL_KEY, API_TOKEN_KEY]);
}
