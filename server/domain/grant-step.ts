/**
 * What every grant transition (grant.ts, provisioning.ts, revocation.ts) builds its answer
 * with: the next version of the record, its events, and the refusals they share.
 */
import { redactSecrets } from './redact';
import type { DomainEvent, EventType, Result } from './result';
import { aStatus, fail } from './result';
import type { Grant, GrantStatus } from './types';

/** Longest `lastError` kept; cloud SDK errors can carry whole response bodies. */
export const LAST_ERROR_MAX = 1000;

export const MINUTE_MS = 60_000;

export function grantEvent(
  type: EventType,
  grant: Grant,
  actor: string,
  at: Date,
  details: Record<string, unknown> = {},
): DomainEvent {
  return { type, requestId: grant.requestId, grantId: grant.id, actor, at, details };
}

/** The grant after a transition: `patch` applied, version bumped (see types.ts). */
export function advance(grant: Grant, patch: Partial<Grant>): Grant {
  return { ...grant, ...patch, version: grant.version + 1 };
}

export function illegal<T>(from: GrantStatus, to: GrantStatus): Result<T> {
  return fail('illegal-transition', `${aStatus(from)} grant cannot become ${to}`);
}

export function isDue(grant: Grant, now: Date): boolean {
  return now.getTime() >= grant.expiresAt.getTime();
}

/**
 * A provisioner's error as the grant keeps it (`lastError`, `failure`): credentials redacted
 * (redact.ts: the API, audit, events and webhooks all carry it), whitespace collapsed, at most
 * `LAST_ERROR_MAX` characters.
 */
export function errorText(error: string): string {
  const clean = redactSecrets(error).replace(/\s+/g, ' ').trim();
  return clean.length > LAST_ERROR_MAX ? `${clean.slice(0, LAST_ERROR_MAX - 1)}…` : clean;
}
