/**
 * One delivery attempt: a POST of the stored body to the webhook's URL as configured now, signed
 * for `json` webhooks, and what came of it (delivered, retry later, give up). No database access:
 * the worker (worker.ts) claims the row before and records the outcome after.
 */
import type { WebhookConfig } from '../config/schema';
import type { ClaimedDelivery } from '../store/webhook-outbox';
import { resolveSecret, signBody } from './sign';

/** How much of a failed response's body `last_error` keeps. */
const ERROR_BODY_CHARS = 200;

/** What an attempt needs from the worker's options. */
export interface AttemptContext {
  /** The configured webhooks by name. */
  readonly hooks: ReadonlyMap<string, WebhookConfig>;
  readonly fetch: typeof globalThis.fetch;
  readonly now: () => Date;
  readonly timeoutMs: number;
  /** Where `env:NAME` secrets are read from. */
  readonly env: NodeJS.ProcessEnv;
}

/** What one attempt came to; `url` is the address tried, when the attempt got as far as sending. */
export type Outcome =
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

export function oneLine(text: string): string {
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

/** One POST. Never throws: every failure becomes an outcome. */
export async function attemptDelivery(ctx: AttemptContext, row: ClaimedDelivery): Promise<Outcome> {
  const { env, timeoutMs } = ctx;
  const hook = ctx.hooks.get(row.webhook);
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
    const timestamp = Math.floor(ctx.now().getTime() / 1000);
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
    const res = await ctx.fetch(url, {
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
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), ctx.now()),
        url,
      };
    }
    // Any other 4xx: the endpoint refuses this message or this URL; retrying will not change that.
    return { kind: 'give-up', error, url };
  } catch (e) {
    return { kind: 'retry', error: redact(errorText(e, timeoutMs)), retryAfterMs: null, url };
  }
}

/** How a missing secret is named in last_error: the variable, never a value. */
function describeSecret(secret: string | undefined): string {
  if (!secret) return 'none configured';
  return secret.startsWith('env:') ? `environment variable ${secret.slice(4)} is unset or empty` : 'empty';
}
