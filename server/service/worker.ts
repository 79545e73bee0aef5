/**
 * The broker's background worker: provisions approved grants, takes access away when it is due
 * (expiry or early revoke), retries failures with backoff, and expires unanswered requests.
 *
 * Crash safety, with several replicas:
 * - A grant is claimed with `FOR UPDATE SKIP LOCKED` and a lease (`lease_owner`, `lease_until`),
 *   so two replicas never work on one grant; a replica that dies leaves a lease that runs out and
 *   the grant is picked up again. A restarted broker with the same worker id (host + port by
 *   default) releases its own leases at once instead of waiting for them to lapse.
 * - Every status change goes through the domain's transition functions and is saved with
 *   compare-and-set in the same transaction as its audit row, so a concurrent revoke by a user
 *   and a worker finishing provisioning cannot overwrite each other: the loser re-reads and does
 *   what the grant now needs.
 * - Cloud calls happen between transactions and are idempotent; after a crash the worker finds
 *   the grant still `provisioning` or `revoking` and calls again (server/domain/work.ts).
 * - What a provisioner created (`provider_ref`) is saved as soon as the call returns, whatever
 *   the grant's status by then, so a revoke that raced the provisioning can remove exactly it.
 */
import {
  DEFAULT_RETRY,
  errorText,
  expirePending,
  grantWork,
  markDue,
  provisionFailed,
  provisioned,
  revokeFailed,
  revoked,
  startProvisioning,
  startRevoking,
  type Grant,
  type Result,
  type RetryPolicy,
} from '../domain';
import {
  attemptErrorOf,
  type CloudIdentities,
  type GrantContext,
  type Provisioner,
} from '../provision/types';
import { storedOrConflict, withCompareAndSet } from '../store/compare-and-set';
import type { Db } from '../store/db';
import { getGrant, getProviderRef, saveGrant, saveProviderRef } from '../store/grants';
import { getRequest, listOverduePendingRequestIds, saveRequest } from '../store/requests';
import { claimGrantWork, releaseGrantLease, releaseLeasesOf } from '../store/sweeper';
import { requestAudience } from '../store/transitions';
import { recordEvents, type TransitionHook } from './transition';

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
  /** Grants claimed per pass. */
  readonly batch?: number;
  readonly onTransition?: TransitionHook;
  /** Who besides the holder sees a grant's events (its target's approver groups, from config). */
  readonly audienceGroups?: (grant: Grant) => readonly string[];
  readonly log?: (line: string) => void;
}

export interface Worker {
  /** One pass: expire pending requests, then work every due grant. Returns grants worked on. */
  runOnce(): Promise<number>;
  /** Run a pass every `intervalMs`, and at once after `wake()`. */
  start(intervalMs?: number): void;
  /** Ask for a pass soon (after a commit that created or revoked a grant). */
  wake(): void;
  /** Push an active grant's new expiry to the cloud (after an extension or merge); best effort. */
  reapply(grantId: string): Promise<void>;
  /** Stop scheduling; waits for the pass in progress. */
  stop(): Promise<void>;
}

/** What the worker's steps share: the dependencies with their defaults filled in. */
interface WorkerContext {
  readonly db: Db;
  readonly deps: WorkerDeps;
  readonly now: () => Date;
  readonly retry: RetryPolicy;
  readonly log: (line: string) => void;
}

/** An error for the log: one line, credentials redacted like the grant's own copy. */
const message = (e: unknown) => errorText(e instanceof Error ? e.message : String(e));

/** Applies `step` to the grant as stored now and saves it; null when the grant is gone or kept racing. */
function commitGrant(
  ctx: WorkerContext,
  grantId: string,
  step: (g: Grant) => Result<Grant> | null,
): Promise<Grant | null> {
  const { deps } = ctx;
  return withCompareAndSet(
    ctx.db,
    async (tx) => {
      const g = await getGrant(tx, grantId);
      if (!g) return null;
      const next = step(g);
      if (!next) return g;
      if (!next.ok) return g;
      storedOrConflict(await saveGrant(tx, next.value, g.version));
      // The request is needed only for webhook messages; the audience comes from config.
      const request = deps.onTransition || !deps.audienceGroups ? await getRequest(tx, g.requestId) : null;
      const groups = deps.audienceGroups
        ? [...deps.audienceGroups(next.value)]
        : [...(request?.policy.approverGroups ?? [])];
      await recordEvents(
        tx,
        deps.onTransition,
        { events: next.events, audience: { users: [next.value.user], groups } },
        { request, grant: next.value },
      );
      return next.value;
    },
    { onExhausted: () => null },
  );
}

/** The justification and ticket of the request behind the grant (clouds record them with it). */
async function grantContext(ctx: WorkerContext, grant: Grant): Promise<GrantContext> {
  const request = await getRequest(ctx.db, grant.requestId);
  return { justification: request?.justification ?? '', ticket: request?.ticket ?? null };
}

