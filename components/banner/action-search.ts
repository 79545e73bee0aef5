/**
 * The permission picker's list: a service's actions with their risk (lib/risk), read-only first,
 * narrowed by what the user typed. Pure functions, no state.
 */
import type { Cloud } from '@/lib/contract/denial';
import { actionRisk, compareRisk, type Risk } from '@/lib/risk';

export interface RankedAction {
  action: string;
  risk: Risk;
}

/** Options the list shows at once; typing narrows the rest. */
export const PICKER_SHOWN_MAX = 50;

/** Every action with its risk, read-only first, then by name (computed once per list). */
export function rankActions(cloud: Cloud, actions: readonly string[]): RankedAction[] {
  return actions
    .map((action) => ({ action, risk: actionRisk(cloud, action), key: action.toLowerCase() }))
    .sort((a, b) => compareRisk(a.risk, b.risk) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ action, risk }) => ({ action, risk }));
}

/**
 * The ranked actions whose name contains every word typed (`get object`, `GetObj`, `s3:get`),
 * case-insensitive, at most `limit` of them, and how many matched in all.
 */
export function searchActions(
  ranked: readonly RankedAction[],
  query: string,
  limit = PICKER_SHOWN_MAX,
): { shown: RankedAction[]; total: number } {
  const terms = query
    .slice(0, 256)
    .toLowerCase()
    .split(/[\s:/.]+/)
    .filter(Boolean);
  const shown: RankedAction[] = [];
  let total = 0;
  for (const entry of ranked) {
    const name = entry.action.toLowerCase();
    if (!terms.every((t) => name.includes(t))) continue;
    total++;
    if (shown.length < limit) shown.push(entry);
  }
  return { shown, total };
}
