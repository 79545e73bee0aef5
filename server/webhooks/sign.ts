/**
 * HMAC signatures of JSON webhook deliveries, and their verification (for receivers, and the
 * tests that act as one). The signed string is `timestamp + "." + body`: binding the timestamp
 * into the MAC lets a receiver refuse replays of an old delivery, which a body-only MAC would
 * not. README.md in this directory has the receiver's recipe.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_PREFIX = 'sha256=';

/** How far a delivery's timestamp may be from the receiver's clock (either way) by default. */
export const DEFAULT_TOLERANCE_SEC = 300;

/** `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`, the `X-Unblock-Signature` value. */
export function signBody(secret: string, timestamp: number | string, body: string): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * True when `header` is the signature of `timestamp.body` under `secret` and the timestamp (unix
 * seconds) is within `toleranceSec` of `now`. Compares in constant time, so a forger cannot learn
 * the signature a byte at a time from response timings.
 */
export function verifySignature(
  secret: string,
  timestamp: string | number,
  body: string,
  header: string,
  now: Date | number,
  toleranceSec: number = DEFAULT_TOLERANCE_SEC,
): boolean {
  const ts =
    typeof timestamp === 'number' ? timestamp : /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : NaN;
  if (!Number.isSafeInteger(ts)) return false;
  const nowSec = Math.floor((typeof now === 'number' ? now : now.getTime()) / 1000);
  if (Math.abs(nowSec - ts) > toleranceSec) return false;
  // Sign the timestamp exactly as received: it is what the sender signed.
  const expected = Buffer.from(signBody(secret, timestamp, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The secret a webhook's config names: the value itself, or `env:NAME` for `process.env.NAME`.
 * Null when it is missing (no secret configured, or the variable unset or empty).
 */
export function resolveSecret(
  secret: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  if (!secret) return null;
  if (secret.startsWith('env:')) {
    const value = env[secret.slice(4)];
    return value ? value : null;
  }
  return secret;
}
