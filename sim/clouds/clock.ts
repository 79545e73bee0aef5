/**
 * The simulated clouds' clock. Every fake (AWS, Azure, GCP) and the simulated consoles read time
 * from one of these, so a test can move "cloud time" forward (a session expires, a conditional
 * binding stops matching, a PIM assignment ends) without waiting and without touching the
 * broker's own clock.
 */
export class FakeClock {
  private offsetMs = 0;
  private fixed: number | null = null;

  /** Now, as the clouds see it. */
  now(): Date {
    return new Date((this.fixed ?? Date.now()) + this.offsetMs);
  }

  /** Move cloud time forward (or back, with a negative value). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** Freeze cloud time at `at` (tests that need exact instants); `null` lets it run again. */
  freeze(at: Date | null): void {
    this.fixed = at === null ? null : at.getTime() - this.offsetMs;
  }
}
