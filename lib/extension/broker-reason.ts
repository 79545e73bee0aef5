/**
 * A failed broker call as one line for people: the banner card, the popup, the side panel, the
 * options page and the notifications all say it the same way.
 */
import { BrokerError } from './broker-error';

/** One line for people, from a failed broker call (or anything else thrown). */
export function reasonOf(e: unknown): string {
  if (e instanceof BrokerError) {
    switch (e.code) {
      case 'unreachable':
        return `The broker is unreachable: ${e.message}`;
      case 'not_signed_in':
        return 'Not signed in to the broker: set an API token in the Unblock options';
      case 'unauthorized':
        return 'The broker refused the API token: set a new one in the Unblock options';
      default: {
        const advice = e.advice[0] ? ` (${e.advice[0]})` : '';
        return `${e.message}${advice}`;
      }
    }
  }
  return e instanceof Error ? e.message : String(e);
}
