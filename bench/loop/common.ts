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
