/**
 * For scripts and tests that use `npm run sim:clouds` from another process: start it as a child
 * process (`spawnSimClouds`) and talk to its control API (`SimCloudsControl`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { FaultRule } from './faults';
import type { CloudsState } from './state';

const ROOT = path.resolve(import.meta.dirname, '../../..');

export class SimCloudsControl {
  constructor(readonly url: string) {}

  private async call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`sim:clouds ${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  state(): Promise<CloudsState> {
    return this.call('GET', '/v1/state');
  }
  async addFault(rule: FaultRule): Promise<number> {
    return (await this.call<{ id: number }>('POST', '/v1/faults', rule)).id;
  }
  async clearFaults(): Promise<number> {
    return (await this.call<{ cleared: number }>('DELETE', '/v1/faults')).cleared;
  }
  operations(): Promise<{ operations: Record<string, number> }> {
    return this.call('GET', '/v1/operations');
  }
  async advanceClock(ms: number): Promise<Date> {
    return new Date((await this.call<{ now: string }>('POST', '/v1/clock', { advanceMs: ms })).now);
  }
  async now(): Promise<Date> {
    return new Date((await this.call<{ now: string }>('GET', '/v1/clock')).now);
  }
}

export interface SimCloudsProcess {
  readonly child: ChildProcess;
  readonly control: SimCloudsControl;
  /** `UNBLOCK_SIM_URL` for `provisioner: sim` targets. */
  readonly simUrl: string;
  stop(): Promise<void>;
}

/** Starts `sim/clouds/server.ts` (via tsx), writing its broker config to `configOut`. */
export function spawnSimClouds(
  configOut: string,
  extraArgs: readonly string[] = [],
): Promise<SimCloudsProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'sim/clouds/server.ts'),
        '--quiet',
        '--config-out',
        configOut,
        ...extraArgs,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^sim:clouds ready (\{.*\})$/m.exec(out);
      if (!m) return;
      const ready = JSON.parse(m[1]!) as { control: string; sim: string };
      resolve({
        child,
        control: new SimCloudsControl(ready.control),
        simUrl: ready.sim,
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.on('exit', (code) => reject(new Error(`sim:clouds exited (${code}) before it was ready: ${err}`)));
  });
}
