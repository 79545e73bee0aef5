import { expect, it } from 'vitest';
import type { Db } from '../../server/store/db';
import { appendAudit, canonicalJson, GENESIS_HASH, verifyAudit } from '../../server/store/audit';
import { forEachStore } from './pg-harness';

async function seed(db: Db, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    await appendAudit(db, {
      actor: i % 2 ? 'alice' : 'bob',
      type: 'request.created',
      subject: `req-${i}`,
      details: { i, nested: { z: 1, a: [true, null, 'x'] }, skipped: undefined },
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, i, 123)),
    });
  }
}

/** Tamper as a superuser would: with the append-only trigger switched off. */
async function tamper(db: Db, sql: string): Promise<void> {
  await db.exec(
    `ALTER TABLE audit_log DISABLE TRIGGER USER; ${sql}; ALTER TABLE audit_log ENABLE TRIGGER USER;`,
  );
}

it('canonicalJson sorts keys, drops undefined, has no whitespace', () => {
  expect(canonicalJson({ b: [1, undefined, 'x'], a: { d: null, c: undefined }, é: 1 })).toBe(
    '{"a":{"d":null},"b":[1,null,"x"],"é":1}',
  );
  expect(canonicalJson({ at: new Date('2026-01-01T00:00:00Z') })).toBe('{"at":"2026-01-01T00:00:00.000Z"}');
  expect(() => canonicalJson({ n: NaN })).toThrow(/not representable/);
});

forEachStore('audit log', (store) => {
  it('chains rows and verifies', async () => {
    const db = await store.migrated();
    expect(await verifyAudit(db)).toEqual({ ok: true, count: 0, head: null });
    await seed(db, 5);
    const { rows } = await db.query<{ seq: number; prev_hash: string; hash: string }>(
      'SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq',
    );
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    expect(await verifyAudit(db)).toEqual({ ok: true, count: 5, head: { seq: 5, hash: rows[4]!.hash } });
  });

  it('concurrent appends from two connections never fork the chain', async () => {
    const db = await store.migrated();
    const other = await store.another(db);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => appendAudit(i % 2 ? other : db, { actor: `a${i}`, type: 't' })),
    );
    expect(await verifyAudit(db)).toMatchObject({ ok: true, count: 20 });
  });

  it('the append-only trigger rejects UPDATE, DELETE and TRUNCATE', async () => {
    const db = await store.migrated();
    await seed(db, 2);
    await expect(db.query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1")).rejects.toThrow(
      /append-only: UPDATE/,
    );
    await expect(db.query('DELETE FROM audit_log WHERE seq = 2')).rejects.toThrow(/append-only: DELETE/);
    await expect(db.query('TRUNCATE audit_log')).rejects.toThrow(/append-only: TRUNCATE/);
    expect(await verifyAudit(db)).toMatchObject({ ok: true, count: 2 });
  });

  it('names an edited row', async () => {
    const db = await store.migrated();
    await seed(db, 5);
    await tamper(db, `UPDATE audit_log SET details = '{"i": 3, "approved": true}' WHERE seq = 3`);
    expect(await verifyAudit(db)).toMatchObject({ ok: false, seq: 3, problem: 'edited' });
  });

  it('names an edited actor even when the attacker recomputes nothing else', async () => {
    const db = await store.migrated();
    await seed(db, 3);
    await tamper(db, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2");
    expect(await verifyAudit(db)).toMatchObject({ ok: false, seq: 2, problem: 'edited' });
  });

  it('names a deleted row (middle and first)', async () => {
    const db = await store.migrated();
    await seed(db, 5);
    await tamper(db, 'DELETE FROM audit_log WHERE seq = 3');
    expect(await verifyAudit(db)).toMatchObject({ ok: false, seq: 3, problem: 'deleted' });
    await tamper(db, 'DELETE FROM audit_log WHERE seq = 1');
    expect(await verifyAudit(db)).toMatchObject({ ok: false, seq: 1, problem: 'deleted' });
  });

  it('names a deleted row even when the rows after it were renumbered', async () => {
    const db = await store.migrated();
    await seed(db, 4);
    await tamper(db, 'DELETE FROM audit_log WHERE seq = 2; UPDATE audit_log SET seq = seq - 1 WHERE seq > 2');
    expect(await verifyAudit(db)).toMatchObject({ ok: false, seq: 2, problem: 'deleted' });
  });

  it('names reordered rows', async () => {
    const db = await store.migrated();
    await seed(db, 5);
    await tamper(
      db,
      'UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = -1',
    );
    expect(await verifyAudit(db)).toMatchObject({ ok: false, seq: 2, problem: 'reordered' });
  });

  it('detects truncation of the tail against an anchored head', async () => {
    const db = await store.migrated();
    await seed(db, 4);
    const before = await verifyAudit(db);
    if (!before.ok || !before.head) throw new Error('expected a valid chain');
    await tamper(db, 'DELETE FROM audit_log WHERE seq = 4');
    // Without an anchor a shorter chain is still a valid chain: the documented limit.
    expect(await verifyAudit(db)).toMatchObject({ ok: true, count: 3 });
    expect(await verifyAudit(db, { head: before.head })).toMatchObject({
      ok: false,
      seq: 4,
      problem: 'truncated',
    });
  });

  it('stores hostile strings verbatim and still verifies', async () => {
    const db = await store.migrated();
    const text = "'); DROP TABLE audit_log; -- <script>alert(1)</script>";
    await appendAudit(db, { actor: text, type: text, subject: text, details: { [text]: text } });
    const { rows } = await db.query('SELECT actor, type, subject, details FROM audit_log');
    expect(rows).toEqual([{ actor: text, type: text, subject: text, details: { [text]: text } }]);
    expect(await verifyAudit(db)).toMatchObject({ ok: true, count: 1 });
  });
});
