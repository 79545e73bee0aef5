/**
 * The broker replicas of a chaos run: each a child process on its own port over the same store;
 * killed with SIGKILL and restarted by the run. API calls go to a replica that is up.
 */
import { freePort } from '../broker-load';
import { callApi, startBrokerProcess, type ApiAnswer, type BrokerProcess } from './broker-process';

export class Fleet {
  private readonly running = new Map<number, BrokerProcess>();
  private ports: number[] = [];

  constructor(
    private readonly replicas: number,
    private readonly env: (replica: number) => NodeJS.ProcessEnv,
    private readonly tokens: Readonly<Record<'alice' | 'bob', string>>,
    private readonly random: () => number,
  ) {}

  /** Starts every replica that is down; resolves when all listen. */
  async startAll(): Promise<void> {
    if (this.ports.length === 0)
      this.ports = await Promise.all(Array.from({ length: this.replicas }, () => freePort()));
    await Promise.all(
      this.ports.map(async (port, i) => {
        if (!this.running.has(i)) this.running.set(i, await startBrokerProcess(port, this.env(i)));
      }),
    );
  }

  /** SIGKILLs `which` replicas (all when omitted); returns how many were killed. */
  async kill(which?: readonly number[]): Promise<number> {
    const targets = which ?? [...this.running.keys()];
    await Promise.all(targets.map((i) => this.running.get(i)?.kill() ?? Promise.resolve()));
    for (const i of targets) this.running.delete(i);
    return targets.length;
  }

  /** Replicas to kill at one moment: on several replicas, one of them or (one time in three) all. */
  victims(): number[] {
    const up = [...this.running.keys()];
    if (up.length <= 1 || this.random() < 1 / 3) return up;
    return [up[Math.floor(this.random() * up.length)]!];
  }

  get allDown(): boolean {
    return this.running.size === 0;
  }

  /** One API call to a replica that is up (status 0 when none is, or it died meanwhile). */
  api = (user: 'alice' | 'bob', method: string, route: string, payload?: unknown): Promise<ApiAnswer> => {
    const up = [...this.running.values()];
    const broker = up[Math.floor(this.random() * up.length)];
    if (!broker) return Promise.resolve({ status: 0, json: null });
    return callApi(broker.url, this.tokens[user], method, route, payload);
  };

  stderr(): string {
    return [...this.running.values()].map((b) => b.stderr().slice(-2000)).join('\n');
  }
}
