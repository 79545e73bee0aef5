/**
 * What every transition does after saving its result, for the broker's use cases and the worker
 * alike: its audit and event rows, then the transition hook (the webhook outbox), all in the
 * transaction that saved the result.
 */
import type { AccessRequest, DomainEvent, Grant } from '../domain';
import type { Tx } from '../store/db';
import { recordTransition, type TransitionRecord } from '../store/transitions';

/** The records a transition's events are about (the hook renders webhook messages from them). */
export interface TransitionSubject {
  readonly request: AccessRequest | null;
  readonly grant: Grant | null;
}

/** Called inside every transition's transaction, after its audit/event rows (webhook outbox). */
export type TransitionHook = (
  tx: Tx,
  events: readonly DomainEvent[],
  subject: TransitionSubject,
) => Promise<void>;

/** Records the events of a transition and runs the hook; a transition without events records nothing. */
export async function recordEvents(
  tx: Tx,
  onTransition: TransitionHook | undefined,
  record: TransitionRecord,
  subject: TransitionSubject,
): Promise<void> {
  if (record.events.length === 0) return;
  await recordTransition(tx, record);
  await onTransition?.(tx, record.events, subject);
}
