/**
 * The delivery worker: sends the rows enqueue.ts queued, retrying with backoff, on every broker
 * replica at once without sending a row twice.
 *
 * Claiming is a lease, as in store/sweeper.ts: one short transaction selects due rows
 * `FOR UPDATE SKIP LOCKED` and stamps them with `lease_owner`/`lease_until`, so other replicas
 * skip them; the HTTP call happens outside any transaction (a slow endpoint holds no lock and no
 * connection), and the outcome is written fenced on the lease owner. A replica that dies mid-send
 * leaves a lease that runs out, and the row is sent again by someone else: delivery is
 * at-least-once, which is why every message carries an id receivers can dedupe on.
 *
 * Within one batch a webhook's rows are sent one after another, oldest first, so a transaction's
 * events (submitted, then approved) usually arrive in order; after a failure the webhook's other
 * rows wait for the next run instead of each waiting out the same dead endpoint. Order is best
 * effort: a retried row arrives after later ones, so receivers should order by `at`.
 *
 * The POST itself and what its answer means (delivered, retry, give up) are attempt.ts; the SQL
 * is server/store/webhook-outbox.ts.
 */
import type { WebhookConfig } from '../config/schema';
import { retryDelayMs, type RetryPolicy } from '../domain/lifecycle';
import type { Db } from '../store/db';
import {
  claimDueDeliveries,
  markDelivered,
  markGivenUp,
  releaseDelivery,
  scheduleRetry,
  type ClaimedDelivery,
} from '../store/webhook-outbox';
import { attemptDelivery, oneLine, type AttemptContext, type Outcome } from './attempt';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 8;
export const DEFAULT_BATCH_SIZE = 20;
/** 10 s, 20 s, 40 s … capped at 15 min: eight attempts span about 21 minutes. */
export const DEFAULT_WEBHOOK_RETRY: RetryPolicy = { baseMs: 10_000, capMs: 15 * 60_000 };
/** A `Retry-After` longer than this is not honoured in full: a typo'd header must not park a row for days. */
export const RETRY_AFTER_CAP_MS = 60 * 60_000;

export interface WebhookWorkerOptions {
  readonly db: Db;
  /** The configured webhooks; rows are sent to the URL (and signed with the secret) configured now. */
  readonly hooks: readonly WebhookConfig[];
  /** This replica's name in `lease_owner` (host name + pid, say). */
  readonly workerId: string;
  readonly fetch?: typeof globalThis.fetch;
  readonly now?: () => Date;
  readonly timeoutMs?: number;
  /** Attempts before a row is given up (`failed_at`). */
  readonly maxAttempts?: number;
  readonly batchSize?: number;
  readonly retry?: RetryPolicy;
  /** How long a claim lasts; default: long enough to send a whole batch to one hung endpoint. */
  readonly leaseMs?: number;
  /** Where `env:NAME` secrets are read from. */
  readonly env?: NodeJS.ProcessEnv;
  /** One-line reports of runs that failed as a whole (the database was unreachable…) in start(). */
  readonly log?: (line: string) => void;
}

export interface WebhookRunResult {
  delivered: number;
  /** Given up: a permanent error, or the last allowed attempt failed. */
  failed: number;
  /** Failed and scheduled for another attempt. */
  retried: number;
}

export interface WebhookWorker {
  /** Claim one batch of due deliveries and attempt each once. */
  runOnce(): Promise<WebhookRunResult>;
  /** Run every `intervalMs` (at once again after a full batch) until stop(). */
  start(intervalMs: number): void;
  /** Stop the loop and wait for a run in progress to finish. */
  stop(): Promise<void>;
}

