/**
 * The options page: where the broker is, signing in to it (OAuth, components/OptionsSignIn.tsx),
 * or the API token to use with it instead. The token is never shown back (only whether one is
 * saved); the page checks the connection after saving and on load ("Connected as alice"). A
 * broker URL set by enterprise policy is shown read-only.
 */
import { useEffect, useState } from 'preact/hooks';
import { brokerToken } from '@/lib/extension/auth-client';
import { browserAuth } from '@/lib/extension/browser-auth';
import { createBrokerClient } from '@/lib/extension/broker-client';
import { idbCache } from '@/lib/extension/cache';
import { reasonOf } from '@/lib/extension/broker-reason';
import {
  checkBrokerUrl,
  clearSettings,
  loadSettings,
  saveSettings,
  type BrokerSettings,
} from '@/lib/extension/settings';
import { OptionsSignIn, type OptionsAuth } from './OptionsSignIn';
import { safeText } from './safe-text';

export interface OptionsDeps {
  load: () => Promise<BrokerSettings | null>;
  save: typeof saveSettings;
  clear: () => Promise<void>;
  /** Ask for the broker's origin (the demo broker on loopback needs no asking). */
  requestOrigin: (pattern: string) => Promise<boolean>;
  fetch?: typeof fetch;
  /** Sign-in with the broker; without it the page offers the API token only. */
  auth?: OptionsAuth;
  /** The bearer token for the connection check (default: the saved API token). */
  token?: (settings: BrokerSettings) => Promise<string | null>;
}

/** Host permissions the manifest grants at install (wxt.config.ts LOCAL_BROKER_MATCHES). */
const BUILT_IN_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** The origin pattern to request for a broker URL, or null when the manifest already covers it. */
export function originPattern(url: string): string | null {
  const u = new URL(url);
  if (u.protocol === 'http:' && BUILT_IN_HOSTS.has(u.hostname)) return null;
  // Match patterns carry no port: the host on any port.
  return `${u.protocol}//${u.hostname}/*`;
}

type Check =
  { kind: 'none' } | { kind: 'checking' } | { kind: 'ok'; user: string } | { kind: 'error'; message: string };

async function checkConnection(settings: BrokerSettings, deps: OptionsDeps): Promise<Check> {
  const client = createBrokerClient({
    baseUrl: settings.brokerUrl,
    getToken: () => (deps.token ? deps.token(settings) : Promise.resolve(settings.token)),
    fetch: deps.fetch,
  });
  try {
    // Who the token belongs to (not the requester of some request: a new user has none).
    const me = await client.me();
    return { kind: 'ok', user: me.user };
  } catch (e) {
    return { kind: 'error', message: reasonOf(e) };
  }
}

/** The broker URL: read-only when set by policy, with a warning for plain http. */
function BrokerUrlField(props: {
  url: string;
  managed: boolean;
  error: string | null;
  onInput: (url: string) => void;
}) {
  const { url, managed, error: urlError } = props;
  const insecure = (() => {
    const c = checkBrokerUrl(url);
    return c.ok && c.value.insecure;
  })();
  return (
    <div class="field">
      <label for="broker-url">Broker URL</label>
      <input
        id="broker-url"
        type="url"
        value={url}
        placeholder="https://unblock.example.com"
        spellcheck={false}
        autocomplete="url"
        readOnly={managed}
        aria-readonly={managed ? true : undefined}
        aria-invalid={urlError ? true : undefined}
        aria-describedby={`broker-url-hint${urlError ? ' broker-url-error' : ''}`}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      <p id="broker-url-hint" class="hint">
        {managed ? (
          'Set by your organisation’s policy.'
        ) : (
          <>
            The demo broker (<code>npm run broker</code>) is at http://127.0.0.1:8787.
          </>
        )}
      </p>
      {insecure && (
        <p class="warning" role="note">
          Plain http: the token would cross the network unencrypted. Use https for a shared broker.
        </p>
      )}
      {urlError && (
        <p id="broker-url-error" class="error" role="alert">
          {urlError}
        </p>
      )}
    </div>
  );
}

