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
import { resolveSecret, signBody } from './sign';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 8;
export const DEFAULT_BATCH_SIZE = 20;
/** 10 s, 20 s, 40 s … capped at 15 min: eight attempts span about 21 minutes. */
export const DEFAULT_WEBHOOK_RETRY: RetryPolicy = { baseMs: 10_000, capMs: 15 * 60_000 };
/** A `Retry-After` longer than this is not honoured in full: a typo'd header must not park a row for days. */
export const RETRY_AFTER_CAP_MS = 60 * 60_000;
/** How much of a failed response's body `last_error` keeps. */
const ERROR_BODY_CHARS = 200;

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

type Outcome =
  | { readonly kind: 'delivered'; readonly url: string }
  | {
      readonly kind: 'retry';
      readonly error: string;
      readonly retryAfterMs: number | null;
      readonly url?: string;
    }
  | { readonly kind: 'give-up'; readonly error: string; readonly url?: string };

/** Statuses that say "try again later" although they are 4xx. */
const RETRYABLE_4XX = new Set([408, 409, 425, 429]);

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; null when absent or unusable. */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}

/** The start of a response body, read no further than needed (an error page can be megabytes). */
async function bodySnippet(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < ERROR_BODY_CHARS * 2) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // A body that breaks off (or times out) still leaves the status to report.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return oneLine(text).slice(0, ERROR_BODY_CHARS);
}

function errorText(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) {
    return `timed out after ${timeoutMs} ms`;
  }
  // fetch() reports "fetch failed" and puts the reason (ECONNREFUSED, a TLS error…) in `cause`.
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : null;
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : null;
  const message = e instanceof Error ? e.message : String(e);
  return `network error: ${oneLine([message, code ?? cause?.message].filter(Boolean).join(': '))}`;
}

export function createWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const { db, workerId } = options;
  const doFetch = options.fetch ?? globalThis.fetch;
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const retry = options.retry ?? DEFAULT_WEBHOOK_RETRY;
  const leaseMs = options.leaseMs ?? batchSize * timeoutMs + 60_000;
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.error(line));
  const hooks = new Map(options.hooks.map((h) => [h.name, h]));

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

  /** One POST. Never throws: every failure becomes an outcome. */
  async function attempt(row: ClaimedDelivery): Promise<Outcome> {
    const hook = hooks.get(row.webhook);
    if (!hook) return { kind: 'give-up', error: `webhook "${row.webhook}" is no longer configured` };
    if (hook.kind !== row.kind) {
      return {
        kind: 'give-up',
        error: `webhook "${hook.name}" is now of kind ${hook.kind}; this message was rendered for ${row.kind}`,
      };
    }
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'unblock-broker',
    };
    let secret: string | null = null;
    if (hook.kind === 'json') {
      secret = resolveSecret(hook.secret, env);
      // Retried rather than given up: another replica, or this one restarted with the variable
      // set, can still deliver within the retry window.
      if (!secret) {
        return {
          kind: 'retry',
          error: `webhook "${hook.name}" has no usable secret (${describeSecret(hook.secret)})`,
          retryAfterMs: null,
        };
      }
      const timestamp = Math.floor(now().getTime() / 1000);
      headers['X-Unblock-Event'] = row.eventType;
      headers['X-Unblock-Delivery'] = String(row.id);
      headers['X-Unblock-Timestamp'] = String(timestamp);
      headers['X-Unblock-Signature'] = signBody(secret, timestamp, row.body);
    }
    // Keep the secret and the URL (a Slack webhook URL is itself a credential) out of last_error,
    // whatever the endpoint echoes back.
    const redact = (text: string) => {
      let out = text;
      for (const s of [secret, hook.url]) if (s) out = out.split(s).join('[redacted]');
      return out;
    };
    const url = hook.url;
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers,
        body: row.body,
        // A redirect is not followed: the signed body would go to a host nobody configured.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.status >= 200 && res.status < 300) {
        await res.body?.cancel().catch(() => undefined);
        return { kind: 'delivered', url };
      }
      const snippet = await bodySnippet(res);
      const error = redact(`HTTP ${res.status}${snippet ? `: ${snippet}` : ''}`);
      if (res.status >= 300 && res.status < 400) {
        return {
          kind: 'give-up',
          error: `${error} (redirects are not followed; configure the final URL)`,
          url,
        };
      }
      if (res.status >= 500 || RETRYABLE_4XX.has(res.status)) {
        return {
          kind: 'retry',
          error,
          retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), now()),
          url,
        };
      }
      // Any other 4xx: the endpoint refuses this message or this URL; retrying will not change that.
      return { kind: 'give-up', error, url };
    } catch (e) {
      return { kind: 'retry', error: redact(errorText(e, timeoutMs)), retryAfterMs: null, url };
    }
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
          const outcome = await attempt(row);
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

/** How a missing secret is named in last_error: the variable, never a value. */
function describeSecret(secret: string | undefined): string {
  if (!secret) return 'none configured';
  return secret.startsWith('env:') ? `environment variable ${secret.slice(4)} is unset or empty` : 'empty';
}
