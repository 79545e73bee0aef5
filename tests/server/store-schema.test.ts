import { expect, it } from 'vitest';
import { json } from '../../server/store/db';
import { forEachStore } from './pg-harness';
import { insertGrant, insertRequest } from './store-fixtures';

const HOSTILE = [
  "'); DROP TABLE users; --",
  "Robert'); DELETE FROM audit_log WHERE ('1'='1",
  '<script>alert(1)</script><img src=x onerror=alert(2)>',
  '$1 $$ \\x00 %s %n {{7*7}} ${process.exit()}',
  '𝒰𝓃𝒷𝓁𝑜𝒸𝓀 ünïcödé ‮RTL',
];

forEachStore('schema', (store) => {
  it('UNIQUE(request_id): concurrent approvals never create two grants', async () => {
    const db = await store.migrated();
    await insertRequest(db, 'req-1', { status: 'approved' });
    const other = await store.another(db);
    const expiresAt = new Date(Date.now() + 3_600_000);
    // Each "approver" inserts its grant inside its own transaction, as the service will.
    const attempts = await Promise.allSettled(
      [db, other, db, other].map((d, i) =>
        d.transaction((tx) => insertGrant(tx, `grant-${i}`, 'req-1', { status: 'approved', expiresAt })),
      ),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    for (const a of attempts) {
      if (a.status === 'rejected') expect(String(a.reason)).toMatch(/duplicate key|unique/i);
    }
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM grants WHERE request_id = 'req-1'",
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('one vote per approver and request', async () => {
    const db = await store.migrated();
    await insertRequest(db, 'req-1');
    await db.query("INSERT INTO approvals (request_id, approver) VALUES ('req-1', 'bob')");
    await expect(
      db.query("INSERT INTO approvals (request_id, approver) VALUES ('req-1', 'bob')"),
    ).rejects.toThrow(/duplicate key|unique/i);
    await db.query("INSERT INTO approvals (request_id, approver) VALUES ('req-1', 'dave')");
  });

  it('version supports compare-and-set updates', async () => {
    const db = await store.migrated();
    await insertRequest(db, 'req-1');
    const cas = (version: number) =>
      db.query<{ version: number }>(
        "UPDATE access_requests SET status = 'approved', version = version + 1 WHERE id = 'req-1' AND version = $1 RETURNING version",
        [version],
      );
    expect((await cas(1)).rows).toEqual([{ version: 2 }]);
    expect((await cas(1)).rows).toEqual([]); // a stale writer changes nothing
  });

  it('stores SQL-looking and markup-looking strings and JSON verbatim', async () => {
    const db = await store.migrated();
    for (const [i, text] of HOSTILE.entries()) {
      await insertRequest(db, `req-${i}`, { requester: text, justification: text, resource: text });
      await db.query('INSERT INTO users (id, display_name, groups) VALUES ($1, $1, $2::jsonb)', [
        text,
        json([text, { [text]: text }]),
      ]);
    }
    const requests = await db.query<{ requester: string; justification: string; resource: string }>(
      'SELECT requester, justification, resource FROM access_requests ORDER BY id',
    );
    expect(requests.rows).toEqual(HOSTILE.map((t) => ({ requester: t, justification: t, resource: t })));
    const users = await db.query<{ id: string; groups: unknown }>(
      'SELECT id, groups FROM users WHERE id = $1',
      [HOSTILE[0]],
    );
    expect(users.rows).toEqual([{ id: HOSTILE[0], groups: [HOSTILE[0], { [HOSTILE[0]!]: HOSTILE[0] }] }]);
    // …and the tables the injection strings name are still there.
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    expect(rows[0]!.n).toBe(HOSTILE.length);
  });

  it('returns bigint ids as numbers, timestamps as Dates and jsonb parsed, on both engines', async () => {
    const db = await store.migrated();
    const at = new Date('2026-01-02T03:04:05.678Z');
    const { rows } = await db.query<{ id: number; at: Date; payload: unknown }>(
      'INSERT INTO events (at, audience, type, payload) VALUES ($1, $2::jsonb, $3, $4::jsonb) RETURNING id, at, payload',
      [at, json(['alice']), 'request.created', json({ n: 1, list: [1, 'two'] })],
    );
    expect(rows).toEqual([{ id: 1, at, payload: { n: 1, list: [1, 'two'] } }]);
  });

  it('rolls a failed transaction back', async () => {
    const db = await store.migrated();
    await expect(
      db.transaction(async (tx) => {
        await insertRequest(tx, 'req-1');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await db.query('SELECT id FROM access_requests');
    expect(rows).toEqual([]);
  });
});
