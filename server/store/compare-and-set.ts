/**
 * The retry loop around compare-and-set saves (requests.ts, grants.ts). A transition is computed
 * from a snapshot and saved only if the row is still at the snapshot's `version`; when another
 * writer got there first, the whole unit of work — reads included — is rolled back and run again
 * from a fresh read, where the domain may now legitimately refuse (e.g. `already-decided`).
 *
 * A unit of work signals the lost race by throwing `CompareAndSetConflict` (usually through
 * `storedOrConflict`): the transaction rolls back, and `withCompareAndSet` runs it again, up to
 * `attempts` times. Anything else thrown is a real fault and propagates unchanged.
 */
import type { Db, Tx } from './db';

/** Thrown inside a transaction when a compare-and-set save lost: roll back, re-read, decide again. */
export class CompareAndSetConflict extends Error {
  override name = 'CompareAndSetConflict';
}

/** Attempts (each a full fresh read) before giving up. */
export const COMPARE_AND_SET_ATTEMPTS = 5;

/** A store result that did not store (a lost race, a vanished row, a duplicate, …). */
interface NotStored {
  readonly ok: false;
  readonly message: string;
}

/** The stored value, or a `CompareAndSetConflict` that rolls the transaction back for a retry. */
export function storedOrConflict<T>(result: { readonly ok: true; readonly value: T } | NotStored): T {
  if (!result.ok) throw new CompareAndSetConflict(result.message);
  return result.value;
}

export interface CompareAndSetOptions<E> {
  /** How many times to run the unit of work; default `COMPARE_AND_SET_ATTEMPTS`. */
  readonly attempts?: number;
  /** The answer when every attempt lost its race. */
  readonly onExhausted: () => E;
}

/**
 * Runs `work` in a transaction, and again from scratch (a new transaction) whenever it throws
 * `CompareAndSetConflict`; after `attempts` lost races answers `onExhausted()`.
 */
export async function withCompareAndSet<T, E>(
  db: Db,
  work: (tx: Tx) => Promise<T>,
  options: CompareAndSetOptions<E>,
): Promise<T | E> {
  const attempts = options.attempts ?? COMPARE_AND_SET_ATTEMPTS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await db.transaction(work);
    } catch (e) {
      if (!(e instanceof CompareAndSetConflict)) throw e;
    }
  }
  return options.onExhausted();
}
