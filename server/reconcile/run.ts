/**
 * The reconciler's I/O edges (issue 12): on one replica at a time (a lease in the store), for each
 * configured target whose provisioner can list what it made (`Provisioner.inventory`), list it,
 * read the grants it names and the target's active grants, decide with plan.ts, then
 * - remove each orphan (`removeHeld`) and audit `reconcile.orphan_removed`;
 * - mark each active grant whose access is missing as due for `reapply` and audit
 *   `reconcile.reapplied` in the same transaction; the worker re-applies it under its lease.
 * Periodic in the broker (`reconcile.intervalSeconds`), once with `unblock-server reconcile`.
 */
import type { TargetConfig } from '../config/schema';
import { SYSTEM_ACTOR } from '../domain';
import type { HeldAccess, Provisioner } from '../provision/types';
import { appendAudit, appendAuditTx } from '../store/audit';
import type { Db } from '../store/db';
import { markAccessMissing } from '../store/provider-refs';
import { activeGrantFacts, grantFacts, releaseSingletonLease, takeSingletonLease } from '../store/reconcile';
import { planReconcile } from './plan';

/** The audit types the reconciler writes (audit-only, like `grant.landing-issued`). */
export const RECONCILE_AUDIT_TYPES = ['reconcile.orphan_removed', 'reconcile.reapplied'] as const;

const LEASE = 'reconciler';
/** Longest a run may take before another replica may start one. */
const LEASE_MS = 15 * 60_000;

export interface ReconcilerDeps {
  readonly db: Db;
  /** The configured targets; each is listed by its own provisioner. */
  readonly targets: readonly TargetConfig[];
  readonly provisionerFor: (target: TargetConfig) => Provisioner;
  /** Unique per replica (the lease holder). */
  readonly owner: string;
  readonly graceMs: number;
  readonly now: () => Date;
  readonly log: (line: string) => void;
  /** Grants were marked for re-apply (the broker wakes its worker). */
  readonly onReapplyDue?: () => void;
}

export interface ReconcileReport {
  /** False when another replica holds the reconciler's lease. */
  readonly ran: boolean;
  /** Targets listed (those whose provisioner can list what it made). */
  readonly targets: number;
  readonly removed: readonly HeldAccess[];
  /** Active grants marked for re-apply. */
  readonly reapplied: readonly string[];
  /** What could not be listed or removed (tried again on the next run). */
  readonly problems: readonly string[];
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function reconcileOnce(deps: ReconcilerDeps): Promise<ReconcileReport> {
  const { db, owner, now } = deps;
  const started = now();
  if (!(await takeSingletonLease(db, LEASE, owner, started, new Date(started.getTime() + LEASE_MS)))) {
    return { ran: false, targets: 0, removed: [], reapplied: [], problems: [] };
  }
  const removed: HeldAccess[] = [];
  const reapplied: string[] = [];
  const problems: string[] = [];
  let targets = 0;
  try {
    for (const target of deps.targets) {
      const provisioner = deps.provisionerFor(target);
      if (!provisioner.inventory || !provisioner.removeHeld) continue;
      targets += 1;
      try {
        const outcome = await reconcileTarget(deps, target, provisioner);
        removed.push(...outcome.removed);
        reapplied.push(...outcome.reapplied);
        problems.push(...outcome.problems);
      } catch (e) {
        problems.push(`${target.cloud} ${target.account}: could not list what Unblock made: ${message(e)}`);
      }
    }
  } finally {
    await releaseSingletonLease(db, LEASE, owner).catch(() => undefined);
  }
  for (const p of problems) deps.log(`reconciler: ${p}`);
  if (reapplied.length > 0) deps.onReapplyDue?.();
  return { ran: true, targets, removed, reapplied, problems };
}

async function reconcileTarget(
  deps: ReconcilerDeps,
  target: TargetConfig,
  provisioner: Provisioner,
): Promise<{ removed: HeldAccess[]; reapplied: string[]; problems: string[] }> {
  const { db, now, log } = deps;
  const listedAt = now();
  const held = await provisioner.inventory!(target);
  const [claimants, active] = await Promise.all([
    grantFacts(
      db,
      held.flatMap((h) => h.grantIds),
      now(),
    ),
    activeGrantFacts(db, target, now()),
  ]);
  const plan = planReconcile({ held, listedAt, claimants, active, now: now(), graceMs: deps.graceMs });
  const removed: HeldAccess[] = [];
  const reapplied: string[] = [];
  const problems: string[] = [];
  for (const orphan of plan.orphans) {
    try {
      await provisioner.removeHeld!(orphan);
    } catch (e) {
      problems.push(`${orphan.key}: could not remove it: ${message(e)}`);
      continue;
    }
    removed.push(orphan);
    log(`reconciler: removed ${orphan.description}: no live grant owns it (${orphan.grantIds.join(', ')})`);
    await appendAudit(db, {
      actor: SYSTEM_ACTOR,
      type: 'reconcile.orphan_removed',
      subject: orphan.grantIds.at(-1) ?? null,
      details: {
        target: orphan.target,
        key: orphan.key,
        access: orphan.description,
        grants: [...orphan.grantIds],
        states: orphan.grantIds.map((id) => claimants.get(id)?.status ?? 'unknown'),
      },
      at: now(),
    });
  }
  for (const grant of plan.missing) {
    const marked = await db.transaction(async (tx) => {
      if (!(await markAccessMissing(tx, grant.id))) return false;
      await appendAuditTx(tx, {
        actor: SYSTEM_ACTOR,
        type: 'reconcile.reapplied',
        subject: grant.id,
        details: {
          target: { cloud: target.cloud, account: target.account },
          reason: 'access missing in the cloud',
        },
        at: now(),
      });
      return true;
    });
    if (marked) {
      reapplied.push(grant.id);
      log(`reconciler: grant ${grant.id} is active but the cloud does not hold its access; re-applying`);
    }
  }
  return { removed, reapplied, problems };
}

export interface RunningReconciler {
  stop(): Promise<void>;
}

/** Runs `reconcileOnce` every `intervalMs` (first one after an interval); 0 runs nothing. */
export function startReconciler(deps: ReconcilerDeps & { readonly intervalMs: number }): RunningReconciler {
  if (deps.intervalMs <= 0) return { stop: () => Promise.resolve() };
  let running: Promise<unknown> | null = null;
  let stopped = false;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = reconcileOnce(deps)
      .catch((e: unknown) => deps.log(`reconciler: run failed: ${message(e)}`))
      .finally(() => (running = null));
  }, deps.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
