/**
 * Times, after each restart, how long the brokers take to revoke every grant that became overdue
 * while they were down (the target: within 10 s). A kill before they are all done interrupts the
 * watch (that restart is not timed) and the grants still overdue carry over to the next restart.
 */
import type { Fleet } from './fleet';

const FINISHED = new Set(['ended', 'revoked', 'failed']);
/** Give up on a restart's overdue grants after this long (they are reported as missed). */
const GIVE_UP_MS = 60_000;

export class OverdueWatch {
  private readonly ids = new Set<string>();
  private epoch = 0;
  private restartAt = 0;
  private running: Promise<void> = Promise.resolve();
  private readonly timesMs: number[] = [];
  private total = 0;
  private missed = 0;

  constructor(private readonly fleet: Fleet) {}

  get pending(): number {
    return this.ids.size;
  }

  add(ids: readonly string[]): void {
    for (const id of ids) this.ids.add(id);
    this.total += ids.length;
  }

  /** A kill: the watch under way stops without recording. */
  interrupt(): void {
    this.epoch += 1;
  }

  /** The brokers listen again: time the revocation of what is overdue now. */
  restarted(): void {
    this.restartAt = Date.now();
    const epoch = ++this.epoch;
    if (this.ids.size > 0) this.running = this.poll(epoch);
  }

  private async poll(epoch: number): Promise<void> {
    while (epoch === this.epoch) {
      for (const id of [...this.ids]) {
        const answer = await this.fleet.api('alice', 'GET', `/api/v1/grants/${id}`);
        if (answer.status === 200 && FINISHED.has((answer.json as { status: string }).status))
          this.ids.delete(id);
        if (answer.status === 404) this.ids.delete(id);
      }
      if (epoch !== this.epoch) return;
      if (this.ids.size === 0) {
        this.timesMs.push(Date.now() - this.restartAt);
        return;
      }
      if (Date.now() - this.restartAt > GIVE_UP_MS) {
        this.missed += this.ids.size;
        this.ids.clear();
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  drain(): Promise<void> {
    return this.running;
  }

  summary(): { grants: number; timesMs: number[]; missed: number } {
    return { grants: this.total, timesMs: [...this.timesMs], missed: this.missed };
  }
}
