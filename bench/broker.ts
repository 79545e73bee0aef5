/**
 * `npm run bench:broker`: request submission with a policy decision against a running broker on
 * the embedded store (PGlite), at a fixed 500 requests/s, and the latency percentiles the
 * issue's target is about (p99 ≤ 20 ms). Writes its section of docs/benchmarks.md.
 *
 * The broker runs as its own process (`unblock-server start`, as deployed), with the demo
 * configuration plus a rate limit high enough for the load. Half the requests are reads on the
 * dev sandbox (auto-approved: policy, request, grant and audit rows, then the worker provisions
 * into the simulated cloud), half are writes on production (policy decides "needs approval").
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { demoConfig } from '../server/config/demo';
import { type BenchRow, machineDescription, writeBenchSection } from './report';

const RATE = 500;
const DURATION_S = 30;
const WARMUP_S = 5;
const CONNECTIONS = 32;
const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'bin/unblock-server.js');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function startBroker(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
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

function run(url: string, token: string, seconds: number): Promise<autocannon.Result> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  let i = 0;
  return autocannon({
    url: `${url}/api/v1/requests`,
    connections: CONNECTIONS,
    overallRate: RATE,
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
              i % 2
                ? requestBody('111111111111', 's3:GetObject', i)
                : requestBody('222222222222', 'ec2:StopInstances', i),
          };
        },
      },
    ],
  });
}

export async function brokerBench(): Promise<BenchRow[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-bench-'));
  const config = { ...(await demoConfig()), rateLimit: { perMinute: 1_000_000, burst: 100_000 } };
  const configFile = path.join(tmp, 'broker.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  const port = await freePort();
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    UNBLOCK_DATA_DIR: path.join(tmp, 'store'),
    UNBLOCK_CONFIG: configFile,
  };
  const token = execFileSync(process.execPath, [CLI, 'token', 'create', '--user', 'alice', '--ttl', '1h'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  }).trim();
  const broker = await startBroker(env);
  try {
    const url = `http://127.0.0.1:${port}`;
    await run(url, token, WARMUP_S);
    const r = await run(url, token, DURATION_S);
    const ok = r['2xx'];
    const errors = r.non2xx + r.errors + r.timeouts;
    const method = `autocannon, ${CONNECTIONS} connections, fixed ${RATE} req/s for ${DURATION_S} s after ${WARMUP_S} s warm-up; POST /api/v1/requests, half auto-approved sandbox reads, half prod writes needing approval; broker process on PGlite, worker provisioning into the sim cloud`;
    return [
      {
        name: 'Broker: request submission with policy decision, p99 latency',
        value: `${r.latency.p99} ms`,
        target: '≤ 20 ms',
        pass: r.latency.p99 <= 20 && errors === 0,
        method,
      },
      {
        name: 'Broker: request submission, p50 latency',
        value: `${r.latency.p50} ms (p90 ${r.latency.p90} ms, max ${r.latency.max} ms)`,
        target: '—',
        pass: null,
        method,
      },
      {
        name: 'Broker: throughput achieved',
        value: `${Math.round(r.requests.average)} req/s (${ok} answered 201, ${errors} errors)`,
        target: `${RATE} req/s, no errors`,
        pass: errors === 0 && r.requests.average >= RATE * 0.95,
        method,
      },
    ];
  } finally {
    broker.kill('SIGTERM');
    await new Promise((resolve) => broker.once('exit', resolve));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await brokerBench();
  for (const row of rows) process.stdout.write(`  ${row.name}: ${row.value}\n`);
  writeBenchSection('broker', 'Broker', rows, machineDescription());
  process.stdout.write('bench:broker: wrote docs/benchmarks.md (Broker section)\n');
}
