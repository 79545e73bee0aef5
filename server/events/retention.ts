/**
 * Event retention. `events` exists for live streams and Last-Event-ID replay, not as a record
 * (the audit log is the record), so old rows can go. The newest `keep` always stay, whatever their
 * age: a quiet broker still lets a client that reconnects replay what it missed.
 */
import type { Db } from '../store/db';
import { deleteEventsOlderThan } from '../store/events';

export const DEFAULT_KEEP_EVENTS = 1000;

/**
 * Deletes events with `at` before `olderThan`, except the newest `keep` (by id). Returns how many
 * rows went. A client whose Last-Event-ID predates the pruned rows replays from what is left.
 */
export async function pruneEvents(db: Db, olderThan: Date, options: { keep?: number } = {}): Promise<number> {
  const keep = options.keep ?? DEFAULT_KEEP_EVENTS;
  if (!Number.isInteger(keep) || keep < 0)
    throw new RangeError(`keep must be a non-negative integer, got ${keep}`);
  return deleteEventsOlderThan(db, olderThan, keep);
}
