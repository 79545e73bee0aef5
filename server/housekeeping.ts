/**
 * The broker's hourly chores, beside the grant worker: pruning old events, sweeping AWS
 * revocation statements that can no longer match a live session, and (on PGlite, at start too)
 * refreshing the planner's statistics (store/statistics.ts).
 */
import type { BrokerConfig } from './config/schema';
import { pruneEvents } from './events/retention';
import type { ProvisionerFor } from './provisioners';
import type { Db } from './store/db';
import { refreshPlannerStatistics } from './store/statistics';

/** Events are for live views and reconnect replay, not history (that is the audit log): a week. */
export const EVENT_RETENTION_MS = 7 * 24 * 3_600_000;
const HOUR_MS = 3_600_000;

export interface HousekeepingDeps {
  readonly db: Db;
  readonly config: BrokerConfig;
  readonly provisioners: ProvisionerFor;
  readonly now: () => Date;
  readonly log: (line: string) => void;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Starts the chores; returns the function that stops them. */
export function startHousekeeping(deps: HousekeepingDeps): () => void {
  const { db, config, provisioners, now, log } = deps;
  const prune = setInterval(() => {
    pruneEvents(db, new Date(now().getTime() - EVENT_RETENTION_MS)).catch((e: unknown) =>
      log(`events: pruning failed: ${message(e)}`),
    );
  }, HOUR_MS);
  // AWS early revokes leave deny statements on the JIT roles; drop those that can no longer
  // match a live session (each revoke also does, this catches roles nobody revoked on since).
  const awsTargets = config.targets.filter((t) => t.cloud === 'aws' && t.provisioner === 'cloud');
  const sweep = setInterval(() => {
    for (const t of awsTargets) {
      provisioners(t)
        .maintain?.(t)
        .catch((e: unknown) => log(`aws ${t.account}: sweeping old revocations failed: ${message(e)}`));
    }
  }, HOUR_MS);
  let stopped = false;
  const analyze = (): void => {
    refreshPlannerStatistics(db).catch((e: unknown) => {
      // A store closed under a running ANALYZE is the broker stopping, not a fault.
      if (!stopped) log(`store: refreshing planner statistics failed: ${message(e)}`);
    });
  };
  analyze();
  const statistics = setInterval(analyze, HOUR_MS);
  prune.unref();
  sweep.unref();
  statistics.unref();
  return () => {
    stopped = true;
    clearInterval(prune);
    clearInterval(sweep);
    clearInterval(statistics);
  };
}
