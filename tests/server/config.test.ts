import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoConfig } from '../../server/config/demo';
import { checkConfigText, ConfigError, loadConfig } from '../../server/config/load';
import { hashPassword, verifyPassword } from '../../server/identity/password';

const VALID = `
groups:
  - name: engineers
  - name: platform
users:
  - name: alice
    groups: [engineers]
    identities: { aws: alice, gcp: "user:alice@example.com" }
targets:
  - id: aws-prod
    cloud: aws
    account: "222222222222"
    name: production
    environment: prod
    approverGroup: platform
`;

describe('broker config', () => {
  it('accepts a valid YAML file and fills defaults', () => {
    const r = checkConfigText(VALID, 'unblock.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.pendingTtlHours).toBe(24);
    expect(r.config.targets[0]).toMatchObject({ maxDurationMinutes: 480, provisioner: 'sim' });
  });

  it('accepts the documented example (docs/examples/unblock.yaml) with everything it shows', () => {
    const file = join(import.meta.dirname, '../../docs/examples/unblock.yaml');
    const r = checkConfigText(readFileSync(file, 'utf8'), file);
    expect(r.ok ? [] : r.problems).toEqual([]);
    if (!r.ok) return;
    expect(r.config.auth.oidc).toMatchObject({
      clientSecret: 'env:UNBLOCK_OIDC_SECRET',
      groupsClaim: 'groups',
    });
    expect(r.config.webhooks.map((w) => w.kind)).toEqual(['slack', 'json']);
    expect(r.config.auditorGroups).toEqual(['security']);
  });

  it('requires a secret on json webhooks and some way to sign in', () => {
    const r = checkConfigText(
      `${VALID}
webhooks:
  - { name: siem, kind: json, url: "https://siem.example/in" }
auth: { local: false }
`,
      'bad.yaml',
    );
    expect(r.ok ? [] : r.problems.join('\n')).toMatch(/webhooks\.0\.secret/);
    expect(r.ok ? [] : r.problems.join('\n')).toMatch(/auth: no way to sign in/);
  });

  it('names every problem by its path', () => {
    const bad = VALID.replace('approverGroup: platform', 'approverGroup: nobody')
      .replace('"222222222222"', '"2222"')
      .replace('groups: [engineers]', 'groups: [engineers, ghosts]');
    const r = checkConfigText(bad, 'unblock.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual(
      expect.arrayContaining([
        'users.0.groups.1: unknown group "ghosts"',
        'targets.0.account: "2222" is not a valid aws account id',
        'targets.0.approverGroup: unknown group "nobody"',
      ]),
    );
  });

  it('rejects unknown fields, duplicates and broken syntax', () => {
    const extra = checkConfigText(
      VALID.replace('name: production', 'name: production\n    colour: red'),
      'x.yaml',
    );
    expect(extra.ok || extra.problems.join()).toMatch(/targets\.0.*colour/);
    const dup = checkConfigText(VALID.replace('  - name: platform', '  - name: engineers'), 'x.yaml');
    expect(dup.ok || dup.problems.join()).toMatch(/groups\.1\.name: duplicate name "engineers"/);
    const syntax = checkConfigText('users: [', 'x.yaml');
    expect(syntax.ok || syntax.problems[0]).toMatch(/^not valid YAML/);
    const json = checkConfigText('{"users": ', 'x.json');
    expect(json.ok || json.problems[0]).toMatch(/^not valid JSON/);
  });

  it('loads a file, and reports an unreadable one with its name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unblock-config-'));
    const file = join(dir, 'unblock.yaml');
    writeFileSync(file, VALID);
    const loaded = await loadConfig(file);
    expect(loaded).toMatchObject({ demo: false, source: file });
    await expect(loadConfig(join(dir, 'missing.yaml'))).rejects.toThrow(ConfigError);
    await expect(loadConfig(join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml.*ENOENT/s);
  });

  it('has the demo configuration of the issue', async () => {
    const { config, demo } = await loadConfig(undefined);
    expect(demo).toBe(true);
    expect(config.users.map((u) => [u.name, u.groups])).toEqual([
      ['alice', ['engineers']],
      ['bob', ['engineers', 'approvers']],
      ['dave', ['engineers', 'approvers']],
      ['carol', ['auditors']],
    ]);
    expect(config.targets.map((t) => `${t.cloud}:${t.account}:${t.environment}`)).toEqual([
      'aws:111111111111:dev',
      'aws:222222222222:prod',
      'azure:11111111-1111-1111-1111-111111111111:dev',
      'azure:22222222-2222-2222-2222-222222222222:prod',
      'gcp:acme-dev:dev',
      'gcp:acme-prod:prod',
    ]);
    const alice = (await demoConfig()).users[0]!;
    expect(await verifyPassword('alice', alice.passwordHash!)).toBe(true);
  });
});

describe('scrypt passwords', () => {
  it('verifies the right password only, with a fresh salt each time', async () => {
    const params = { N: 2 ** 10, r: 8, p: 1 };
    const a = await hashPassword('correct horse', params);
    const b = await hashPassword('correct horse', params);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsf', a)).toBe(false);
  });

  it('treats malformed or hostile stored hashes as a mismatch', async () => {
    for (const stored of [
      '',
      'plain',
      'scrypt$x$8$1$aa$bb',
      'scrypt$1073741824$8$1$aa$bb',
      'bcrypt$1$2$3$4$5',
    ])
      expect(await verifyPassword('pw', stored)).toBe(false);
  });
});
