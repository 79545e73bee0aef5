/**
 * `unblock-server`: the operator CLI. Each command prints what an operator needs and exits 0 on
 * success, 1 when the check or the work fails, 2 on bad usage. Store settings come from the same
 * environment as the broker (UNBLOCK_DATA_DIR, DATABASE_URL, UNBLOCK_CONFIG).
 */
import { readFile } from 'node:fs/promises';
import { ApiTokenError } from './auth';
import { AuditKeyError } from './audit/signing-key';
import { auditExport, auditKeygen, auditVerify } from './cli/audit';
import { storeName, UsageError, withStore, type Io } from './cli/common';
import { reconcileCommand } from './cli/reconcile';
import { targetCheck } from './cli/target-check';
import { tokenCreate, tokenList, tokenRevoke } from './cli/tokens';
import { ConfigError, checkConfigText, loadConfig } from './config/load';
import { optionsFromEnv, startBroker, type BrokerOptions, type RunningBroker } from './main';
import { StoreOpenError } from './store/db';
import { StoreLockedError } from './store/lock';
import { MigrationError, migrate } from './store/migrate';

export type { Io } from './cli/common';

const USAGE = `Usage: unblock-server <command>

Commands:
  start                          run the broker (PORT, HOST, UNBLOCK_DATA_DIR, DATABASE_URL, UNBLOCK_CONFIG)
  migrate                        bring the store's schema up to date and say what was applied
  token create --user NAME [--ttl 1h] [--label TEXT]
                                 print a new API token for NAME (for curl and automation), nothing else;
                                 --ttl at most auth.apiTokens.maxTtlDays (90d), never only if allowNoExpiry
  token list [--user NAME] [--json]
                                 API tokens: id, user, label, created, last used, expiry, status (no secrets)
  token revoke ID                revoke an API token at once (audited)
  audit keygen                   create the key that signs audit checkpoints (start makes one if missing)
  audit verify [--public-key FILE]... [--checkpoints FILE]...
                                 check the hash chain and the signed checkpoints; names the first edited,
                                 deleted, reordered row, and truncation or rewrites since a checkpoint
  audit export                   print the audit log as JSON Lines, then its signed head
  target check ID                check a target's cloud set-up with the broker's credentials (AWS: trust
                                 policy actions, revocation policy, CloudTrail per region)
  reconcile                      once: remove access in the clouds that no live grant owns, and mark active
                                 grants whose access is missing for re-apply (UNBLOCK_SIM_URL for sim targets)
  config check FILE              validate a broker config file (YAML or JSON); every problem names its path
  help                           this text

With no UNBLOCK_CONFIG the built-in demo configuration is used (users alice, bob, dave, carol).
The embedded store (PGlite) serves one process at a time: stop the broker before other commands,
or use PostgreSQL (DATABASE_URL).
`;

const stdio: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  env: process.env,
  stopSignal: () =>
    new Promise((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    }),
};

/**
 * The simulators, handed over by the launcher (bin/unblock-server.js), the one place that composes
 * the product with sim/: the built-in demo configuration runs on the clouds' fakes, and
 * `provisioner: sim` targets need the simulated entitlements API unless UNBLOCK_SIM_URL names one.
 */
export interface Simulation {
  startSimulatedBroker(options: Omit<BrokerOptions, 'provisioners' | 'demo'>): Promise<RunningBroker>;
}

