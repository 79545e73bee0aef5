/**
 * `unblock-server reconcile` (issue 12): one reconciler run with the broker's configuration and
 * store. A sim entitlement no grant owns is removed, printed and audited; without UNBLOCK_SIM_URL
 * sim targets are left out, saying so.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readAudit } from '../../server/store/audit';
import { startSimCloud, type SimCloud } from '../../sim/clouds/entitlements';
import { testConfig } from './broker-fixtures';
import { cliStore, runCli } from './cli-harness';
import { forEachStore } from './pg-harness';

let sim: SimCloud;
beforeAll(async () => {
  sim = await startSimCloud();
});
afterAll(() => sim.close());

async function simConfigFile(): Promise<string> {
  const config = await testConfig();
  const file = join(mkdtempSync(join(tmpdir(), 'unblock-reconcile-')), 'unblock.json');
  const targets = config.targets.map((t) => ({ ...t, provisioner: 'sim' }));
  writeFileSync(file, JSON.stringify({ ...config, targets, clouds: {} }));
  return file;
}

forEachStore('unblock-server reconcile', (fixture) => {
  it('removes access no grant owns, prints and audits it', async () => {
    const cli = await cliStore(fixture);
    const env = { ...cli.env, UNBLOCK_CONFIG: await simConfigFile() };
    await fetch(`${sim.url}/sim/v1/entitlements/grt_nobody`, {
      method: 'PUT',
      body: JSON.stringify({
        grantId: 'grt_nobody',
        cloud: 'aws',
        account: '111111111111',
        identity: 'alice',
        actions: ['s3:GetObject'],
        resource: null,
        expiresAt: '2030-01-01T00:00:00.000Z',
      }),
    });

    const left = await runCli(['reconcile'], env);
    expect(left.err).toContain('left out (set UNBLOCK_SIM_URL)');
    expect(sim.list().map((e) => e.grantId)).toContain('grt_nobody');

    const done = await runCli(['reconcile'], { ...env, UNBLOCK_SIM_URL: sim.url });
    expect(done.code).toBe(0);
    expect(done.out).toContain('removed  sim:grt_nobody');
    expect(done.out).toMatch(/1 orphan\(s\) removed, 0 grant\(s\) marked for re-apply, 0 problem\(s\)/);
    expect(sim.list().map((e) => e.grantId)).not.toContain('grt_nobody');
    const audit = await cli.withDb((db) => readAudit(db, 0, 100));
    expect(audit.filter((e) => e.type === 'reconcile.orphan_removed').map((e) => e.subject)).toEqual([
      'grt_nobody',
    ]);
  });
});
