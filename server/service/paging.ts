/**
 * Listing cursors. Lists are newest first and paged by keyset (server/store/keyset.ts): a cursor
 * carries the sort key (a time and an id) of the last item of a page, and the next page starts
 * strictly after it, so rows added between two pages neither repeat nor hide others. Cursors are
 * opaque to clients (base64url JSON) and name the list they came from: a grants cursor handed to
 * the requests list is refused as a bad `cursor`, not read as a position in the wrong table.
 */

export type CursorList = 'requests' | 'grants' | 'tokens';

export interface Cursor {
  readonly at: Date;
  readonly id: string;
}

/** Longer ids than any this broker issues (`req_`/`grt_` + a UUID, a token id) are not its cursors. */
const MAX_ID_LENGTH = 128;

export function encodeCursor(list: CursorList, at: Date, id: string): string {
  return Buffer.from(JSON.stringify([list, at.toISOString(), id])).toString('base64url');
}

/** The cursor's position; undefined without a cursor, 'invalid' for one this broker did not issue for `list`. */
export function decodeCursor(list: CursorList, cursor: string | undefined): Cursor | undefined | 'invalid' {
  if (cursor === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return 'invalid';
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return 'invalid';
  }
  if (!Array.isArray(value) || value.length !== 3 || value[0] !== list) return 'invalid';
  const [, time, id] = value as unknown[];
  if (typeof time !== 'string' || typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    return 'invalid';
  }
  const at = new Date(time);
  // Exactly what encodeCursor writes: a hand-made "yesterday" or a local time is not a position.
  if (Number.isNaN(at.getTime()) || at.toISOString() !== time) return 'invalid';
  return { at, id };
}

/** The error message for a refused cursor (the field is `cursor`). */
export const BAD_CURSOR = 'cursor: not a cursor this broker issued for this list (start again without one)';
