/**
 * API tokens' lifetime and use: a configured maximum lifetime (refused at creation, enforced on
 * use), no token without expiry unless the config allows it, last use recorded at most once a
 * minute, and RFC 7009 revocation by the token's holder (an API token has no client id).
 */
import { beforeAll, expect, it } from 'vitest';
import type { BrokerConfig } from '../../server/config/schema';
import { BrokerConfig as BrokerConfigSchema } from '../../server/config/schema';
import { testConfig } from './broker-fixtures';
import { bearer, CLI, form, startBroker, type Broker } from './auth/harness';
import { forEachStore } from './pg-harness';

const DAY_MS = 86_400_000;

let config: BrokerConfig;
beforeAll(async () => {
  config = await testConfig();
});

function withApiTokens(base: BrokerConfig, apiTokens: Partial<BrokerConfig['auth']['apiTokens']>) {
  return BrokerConfigSchema.parse({
    ...base,
    auth: { ...base.auth, apiTokens: { ...base.auth.apiTokens, ...apiTokens } },
  });
}

async function auditRows(broker: Broker, type: string) {
  const { rows } = await broker.db.query<{
    actor: string;
    subject: string;
    details: Record<string, unknown>;
  }>('SELECT actor, subject, details FROM audit_log WHERE type = $1 ORDER BY seq', [type]);
  return rows;
}

