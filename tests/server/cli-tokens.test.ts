/**
 * `unblock-server token create|list|revoke`: a lifetime over the configured maximum is refused
 * naming the flag and the setting; listings show ids, users, labels, times and status but never a
 * secret; revoking by id is audited and honoured by a running broker on the same store.
 */
import { expect, it } from 'vitest';
import { createAuthService, type AuthService } from '../../server/auth';
import { loadConfig } from '../../server/config/load';
import type { Db } from '../../server/store/db';
import { cliStore } from './cli-harness';
import { forEachStore } from './pg-harness';

async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

forEachStore('unblock-server token', (fixture) => {
  it('create refuses lifetimes over auth.apiTokens.maxTtlDays and no expiry unless configured', async () => {
    const cli = await cliStore(fixture);
    for (const ttl of ['91d', '999999d']) {
      const r = await cli.run(['token', 'create', '--user', 'alice', '--ttl', ttl]);
      expect(r.code, r.out).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(
        new RegExp(
          `^unblock-server: --ttl ${ttl}: the token lifetime \\(\\d+ days\\) is over the maximum, auth\\.apiTokens\\.maxTtlDays: 90 days\\n$`,
        ),
      );
    }
    const never = await cli.run(['token', 'create', '--user', 'alice', '--ttl', 'never']);
    expect(never.code).toBe(1);
    expect(never.err).toMatch(/--ttl never: .*auth\.apiTokens\.allowNoExpiry: true/);
    const ok = await cli.run(['token', 'create', '--user', 'alice', '--ttl', '90d']);
    expect(ok.code, ok.err).toBe(0);
  }, 180_000);

  it('list shows tokens without secrets; revoke by id is audited and refused by a running broker', async () => {
    const cli = await cliStore(fixture);
    const created: string[] = [];
    for (const args of [
      ['--user', 'alice', '--label', 'ci deploy', '--ttl', '30d'],
      ['--user', 'alice', '--label', 'laptop'],
      ['--user', 'bob'],
    ]) {
      const r = await cli.run(['token', 'create', ...args]);
      expect(r.code, r.err).toBe(0);
      created.push(r.out.trim());
    }

    const listed = await cli.run(['token', 'list']);
    expect(listed.code, listed.err).toBe(0);
    const lines = listed.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +USER +LABEL +CREATED +LAST USED +EXPIRES +STATUS$/);
    expect(lines).toHaveLength(4);
    expect(listed.out).toMatch(
      / alice +ci deploy +\d{4}-\d\d-\d\d \d\d:\d\dZ +never +\d{4}-\d\d-\d\d \d\d:\d\dZ +active/,
    );
    for (const token of created) expect(listed.out).not.toContain(token);
    expect(listed.out).not.toContain('ubk_api_');

    const json = await cli.run(['token', 'list', '--user', 'alice', '--json']);
    const views = json.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; user: string; label: string | null; status: string });
    expect(views.map((v) => [v.user, v.label, v.status])).toEqual([
      ['alice', 'laptop', 'active'],
      ['alice', 'ci deploy', 'active'],
    ]);
    const laptop = views[0]!;

    // A broker on the same store (PostgreSQL: running alongside; PGlite: after the CLI is done).
    const { config } = await loadConfig(undefined);
    const withBroker = async (fn: (auth: AuthService, db: Db) => Promise<void>) =>
      cli.withDb(async (db) => {
        const auth = await createAuthService({ db, config, publicUrl: 'http://broker.test' });
        try {
          await fn(auth, db);
        } finally {
          await auth.close();
        }
      });
    const bearer = `Bearer ${created[1]}`;
    if (fixture.engine === 'postgres') {
      await withBroker(async (auth) => {
        expect((await auth.authenticate(bearer)).ok).toBe(true); // now in its cache
        const revoked = await cli.run(['token', 'revoke', laptop.id]);
        expect(revoked.code, revoked.err).toBe(0);
        await until(async () => !(await auth.authenticate(bearer)).ok);
        expect(await auth.authenticate(bearer)).toEqual({ ok: false, reason: 'revoked' });
      });
    } else {
      const revoked = await cli.run(['token', 'revoke', laptop.id]);
      expect(revoked.code, revoked.err).toBe(0);
      expect(revoked.out).toBe(
        `revoked token ${laptop.id} (alice, "laptop"); every broker replica refuses it from now on\n`,
      );
      await withBroker(async (auth) => {
        expect(await auth.authenticate(bearer)).toEqual({ ok: false, reason: 'revoked' });
      });
    }
    const again = await cli.run(['token', 'revoke', laptop.id]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/was already revoked at /);
    const unknown = await cli.run(['token', 'revoke', 'no-such-id']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no API token no-such-id/);
    expect((await cli.run(['token', 'revoke'])).code).toBe(2);

    const after = await cli.run(['token', 'list', '--user', 'alice']);
    expect(after.out).toMatch(new RegExp(`${laptop.id} +alice +laptop .* revoked \\d{4}-`));
    await cli.withDb(async (db) => {
      const { rows } = await db.query<{ actor: string; subject: string; details: Record<string, unknown> }>(
        "SELECT actor, subject, details FROM audit_log WHERE type = 'token.revoked'",
      );
      expect(rows).toEqual([
        {
          actor: 'operator',
          subject: 'alice',
          details: { tokenId: laptop.id, label: 'laptop', via: 'unblock-server' },
        },
      ]);
    });
  }, 300_000);
});
