/**
 * `unblock-server`: the operator CLI. Each command prints what an operator needs and exits 0 on
 * success, 1 when the check or the work fails, 2 on bad usage. Store settings come from the same
 * environment as the broker (UNBLOCK_DATA_DIR, DATABASE_URL, UNBLOCK_CONFIG).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ApiTokenError, createAuthService } from './auth';
import { ConfigError, checkConfigText, loadConfig } from './config/load';
import { optionsFromEnv, startBroker, type BrokerOptions, type RunningBroker } from './main';
import { appendAudit, readAudit, verifyAudit } from './store/audit';
import { StoreOpenError, type Db } from './store/db';
import { openLockedStore } from './store/open';
import { describeUrl } from './store/postgres';
import { StoreLockedError } from './store/lock';
import { MigrationError, migrate } from './store/migrate';

const USAGE = `Usage: unblock-server <command>

Commands:
  start                          run the broker (PORT, HOST, UNBLOCK_DATA_DIR, DATABASE_URL, UNBLOCK_CONFIG)
  migrate                        bring the store's schema up to date and say what was applied
  token create --user NAME [--ttl 1h] [--label TEXT]
                                 print a new API token for NAME (for curl and automation), nothing else
  audit verify                   check the audit log's hash chain; names the first edited, deleted or reordered row
  audit export                   print the audit log as JSON Lines
  config check FILE              validate a broker config file (YAML or JSON); every problem names its path
  help                           this text

With no UNBLOCK_CONFIG the built-in demo configuration is used (users alice, bob, dave, carol).
The embedded store (PGlite) serves one process at a time: stop the broker before other commands,
or use PostgreSQL (DATABASE_URL).
`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the operator asks the broker to stop (SIGINT/SIGTERM). */
  stopSignal: () => Promise<string>;
}

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

class UsageError extends Error {}

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

/** Opens the store the broker would use (locking an embedded one), runs `fn`, closes it. */
async function withStore<T>(options: BrokerOptions, purpose: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const store = await openLockedStore(
    {
      dataDir: options.dataDir ?? './.unblock',
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    },
    purpose,
  );
  try {
    return await fn(store.db);
  } finally {
    await store.close();
  }
}

function storeName(options: BrokerOptions): string {
  return options.databaseUrl
    ? `PostgreSQL ${describeUrl(options.databaseUrl)}`
    : `PGlite in ${options.dataDir}`;
}

/** `1h`, `30m`, `7d` → milliseconds. */
export function parseTtl(text: string): number {
  const m = /^(\d{1,6})(m|h|d)$/.exec(text.trim());
  if (!m) throw new UsageError(`--ttl: "${text}" is not a duration like 30m, 1h or 7d`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
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

async function tokenCreate(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { user: { type: 'string' }, ttl: { type: 'string', default: '1h' }, label: { type: 'string' } },
    strict: true,
  });
  if (!values.user) throw new UsageError('token create: --user NAME is required');
  const ttlMs = parseTtl(values.ttl);
  const options = optionsFromEnv(io.env);
  const { config } = await loadConfig(options.configFile);
  const token = await withStore(options, 'unblock-server token create', async (db) => {
    await migrate(db);
    const auth = await createAuthService({ db, config, publicUrl: `http://${options.host}:${options.port}` });
    const created = await auth.createApiToken(values.user!, ttlMs, values.label);
    await appendAudit(db, {
      actor: 'operator',
      type: 'token.created',
      subject: values.user!,
      details: {
        label: values.label ?? null,
        expiresAt: created.expiresAt.toISOString(),
        via: 'unblock-server',
      },
      at: new Date(),
    });
    return created.token;
  });
  // Only the token on stdout, so `TOKEN=$(unblock-server token create --user alice)` works.
  io.out(`${token}\n`);
  return 0;
}

async function auditVerify(io: Io): Promise<number> {
  const options = optionsFromEnv(io.env);
  const result = await withStore(options, 'unblock-server audit verify', (db) => verifyAudit(db));
  if (result.ok) {
    io.out(
      `audit log OK: ${result.count} entries, chain intact${result.head ? ` (head ${result.head.seq} ${result.head.hash})` : ''}\n`,
    );
    return 0;
  }
  io.err(`audit log BROKEN at row ${result.seq} (${result.problem}): ${result.message}\n`);
  return 1;
}

async function auditExport(io: Io): Promise<number> {
  const options = optionsFromEnv(io.env);
  await withStore(options, 'unblock-server audit export', async (db) => {
    let after = 0;
    for (;;) {
      const rows = await readAudit(db, after, 1000);
      for (const row of rows) io.out(`${JSON.stringify(row)}\n`);
      if (rows.length < 1000) return;
      after = rows[rows.length - 1]!.seq;
    }
  });
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
    if (cmd === 'audit' && sub === 'verify') return await auditVerify(io);
    if (cmd === 'audit' && sub === 'export') return await auditExport(io);
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
      e instanceof ApiTokenError
    ) {
      io.err(`unblock-server: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