async function configCheck(file: string | undefined, io: Io): Promise<number> {
  if (!file) throw new UsageError('config check: missing FILE');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    io.err(`${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})\n`);
    return 2;
  }
  const r = checkConfigText(text, file);
  if (!r.ok) {
    io.err(`${file}: ${r.problems.length} problem(s)\n${r.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 1;
  }
  const c = r.config;
  io.out(`${file}: OK — ${c.users.length} users, ${c.groups.length} groups, ${c.targets.length} targets\n`);
  const simulated = c.targets.filter((t) => t.provisioner === 'sim');
  if (simulated.length > 0) {
    io.out(
      `  warning: ${simulated.map((t) => t.id).join(', ')} use the simulated clouds (provisioner: sim, the default); ` +
        'grants on them change nothing in the real clouds\n',
    );
  }
  return 0;
}

async function start(io: Io, simulation: Simulation | undefined): Promise<number> {
  const options = optionsFromEnv(io.env);
  const loaded = await loadConfig(options.configFile);
  const simulated =
    loaded.demo || (!options.simUrl && loaded.config.targets.some((t) => t.provisioner === 'sim'));
  let broker: RunningBroker;
  if (!simulated) broker = await startBroker({ ...options, config: loaded.config });
  else if (simulation) broker = await simulation.startSimulatedBroker(options);
  else {
    throw new ConfigError(loaded.source, [
      loaded.demo
        ? 'the demo configuration runs on the simulated clouds, which only bin/unblock-server.js provides; set UNBLOCK_CONFIG'
        : 'provisioner: sim targets need the simulated entitlements API: set UNBLOCK_SIM_URL',
    ]);
  }
  io.out(`Unblock broker listening on ${broker.url}\n`);
  io.out(`  store: ${storeName(options)}\n`);
  io.out(`  API: ${broker.url}/api/v1 (OpenAPI: ${broker.url}/api/v1/openapi.json)\n`);
  if (broker.demo) {
    io.out(
      '  DEMO configuration on simulated clouds: users alice (engineer), bob and dave (approvers), carol (auditor);\n' +
        '  each password is the user name. Set UNBLOCK_CONFIG for a real deployment.\n',
    );
  }
  const simTargets = broker.config.targets.filter((t) => t.provisioner === 'sim');
  if (!broker.demo && simTargets.length > 0) {
    io.out(
      `  WARNING: ${simTargets.map((t) => t.id).join(', ')} use the simulated clouds (provisioner: sim); ` +
        'their grants change nothing in the real clouds. Set provisioner: cloud and clouds.<cloud>.\n',
    );
  }
  const signal = await io.stopSignal();
  io.out(`${signal}: stopping…\n`);
  await broker.close();
  return 0;
}

async function migrateCommand(io: Io): Promise<number> {
  const options = optionsFromEnv(io.env);
  const result = await withStore(options, 'unblock-server migrate', (db) => migrate(db));
  io.out(
    result.applied.length === 0
      ? `${storeName(options)}: schema is current (version ${result.version})\n`
      : `${storeName(options)}: applied ${result.applied.join(', ')}; schema version ${result.version}\n`,
  );
  return 0;
}

export async function main(argv: string[], io: Io = stdio, simulation?: Simulation): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  try {
    if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      io.out(USAGE);
      return cmd ? 0 : 2;
    }
    if (cmd === 'start') return await start(io, simulation);
    if (cmd === 'migrate') return await migrateCommand(io);
    if (cmd === 'token' && sub === 'create') return await tokenCreate(rest, io);
    if (cmd === 'token' && sub === 'list') return await tokenList(rest, io);
    if (cmd === 'token' && sub === 'revoke') return await tokenRevoke(rest, io);
    if (cmd === 'audit' && sub === 'keygen') return await auditKeygen(io);
    if (cmd === 'audit' && sub === 'verify') return await auditVerify(rest, io);
    if (cmd === 'audit' && sub === 'export') return await auditExport(io);
    if (cmd === 'target' && sub === 'check') return await targetCheck(rest, io);
    if (cmd === 'reconcile' && !sub) return await reconcileCommand(io);
    if (cmd === 'config' && sub === 'check') return await configCheck(rest[0], io);
    throw new UsageError(`unknown command "${[cmd, sub].filter(Boolean).join(' ')}"`);
  } catch (e) {
    if (
      e instanceof UsageError ||
      (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      io.err(`unblock-server: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (
      e instanceof ConfigError ||
      e instanceof StoreOpenError ||
      e instanceof StoreLockedError ||
      e instanceof MigrationError ||
      e instanceof ApiTokenError ||
      e instanceof AuditKeyError
    ) {
      io.err(`unblock-server: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
