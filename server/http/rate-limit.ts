/**
 * Per-key token buckets (a key is a user, or an address for unauthenticated attempts): `burst`
 * requests at once, refilled at `perMinute`. In memory, per replica: with N replicas behind a
 * load balancer a user gets up to N× the limit, which is fine for its purpose (stopping a runaway
 * script or token guessing, not metering).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    perMinute: number,
    private readonly burst: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    const t = this.now().getTime();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    // A clock that steps back (an NTP correction) must not drain the bucket: no negative refill.
    bucket.tokens = Math.min(this.burst, bucket.tokens + Math.max(0, t - bucket.at) * this.perMs);
    bucket.at = t;
    if (this.buckets.size > 50_000) this.prune(t);
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Forget full buckets, so the map does not grow with every address ever seen. */
  private prune(t: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + Math.max(0, t - b.at) * this.perMs >= this.burst) this.buckets.delete(key);
    }
  }
}
