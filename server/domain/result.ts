/**
 * What every transition returns: the new value plus the audit events it implies (so the store can
 * write both in one transaction), or a coded error. Errors are values, not exceptions: an illegal
 * transition is an expected answer (a second approver was too late), not a bug.
 */
import { EVENT_TYPES, type EventType } from '../../lib/contract/status';

export const ERROR_CODES = [
  /** The status table does not allow this move from the current status. */
  'illegal-transition',
  /** The request already left `pending` (approved, denied, expired or cancelled). */
  'already-decided',
  /** The requester tried to approve or deny their own request. */
  'self-approval',
  /** This approver already approved; one person counts once towards the quorum. */
  'already-approved-by',
  /** The approver is in none of the request's approver groups. */
  'not-an-approver',
  /** Only the requester may cancel their request. */
  'not-requester',
  /** A timed transition (expiry, retry) was asked for before its time. */
  'not-due',
  /** The pending request passed its answer-by time; it can only expire now. */
  'request-expired',
  /** The approved request already produced (or was applied to) a grant. */
  'already-granted',
  /** The grant's time is up; it can only be revoked now. */
  'grant-expired',
  /** An extension would not move the expiry later (or the cap leaves no room). */
  'not-later',
  /** An extension request does not belong to this grant, or a grant does not belong to this request. */
  'mismatch',
  /** Input that breaks a domain invariant (no actions, zero duration, quorum below one…). */
  'invalid-input',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface DomainError {
  readonly code: ErrorCode;
  readonly message: string;
}

// Declared in the shared contract (the API reports the same events); re-exported for the domain.
export { EVENT_TYPES, type EventType };

/** Actors that are not people: the policy engine and the broker's own sweeper/worker. */
export const POLICY_ACTOR = 'policy';
export const SYSTEM_ACTOR = 'system';

/** One audit/event record. `details` is JSON-safe (strings, numbers, booleans, arrays, nulls). */
export interface DomainEvent {
  readonly type: EventType;
  readonly requestId: string | null;
  readonly grantId: string | null;
  readonly actor: string;
  readonly at: Date;
  readonly details: Readonly<Record<string, unknown>>;
}

export type Result<T> =
  | { readonly ok: true; readonly value: T; readonly events: readonly DomainEvent[] }
  | { readonly ok: false; readonly error: DomainError };

export function ok<T>(value: T, events: readonly DomainEvent[]): Result<T> {
  return { ok: true, value, events };
}

export function fail<T = never>(code: ErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}

/** "a pending …", "an ended …": a status as the start of an error message people read. */
export function aStatus(status: string): string {
  return `${/^[aeiou]/i.test(status) ? 'an' : 'a'} ${status}`;
}
