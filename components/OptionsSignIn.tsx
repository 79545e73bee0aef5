/**
 * The options page's sign-in block: "Sign in" (the broker's own sign-in page, through
 * `identity.launchWebAuthFlow`), "Signed in as alice" with "Sign out", and why the user was
 * signed out when it was not their doing. Tokens never reach this component: only the user name.
 */
import { useEffect, useState } from 'preact/hooks';
import { safeText } from './safe-text';

export interface OptionsAuth {
  /** Who is signed in to this broker, or null. */
  status(brokerUrl: string): Promise<{ user: string | null } | null>;
  /** Why the last unasked sign-out happened. */
  notice(): Promise<string | null>;
  signIn(brokerUrl: string): Promise<{ user: string | null }>;
  signOut(): Promise<void>;
}

type State =
  | { kind: 'loading' }
  | { kind: 'out'; notice: string | null }
  | { kind: 'busy'; doing: 'in' | 'out' }
  | { kind: 'in'; user: string | null };

export function OptionsSignIn(props: {
  auth: OptionsAuth;
  /** The saved broker URL (sign-in is offered once one is saved). */
  brokerUrl: string;
  /** After signing in or out (the page re-checks the connection). */
  onChange?: () => void;
}) {
  const { auth, brokerUrl, onChange } = props;
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void Promise.all([auth.status(brokerUrl), auth.notice()]).then(([s, notice]) => {
      if (live) setState(s ? { kind: 'in', user: s.user } : { kind: 'out', notice });
    });
    return () => {
      live = false;
    };
  }, [brokerUrl]);

  async function signIn() {
    setError(null);
    setState({ kind: 'busy', doing: 'in' });
    try {
      const s = await auth.signIn(brokerUrl);
      setState({ kind: 'in', user: s.user });
      onChange?.();
    } catch (e) {
      setError(`Sign-in failed: ${e instanceof Error ? e.message : String(e)}`);
      setState({ kind: 'out', notice: null });
    }
  }

  async function signOut() {
    setError(null);
    setState({ kind: 'busy', doing: 'out' });
    await auth.signOut();
    setState({ kind: 'out', notice: null });
    onChange?.();
  }

  return (
    <div class="field sign-in">
      <span class="label">Your account</span>
      {state.kind === 'in' && (
        <p class="signed-in" role="status">
          {state.user ? `Signed in as ${safeText(state.user, 120)}` : 'Signed in'}
        </p>
      )}
      {state.kind === 'out' && state.notice && (
        <p class="warning" role="alert">
          {safeText(state.notice, 300)}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {safeText(error, 300)}
        </p>
      )}
      <div class="buttons">
        {state.kind === 'in' ? (
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        ) : (
          <button type="button" class="primary" disabled={state.kind !== 'out'} onClick={() => void signIn()}>
            {state.kind !== 'busy' ? 'Sign in' : state.doing === 'in' ? 'Signing in…' : 'Signing out…'}
          </button>
        )}
      </div>
      {state.kind !== 'in' && (
        <p class="hint">Opens your broker&apos;s sign-in page. An API token below works too.</p>
      )}
    </div>
  );
}
