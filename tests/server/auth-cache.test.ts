/**
 * The bearer-token cache: an accepted token costs no store query for a few seconds, yet a
 * revocation committed by any replica is honoured by every other one (LISTEN/NOTIFY), and a token
 * is never accepted past its own expiry.
 */
import { expect, it } from 'vitest';
import { createAuthService } from '../../server/auth';
import { revokeFamily } from '../../server/auth/tokens';
import { testConfig } from './broker-fixtures';
import { forEachStore } from './pg-harness';

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

forEachStore('auth cache', (fixture) => {
  it('serves a repeat from memory, and forgets on a revocation committed by another replica', async () => {
    const db = await fixture.migrated();
    const other = await fixture.another(db);
    const config = await testConfig();
    const clock = { now: new Date('2026-12-01T10:00:00.000Z') };
    const first = await createAuthService({ db, config, publicUrl: 'http://a.test', now: () => clock.now });
    const second = await createAuthService({
      db: other,
      config,
      publicUrl: 'http://b.test',
      now: () => clock.now,
    });
    try {
      const { token } = await first.createApiToken('alice', 60_000);
      const header = `Bearer ${token}`;
      expect(await first.authenticate(header)).toMatchObject({ ok: true, principal: { user: 'alice' } });

      // Counted by what reaches the store: the repeat does not.
      let queries = 0;
      const query = db.query.bind(db);
      db.query = (sql, params) => {
        queries += 1;
        return query(sql, params);
      };
      expect((await first.authenticate(header)).ok).toBe(true);
      expect(queries).toBe(0);
      db.query = query;

      // The other replica revokes every token of alice's (as a replayed refresh token does).
      await other.transaction(async (tx) => {
        await tx.query("UPDATE tokens SET family = 'f1' WHERE user_id = 'alice'");
        await revokeFamily(tx, 'f1', clock.now);
      });
      await until(async () => !(await first.authenticate(header)).ok);
      expect(await first.authenticate(header)).toEqual({ ok: false, reason: 'revoked' });
      expect(await second.authenticate(header)).toEqual({ ok: false, reason: 'revoked' });
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('never accepts a cached token past its own expiry', async () => {
    const db = await fixture.migrated();
    const clock = { now: new Date('2026-12-01T10:00:00.000Z') };
    const auth = await createAuthService({
      db,
      config: await testConfig(),
      publicUrl: 'http://a.test',
      now: () => clock.now,
    });
    try {
      const { token } = await auth.createApiToken('alice', 2_000);
      expect((await auth.authenticate(`Bearer ${token}`)).ok).toBe(true);
      clock.now = new Date(clock.now.getTime() + 2_000);
      expect(await auth.authenticate(`Bearer ${token}`)).toEqual({ ok: false, reason: 'expired' });
    } finally {
      await auth.close();
    }
  });
});
