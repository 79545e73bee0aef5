/** What every measure of `npm run bench:loop` shares: its settings, the figure format, alice's grants. */
import type { DemoLoop } from '../../sim/browser/loop';

/** `BENCH_RUNS`: counted runs per measure (default 10). */
export const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 10) || 10);
/** `BENCH_VERBOSE=1`: print the timeline of each landing and side-panel run. */
export const VERBOSE = process.env.BENCH_VERBOSE === '1';

export const ms = (v: number): string => `${Math.round(v).toLocaleString('en')} ms`;

/** A grant as the broker lists it (only what the measures check). */
export interface GrantItem {
  id: string;
  status: string;
  target: { account: string | null };
}

export async function aliceGrants(loop: DemoLoop): Promise<GrantItem[]> {
  const res = await loop.api('alice', 'GET', '/grants?mine=true');
  return (res.json as { items: GrantItem[] }).items;
}

/**
 * A script for `evaluateOnNewDocument`: stamps `window[flag]` (epoch ms on the page's clock) the
 * moment `selector` (the content a grant unlocks) is in the DOM. A MutationObserver callback runs
 * right after the DOM change, so no polling interval is added to the figure. `prelude` runs first
 * (a host check that returns, a load counter). A string: tsx's name helpers do not exist in the page.
 */
export const contentProbe = (selector: string, flag: string, prelude = ''): string => `(() => {
  ${prelude}
  const observer = new MutationObserver(() => {
    if (window.${flag} || !document.querySelector(${JSON.stringify(selector)})) return;
    window.${flag} = performance.timeOrigin + performance.now();
    observer.disconnect();
  });
  observer.observe(document, { childList: true, subtree: true });
})()`;
