/**
 * Failed-sign-in throttling, in memory: after `limit` failures within `windowMs` a key (a user name,
 * a client address) is refused until the window that started with its first failure ends. Per user
 * name it stops guessing one account's password from many addresses; per address it stops one
 * source from spraying many accounts. In memory is enough for one replica; several replicas each
 * allow `limit`, which still bounds guessing.
 */
export class FailureThrottle {
  private readonly entries = new Map<string, { count: number; windowStart: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    /** Bounds memory when someone sprays random user names. */
    private readonly maxKeys = 10_000,
  ) {}

  /** Milliseconds until `key` may try again; 0 when it may now. */
  retryAfterMs(key: string, now: number): number {
    const e = this.entries.get(key);
    if (!e || now - e.windowStart >= this.windowMs) return 0;
    return e.count >= this.limit ? e.windowStart + this.windowMs - now : 0;
  }

  fail(key: string, now: number): void {
    const e = this.entries.get(key);
    if (e && now - e.windowStart < this.windowMs) {
      e.count++;
      return;
    }
    this.entries.delete(key);
    if (this.entries.size >= this.maxKeys) this.prune(now);
    this.entries.set(key, { count: 1, windowStart: now });
  }

  /** A correct password clears the user name's count (never the address's: see the file comment). */
  clear(key: string): void {
    this.entries.delete(key);
  }

  private prune(now: number): void {
    for (const [key, e] of this.entries) {
      if (now - e.windowStart >= this.windowMs) this.entries.delete(key);
    }
    // Still full: drop the oldest windows (Map iterates in insertion order).
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.maxKeys) break;
      this.entries.delete(key);
    }
  }
}
