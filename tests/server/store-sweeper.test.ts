/**
 * The grant worker's leases (server/store/sweeper.ts): which grants are due, SKIP LOCKED claims
 * that never overlap across replicas, stale and restarted workers' leases handed back. Statuses
 * are never changed here (the worker does that through the domain, with audit rows).
 */
import { expect, it } from 'vitest';
import type { Db } from '../../server/store/db';
import {
  claimGrantWork,
  releaseGrantLease,
  releaseLeasesOf,
  releaseStaleLeases,
} from '../../server/store/sweeper';
import { forEachStore } from './pg-harness';
import { insertGrant, insertRequest } from './store-fixtures';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

async function seedGrants(
  db: Db,
  n: number,
  expiresAt: (i: number) => Date,
  status = 'active',
  fields: { nextAttemptAt?: Date } = {},
): Promise<void> {
  await db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      const id = String(i).padStart(3, '0');
      await insertRequest(tx, `req-${status}-${id}`, { status: 'approved' });
      await insertGrant(tx, `${status}-${id}`, `req-${status}-${id}`, {
        status,
        expiresAt: expiresAt(i),
        ...fields,
      });
    }
  });
}

forEachStore('grant worker leases', (store) => {
  it('leases only grants that need work now, soonest expiry first, without touching their status', async () => {
    const db = await store.migrated();
    await seedGrants(db, 4, (i) => minutes(i - 2)); // active: 000 and 001 past, 002 due now, 003 not yet
    await seedGrants(db, 1, () => minutes(60), 'approved'); // new: provision at once
    await seedGrants(db, 1, () => minutes(60), 'revoking'); // early revoke waiting for a worker
    await seedGrants(db, 1, () => minutes(60), 'provision-failed', { nextAttemptAt: minutes(5) }); // not yet
    await seedGrants(db, 1, () => minutes(60), 'revoke-failed', { nextAttemptAt: minutes(-1) }); // retry due
    const claimed = await claimGrantWork(db, NOW, 10, 'worker-a', 600_000);
    expect(claimed).toEqual([
      'active-000',
      'active-001',
      'active-002',
      'approved-000',
      'revoke-failed-000',
      'revoking-000',
    ]);
    const { rows } = await db.query<{ id: string; status: string; lease_owner: string; lease_until: Date }>(
      'SELECT id, status, lease_owner, lease_until FROM grants WHERE lease_owner IS NOT NULL ORDER BY id',
    );
    for (const r of rows) {
      expect(r).toMatchObject({ lease_owner: 'worker-a', lease_until: new Date(NOW.getTime() + 600_000) });
      expect(r.id.startsWith(r.status)).toBe(true); // status untouched
    }
    // Leased grants are nobody else's while the lease runs.
    expect(await claimGrantWork(db, NOW, 10, 'worker-b')).toEqual([]);
    // Later: active-003's time is up, and the provisioning retry is due.
    expect(await claimGrantWork(db, minutes(5), 10, 'worker-b')).toEqual([
      'active-003',
      'provision-failed-000',
    ]);
  });

  it('two concurrent workers never lease the same grant', async () => {
    const db = await store.migrated();
    await seedGrants(db, 60, () => minutes(-1));
    const other = await store.another(db);
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => claimGrantWork(i % 2 ? other : db, NOW, 10, `worker-${i}`)),
    );
    const ids = claims.flat();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(Array.from({ length: 60 }, (_, i) => `active-${String(i).padStart(3, '0')}`));
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
    // Another replica is mid-claim on active-000 (row locked, transaction open).
    const holder = other.transaction(async (tx) => {
      await tx.query("SELECT id FROM grants WHERE id = 'active-000' FOR UPDATE");
      locked();
      await held;
    });
    await isLocked;
    expect(await claimGrantWork(db, NOW, 10, 'w')).toEqual(['active-001', 'active-002']);
    release();
    await holder;
    expect(await claimGrantWork(db, NOW, 10, 'w')).toEqual(['active-000']);
  });

  it('hands back a crashed worker’s lease once it runs out, and a restarted worker’s at once', async () => {
    const db = await store.migrated();
    await seedGrants(db, 3, () => minutes(-10));
    expect(await claimGrantWork(db, NOW, 1, 'crashed', 60_000)).toEqual(['active-000']);
    expect(await claimGrantWork(db, NOW, 1, 'alive', 600_000)).toEqual(['active-001']);
    expect(await claimGrantWork(db, NOW, 1, 'host:8787', 600_000)).toEqual(['active-002']);

    const later = minutes(2); // the crashed worker's lease ran out; the others' did not
    expect(await claimGrantWork(db, later, 10, 'rescuer')).toEqual(['active-000']);
    // The crashed worker comes back: its lease is gone, so its release changes nothing.
    expect(await releaseGrantLease(db, 'active-000', 'crashed')).toBe(false);
    expect(await releaseGrantLease(db, 'active-000', 'rescuer')).toBe(true);

    // The broker on host:8787 restarts: what it held is free again without waiting.
    expect(await releaseLeasesOf(db, 'host:8787')).toEqual(['active-002']);
    expect(await claimGrantWork(db, later, 10, 'host:8787')).toEqual(['active-000', 'active-002']);
    expect(await releaseStaleLeases(db, minutes(30))).toEqual(['active-000', 'active-001', 'active-002']);
  });
});
