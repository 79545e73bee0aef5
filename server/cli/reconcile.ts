/**
 * `unblock-server reconcile`: one run of the reconciler (server/reconcile/) with the broker's
 * configuration, credentials and store: what each cloud holds that Unblock made, against what the
 * grants own. Orphans are removed here; active grants whose access is missing are marked for
 * re-apply, which a running broker's worker does under its lease. Prints one line per action.
 */
import os from 'node:os';
import { loadConfig } from '../config/load';
import { optionsFromEnv } from '../main';
import { createProvisionerRegistry } from '../provisioners';
import { reconcileOnce } from '../reconcile/run';
import { storeName, withStore, type Io } from './common';

export async function reconcileCommand(io: Io): Promise<number> {
  const options = optionsFromEnv(io.env);
  const { config } = await loadConfig(options.configFile);
  const log = (line: string) => io.err(`${line}\n`);
  const provisioners = createProvisionerRegistry(config, { simUrl: options.simUrl ?? null, log });
  // Sim targets without UNBLOCK_SIM_URL cannot be listed: leave them out, saying so.
  const targets = config.targets.filter((t) => t.provisioner === 'cloud' || options.simUrl);
  const skipped = config.targets.length - targets.length;
  if (skipped > 0)
    io.err(`reconcile: ${skipped} provisioner: sim target(s) left out (set UNBLOCK_SIM_URL)\n`);
  const report = await withStore(options, 'unblock-server reconcile', (db) =>
    reconcileOnce({
      db,
      targets,
      provisionerFor: provisioners,
      owner: `cli:${os.hostname()}:${process.pid}`,
      graceMs: config.reconcile.graceSeconds * 1000,
      now: () => new Date(),
      log,
    }),
  );
  if (!report.ran) {
    io.err('reconcile: another replica is reconciling now; try again later\n');
    return 1;
  }
  for (const h of report.removed)
    io.out(`removed  ${h.key}: ${h.description} (grants ${h.grantIds.join(', ')})\n`);
  for (const id of report.reapplied)
    io.out(`reapply  grant ${id}: access missing; a running broker re-applies it\n`);
  io.out(
    `${storeName(options)}: ${report.targets} target(s) listed, ${report.removed.length} orphan(s) removed, ` +
      `${report.reapplied.length} grant(s) marked for re-apply, ${report.problems.length} problem(s)\n`,
  );
  return report.problems.length > 0 ? 1 : 0;
}
