/**
 * `GET /api/v1/tokens` and `DELETE /api/v1/tokens/{id}` on a running broker: owners see and
 * revoke their own API tokens (never the secrets), admins anyone's; a revoked token is refused on
 * its very next request, by this replica and by another one sharing the store; revocations are
 * audited.
 */
import * as z from 'zod/mini';
import { afterEach, expect, it } from 'vitest';
import { ApiTokenList, ApiTokenView } from '../../lib/contract/tokens';
import { createAuthService } from '../../server/auth';
import { startSimulatedBroker, type SimulatedBroker } from '../../sim/broker';
import { testConfig } from './broker-fixtures';
import { forEachStore } from './pg-harness';

const HOUR_MS = 3_600_000;

async function call(broker: SimulatedBroker, method: string, path: string, token: string) {
  const res = await fetch(`${broker.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, text, json: text ? (JSON.parse(text) as unknown) : null };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

forEachStore('API tokens over HTTP', (store) => {
  let broker: SimulatedBroker | undefined;
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  it('lists the caller’s tokens without secrets; owners and admins revoke, refused at once everywhere', async () => {
    const db = await store.migrated();
    const config = await testConfig();
    const clock = { now: new Date('2026-12-01T10:00:00.000Z') };
    broker = await startSimulatedBroker({
      db,
      config,
      port: 0,
      host: '127.0.0.1',
      log: () => undefined,
      now: () => clock.now,
    });
    const b = broker;
    const alice1 = await b.createApiToken('alice', HOUR_MS, 'ci deploy');
    clock.now = new Date(clock.now.getTime() + 1_000);
    const alice2 = await b.createApiToken('alice', HOUR_MS, 'laptop');
    const bob1 = await b.createApiToken('bob', HOUR_MS, 'bob ci');
    const bob2 = await b.createApiToken('bob', HOUR_MS);
    const ada = await b.createApiToken('ada', HOUR_MS, 'admin');
    const secrets = [alice1, alice2, bob1, bob2, ada].map((t) => t.token);

    // Alice's own, newest first; the token she called with is marked used.
    const own = await call(b, 'GET', '/api/v1/tokens', alice1.token);
    expect(own.status).toBe(200);
    const list = z.parse(ApiTokenList, own.json);
    expect(list.items.map((t) => [t.id, t.label, t.status])).toEqual([
      [alice2.id, 'laptop', 'active'],
      [alice1.id, 'ci deploy', 'active'],
    ]);
    expect(list.items[1]).toMatchObject({
      user: 'alice',
      createdAt: '2026-12-01T10:00:00.000Z',
      lastUsedAt: '2026-12-01T10:00:01.000Z',
      expiresAt: '2026-12-01T11:00:00.000Z',
      revokedAt: null,
    });
    expect(list.items[0]!.lastUsedAt).toBeNull();
    const { rows: hashes } = await db.query<{ hash: string }>('SELECT hash FROM tokens');
    for (const secret of [...secrets, ...hashes.map((r) => r.hash)]) expect(own.text).not.toContain(secret);
    expect(own.text).not.toContain('ubk_api_');

    // Other users' tokens are admins' business only.
    expect((await call(b, 'GET', '/api/v1/tokens?user=bob', alice1.token)).status).toBe(403);
    expect((await call(b, 'GET', '/api/v1/tokens?all=true', alice1.token)).status).toBe(403);
    const everyone = z.parse(ApiTokenList, (await call(b, 'GET', '/api/v1/tokens?all=true', ada.token)).json);
    expect(everyone.items.map((t) => t.id).sort()).toEqual(
      [alice1, alice2, bob1, bob2, ada].map((t) => t.id).sort(),
    );
    const bobs = z.parse(ApiTokenList, (await call(b, 'GET', '/api/v1/tokens?user=bob', ada.token)).json);
    expect(bobs.items.map((t) => t.id).sort()).toEqual([bob1.id, bob2.id].sort());

    // A second replica on the same store, whose clock stands still: its cache never times out,
    // so only the revocation notice can make it refuse.
    const replica = await createAuthService({
      db: await store.another(db),
      config,
      publicUrl: 'http://replica.test',
      now: () => clock.now,
    });
    try {
      expect((await replica.authenticate(`Bearer ${bob1.token}`)).ok).toBe(true);
      expect((await replica.authenticate(`Bearer ${alice2.token}`)).ok).toBe(true);

      // Alice cannot touch Bob's token, nor learn that it exists.
      const foreign = await call(b, 'DELETE', `/api/v1/tokens/${bob1.id}`, alice1.token);
      expect(foreign.status).toBe(404);
      expect((await call(b, 'GET', '/api/v1/me', bob1.token)).status).toBe(200);

      // Alice revokes her laptop token: refused on its very next request.
      expect((await call(b, 'GET', '/api/v1/me', alice2.token)).status).toBe(200);
      const revoked = await call(b, 'DELETE', `/api/v1/tokens/${alice2.id}`, alice1.token);
      expect(revoked.status).toBe(200);
      expect(z.parse(ApiTokenView, revoked.json)).toMatchObject({ id: alice2.id, status: 'revoked' });
      const after = await call(b, 'GET', '/api/v1/me', alice2.token);
      expect(after.status).toBe(401);
      expect(after.text).toMatch(/revoked/);
      await until(async () => !(await replica.authenticate(`Bearer ${alice2.token}`)).ok);

      // An admin revokes Bob's; revoking again changes nothing.
      expect((await call(b, 'DELETE', `/api/v1/tokens/${bob1.id}`, ada.token)).status).toBe(200);
      expect((await call(b, 'GET', '/api/v1/me', bob1.token)).status).toBe(401);
      await until(async () => !(await replica.authenticate(`Bearer ${bob1.token}`)).ok);
      expect(await replica.authenticate(`Bearer ${bob1.token}`)).toEqual({ ok: false, reason: 'revoked' });
      const again = await call(b, 'DELETE', `/api/v1/tokens/${bob1.id}`, ada.token);
      expect(z.parse(ApiTokenView, again.json)).toMatchObject({ status: 'revoked' });
      expect((await call(b, 'DELETE', '/api/v1/tokens/no-such-token', ada.token)).status).toBe(404);
    } finally {
      await replica.close();
    }

    const { rows } = await db.query<{ actor: string; subject: string; details: Record<string, unknown> }>(
      "SELECT actor, subject, details FROM audit_log WHERE type = 'token.revoked' ORDER BY seq",
    );
    expect(rows).toEqual([
      { actor: 'alice', subject: 'alice', details: { tokenId: alice2.id, label: 'laptop', via: 'api' } },
      { actor: 'ada', subject: 'bob', details: { tokenId: bob1.id, label: 'bob ci', via: 'api' } },
    ]);
  });
});
