import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../server/cli';

function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  return main(argv, {
    out: (s) => (out += s),
    err: (s) => (err += s),
    env,
    stopSignal: () => new Promise(() => undefined),
  }).then((code) => ({ code, out, err }));
}

describe('unblock-server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'unblock-server-cli-'));

  it('config check: OK with a summary, or each problem with its path and exit 1', async () => {
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({
        groups: [{ name: 'ops' }],
        users: [{ name: 'alice', groups: ['ops'] }],
        targets: [
          {
            id: 'gcp-dev',
            cloud: 'gcp',
            account: 'acme-dev',
            name: 'dev',
            environment: 'dev',
            approverGroup: 'ops',
          },
        ],
      }),
    );
    {
      const r = await run(['config', 'check', good]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/OK — 1 users, 1 groups, 1 targets/);
      // provisioner defaults to sim: say loudly that such grants are not real.
      expect(r.out).toMatch(/warning: gcp-dev use the simulated clouds/);
    }

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'users: [{name: Alice}]\ntargets: []\n');
    const r = await run(['config', 'check', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('users.0.name:');
    expect(r.err).toContain('targets: Too small');
  });

  it('config check: unreadable file or missing argument is a usage error (exit 2)', async () => {
    {
      const r = await run(['config', 'check', join(dir, 'nope.yaml')]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/nope\.yaml: cannot read the file \(ENOENT\)/);
    }
    {
      const r = await run(['config', 'check']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/missing FILE/);
    }
  });

  it('unknown commands exit 2 with the usage', async () => {
    {
      const r = await run(['frobnicate']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/unknown command "frobnicate"[\s\S]*Usage:/);
    }
    {
      const r = await run(['help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage:/);
    }
  });

  it('token create prints only a token and audits it; audit export and verify read the chain', async () => {
    const env = { UNBLOCK_DATA_DIR: join(dir, 'store') };
    const created = await run(['token', 'create', '--user', 'alice', '--ttl', '30m', '--label', 'ci'], env);
    expect(created.code, created.err).toBe(0);
    expect(created.out).toMatch(/^ubk_api_[A-Za-z0-9_-]+\n$/);

    const exported = await run(['audit', 'export'], env);
    expect(exported.code).toBe(0);
    const lines = exported.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // The rows, then the head (signed when the audit key is at hand; here there is none).
    expect(lines.slice(0, -1)).toEqual([
      expect.objectContaining({ seq: 1, actor: 'operator', type: 'token.created', subject: 'alice' }),
    ]);
    expect(lines.at(-1)).toEqual({
      head: { seq: 1, hash: lines[0]!.hash },
      checkpoint: null,
      publicKey: null,
    });
    expect(JSON.stringify(lines)).not.toContain(created.out.trim()); // the token itself is never audited

    const verified = await run(['audit', 'verify'], env);
    expect(verified).toMatchObject({ code: 0 });
    expect(verified.out).toMatch(/audit log OK: 1 entries/);

    const unknown = await run(['token', 'create', '--user', 'mallory'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no user "mallory"/);
    // Five CLI processes, each loading the TypeScript through tsx: a few seconds on an idle
    // machine, several times that on a loaded one (the server project's 30 s default is too tight).
  }, 120_000);
});