/** Drives one claimed grant until it needs nothing more now (at most a few steps). */
async function work(ctx: WorkerContext, grantId: string): Promise<void> {
  const { db, deps, now, retry, log } = ctx;
  const commit = (step: (g: Grant) => Result<Grant> | null) => commitGrant(ctx, grantId, step);
  for (let step = 0; step < 6; step++) {
    const grant = await getGrant(db, grantId);
    if (!grant) return;
    const todo = grantWork(grant, now());
    if (todo === null) return;
    const provisioner = deps.provisionerFor(grant);
    switch (todo) {
      case 'expire':
        await commit((g) => (grantWork(g, now()) === 'expire' ? markDue(g, now()) : null));
        break;
      case 'provision':
        if (!(await commit((g) => startProvisioning(g, now())))?.status.startsWith('provisioning')) return;
      // falls through: call the cloud
      case 'resume-provisioning': {
        const identities = await deps.identities(grant.user);
        try {
          const ref = await provisioner.grant(grant, identities, await grantContext(ctx, grant));
          await saveProviderRef(db, grantId, ref);
          await commit((g) => (g.status === 'provisioning' ? provisioned(g, now()) : null));
        } catch (e) {
          const reported = attemptErrorOf(e);
          log(`grant ${grantId}: provisioning failed${reported.permanent ? ' for good' : ''}: ${message(e)}`);
          const after = await commit((g) =>
            g.status === 'provisioning' ? provisionFailed(g, reported, now(), retry) : null,
          );
          // Given up (permanent, or the last attempt): clean up now, in this pass, so the grant
          // reaches `failed` at once. Otherwise the retry waits for its time.
          if (after?.status !== 'revoking') return;
        }
        break;
      }
      case 'revoke':
        if ((await commit((g) => startRevoking(g, now())))?.status !== 'revoking') return;
      // falls through: call the cloud
      case 'resume-revoking': {
        const identities = await deps.identities(grant.user);
        try {
          await provisioner.revoke(grant, await getProviderRef(db, grantId), identities);
          await commit((g) => (g.status === 'revoking' ? revoked(g, now()) : null));
        } catch (e) {
          log(`grant ${grantId}: revocation failed: ${message(e)}`);
          await commit((g) => (g.status === 'revoking' ? revokeFailed(g, message(e), now(), retry) : null));
          return;
        }
        break;
      }
    }
  }
}

async function expireRequests(ctx: WorkerContext, at: Date): Promise<void> {
  for (const id of await listOverduePendingRequestIds(ctx.db, at, 100)) {
    // One attempt: a lost race means someone decided the request meanwhile.
    await withCompareAndSet(
      ctx.db,
      async (tx) => {
        const r = await getRequest(tx, id);
        if (!r) return;
        const step = expirePending(r, at);
        if (!step.ok) return;
        storedOrConflict(await saveRequest(tx, step.value, r.version));
        await recordEvents(
          tx,
          ctx.deps.onTransition,
          { events: step.events, audience: requestAudience(step.value) },
          { request: step.value, grant: null },
        );
      },
      { attempts: 1, onExhausted: () => undefined },
    );
  }
}

/** Pushes an active grant's current expiry to the cloud; best effort (logged, never thrown). */
async function reapply(ctx: WorkerContext, grantId: string): Promise<void> {
  const { db, deps, log } = ctx;
  const grant = await getGrant(db, grantId);
  if (!grant || grant.status !== 'active') return;
  try {
    const ref = await deps
      .provisionerFor(grant)
      .grant(grant, await deps.identities(grant.user), await grantContext(ctx, grant));
    await saveProviderRef(db, grantId, ref);
  } catch (e) {
    log(`grant ${grantId}: could not push the new expiry to the cloud: ${message(e)}`);
  }
}

export function createWorker(deps: WorkerDeps): Worker {
  const { db, workerId } = deps;
  const log = deps.log ?? (() => undefined);
  const ctx: WorkerContext = {
    db,
    deps,
    now: deps.now ?? (() => new Date()),
    retry: deps.retry ?? DEFAULT_RETRY,
    log,
  };
  const leaseMs = deps.leaseMs ?? 60_000;
  const batch = deps.batch ?? 20;

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
    await expireRequests(ctx, ctx.now());
    let total = 0;
    for (;;) {
      const ids = await claimGrantWork(db, ctx.now(), batch, workerId, leaseMs);
      for (const id of ids) {
        try {
          await work(ctx, id);
        } catch (e) {
          log(`grant ${id}: ${message(e)}`);
        } finally {
          await releaseGrantLease(db, id, workerId).catch(() => undefined);
        }
      }
      total += ids.length;
      if (ids.length < batch) return total;
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
    reapply: (grantId: string) => reapply(ctx, grantId),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
