/**
 * `unblock-server target check ID`: the AWS set-up check of one target through the CLI, with the
 * broker's configuration: every check printed, exit 1 naming what to add when the trust policy
 * lacks an action, and a clear refusal for unknown, simulated or not-yet-checkable targets.
 */
import { afterEach, expect, it } from 'vitest';
import { targetCheck } from '../../server/cli/target-check';
import { checkConfigText } from '../../server/config/load';
import type { BrokerConfig } from '../../server/config/schema';
import type { Io } from '../../server/cli/common';
import { ACCOUNT, ADMIN, ROLE, USER_KEY, awsWorld, type AwsWorld } from './aws-fixtures';

let world: AwsWorld | undefined;
afterEach(() => world?.close());

function configFor(w: AwsWorld): BrokerConfig {
  const e = w.fake.endpoints;
  const text = JSON.stringify({
    groups: [{ name: 'leads' }],
    users: [{ name: 'alice', groups: ['leads'], identities: { aws: 'alice' } }],
    clouds: {
      aws: {
        region: 'us-east-1',
        credentials: { accessKeyId: USER_KEY, secretAccessKey: 'user-secret' },
        endpoints: { ...e, console: 'https://console.aws.amazon.com' },
        issuer: 'https://unblock.example.com/',
      },
    },
    targets: [
      {
        id: 'aws-dev',
        name: 'dev',
        approverGroup: 'leads',
        cloud: 'aws',
        account: ACCOUNT,
        environment: 'dev',
        provisioner: 'cloud',
        aws: { roleArn: ROLE, adminRoleArn: ADMIN, maxSessionSeconds: 43_200, regions: ['us-east-1'] },
      },
      {
        id: 'sim-gcp',
        name: 'gcp dev',
        cloud: 'gcp',
        account: 'acme-dev',
        environment: 'dev',
        approverGroup: 'leads',
      },
    ],
  });
  const r = checkConfigText(text, 'test.json');
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.config;
}

function capture(): Io & { text: () => string; errors: () => string } {
  let out = '';
  let err = '';
  return {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    env: {},
    stopSignal: () => new Promise(() => {}),
    text: () => out,
    errors: () => err,
  };
}

it('prints every check and exits 0 when the set-up is right', async () => {
  world = await awsWorld();
  const io = capture();
  expect(await targetCheck(['aws-dev'], io, configFor(world))).toBe(0);
  expect(io.text()).toMatch(/^ok {4}the broker credentials: .*long-term keys/m);
  expect(io.text()).toMatch(/sts:TagSession/);
  expect(io.text()).toMatch(/aws-dev: all \d+ checks passed\n$/);
});

it('exits 1 and names the trust action to add when the role does not allow it', async () => {
  world = await awsWorld({
    accounts: [
      {
        account: ACCOUNT,
        roleArn: ROLE,
        maxSessionSeconds: 43_200,
        adminRoleArn: ADMIN,
        trustActions: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      },
    ],
  });
  const io = capture();
  expect(await targetCheck(['aws-dev'], io, configFor(world))).toBe(1);
  expect(io.text()).toMatch(/^FAIL .*sts:TagSession/m);
  expect(io.text()).toMatch(/aws-dev: 1 of \d+ checks failed\n$/);
});

it('refuses an unknown id, a simulated target and a missing ID with a clear message', async () => {
  world = await awsWorld();
  const config = configFor(world);
  const io = capture();
  expect(await targetCheck(['nope'], io, config)).toBe(1);
  expect(io.errors()).toMatch(/no target "nope" in the configuration \(targets: aws-dev, sim-gcp\)/);
  expect(await targetCheck(['sim-gcp'], io, config)).toBe(1);
  expect(io.errors()).toMatch(/sim-gcp uses the simulated clouds/);
  await expect(targetCheck([], io, config)).rejects.toThrow(/missing ID/);
});
