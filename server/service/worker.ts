/**
 * The broker's background worker: provisions approved grants, re-applies an active grant's moved
 * expiry, takes access away when it is due (expiry or early revoke), retries failures with
 * backoff, reminds and escalates pending requests and expires unanswered ones (worker-requests.ts).
 *
 * Crash safety, with several replicas:
 * - A grant is claimed with `FOR UPDATE SKIP LOCKED` and a lease (`lease_owner`, `lease_until`),
 *   so two replicas never work on one grant; a replica that dies leaves a lease that runs out and
 *   the grant is picked up again. A restarted broker with the same worker id (host + port by
 *   default) releases its own leases at once instead of waiting for them to lapse.
 * - Every status change goes through the domain's transition functions and is saved with
 *   compare-and-set in the same transaction as its audit row and a check of the lease, so a
 *   concurrent revoke by a user and a worker finishing provisioning cannot overwrite each other:
 *   the loser re-reads and does what the grant now needs.
 * - Cloud calls happen between transactions and are idempotent; after a crash the worker finds
 *   the grant still `provisioning` or `revoking` and calls again (server/domain/work.ts).
 * - Every cloud write is leased work, re-applying a merged or extended expiry included, and what
 *   it created is saved only under the lease (server/service/worker-steps.ts): a revoke cannot be
 *   undone by a write that started before it (issue 12).
 *
 * Bounded: at most `concurrency` grants are worked on at once per replica (config
 * `provisioning.concurrency`), claimed that many at a time, so a slow or failing cloud ties up a
 * few leases and sockets, never the request path; submitting only wakes the worker.
 */
import { DEFAULT_RETRY, type Grant, type RetryPolicy } from '../domain';
import { DEFAULT_WORKER_CONCURRENCY } from '../config/schema';
import type { CloudIdentities, Provisioner } from '../provision/types';
import type { Db } from '../store/db';
import { claimGrantWork, holdGrantLease, releaseGrantLease, releaseLeasesOf } from '../store/sweeper';
import type { TransitionHook } from './transition';
import { followUpAndExpireRequests } from './worker-requests';
import { message, work, type StepDeps, type WorkOutcome } from './worker-steps';

export interface WorkerDeps {
  readonly db: Db;
  /** The provisioner for a grant's target (config: `targets[].provisioner`). */
  readonly provisionerFor: (grant: Grant) => Provisioner;
  /** The user's cloud identities (config or IdP); null for an unknown user. */
  readonly identities: (user: string) => Promise<CloudIdentities>;
  /** Unique per replica and stable across its restarts (host:port by default). */
  readonly workerId: string;
  readonly now?: () => Date;
  readonly leaseMs?: number;
  readonly retry?: RetryPolicy;
  /** Grants worked on at once (config `provisioning.concurrency`); also how many one claim takes. */
  readonly concurrency?: number;
  readonly onTransition?: TransitionHook;
  /** Who besides the holder sees a grant's events (its target's approver groups, from config). */
  readonly audienceGroups?: (grant: Grant) => readonly string[];
  readonly log?: (line: string) => void;
}

export interface Worker {
  /**
   * One pass: remind, escalate and expire pending requests, then work every due grant. Returns
   * grants worked on.
   */
  runOnce(): Promise<number>;
  /** Run a pass every `intervalMs`, and at once after `wake()`. */
  start(intervalMs?: number): void;
  /**
   * Ask for a pass soon (after a commit that created, merged, extended or revoked a grant: a
   * moved expiry is due for `reapply` in the store, and the pass claims it like other work).
   */
  wake(): void;
  /** Stop scheduling; waits for the pass in progress. */
  stop(): Promise<void>;
}

export function createWorker(deps: WorkerDeps): Worker {
  const { db, workerId } = deps;
  const log = deps.log ?? (() => undefined);
  const leaseMs = deps.leaseMs ?? 60_000;
  const ctx: StepDeps = {
    db,
    provisionerFor: deps.provisionerFor,
    identities: deps.identities,
    workerId,
    now: deps.now ?? (() => new Date()),
    leaseMs,
    retry: deps.retry ?? DEFAULT_RETRY,
    onTransition: deps.onTransition,
    audienceGroups: deps.audienceGroups,
    log,
  };
  const concurrency = Math.max(1, deps.concurrency ?? DEFAULT_WORKER_CONCURRENCY);

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = true;
  let releasedOwn = false;

  async function pass(): Promise<number> {
    if (!releasedOwn) {
      // Leases this worker id held before a restart: nobody is working on them now.
      await releaseLeasesOf(db, workerId);
      releasedOwn = true;
    }
    await followUpAndExpireRequests(ctx, ctx.now());
    let total = 0;
    for (;;) {
      // As many as may be in flight at once: claimed grants never wait on a slow neighbour's
      // lease time for long, and a failing cloud holds `concurrency` leases at most.
      const ids = await claimGrantWork(db, ctx.now(), concurrency, workerId, leaseMs);
      await Promise.all(ids.map((id) => workOn(id)));
      total += ids.length;
      if (ids.length < concurrency) return total;
    }
  }

  async function workOn(id: string): Promise<void> {
    let outcome: WorkOutcome = { kind: 'release' };
    try {
      outcome = await work(ctx, id);
    } catch (e) {
      log(`grant ${id}: ${message(e)}`);
    } finally {
      await (
        outcome.kind === 'hold'
          ? holdGrantLease(db, id, workerId, outcome.until)
          : releaseGrantLease(db, id, workerId)
      ).catch(() => undefined);
    }
  }

  function runOnce(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = pass().finally(() => {
      running = null;
      if (again && !stopped) {
        again = false;
        void runOnce().catch((e: unknown) => log(`worker pass failed: ${message(e)}`));
      }
    });
    return running;
  }

  return {
    runOnce,
    start(intervalMs = 1000) {
      stopped = false;
      const tick = () => {
        if (stopped) return;
        runOnce()
          .catch((e: unknown) => log(`worker pass failed: ${message(e)}`))
          .finally(() => {
            if (!stopped) timer = setTimeout(tick, intervalMs);
          });
      };
      tick();
    },
    wake() {
      if (stopped) return;
      void runOnce().catch((e: unknown) => log(`worker pass failed: ${message(e)}`));
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
