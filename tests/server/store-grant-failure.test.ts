/**
 * A grant the broker gave up on, in and out of SQL (server/store/grants.ts, migration 005): the
 * failure round-trips exactly through every step to `failed`, and a `failure` column that does
 * not hold one is refused rather than misread.
 */
import { expect, it } from 'vitest';
import type { Grant } from '../../server/domain';
import {
  issueGrant,
  provisionFailed,
  revokeFailed,
  revoked,
  startProvisioning,
  startRevoking,
  submitRequest,
} from '../../server/domain';
import type { Db } from '../../server/store/db';
import { getGrant, insertGrant, listGrants, saveGrant } from '../../server/store/grants';
import { insertRequest, saveRequest } from '../../server/store/requests';
import { MINUTE, T0, at, draft, policy, value } from './domain-fixtures';
import { forEachStore } from './pg-harness';

async function storedGrant(db: Db): Promise<Grant> {
  const approved = value(
    submitRequest(draft(), {
      id: 'req-1',
      requester: 'alice',
      now: T0,
      policy: policy({ decision: 'auto-approve', requiredApprovals: 0 }),
    }),
  );
  const issued = value(issueGrant(approved, { id: 'grant-1', at: T0 }));
  await db.transaction(async (tx) => {
    expect((await insertRequest(tx, approved)).ok).toBe(true);
    expect((await insertGrant(tx, issued.grant)).ok).toBe(true);
    expect((await saveRequest(tx, issued.request, approved.version)).ok).toBe(true);
  });
  return issued.grant;
}

forEachStore('grant failures in the store', (fixture) => {
  it('round-trip exactly, from the first failure to failed', async () => {
    const db = await fixture.migrated();
    let current = await storedGrant(db);
    const steps: ((g: Grant) => Grant)[] = [
      (g) => value(startProvisioning(g, at(MINUTE))),
      (g) =>
        value(
          provisionFailed(
            g,
            {
              message: "the second role assignment was refused by policy 'deny-public-ip' — ünïcödé",
              permanent: true,
              code: 'RequestDisallowedByPolicy',
              advice: 'exempt the JIT scope from the policy assignment',
            },
            at(2 * MINUTE),
          ),
        ),
      (g) => value(revokeFailed(g, 'throttled', at(3 * MINUTE))),
      (g) => value(startRevoking(g, at(4 * MINUTE))),
      (g) => value(revoked(g, at(5 * MINUTE))),
    ];
    for (const step of steps) {
      const next = step(current);
      expect((await db.transaction((tx) => saveGrant(tx, next, current.version))).ok).toBe(true);
      expect(await getGrant(db, next.id)).toEqual(next);
      current = next;
    }
    expect(current).toMatchObject({
      status: 'failed',
      revokeReason: 'failed',
      failure: { cause: 'permanent', code: 'RequestDisallowedByPolicy', at: at(2 * MINUTE) },
    });
    expect((await listGrants(db, { status: 'failed' })).map((g) => g.id)).toEqual([current.id]);
  });

  it('refuses a failure column that does not hold a failure', async () => {
    const db = await fixture.migrated();
    const g = await storedGrant(db);
    await db.query(`UPDATE grants SET failure = '{"cause":"gave-up","reason":"x"}'::jsonb WHERE id = $1`, [
      g.id,
    ]);
    await expect(getGrant(db, g.id)).rejects.toThrow(/grant grant-1 failure/);
  });
});
