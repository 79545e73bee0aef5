/**
 * Time left on a grant, updated every second. The visible timer is not a live region (a screen
 * reader announcing every second would be unusable); a separate polite live region says the
 * minutes left during the final minutes only, and when access has expired.
 */
import { useEffect, useState } from 'preact/hooks';
import { formatRemaining } from './panel-format';

export const FINAL_MINUTES = 5;

export function Countdown(props: { expiresAt: string; now?: () => number; label?: string }) {
  const now = props.now ?? Date.now;
  const [t, setT] = useState(now);
  useEffect(() => {
    setT(now());
    const timer = setInterval(() => setT(now()), 1000);
    return () => clearInterval(timer);
  }, [props.expiresAt, now]);
  const end = Date.parse(props.expiresAt);
  const left = Number.isNaN(end) ? 0 : end - t;
  const final = left <= FINAL_MINUTES * 60_000;
  const minutes = Math.ceil(left / 60_000);
  const spoken =
    left <= 0
      ? 'Access expired'
      : `${minutes} minute${minutes === 1 ? '' : 's'} left${props.label ? ` on ${props.label}` : ''}`;
  return (
    <span class={`countdown${final ? ' final' : ''}`}>
      <span role="timer">{left <= 0 ? 'Expired' : `${formatRemaining(left)} left`}</span>
      <span class="sr-only" aria-live={final ? 'polite' : 'off'}>
        {final ? spoken : ''}
      </span>
    </span>
  );
}
