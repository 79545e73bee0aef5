/**
 * `unblock-server target check ID`: the cloud set-up check of one configured target, run with the
 * broker's own configuration and credentials (docs/clouds/aws.md, "Checking the set-up"). Each
 * line says what was checked and, when it failed, what to change. Only AWS has such a check so
 * far; for other clouds the command says so instead of pretending all is well.
 */
import { createAwsProvisioner } from '../clouds/aws';
import { loadConfig } from '../config/load';
import type { BrokerConfig } from '../config/schema';
import { optionsFromEnv } from '../main';
import { UsageError, type Io } from './common';

export async function targetCheck(args: readonly string[], io: Io, config?: BrokerConfig): Promise<number> {
  const id = args[0];
  if (!id) throw new UsageError('target check: missing ID (a targets[].id of the configuration)');
  const broker = config ?? (await loadConfig(optionsFromEnv(io.env).configFile)).config;
  const target = broker.targets.find((t) => t.id === id);
  if (!target) {
    const known = broker.targets.map((t) => t.id).join(', ') || 'none';
    io.err(`target check: no target "${id}" in the configuration (targets: ${known})\n`);
    return 1;
  }
  if (target.provisioner !== 'cloud') {
    io.err(`target check: ${id} uses the simulated clouds (provisioner: sim): nothing to check in a cloud\n`);
    return 1;
  }
  if (target.cloud !== 'aws' || !broker.clouds.aws) {
    io.err(`target check: no set-up check for ${target.cloud} targets yet\n`);
    return 1;
  }
  const aws = createAwsProvisioner(broker.clouds.aws, (account) =>
    account === target.account ? target.aws : broker.targets.find((t) => t.account === account)?.aws,
  );
  const checks = await aws.checkSetup(target.account);
  for (const c of checks) io.out(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}\n`);
  const failed = checks.filter((c) => !c.ok).length;
  io.out(
    failed
      ? `${id}: ${failed} of ${checks.length} checks failed\n`
      : `${id}: all ${checks.length} checks passed\n`,
  );
  return failed ? 1 : 0;
}
