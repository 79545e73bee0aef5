/**
 * The toolbar badge: requests waiting for the user's review (approvers), otherwise the user's
 * active grants. Pure; the background applies it with `action` (MV3) or `browserAction` (MV2).
 */

export interface Badge {
  /** At most 4 characters; empty hides the badge. */
  text: string;
  color: string;
  /** The toolbar button's tooltip. */
  title: string;
}

export const REVIEW_COLOR = '#d13212';
export const ACTIVE_COLOR = '#037f0c';
export const IDLE_TITLE = 'Unblock';

const count = (n: number) => (n > 99 ? '99+' : String(n));
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function computeBadge(state: { toReview: number | null; activeGrants: number }): Badge {
  const parts: string[] = [];
  if (state.toReview) parts.push(plural(state.toReview, 'request to review', 'requests to review'));
  if (state.activeGrants) parts.push(plural(state.activeGrants, 'active grant', 'active grants'));
  const title = parts.length ? `Unblock: ${parts.join(', ')}` : IDLE_TITLE;
  if (state.toReview) return { text: count(state.toReview), color: REVIEW_COLOR, title };
  if (state.activeGrants) return { text: count(state.activeGrants), color: ACTIVE_COLOR, title };
  return { text: '', color: ACTIVE_COLOR, title };
}

export const EMPTY_BADGE: Badge = { text: '', color: ACTIVE_COLOR, title: IDLE_TITLE };
