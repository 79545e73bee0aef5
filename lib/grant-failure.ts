/**
 * The words for a grant the broker could not provision, or is still retrying: the banner (through
 * the background's progress messages), the popup and the side panel say the same. Pure.
 */
import type { GrantFailureView } from './contract/api';

/** Shown before the broker's advice, which is addressed to whoever runs the broker. */
export const OPERATOR_ADVICE_LABEL = 'What an operator can do:';

/**
 * Why access was not granted, in one line: that the request was approved (the approvers did their
 * part), what ended the attempts, then the provisioner's reason.
 */
export function failureText(f: Pick<GrantFailureView, 'cause' | 'reason' | 'attempts'>): string {
  switch (f.cause) {
    case 'permanent':
      return `Approved, but access could not be granted: ${f.reason}`;
    case 'attempts-exhausted':
      return `Approved, but access could not be granted; the broker gave up after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'}: ${f.reason}`;
    case 'expired':
      return `Approved, but access could not be granted before the grant’s time ran out: ${f.reason}`;
  }
}

/** `attempt 2 of 8`: the attempt the broker makes next, after `failed` failed ones, of at most `max`. */
export function nextAttemptText(failed: number, max?: number): string {
  const next = failed + 1;
  return max ? `attempt ${Math.min(next, max)} of ${max}` : `attempt ${next}`;
}
