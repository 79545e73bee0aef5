import { expect, it } from 'vitest';
import {
  claimDueGrants,
  completeRevocation,
  failRevocation,
  releaseStaleLeases,
} from '../../server/store/sweeper';
import type { Db } from '../../server/store/db';
import { forEachStore } from './pg-harness';
import { insertGrant, insertRequest } from './store-fixtures';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

async function seedGrants(
  db: Db,
  n: number,
  expiresAt: (i: number) => Date,
  status = 'active',
): Promise<void> {
  await db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      const id = String(i).padStart(3, '0');
      await insertRequest(tx, `req-${id}`, { status: 'approved' });
      await insertGrant(tx, `grant-${id}`, `req-${id}`, { status, expiresAt: expiresAt(i) });
    }
  });
}

forEachStore('sweeper', (store) => {
  it('claims only due grants, marks them revoking with a lease, oldest first', async () => {
    const db = await store.migrated();
    await seedGrants(db, 4, (i) => minutes(i - 2)); // 000 and 001 past, 002 due exactly now, 003 not yet
    const claimed = await claimDueGrants(db, NOW, 10, 'worker-a', 30_000);
    expect(claimed.map((g) => g.id)).toEqual(['grant-000', 'grant-001', 'grant-002']);
    for (const g of claimed) {
      expect(g).toMatchObject({
        status: 'revoking',
        lease_owner: 'worker-a',
        lease_until: new Date(NOW.getTime() + 30_000),
        revoke_reason: 'expired',
        actions: ['s3:GetObject'],
      });
    }
    // Claimed grants are leased: nobody else gets them while the lease runs.
    expect(await claimDueGrants(db, NOW, 10, 'worker-b')).toEqual([]);
  });

  it('two concurrent sweepers never claim the same grant', async () => {
    const db = await store.migrated();
    await seedGrants(db, 60, () => minutes(-1));
    const other = await store.another(db);
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => claimDueGrants(i % 2 ? other : db, NOW, 10, `worker-${i}`)),
    );
    const ids = claims.flat().map((g) => g.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(Array.from({ length: 60 }, (_, i) => `grant-${String(i).padStart(3, '0')}`));
    const { rows } = await db.query<{ lease_owner: string; n: number }>(
      'SELECT lease_owner, count(*)::int AS n FROM grants GROUP BY lease_owner ORDER BY lease_owner',
    );
    for (const [i, c] of claims.entries()) {
      expect(rows.find((r) => r.lease_owner === `worker-${i}`)?.n ?? 0).toBe(c.length);
    }
  });

  it('skips rows another replica holds locked instead of waiting for them (PostgreSQL)', async ({ skip }) => {
    if (store.engine !== 'postgres') skip('PGlite is one connection: nothing else can hold a row lock');
    const db = await store.migrated();
    await seedGrants(db, 3, () => minutes(-1));
    const other = await store.another(db);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    // Another replica is mid-claim on grant-000 (row locked, transaction open).
    const holder = other.transaction(async (tx) => {
      await tx.query("SELECT id FROM grants WHERE id = 'grant-000' FOR UPDATE");
      locked();
      await held;
    });
    await isLocked;
    const claimed = await claimDueGrants(db, NOW, 10, 'w');
    expect(claimed.map((g) => g.id)).toEqual(['grant-001', 'grant-002']);
    release();
    await holder;
    expect((await claimDueGrants(db, NOW, 10, 'w')).map((g) => g.id)).toEqual(['grant-000']);
  });

  it('a stale lease (crashed worker) becomes claimable again; a live one does not', async () => {
    const db = await store.migrated();
    await seedGrants(db, 2, () => minutes(-10));
    const [first] = await claimDueGrants(db, NOW, 1, 'crashed', 60_000);
    expect(first!.id).toBe('grant-000');
    const [second] = await claimDueGrants(db, NOW, 1, 'alive', 600_000);
    expect(second!.id).toBe('grant-001');

    const later = minutes(2); // the crashed worker's lease ran out; the live one's did not
    expect(await releaseStaleLeases(db, later)).toEqual(['grant-000']);
    const { rows } = await db.query(
      "SELECT lease_owner, lease_until, status FROM grants WHERE id = 'grant-000'",
    );
    expect(rows).toEqual([{ lease_owner: null, lease_until: null, status: 'revoking' }]);

    const retaken = await claimDueGrants(db, later, 10, 'rescuer');
    expect(retaken.map((g) => g.id)).toEqual(['grant-000']);
    // The crashed worker comes back: its lease is gone, so it cannot record an outcome.
    expect(await completeRevocation(db, 'grant-000', 'crashed', later)).toBe(false);
    expect(await completeRevocation(db, 'grant-000', 'rescuer', later)).toBe(true);
    const done = await db.query("SELECT status, ended_at, lease_owner FROM grants WHERE id = 'grant-000'");
    expect(done.rows).toEqual([{ status: 'ended', ended_at: later, lease_owner: null }]);
  });

  it('claim also takes over expired leases without a release, and leaves early revokes as revoked', async () => {
    const db = await store.migrated();
    await seedGrants(db, 1, () => minutes(60));
    // An early revoke by the requester: revoking, no lease yet, expiry far away.
    await db.query(
      "UPDATE grants SET status = 'revoking', revoke_reason = 'revoked', revoked_by = 'alice' WHERE id = 'grant-000'",
    );
    const [g] = await claimDueGrants(db, NOW, 10, 'w', 1_000);
    expect(g).toMatchObject({ id: 'grant-000', revoke_reason: 'revoked' });
    const [again] = await claimDueGrants(db, minutes(1), 10, 'w2');
    expect(again!.lease_owner).toBe('w2');
    expect(await completeRevocation(db, 'grant-000', 'w2', minutes(1))).toBe(true);
    const { rows } = await db.query("SELECT status FROM grants WHERE id = 'grant-000'");
    expect(rows).toEqual([{ status: 'revoked' }]);
  });

  it('failed revocations are retried after their backoff', async () => {
    const db = await store.migrated();
    await seedGrants(db, 1, () => minutes(-1));
    await claimDueGrants(db, NOW, 10, 'w');
    expect(await failRevocation(db, 'grant-000', 'w', NOW, 'throttled', minutes(5))).toBe(true);
    const failed = await db.query("SELECT status, attempts, last_error FROM grants WHERE id = 'grant-000'");
    expect(failed.rows).toEqual([{ status: 'revoke-failed', attempts: 1, last_error: 'throttled' }]);
    expect(await claimDueGrants(db, minutes(4), 10, 'w')).toEqual([]);
    expect((await claimDueGrants(db, minutes(5), 10, 'w')).map((g) => g.attempts)).toEqual([1]);
  });

  it('takes down grants still provisioning past their expiry, but not active ones within it', async () => {
    const db = await store.migrated();
    await seedGrants(db, 2, (i) => (i === 0 ? minutes(-1) : minutes(1)), 'provisioning');
    await insertRequest(db, 'req-active');
    await insertGrant(db, 'grant-active', 'req-active', { expiresAt: minutes(30) });
    expect((await claimDueGrants(db, NOW, 10, 'w')).map((g) => g.id)).toEqual(['grant-000']);
  });
});
