/** Readiness: whether the store answers at all. */
import type { Db } from './db';

/**
 * Runs the cheapest statement there is. Resolves when the store answered, rejects with the
 * engine's error when it cannot be reached (the health endpoint turns that into a 500).
 */
export async function ping(db: Db): Promise<void> {
  await db.query('SELECT 1');
}
