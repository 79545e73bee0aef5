/**
 * The load pieces `npm run bench:broker` shares between its scenarios: the broker as a child
 * process, the request bodies, and autocannon at a fixed rate against POST /api/v1/requests.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';

// Eight clients: with many more, autocannon paces them in lockstep (bursts of one request per
// connection at once), which measures its burst size rather than the broker.
export const CONNECTIONS = 8;
const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'bin/unblock-server.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A broker set up in `dir` for a load run: `config` with the rate limit lifted, a fresh PGlite
 * store, a free port, and an API token for alice. Returns the environment `startBroker` takes.
 */
export async function prepareBroker(
  dir: string,
  config: object,
): Promise<{ readonly env: NodeJS.ProcessEnv; readonly token: string }> {
  const configFile = path.join(dir, 'broker.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({ ...config, rateLimit: { perMinute: 1_000_000, burst: 100_000 } }),
  );
  const env = {
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    UNBLOCK_DATA_DIR: path.join(dir, 'store'),
    UNBLOCK_CONFIG: configFile,
  };
  const token = execFileSync(process.execPath, [CLI, 'token', 'create', '--user', 'alice', '--ttl', '1h'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  }).trim();
  return { env, token };
}

export function startBroker(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'start'], { env: { ...process.env, ...env }, stdio: 'pipe' });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolve(child);
    });
    child.stderr.pipe(process.stderr);
    child.on('exit', (code) => reject(new Error(`broker exited (${code}) before listening`)));
  });
}

const requestBody = (account: string, action: string, i: number) =>
  JSON.stringify({
    target: { cloud: 'aws', account },
    actions: [action],
    resource: `arn:aws:s3:::bench-${i}/*`,
    durationMinutes: 60,
    justification: 'benchmark load',
    denial: { excerpt: `not authorized to perform: ${action}`, denyKind: 'implicit', encodedMessage: null },
    pageUrl: 'https://console.aws.amazon.com/',
  });

export type Scenario = 'decision' | 'mixed';

export function run(
  url: string,
  token: string,
  seconds: number,
  scenario: Scenario,
  rate: number,
): Promise<autocannon.Result> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  let i = 0;
  return autocannon({
    url: `${url}/api/v1/requests`,
    connections: CONNECTIONS,
    overallRate: rate,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers,
        setupRequest: (req) => {
          i += 1;
          return {
            ...req,
            body:
              scenario === 'mixed' && i % 2
                ? requestBody('111111111111', 's3:GetObject', i)
                : requestBody('222222222222', 'ec2:StopInstances', i),
          };
        },
      },
    ],
  });
}
