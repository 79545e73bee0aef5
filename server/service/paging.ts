/**
 * Listing cursors: opaque to clients, they carry the sort key (a time and an id) of the last
 * item of a page, so the next page starts strictly after it.
 */

export interface Cursor {
  readonly createdAt: Date;
  readonly id: string;
}

export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

/** The cursor's position; undefined without a cursor, 'invalid' for one this broker did not issue. */
export function decodeCursor(cursor: string | undefined): Cursor | undefined | 'invalid' {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string') {
      const createdAt = new Date(value[0]);
      if (!Number.isNaN(createdAt.getTime())) return { createdAt, id: value[1] };
    }
  } catch {
    // fall through
  }
  return 'invalid';
}
