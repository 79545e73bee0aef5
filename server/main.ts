/**
 * Starting and stopping a broker: configuration, store, policies, sign-in, the HTTP server, the
 * grant worker, the reconciler, the event hub and the webhook sender, wired together once. `unblock-server start`
 * and `npm run broker` call `startBroker` with the environment; tests call it with options.
 */
import os from 'node:os';
import { startCheckpointer } from './audit/checkpoints';
import { generateSigningKey, loadSigningKey, resolveAuditFiles } from './audit/signing-key';
import { createAuthService, type ApiTokenTtl, type NewApiToken } from './auth';
import { loadConfig, type LoadedConfig } from './config/load';
import type { BrokerConfig } from './config/schema';
import { targetIndex } from './config/targets';
import { DEFAULT_RETRY, type Grant } from './domain';
import { createEventHub } from './events/hub';
import { serveEvents } from './events/sse';
import { startHousekeeping } from './housekeeping';
import { listenStarting } from './http/listen';
import { buildOpenApiDocument } from './http/openapi';
import { createRequestHandler } from './http/server';
import { createPolicyEngine } from './policy/engine';
import { loadPolicyDir } from './policy/load';
import { createProvisionerRegistry, type ProvisionerFor } from './provisioners';
import { startReconciler } from './reconcile/run';
import type { CloudIdentities } from './provision/types';
import { createBroker } from './service/broker';
import { createWorker } from './service/worker';
import type { Db } from './store/db';
import { migrate } from './store/migrate';
import { openLockedStore } from './store/open';
import { userCloudIdentities } from './store/users';
import { createWebhookWorker } from './webhooks';
import { webhookTransitionHook } from './webhooks/transition-hook';

export interface BrokerOptions {
  readonly port?: number;
  readonly host?: string;
  /** Embedded store directory (PGlite), or `memory`. Ignored when `databaseUrl` is set. */
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  /** Or an open store (tests); the broker migrates it and leaves it open on close. */
  readonly db?: Db;
  /** Config file; none = the built-in demo configuration. */
  readonly configFile?: string;
  /** Or the config itself (tests, the demo). */
  readonly config?: BrokerConfig;
  /** With `config`: it is the built-in demo's (said on start; `RunningBroker.demo`). */
  readonly demo?: boolean;
  /** The URL people and clients reach the broker at (login redirects, webhook links). */
  readonly publicUrl?: string;
  /**
   * Base URL of the simulated clouds' entitlements API, for `provisioner: sim` targets
   * (`UNBLOCK_SIM_URL`). The broker never starts simulators itself: sim/broker.ts does, for the
   * demo and tests.
   */
  readonly simUrl?: string;
  /**
   * Which provisioner grants on which target. Default: the clouds' own APIs as `config` says
   * (server/provisioners.ts), with `simUrl` for `provisioner: sim` targets.
   */
  readonly provisioners?: ProvisionerFor;
  /** Where the audit checkpoint file (and signing key) live (`UNBLOCK_AUDIT_DIR`); see server/audit. */
  readonly auditDir?: string;
  /** The audit checkpoint signing key (`UNBLOCK_AUDIT_KEY_FILE`). */
  readonly auditKeyFile?: string;
  readonly workerId?: string;
  /** How often the worker looks for due grants (ms). */
  readonly sweepMs?: number;
  readonly leaseMs?: number;
  /** How often the reconciler runs (ms); default config `reconcile.intervalSeconds`, 0 never. */
  readonly reconcileMs?: number;
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
}

export interface RunningBroker {
  readonly url: string;
  readonly config: BrokerConfig;
  readonly db: Db;
  /** True when running the built-in demo configuration. */
  readonly demo: boolean;
  createApiToken(user: string, ttl: ApiTokenTtl, label?: string): Promise<NewApiToken>;
  close(): Promise<void>;
}

