/**
 * List cursors (server/service/paging.ts): opaque to clients, validated on the way back in, and
 * tied to the list that issued them.
 */
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../server/service/paging';

const AT = new Date('2026-12-01T09:00:00.123Z');
const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('list cursors', () => {
  it('round-trip the position of the last item of a page', () => {
    const cursor = encodeCursor('requests', AT, 'req_1');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('requests', cursor)).toEqual({ at: AT, id: 'req_1' });
    expect(decodeCursor('requests', undefined)).toBeUndefined();
  });

  it("refuse a cursor from the other list: a grant's position is not a request's", () => {
    expect(decodeCursor('requests', encodeCursor('grants', AT, 'grt_1'))).toBe('invalid');
    expect(decodeCursor('grants', encodeCursor('requests', AT, 'req_1'))).toBe('invalid');
  });

  it('refuse anything this broker did not write', () => {
    for (const cursor of [
      'garbage!',
      '%%%',
      raw(['requests', 'yesterday', 'req_1']),
      // A real instant, but not as the broker writes it (UTC, milliseconds).
      raw(['requests', '2026-12-01T10:00:00.123+01:00', 'req_1']),
      raw(['requests', AT.toISOString()]),
      raw(['requests', AT.toISOString(), '']),
      raw(['requests', AT.toISOString(), 'x'.repeat(129)]),
      raw(['requests', AT.toISOString(), 7]),
      raw([AT.toISOString(), 'req_1']),
      raw({ list: 'requests' }),
      Buffer.from('not json').toString('base64url'),
    ]) {
      expect(decodeCursor('requests', cursor), cursor).toBe('invalid');
    }
  });
});
