/**
 * `bench:broker` under cloud faults: the mixed workload (half production writes left for
 * approvers, half sandbox reads approved at once, each a grant for the worker to provision) at
 * 500 requests/s against a broker whose clouds fail every call (503) or answer every call after
 * 2 s, injected through `npm run sim:clouds`. The request path should not feel it: submission
 * p99 ≤ 20 ms while provisioning fails (issue 12).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type autocannon from 'autocannon';
import type { BrokerConfig } from '../server/config/schema';
import type { FaultRule } from '../sim/clouds/standalone/faults';
import { spawnSimClouds } from '../sim/clouds/standalone/client';
import { CONNECTIONS, prepareBroker, run, startBroker, type Scenario } from './broker-load';
import { BENCH_FILE, type BenchRow } from './report';

const RATE = 500;
const DURATION_S = Number(process.env.BENCH_FAULT_SECONDS ?? 30);
const WARMUP_S = 5;

const FAULTS: readonly { id: string; what: string; rule: FaultRule }[] = [
  { id: 'failing', what: 'every cloud call fails (503)', rule: { cloud: '*', fail: { status: 503 } } },
  { id: 'slow', what: 'every cloud call answers after 2 s', rule: { cloud: '*', delayMs: 2_000 } },
];

interface Measured {
  /** Null when the run did not finish (the broker stopped answering). */
  readonly result: autocannon.Result | null;
  /** Cloud calls the worker made during the run (it kept trying). */
  readonly cloudCalls: number;
}

/**
 * `mixed`: the measured load itself files auto-approved grants the worker keeps failing on.
 * `decision`: a mixed warm-up leaves a backlog of failing grants, then the measured load files
 * production writes (policy decision, stored for approvers) while the worker retries that backlog:
 * the submission path of issue 12's target.
 */
async function measureUnder(rule: FaultRule, scenario: Scenario): Promise<Measured> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-bench-faults-'));
  const cloudConfig = path.join(tmp, 'clouds.json');
  const clouds = await spawnSimClouds(cloudConfig);
  try {
    const config = JSON.parse(fs.readFileSync(cloudConfig, 'utf8')) as BrokerConfig;
    const { env, token } = await prepareBroker(tmp, config);
    await clouds.control.addFault(rule);
    const broker = await startBroker(env);
    try {
      const url = `http://127.0.0.1:${env.PORT}`;
      await run(url, token, WARMUP_S, 'mixed', RATE);
      process.stdout.write(`  faults: warmed up under ${JSON.stringify(rule)}\n`);
      const before = Object.values((await clouds.control.operations()).operations).reduce((a, b) => a + b, 0);
      // A broker that stops answering would keep autocannon waiting: give up 30 s after the run.
      const result = await Promise.race([
        run(url, token, DURATION_S, scenario, RATE),
        new Promise<null>((r) => setTimeout(() => r(null), DURATION_S * 1000 + 30_000)),
      ]);
      const after = Object.values((await clouds.control.operations()).operations).reduce((a, b) => a + b, 0);
      return { result, cloudCalls: after - before };
    } finally {
      // A broker with thousands of grants still retrying may take long to drain: SIGKILL after 5 s.
      const exited = new Promise((resolve) => broker.once('exit', resolve));
      broker.kill('SIGTERM');
      const timer = setTimeout(() => broker.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  } finally {
    await clouds.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const errorsOf = (r: autocannon.Result) => r.non2xx + r.errors + r.timeouts;

export async function faultBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const runs = FAULTS.flatMap((fault) =>
    (['decision', 'mixed'] as const).map((scenario) => ({ fault, scenario })),
  );
  for (const { fault, scenario } of runs) {
    const { result: r, cloudCalls } = await measureUnder(fault.rule, scenario);
    const load =
      scenario === 'mixed'
        ? 'half prod writes, half sandbox reads auto-approved (each a grant the worker tries to provision)'
        : 'prod writes that policy sends to approvers, after a warm-up of mixed load that left the worker a backlog of auto-approved grants to provision';
    const method = `autocannon, ${CONNECTIONS} connections, fixed ${RATE} req/s for ${DURATION_S} s after ${WARMUP_S} s warm-up of mixed load, broker process on PGlite (fresh store) with provisioner: cloud targets on \`npm run sim:clouds\` (fault rule ${JSON.stringify(fault.rule)}); POST /api/v1/requests, ${load}; the load generator and the clouds share the machine's cores`;
    const name =
      scenario === 'mixed'
        ? `Broker: mixed submissions while ${fault.what}, p99 latency`
        : `Broker: request submission while ${fault.what}, p99 latency`;
    if (r === null) {
      process.stdout.write(`  faults (${fault.id}, ${scenario}): the run did not finish\n`);
      rows.push({
        name,
        value: `no result: the load generator still had unanswered submissions 30 s after the run (the worker made ${cloudCalls} cloud calls meanwhile)`,
        target: scenario === 'decision' ? '≤ 20 ms' : '—',
        pass: scenario === 'decision' ? false : null,
        method,
      });
      continue;
    }
    process.stdout.write(
      `  faults (${fault.id}, ${scenario}): p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${Math.round(r.requests.average)} req/s, ${cloudCalls} cloud calls\n`,
    );
    rows.push({
      name,
      value: `${r.latency.p99} ms (p50 ${r.latency.p50} ms, p90 ${r.latency.p90} ms; ${Math.round(r.requests.average)} req/s, ${r['2xx']} answered 201, ${errorsOf(r)} errors; the worker made ${cloudCalls} cloud calls meanwhile)`,
      target: scenario === 'decision' ? '≤ 20 ms' : '—',
      pass: scenario === 'decision' ? r.latency.p99 <= 20 && errorsOf(r) === 0 : null,
      method,
    });
  }
  return rows;
}

/** The Broker section's rows as docs/benchmarks.md has them, with `rows` replacing same-named ones. */
export function mergeBrokerRows(rows: readonly BenchRow[]): BenchRow[] {
  const text = fs.existsSync(BENCH_FILE) ? fs.readFileSync(BENCH_FILE, 'utf8') : '';
  const section = /<!-- bench:broker -->([\s\S]*?)<!-- \/bench:broker -->/.exec(text)?.[1] ?? '';
  const existing: BenchRow[] = [];
  for (const line of section.split('\n')) {
    const cells = /^\| (.+) \| (.+) \| (.+) \| (.+) \| (.+) \|$/.exec(line);
    if (!cells || cells[1] === 'Benchmark' || line.startsWith('|---')) continue;
    const met = cells[4]!;
    existing.push({
      name: cells[1]!,
      value: cells[2]!,
      target: cells[3]!,
      pass: met === '—' ? null : met === 'yes',
      method: cells[5]!,
    });
  }
  const fresh = new Map(rows.map((r) => [r.name, r]));
  const merged = existing.map((r) => fresh.get(r.name) ?? r);
  const missing = rows.filter((r) => !existing.some((e) => e.name === r.name));
  // New rows go after the submission rows, before the list pages.
  const at = merged.findIndex((r) => r.name.includes('one page of'));
  merged.splice(at < 0 ? merged.length : at, 0, ...missing);
  return merged;
}