/** What `npm run broker` and `unblock-server start` read from the environment. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): BrokerOptions {
  const port = env.PORT === undefined ? 8787 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT: "${env.PORT}" is not a port number`);
  return {
    port,
    host: env.HOST || '127.0.0.1',
    dataDir: env.UNBLOCK_DATA_DIR || './.unblock',
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    ...(env.UNBLOCK_CONFIG ? { configFile: env.UNBLOCK_CONFIG } : {}),
    ...(env.UNBLOCK_PUBLIC_URL ? { publicUrl: env.UNBLOCK_PUBLIC_URL } : {}),
    ...(env.UNBLOCK_SIM_URL ? { simUrl: env.UNBLOCK_SIM_URL } : {}),
    ...(env.UNBLOCK_AUDIT_DIR ? { auditDir: env.UNBLOCK_AUDIT_DIR } : {}),
    ...(env.UNBLOCK_AUDIT_KEY_FILE ? { auditKeyFile: env.UNBLOCK_AUDIT_KEY_FILE } : {}),
    ...(env.UNBLOCK_WORKER_ID ? { workerId: env.UNBLOCK_WORKER_ID } : {}),
    ...(env.UNBLOCK_SWEEP_MS ? { sweepMs: Number(env.UNBLOCK_SWEEP_MS) } : {}),
    ...(env.UNBLOCK_LEASE_MS ? { leaseMs: Number(env.UNBLOCK_LEASE_MS) } : {}),
    ...(env.UNBLOCK_RECONCILE_MS ? { reconcileMs: Number(env.UNBLOCK_RECONCILE_MS) } : {}),
  };
}

export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const loaded: LoadedConfig = options.config
    ? { config: options.config, demo: options.demo ?? false, source: 'options' }
    : await loadConfig(options.configFile);
  const { config } = loaded;
  const targets = targetIndex(config.targets);
  const policy = createPolicyEngine(loadPolicyDir());

  // An open store given by the caller (tests) stays open when the broker closes.
  const store = options.db
    ? { db: options.db, close: () => Promise.resolve() }
    : await openLockedStore(
        {
          dataDir: options.dataDir ?? './.unblock',
          ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
        },
        'unblock-server start',
      );
  const { db } = store;
  const cleanups: (() => Promise<unknown>)[] = [() => store.close()];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    await migrate(db);
    await startAuditCheckpoints(options, config, db, { now, log, cleanups });
    const provisioners =
      options.provisioners ?? createProvisionerRegistry(config, { simUrl: options.simUrl ?? null, now, log });
    const provisionerFor = (grant: Grant) =>
      // A grant on a target since removed from config: its cloud's provisioner still takes it down.
      provisioners(
        targets.find(grant.target) ?? {
          ...grant.target,
          provisioner: config.clouds[grant.target.cloud] ? 'cloud' : 'sim',
        },
      );
    const identities = async (user: string): Promise<CloudIdentities> => {
      const configured = config.users.find((u) => u.name === user)?.identities;
      if (configured && Object.keys(configured).length > 0) return configured;
      return userCloudIdentities(db, user);
    };

    const listening = await listenStarting(options.port ?? 8787, options.host ?? '127.0.0.1');
    cleanups.push(() => listening.close());
    const publicUrl = options.publicUrl ?? listening.url;
    const onTransition = webhookTransitionHook(config, targets, publicUrl);

    const workerId = options.workerId ?? `${os.hostname()}:${listening.port}`;
    const worker = createWorker({
      db,
      provisionerFor,
      identities,
      workerId,
      now,
      retry: { ...DEFAULT_RETRY, provisionAttempts: config.provisioning.maxAttempts },
      concurrency: config.provisioning.concurrency,
      ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
      ...(onTransition ? { onTransition } : {}),
      audienceGroups: (grant) => {
        const group = targets.find(grant.target)?.approverGroup;
        return group ? [group] : [];
      },
      log,
    });
    const broker = createBroker({
      db,
      config,
      policy,
      now,
      provisionerFor: provisioners,
      identities,
      ...(onTransition ? { onTransition } : {}),
      // A merged or extended grant's new expiry is due for `reapply` in the store; the worker
      // claims it under a lease like any other cloud write (issue 12).
      onGrantsChanged: () => worker.wake(),
    });
    const auth = await createAuthService({ db, config, publicUrl, now });
    cleanups.push(() => auth.close());
    const hub = createEventHub(db, {
      onError: (e) => log(`events: ${e instanceof Error ? e.message : String(e)}`),
    });
    cleanups.push(() => hub.close());
    const stopHousekeeping = startHousekeeping({ db, config, provisioners, now, log });
    cleanups.push(() => Promise.resolve(stopHousekeeping()));
    const webhooks = createWebhookWorker({
      db,
      hooks: config.webhooks,
      workerId: `webhooks:${listening.port}`,
      now,
    });

    listening.serve(
      createRequestHandler({
        db,
        broker,
        auth,
        openapi: buildOpenApiDocument(),
        events: (req, res, principal) => serveEvents(req, res, principal, hub),
        rateLimit: config.rateLimit,
        log,
        now,
      }),
    );
    worker.start(options.sweepMs ?? 1000);
    cleanups.push(() => worker.stop());
    const reconciler = startReconciler({
      db,
      targets: config.targets,
      provisionerFor: provisioners,
      owner: workerId,
      graceMs: config.reconcile.graceSeconds * 1000,
      intervalMs: options.reconcileMs ?? config.reconcile.intervalSeconds * 1000,
      now,
      log,
      onReapplyDue: () => worker.wake(),
    });
    cleanups.push(() => reconciler.stop());
    webhooks.start(2000);
    cleanups.push(() => webhooks.stop());

    return {
      url: listening.url,
      config,
      db,
      demo: loaded.demo,
      createApiToken: (user, ttl, label) => auth.createApiToken(user, ttl, label),
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/**
 * Signed audit checkpoints (server/audit/): on start, while running, and on shutdown (a cleanup
 * that runs before the store closes). The first start makes the signing key and says where.
 */
async function startAuditCheckpoints(
  options: BrokerOptions,
  config: BrokerConfig,
  db: Db,
  deps: { now: () => Date; log: (line: string) => void; cleanups: (() => Promise<unknown>)[] },
): Promise<void> {
  const files = resolveAuditFiles({
    ...(options.db ? {} : { dataDir: options.dataDir ?? './.unblock' }),
    ...(options.databaseUrl && !options.db ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.auditDir ? { auditDir: options.auditDir } : {}),
    ...(options.auditKeyFile ? { auditKeyFile: options.auditKeyFile } : {}),
    config: config.audit,
  });
  if (!files) return;
  let signer = await loadSigningKey(files.keyFile);
  if (!signer) {
    signer = await generateSigningKey(files.keyFile);
    deps.log(
      `audit: no checkpoint signing key at ${files.keyFile}; generated one (key id ${signer.keyId}, public key in ${files.keyFile}.pub). ` +
        'Keep it away from the database and its backups: it is what makes truncating or rewriting the audit log detectable (docs/operations.md).',
    );
  }
  const checkpointer = await startCheckpointer({
    db,
    signer,
    file: files.checkpointFile,
    intervalMs: config.audit.checkpointIntervalSeconds * 1000,
    now: deps.now,
    log: deps.log,
  });
  deps.cleanups.push(() => checkpointer.stop());
}
