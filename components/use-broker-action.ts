/**
 * A broker action behind a button (Cancel, Revoke, Approve, Extend…): busy while the call is on
 * the wire (the buttons are disabled), its failure as one line for people, and what it had to
 * say when it succeeded. One copy for the popup's and the side panel's items.
 */
import { useCallback, useState } from 'preact/hooks';
import { reasonOf } from '@/lib/extension/broker-reason';

export interface BrokerAction {
  /** A call is on the wire. */
  busy: boolean;
  /** Why the last call failed (reasonOf), or the form's own objection (`fail`). */
  error: string | null;
  /** What the last call said when it succeeded ("Revoking access…"), if anything. */
  done: string | null;
  /**
   * Clears `error` and `done`, then runs the call (its follow-ups too: refreshing the list, a
   * result to show) with `busy` set. A string it resolves to becomes `done`; a failure, `error`.
   */
  run: (call: () => Promise<string | void>) => Promise<void>;
  /** Says what is wrong before any call (a denial without a comment). */
  fail: (reason: string) => void;
}

export function useBrokerAction(): BrokerAction {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const run = useCallback(async (call: () => Promise<string | void>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const said = await call();
      if (typeof said === 'string') setDone(said);
    } catch (e) {
      setError(reasonOf(e));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, done, run, fail: setError };
}