forEachStore('API tokens', (store) => {
  let broker: Broker;
  const start = async (c: BrokerConfig = config) => (broker = await startBroker(await store.migrated(), c));
  const stop = () => broker?.close();

  it('refuses a lifetime over auth.apiTokens.maxTtlDays (90 days by default), naming the setting', async () => {
    await start();
    try {
      expect(config.auth.apiTokens).toEqual({ maxTtlDays: 90, allowNoExpiry: false });
      await expect(broker.auth.createApiToken('alice', 999_999 * DAY_MS)).rejects.toThrow(
        'the token lifetime (999999 days) is over the maximum, auth.apiTokens.maxTtlDays: 90 days',
      );
      await expect(broker.auth.createApiToken('alice', 91 * DAY_MS)).rejects.toThrow(
        /auth\.apiTokens\.maxTtlDays: 90 days/,
      );
      const longest = await broker.auth.createApiToken('alice', 90 * DAY_MS);
      expect(longest.expiresAt?.getTime()).toBe(broker.clock.now.getTime() + 90 * DAY_MS);
      await expect(broker.auth.createApiToken('alice', 'never')).rejects.toThrow(
        /without expiry is not allowed: set auth\.apiTokens\.allowNoExpiry/,
      );
    } finally {
      await stop();
    }
  });

  it('allows no expiry only when configured; without the setting such a token stops at the maximum', async () => {
    await start(withApiTokens(config, { allowNoExpiry: true, maxTtlDays: 30 }));
    const created = broker.clock.now.getTime();
    let forever: string;
    try {
      const issued = await broker.auth.createApiToken('alice', 'never', 'forever');
      expect(issued.expiresAt).toBeNull();
      forever = issued.token;
      broker.clock.advance(365 * DAY_MS);
      expect((await broker.auth.authenticate(bearer(forever))).ok).toBe(true);
    } finally {
      await stop();
    }
    // The same store under a config that no longer allows it: 30 days from its creation.
    const strict = await startBroker(broker.db, withApiTokens(config, { maxTtlDays: 30 }));
    try {
      strict.clock.now = new Date(created + 30 * DAY_MS - 1);
      expect((await strict.auth.authenticate(bearer(forever))).ok).toBe(true);
      strict.auth.forget();
      strict.clock.now = new Date(created + 30 * DAY_MS);
      expect(await strict.auth.authenticate(bearer(forever))).toEqual({ ok: false, reason: 'expired' });
    } finally {
      await strict.close();
    }
  });

  it('a token created under a larger maximum stops at the new one once the setting is lowered', async () => {
    await start(withApiTokens(config, { maxTtlDays: 365 }));
    const created = broker.clock.now.getTime();
    let token: string;
    try {
      token = (await broker.auth.createApiToken('alice', 365 * DAY_MS)).token;
    } finally {
      await stop();
    }
    const lowered = await startBroker(broker.db, withApiTokens(config, { maxTtlDays: 30 }));
    try {
      lowered.clock.now = new Date(created + 30 * DAY_MS - 1);
      expect((await lowered.auth.authenticate(bearer(token))).ok).toBe(true);
      lowered.auth.forget();
      lowered.clock.now = new Date(created + 30 * DAY_MS);
      expect(await lowered.auth.authenticate(bearer(token))).toEqual({ ok: false, reason: 'expired' });
    } finally {
      await lowered.close();
    }
  });

  it('records the last use at most once a minute per token', async () => {
    await start();
    try {
      const { token, id } = await broker.auth.createApiToken('alice', DAY_MS, 'ci');
      const lastUsed = async () => {
        const { rows } = await broker.db.query<{ last_used_at: Date | null }>(
          'SELECT last_used_at FROM tokens WHERE id = $1',
          [id],
        );
        return rows[0]!.last_used_at;
      };
      expect(await lastUsed()).toBeNull();
      let writes = 0;
      const query = broker.db.query.bind(broker.db);
      broker.db.query = (sql, params) => {
        if (/UPDATE tokens SET last_used_at/.test(sql)) writes += 1;
        return query(sql, params);
      };
      const first = broker.clock.now;
      expect((await broker.auth.authenticate(bearer(token))).ok).toBe(true);
      expect(await lastUsed()).toEqual(first);
      // Forty requests over 40 s, each one reaching the store (the cache forgotten every time).
      for (let i = 0; i < 40; i++) {
        broker.clock.advance(1_000);
        broker.auth.forget();
        expect((await broker.auth.authenticate(bearer(token))).ok).toBe(true);
      }
      expect(writes).toBe(1);
      expect(await lastUsed()).toEqual(first);
      broker.clock.advance(20_000);
      broker.auth.forget();
      expect((await broker.auth.authenticate(bearer(token))).ok).toBe(true);
      expect(writes).toBe(2);
      expect(await lastUsed()).toEqual(broker.clock.now);
      broker.db.query = query;
    } finally {
      await stop();
    }
  });

  it('/oauth/revoke revokes an API token presented by its holder, with or without a client id', async () => {
    await start();
    try {
      const revoke = (values: Record<string, string>) => fetch(`${broker.url}/oauth/revoke`, form(values));
      const plain = await broker.auth.createApiToken('alice', DAY_MS, 'ci');
      expect((await broker.auth.authenticate(bearer(plain.token))).ok).toBe(true);
      expect((await revoke({ token: plain.token })).status).toBe(200);
      expect(await broker.auth.authenticate(bearer(plain.token))).toEqual({ ok: false, reason: 'revoked' });

      const viaClient = await broker.auth.createApiToken('bob', DAY_MS);
      expect((await revoke({ token: viaClient.token, client_id: CLI })).status).toBe(200);
      expect(await broker.auth.authenticate(bearer(viaClient.token))).toEqual({
        ok: false,
        reason: 'revoked',
      });

      // An unknown client is still refused, and revoking twice records one revocation.
      const other = await broker.auth.createApiToken('carol', DAY_MS);
      expect((await revoke({ token: other.token, client_id: 'nobody' })).status).toBe(400);
      expect((await broker.auth.authenticate(bearer(other.token))).ok).toBe(true);
      expect((await revoke({ token: plain.token })).status).toBe(200);
      // An OAuth access token still needs its client's id.
      expect((await revoke({ token: `ubk_at_${'A'.repeat(43)}` })).status).toBe(400);

      expect(await auditRows(broker, 'token.revoked')).toEqual([
        {
          actor: 'alice',
          subject: 'alice',
          details: { tokenId: plain.id, label: 'ci', via: 'oauth-revoke' },
        },
        {
          actor: 'bob',
          subject: 'bob',
          details: { tokenId: viaClient.id, label: null, via: 'oauth-revoke' },
        },
      ]);
    } finally {
      await stop();
    }
  });
});
