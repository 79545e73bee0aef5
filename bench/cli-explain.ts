/**
 * CLI start-up benchmark: `node bin/unblock.js explain --json <100 kB log>`, end to end.
 *
 * Generates a ~100 kB CI-style log with one AWS denial in the middle, runs the CLI once to warm
 * the launcher's bundle cache, then times 10 runs and prints one markdown table row:
 *   | benchmark | runs | median | min | max | denial found |
 * Target (issue): under 300 ms. Run with `npx tsx bench/cli-explain.ts`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'unblock.js');
const RUNS = 10;
const TARGET_BYTES = 100 * 1024;

const DENIAL =
  'Error: reading Lambda Function (my-fn): operation error Lambda: GetFunction, https response error StatusCode: 403, RequestID: 00000000-0000-4000-8000-000000000000, api error AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/Developer/alice is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:my-fn because no identity-based policy allows the lambda:GetFunction action';

/** A deterministic CI log of about `bytes` bytes with `needle` in the middle. */
function makeLog(bytes: number, needle: string): string {
  const lines: string[] = [];
  let size = 0;
  let i = 0;
  const half = bytes / 2;
  let placed = false;
  while (size < bytes) {
    const n = i++;
    const line =
      n % 7 === 0
        ? `2026-01-01T00:${String(n % 60).padStart(2, '0')}:00Z module.app.aws_s3_object.asset[${n}]: Refreshing state... [id=assets/build-${n}.js]`
        : n % 5 === 0
          ? `  # aws_lambda_function.worker_${n} will be updated in-place`
          : `2026-01-01T00:00:${String(n % 60).padStart(2, '0')}Z [INFO]  provider.terraform-provider-aws: HTTP Request Sent: http.method=POST rpc.service=STS tf_req_id=${n.toString(16).padStart(8, '0')}`;
    lines.push(line);
    size += line.length + 1;
    if (!placed && size >= half) {
      lines.push('', needle, '');
      size += needle.length + 3;
      placed = true;
    }
  }
  return `${lines.join('\n')}\n`;
}

function runOnce(file: string): { ms: number; stdout: string; status: number | null } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, 'explain', '--json', file], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, stdout: r.stdout, status: r.status };
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'unblock-bench-'));
  try {
    const file = join(dir, 'big.log');
    const log = makeLog(TARGET_BYTES, DENIAL);
    writeFileSync(file, log);
    const warm = runOnce(file); // builds the launcher's bundle cache if needed
    if (warm.status !== 0) throw new Error(`unblock exited ${warm.status}`);
    const times: number[] = [];
    let found = false;
    for (let i = 0; i < RUNS; i++) {
      const r = runOnce(file);
      times.push(r.ms);
      found = (JSON.parse(r.stdout) as { isDenial: boolean }).isDenial;
    }
    times.sort((a, b) => a - b);
    const median = (times[RUNS / 2 - 1]! + times[RUNS / 2]!) / 2;
    const kb = Math.round(Buffer.byteLength(log) / 1024);
    const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;
    console.log(
      `| unblock explain --json (${kb} kB log) | ${RUNS} | ${fmt(median)} | ${fmt(times[0]!)} | ${fmt(times[RUNS - 1]!)} | ${found ? 'yes' : 'no'} |`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