export function Options(props: { deps: OptionsDeps }) {
  const { deps } = props;
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const [hasToken, setHasToken] = useState(false);
  const [configured, setConfigured] = useState(false);
  const [saved, setSaved] = useState<BrokerSettings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [check, setCheck] = useState<Check>({ kind: 'none' });
  const [busy, setBusy] = useState(false);

  async function verify(settings: BrokerSettings) {
    setCheck({ kind: 'checking' });
    setCheck(await checkConnection(settings, deps));
  }

  useEffect(() => {
    void deps.load().then((s) => {
      if (!s) return;
      setUrl(s.brokerUrl);
      setHasToken(s.token !== null);
      setConfigured(true);
      setSaved(s);
      void verify(s);
    });
  }, []);

  async function onSubmit(e: Event) {
    e.preventDefault();
    if (busy) return;
    const checked = checkBrokerUrl(url);
    if (!checked.ok) {
      setError(checked.error);
      return;
    }
    // Ask first, while the click still counts as a user gesture.
    const pattern = originPattern(checked.value.url);
    const allowed = pattern ? deps.requestOrigin(pattern).catch(() => false) : Promise.resolve(true);
    setBusy(true);
    try {
      if (!(await allowed)) {
        setError('Broker URL: Unblock needs your permission to reach this broker');
        return;
      }
      const saved = await deps.save({ brokerUrl: url, token: token.trim() ? token : undefined });
      if (!saved.ok) {
        setError(saved.error);
        return;
      }
      setError(null);
      setToken('');
      setUrl(saved.value.brokerUrl);
      setHasToken(saved.value.token !== null);
      setConfigured(true);
      setSaved(saved.value);
      await verify(saved.value);
    } finally {
      setBusy(false);
    }
  }

  async function onForget() {
    await deps.auth?.signOut();
    await deps.clear();
    setSaved(null);
    setUrl('');
    setToken('');
    setHasToken(false);
    setConfigured(false);
    setCheck({ kind: 'none' });
    setError(null);
  }

  const managed = saved?.managed === true;
  const urlError = error?.startsWith('Broker URL') ? error : null;
  const tokenError = error?.startsWith('API token') ? error : null;

  return (
    <form class="options" onSubmit={(e) => void onSubmit(e)} noValidate>
      <h1>Unblock</h1>
      <p class="hint">
        Requests you make from an access-denied page are filed with your team&apos;s Unblock broker. Without a
        broker, they are only saved in this browser.
      </p>
      <BrokerUrlField url={url} managed={managed} error={urlError} onInput={setUrl} />
      {deps.auth && saved && (
        <OptionsSignIn
          key={saved.brokerUrl}
          auth={deps.auth}
          brokerUrl={saved.brokerUrl}
          onChange={() => void verify(saved)}
        />
      )}
      <div class="field">
        <label for="api-token">API token</label>
        <input
          id="api-token"
          type="password"
          value={token}
          placeholder={hasToken ? 'Saved (leave empty to keep it)' : 'unblock-server token create --user you'}
          spellcheck={false}
          autocomplete="off"
          aria-invalid={tokenError ? true : undefined}
          aria-describedby={tokenError ? 'api-token-error' : undefined}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        {tokenError && (
          <p id="api-token-error" class="error" role="alert">
            {tokenError}
          </p>
        )}
      </div>
      <div class="buttons">
        <button type="submit" class="primary" disabled={busy}>
          Save
        </button>
        {configured && !managed && (
          <button type="button" onClick={() => void onForget()}>
            Forget broker
          </button>
        )}
      </div>
      <p class={`connection ${check.kind}`} role="status" aria-live="polite">
        {check.kind === 'checking' && 'Checking the connection…'}
        {check.kind === 'ok' && `Connected as ${safeText(check.user, 120)}`}
        {check.kind === 'error' && `Not connected: ${safeText(check.message, 300)}`}
      </p>
    </form>
  );
}

/** The real dependencies, for entrypoints/options/main.tsx. */
export function browserOptionsDeps(requestOrigin: OptionsDeps['requestOrigin']): OptionsDeps {
  const auth = browserAuth();
  // The popup's cached views belong to whoever was signed in: forget them whenever that may change.
  const cache = idbCache();
  const forgetting =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } finally {
        await cache.clear();
      }
    };
  return {
    load: loadSettings,
    save: forgetting(saveSettings),
    clear: forgetting(clearSettings),
    requestOrigin,
    auth: {
      async status(brokerUrl) {
        const s = await auth.session();
        return s && s.brokerUrl === brokerUrl ? { user: s.user } : null;
      },
      notice: () => auth.notice(),
      // Only the name reaches the page's state, never the tokens.
      signIn: forgetting(async (brokerUrl: string) => ({ user: (await auth.signIn(brokerUrl)).user })),
      signOut: forgetting(() => auth.signOut()),
    },
    token: (settings) => brokerToken(auth, settings),
  };
}
