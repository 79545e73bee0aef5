/**
 * Reading and pruning the `events` table (the log behind `GET /api/v1/events`). Rows are appended
 * by `recordTransition` (transitions.ts) with ids in commit order, so "everything after id N" is a
 * complete read of what committed since N was seen.
 */
import type { Db, Tx } from './db';
import { json } from './db';
import type { EventAudience, EventPayload } from './transitions';

/** One row of `events`. */
export interface StoredEvent {
  readonly id: number;
  readonly at: Date;
  readonly type: string;
  readonly audience: EventAudience;
  readonly payload: EventPayload;
}

const COLUMNS = 'id, at, type, audience, payload';

/** Up to `limit` events with an id above `afterId`, oldest first, whoever may see them. */
export async function readEventsAfter(db: Db | Tx, afterId: number, limit: number): Promise<StoredEvent[]> {
  const { rows } = await db.query<StoredEvent>(
    `SELECT ${COLUMNS} FROM events WHERE id > $1 ORDER BY id LIMIT $2`,
    [afterId, limit],
  );
  return rows;
}

/** The id of the newest event, or 0 when there is none. */
export async function newestEventId(db: Db | Tx): Promise<number> {
  const { rows } = await db.query<{ max: number | null }>('SELECT max(id) AS max FROM events');
  return rows[0]?.max ?? 0;
}

/**
 * The newest `limit` events with an id in (afterId, upToId] whose audience names `user` or one of
 * `groups`, returned oldest first. The audience test runs in SQL (so the limit counts visible
 * events only); callers that must never leak still re-check each row.
 */
export async function readVisibleEvents(
  db: Db | Tx,
  range: { readonly afterId: number; readonly upToId: number; readonly limit: number },
  viewer: { readonly user: string; readonly groups: readonly string[] },
): Promise<StoredEvent[]> {
  const { rows } = await db.query<StoredEvent>(
    `SELECT ${COLUMNS} FROM events
     WHERE id > $1 AND id <= $2
       AND (audience -> 'users' @> $3::jsonb
            OR audience -> 'groups' ?| ARRAY(SELECT jsonb_array_elements_text($4::jsonb)))
     ORDER BY id DESC
     LIMIT $5`,
    [range.afterId, range.upToId, json([viewer.user]), json(viewer.groups), range.limit],
  );
  return rows.reverse();
}

/**
 * Deletes events with `at` before `olderThan`, except the newest `keep` (by id); returns how many
 * rows went. One statement, so a concurrent append is either counted among the newest or not
 * touched.
 */
export async function deleteEventsOlderThan(db: Db | Tx, olderThan: Date, keep: number): Promise<number> {
  // The boundary is the id of the newest event that may go (the (keep+1)-th newest); with fewer
  // rows it is NULL and nothing matches.
  const { rows } = await db.query<{ deleted: number }>(
    `WITH doomed AS (
       DELETE FROM events
       WHERE at < $1
         AND id <= (SELECT id FROM events ORDER BY id DESC OFFSET $2 LIMIT 1)
       RETURNING 1
     )
     SELECT count(*)::int AS deleted FROM doomed`,
    [olderThan, keep],
  );
  return rows[0]?.deleted ?? 0;
}
