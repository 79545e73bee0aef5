/**
 * Provider refs under the worker's lease (server/store/provider-refs.ts, issue 12): saved only
 * while the writer holds the grant's lease and the grant is provisioning, active or revoking; an
 * active grant whose applied expiry lags (a merge, an extension, the reconciler's mark) is claimed
 * for `reapply`; a lapsed lease is caught before a status change.
 */
import { expect, it } from 'vitest';
import type { Db } from '../../server/store/db';
import {
  getProvisioningState,
  holdsGrantLease,
  markAccessMissing,
  renewGrantLease,
  saveProviderRef,
} from '../../server/store/provider-refs';
import { claimGrantWork, releaseGrantLease } from '../../server/store/sweeper';
import { forEachStore } from './pg-harness';
import { insertGrant, insertRequest } from './store-fixtures';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);
const A = { owner: 'worker-a', at: NOW };

async function seed(db: Db, id: string, status: string, expiresAt = minutes(60)): Promise<void> {
  await insertRequest(db, `req-${id}`, { status: 'approved' });
  await insertGrant(db, id, `req-${id}`, { status, expiresAt });
}

forEachStore('provider refs under the lease', (store) => {
  it('saves a ref only for the lease holder, and only while the grant is live', async () => {
    const db = await store.migrated();
    await seed(db, 'g1', 'provisioning');
    expect(await claimGrantWork(db, NOW, 10, 'worker-a', 60_000)).toEqual(['g1']);
    expect(await saveProviderRef(db, 'g1', { by: 'b' }, minutes(60), { owner: 'worker-b', at: NOW })).toBe(
      false,
    );
    expect(await saveProviderRef(db, 'g1', { by: 'a' }, minutes(60), A)).toBe(true);
    // Past the lease: refused, even to its holder.
    expect(await saveProviderRef(db, 'g1', { by: 'late' }, minutes(60), { ...A, at: minutes(2) })).toBe(
      false,
    );
    expect((await getProvisioningState(db, 'g1'))?.ref).toEqual({ by: 'a' });
    await db.query("UPDATE grants SET status = 'revoked' WHERE id = 'g1'");
    expect(await saveProviderRef(db, 'g1', { by: 'a2' }, minutes(60), A)).toBe(false);
  });

  it('claims an active grant for reapply when its applied expiry lags, or the reconciler marked it', async () => {
    const db = await store.migrated();
    await seed(db, 'lagging', 'provisioning');
    await seed(db, 'current', 'provisioning');
    await seed(db, 'never', 'active');
    expect(await claimGrantWork(db, NOW, 10, 'w', 60_000)).toEqual(['current', 'lagging']);
    for (const id of ['lagging', 'current']) {
      await saveProviderRef(db, id, { ok: true }, minutes(60), { owner: 'w', at: NOW });
      await db.query("UPDATE grants SET status = 'active' WHERE id = $1", [id]);
      await releaseGrantLease(db, id, 'w');
    }
    expect(await claimGrantWork(db, NOW, 10, 'w', 60_000)).toEqual([]);
    // A merge moves `lagging`'s expiry: due for reapply.
    await db.query("UPDATE grants SET expires_at = $1 WHERE id = 'lagging'", [minutes(90)]);
    expect(await claimGrantWork(db, NOW, 10, 'w', 60_000)).toEqual(['lagging']);
    // The reconciler finds `current` missing; `never` (no ref) cannot be marked.
    expect(await markAccessMissing(db, 'current')).toBe(true);
    expect(await markAccessMissing(db, 'never')).toBe(false);
    expect(await claimGrantWork(db, NOW, 10, 'w', 60_000)).toEqual(['current']);
    expect((await getProvisioningState(db, 'current'))?.applied).toEqual({
      provisioned: true,
      expiresAt: null,
    });
  });

  it('renews and checks a lease only for its live holder', async () => {
    const db = await store.migrated();
    await seed(db, 'g1', 'approved');
    await claimGrantWork(db, NOW, 10, 'worker-a', 60_000);
    expect(await renewGrantLease(db, 'g1', { ...A, at: minutes(0.5) }, 60_000)).toBe(true);
    expect(await renewGrantLease(db, 'g1', { owner: 'worker-b', at: NOW }, 60_000)).toBe(false);
    expect(await db.transaction((tx) => holdsGrantLease(tx, 'g1', { ...A, at: minutes(1) }))).toBe(true);
    expect(await db.transaction((tx) => holdsGrantLease(tx, 'g1', { ...A, at: minutes(2) }))).toBe(false);
  });
});
