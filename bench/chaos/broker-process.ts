/**
 * The broker as a child process (`node bin/unblock-server.js start`, as deployed): start it, wait
 * until it listens, SIGKILL it; create API tokens through its CLI; call its API as a user. Used by
 * `npm run chaos` and by the test of `npm run sim:clouds`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'bin/unblock-server.js');

/** Runs an `unblock-server` command to completion; resolves with its trimmed stdout. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}: ${err}`)),
    );
  });
}

export interface BrokerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** The broker's stderr so far (for a failure message). */
  stderr(): string;
  kill(): Promise<void>;
}

/** Starts `unblock-server start` on `port` and resolves once it listens. */
export function startBrokerProcess(port: number, env: NodeJS.ProcessEnv): Promise<BrokerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'start'], {
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
      cwd: ROOT,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) {
        resolve({
          child,
          url: `http://127.0.0.1:${port}`,
          stderr: () => err,
          kill: async () => {
            if (child.exitCode !== null || child.signalCode !== null) return;
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGKILL');
            await exited;
          },
        });
      }
    });
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
    child.on('exit', (code) => reject(new Error(`broker exited (${code}) before listening: ${err}`)));
  });
}

export interface ApiAnswer {
  readonly status: number;
  readonly json: unknown;
}

/** One API call with a bearer token; a connection refused or reset answers status 0. */
export async function callApi(
  url: string,
  token: string,
  method: string,
  route: string,
  payload?: unknown,
): Promise<ApiAnswer> {
  try {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, json: (await res.json()) as unknown };
  } catch {
    return { status: 0, json: null };
  }
}
