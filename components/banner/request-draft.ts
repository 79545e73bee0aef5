/**
 * The request a banner card files: built from the denial and what the user typed, and the
 * validation issues mapped back to the field the user can fix. Pure functions, no state.
 */
import { CLOUD_FACTS } from '@/lib/clouds';
import { EXCERPT_MAX } from '@/lib/contract/constants';
import type { Cloud, Denial } from '@/lib/contract/denial';
import type { NewAccessRequest } from '@/lib/contract/request';
import { safeText } from '../safe-text';

export type RequestStatus =
  | { kind: 'idle' }
  | { kind: 'sending' }
  /** `draftId`/`broker`: the background's reply; with a broker, progress follows by draft id. */
  | { kind: 'saved'; draftId?: string; broker: boolean }
  | { kind: 'failed'; message: string };
export type FieldErrors = { justification?: string; permission?: string; form?: string };

/** What the user chose or typed on the card. */
export interface RequestFields {
  account: string | null;
  /** Typed by the user; used only when the denial names no action. */
  permission: string;
  durationMinutes: number;
  justification: string;
}

const URL_MAX = 4096;

/** The page URL for the request: drop query and fragment rather than fail on a monster URL. */
export function requestPageUrl(url: string): string {
  if (url.length <= URL_MAX) return url;
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`.slice(0, URL_MAX);
  } catch {
    return url.slice(0, URL_MAX);
  }
}

/** The request for this denial, not yet validated (the caller parses it as a save-draft message). */
export function newAccessRequest(denial: Denial, fields: RequestFields, pageUrl: string): NewAccessRequest {
  return {
    target: { cloud: denial.cloud, account: fields.account },
    actions: denial.actions.length > 0 ? denial.actions : [fields.permission.trim()],
    resource: denial.resource,
    durationMinutes: fields.durationMinutes,
    justification: fields.justification,
    denial: {
      excerpt: denial.excerpt.slice(0, EXCERPT_MAX),
      denyKind: denial.denyKind,
      encodedMessage: denial.encodedMessage,
    },
    pageUrl: requestPageUrl(pageUrl),
  };
}

/**
 * Map a validation issue to the field the user can fix, with a message naming that field. A bad
 * permission is explained with this card's own example, not the contract's generic one.
 */
export function fieldErrors(
  issues: readonly { path: PropertyKey[]; message: string }[],
  cloud: Cloud,
  example: string,
): FieldErrors {
  const issue = issues[0];
  if (!issue) return {};
  const field = String(issue.path[1] ?? issue.path[0] ?? '');
  const detail = issue.message.replace(/^[\w.]+: /, '');
  if (field === 'justification') return { justification: `Justification: ${detail}` };
  if (field === 'actions')
    return {
      permission: `Permission to request: not a valid ${CLOUD_FACTS[cloud].label} permission (like ${example}, no wildcards)`,
    };
  return { form: `Cannot send the request: ${safeText(issue.message, 160)}` };
}
