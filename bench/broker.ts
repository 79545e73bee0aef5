/**
 * `npm run bench:broker`: request submission with a policy decision against a running broker on
 * the embedded store (PGlite), at a fixed 500 requests/s, and the latency percentiles the
 * issue's target is about (p99 ≤ 20 ms). Writes its section of docs/benchmarks.md.
 *
 * The broker runs as its own process (`unblock-server start`, as deployed), with the demo
 * configuration plus a rate limit high enough for the load, on a fresh store per scenario:
 * - "decision": writes on production, which policy sends to approvers — the submission path
 *   itself (validation, Cedar decision, request row, audit and event rows in one transaction);
 * - "mixed": half of those, half reads on the dev sandbox that policy approves at once, so each
 *   of those also issues a grant that the worker provisions into the simulated cloud (several
 *   more transactions and a cloud call per request, in the same single-threaded store).
 * Then one page of the approver's queue, the requester's own list and the grants list as the
 * store grows to a million items of history (broker-lists.ts; `BENCH_LIST_SCALES` narrows it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type autocannon from 'autocannon';
import { demoConfig } from '../server/config/demo';
import { faultBench, mergeBrokerRows } from './broker-faults';
import { CONNECTIONS, prepareBroker, run, startBroker, type Scenario } from './broker-load';
import { listBench } from './broker-lists';
import { type BenchRow, machineDescription, writeBenchSection } from './report';

const RATE = 500;
const DURATION_S = 30;
const WARMUP_S = 5;

async function measure(scenario: Scenario, rate = RATE): Promise<autocannon.Result> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-bench-'));
  const { env, token } = await prepareBroker(tmp, await demoConfig());
  const broker = await startBroker(env);
  try {
    const url = `http://127.0.0.1:${env.PORT}`;
    await run(url, token, WARMUP_S, scenario, rate);
    return await run(url, token, DURATION_S, scenario, rate);
  } finally {
    broker.kill('SIGTERM');
    await new Promise((resolve) => broker.once('exit', resolve));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const errorsOf = (r: autocannon.Result) => r.non2xx + r.errors + r.timeouts;

export async function brokerBench(): Promise<BenchRow[]> {
  const base = `autocannon, ${CONNECTIONS} connections, fixed ${RATE} req/s for ${DURATION_S} s after ${WARMUP_S} s warm-up, broker process on PGlite (fresh store); the load generator shares the machine's cores`;
  const decision = await measure('decision');
  const mixed = await measure('mixed');
  // Where the embedded store still has headroom: the same submissions at half the rate.
  const half = await measure('decision', RATE / 2);
  const lists = await listBench((line) => process.stdout.write(`  ${line}\n`));
  const faults = await faultBench();
  const decisionMethod = `${base}; POST /api/v1/requests, prod writes that policy sends to approvers`;
  const mixedMethod = `${base}; POST /api/v1/requests, half prod writes, half sandbox reads auto-approved (each issues a grant the worker provisions into the sim cloud)`;
  const throughput = (r: autocannon.Result) =>
    `${Math.round(r.requests.average)} req/s (${r['2xx']} answered 201, ${errorsOf(r)} errors)`;
  return [
    {
      name: 'Broker: request submission with policy decision, p99 latency',
      value: `${decision.latency.p99} ms (p50 ${decision.latency.p50} ms, p90 ${decision.latency.p90} ms)`,
      target: '≤ 20 ms',
      pass: decision.latency.p99 <= 20 && errorsOf(decision) === 0,
      method: decisionMethod,
    },
    {
      name: 'Broker: request submission with policy decision, throughput',
      value: throughput(decision),
      target: `${RATE} req/s served (≥ 98 %), no errors`,
      pass: errorsOf(decision) === 0 && decision.requests.average >= RATE * 0.98,
      method: decisionMethod,
    },
    {
      name: `Broker: request submission with policy decision at ${RATE / 2} req/s, p99 latency`,
      value: `${half.latency.p99} ms (p50 ${half.latency.p50} ms, ${throughput(half)})`,
      target: '—',
      pass: null,
      method: decisionMethod.replace(`fixed ${RATE} req/s`, `fixed ${RATE / 2} req/s`),
    },
    {
      name: 'Broker: mixed submissions incl. auto-approval and provisioning, p99 latency',
      value: `${mixed.latency.p99} ms (p50 ${mixed.latency.p50} ms, p90 ${mixed.latency.p90} ms)`,
      target: '—',
      pass: null,
      method: mixedMethod,
    },
    {
      name: 'Broker: mixed submissions, throughput',
      value: throughput(mixed),
      target: '—',
      pass: null,
      method: mixedMethod,
    },
    ...faults,
    ...lists,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // BENCH_BROKER_ONLY=faults: only the rows under injected cloud faults, the others kept as they are.
  const rows =
    process.env.BENCH_BROKER_ONLY === 'faults' ? mergeBrokerRows(await faultBench()) : await brokerBench();
  for (const row of rows) process.stdout.write(`  ${row.name}: ${row.value}\n`);
  writeBenchSection('broker', 'Broker', rows, machineDescription());
  process.stdout.write('bench:broker: wrote docs/benchmarks.md (Broker section)\n');
  // A run given up on (a broker that stopped answering) leaves autocannon's sockets open.
  process.exit(0);
}