export function createWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const { db, workerId } = options;
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const retry = options.retry ?? DEFAULT_WEBHOOK_RETRY;
  const leaseMs = options.leaseMs ?? batchSize * timeoutMs + 60_000;
  const log = options.log ?? ((line: string) => console.error(line));
  const hooks = new Map(options.hooks.map((h) => [h.name, h]));
  const sending: AttemptContext = {
    hooks,
    fetch: options.fetch ?? globalThis.fetch,
    now,
    timeoutMs,
    env: options.env ?? process.env,
  };

  async function claim(at: Date): Promise<ClaimedDelivery[]> {
    return db.transaction((tx) =>
      claimDueDeliveries(tx, {
        now: at,
        limit: batchSize,
        owner: workerId,
        leaseUntil: new Date(at.getTime() + leaseMs),
      }),
    );
  }

  /** Write the outcome, fenced on our lease; what to count it as, or null when another worker took the row over. */
  async function record(row: ClaimedDelivery, outcome: Outcome): Promise<keyof WebhookRunResult | null> {
    const at = now();
    const attempts = row.attempts + 1;
    const lease = { id: row.id, owner: workerId };
    if (outcome.kind === 'delivered') {
      return (await markDelivered(db, lease, { at, attempts, url: outcome.url })) ? 'delivered' : null;
    }
    if (outcome.kind === 'give-up' || attempts >= maxAttempts) {
      const error =
        outcome.kind === 'retry' ? `${outcome.error} (gave up after ${attempts} attempts)` : outcome.error;
      const written = await markGivenUp(db, lease, {
        at,
        attempts,
        error: error.slice(0, 1000),
        url: outcome.url ?? null,
      });
      return written ? 'failed' : null;
    }
    const backoff = retryDelayMs(row.attempts, retry);
    const asked = outcome.retryAfterMs === null ? 0 : Math.min(outcome.retryAfterMs, RETRY_AFTER_CAP_MS);
    const written = await scheduleRetry(db, lease, {
      nextAttemptAt: new Date(at.getTime() + Math.max(backoff, asked)),
      attempts,
      error: outcome.error.slice(0, 1000),
      url: outcome.url ?? null,
    });
    return written ? 'retried' : null;
  }

  /** Hand rows back unattempted (their webhook just failed in this batch), attempts unchanged. */
  async function release(rows: readonly ClaimedDelivery[]): Promise<void> {
    for (const row of rows) await releaseDelivery(db, { id: row.id, owner: workerId });
  }

  async function runBatch(): Promise<{ result: WebhookRunResult; claimed: number }> {
    const claimed = await claim(now());
    const result: WebhookRunResult = { delivered: 0, failed: 0, retried: 0 };
    const byHook = new Map<string, ClaimedDelivery[]>();
    for (const row of claimed) byHook.set(row.webhook, [...(byHook.get(row.webhook) ?? []), row]);
    await Promise.all(
      [...byHook.values()].map(async (rows) => {
        for (const [i, row] of rows.entries()) {
          const outcome = await attemptDelivery(sending, row);
          const counted = await record(row, outcome);
          if (counted) result[counted]++;
          if (outcome.kind !== 'delivered' && hooks.has(row.webhook)) {
            await release(rows.slice(i + 1));
            return;
          }
        }
      }),
    );
    return { result, claimed: claimed.length };
  }

  let stopped = true;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  function schedule(delayMs: number, intervalMs: number): void {
    timer = setTimeout(() => {
      timer = null;
      running = runBatch()
        .then(
          ({ claimed }) => claimed >= batchSize,
          (e: unknown) => {
            log(`webhooks: delivery run failed: ${oneLine(e instanceof Error ? e.message : String(e))}`);
            return false;
          },
        )
        .then((full) => {
          running = null;
          if (!stopped) schedule(full ? 0 : intervalMs, intervalMs);
        });
    }, delayMs);
    // The broker's HTTP server keeps the process alive; this timer alone should not.
    timer.unref();
  }

  return {
    async runOnce() {
      return (await runBatch()).result;
    },
    start(intervalMs) {
      if (!stopped) return;
      stopped = false;
      schedule(0, intervalMs);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
