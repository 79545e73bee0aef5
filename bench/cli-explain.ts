/**
 * CLI start-up benchmark: `node bin/unblock.js explain --json <100 kB log>`, end to end
 * (process start to exit), on a ~100 kB CI-style log with one AWS denial in the middle.
 *
 * - warm: median of 10 runs with the launcher's bundle cache in place (the normal case);
 *   target under 300 ms (the issue).
 * - cold: one run with an empty cache (first run after `npm install` or after a source edit).
 * - node: bare `node -e ""` start-ups interleaved with the warm runs, the floor on this machine.
 * - npx: median of 3 runs of `npx --no-install unblock …` — informational: npm's own start-up
 *   (hundreds of ms to seconds) dominates it and is outside the CLI's control.
 *
 * `npx tsx bench/cli-explain.ts` prints the warm figure as one markdown table row;
 * `--json` prints all rows as `BenchRow[]` for `npm run bench` (bench/run.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './report';
import type { BenchRow } from './report';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'unblock.js');
const RUNS = 10;
const NPX_RUNS = 3;
const TARGET_MS = 300;
const LOG_BYTES = 100 * 1024;

const DENIAL =
  'Error: reading Lambda Function (my-fn): operation error Lambda: GetFunction, https response error StatusCode: 403, RequestID: 00000000-0000-4000-8000-000000000000, api error AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/Developer/alice is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:my-fn because no identity-based policy allows the lambda:GetFunction action';

/** A deterministic Terraform-style log of about `bytes` bytes with `needle` in the middle. */
function makeLog(bytes: number, needle: string): string {
  const lines: string[] = [];
  let size = 0;
  let placed = false;
  for (let n = 0; size < bytes; n++) {
    const line =
      n % 7 === 0
        ? `2026-01-01T00:${String(n % 60).padStart(2, '0')}:00Z module.app.aws_s3_object.asset[${n}]: Refreshing state... [id=assets/build-${n}.js]`
        : n % 5 === 0
          ? `  # aws_lambda_function.worker_${n} will be updated in-place`
          : `2026-01-01T00:00:${String(n % 60).padStart(2, '0')}Z [INFO]  provider.terraform-provider-aws: HTTP Request Sent: http.method=POST rpc.service=STS tf_req_id=${n.toString(16).padStart(8, '0')}`;
    lines.push(line);
    size += line.length + 1;
    if (!placed && size >= bytes / 2) {
      lines.push('', needle, '');
      size += needle.length + 3;
      placed = true;
    }
  }
  return `${lines.join('\n')}\n`;
}

interface Run {
  ms: number;
  isDenial: boolean;
}

function timeRun(cmd: string, args: string[], env: NodeJS.ProcessEnv): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, cwd: ROOT });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, isDenial: (JSON.parse(r.stdout) as { isDenial: boolean }).isDenial };
}

function measure(): { rows: BenchRow[]; warmMedian: number; found: boolean } {
  const dir = mkdtempSync(join(tmpdir(), 'unblock-bench-'));
  try {
    const file = join(dir, 'big.log');
    const log = makeLog(LOG_BYTES, DENIAL);
    writeFileSync(file, log);
    const kb = Math.round(Buffer.byteLength(log) / 1024);
    const args = [BIN, 'explain', '--json', file];
    // Cold: a private, empty cache directory, so the shared cache is left alone.
    const coldEnv = { ...process.env, UNBLOCK_CACHE_DIR: join(dir, 'cache') };
    const cold = timeRun(process.execPath, args, coldEnv);

    const env = { ...process.env };
    delete env.UNBLOCK_CACHE_DIR;
    timeRun(process.execPath, args, env); // make sure the shared cache is fresh
    // Interleave with bare Node start-ups, so a busy machine shows up in both figures alike.
    const warm: Run[] = [];
    const bare: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      warm.push(timeRun(process.execPath, args, env));
      const t0 = process.hrtime.bigint();
      spawnSync(process.execPath, ['-e', ''], { env });
      bare.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const warmMedian = median(warm.map((r) => r.ms));
    const found = warm.every((r) => r.isDenial) && cold.isDenial;

    const npxArgs = ['--no-install', 'unblock', 'explain', '--json', file];
    let npx: number | null = null;
    try {
      npx = median(Array.from({ length: NPX_RUNS }, () => timeRun('npx', npxArgs, env).ms));
    } catch {
      npx = null; // npx unavailable or the bin not resolvable: leave the row out
    }

    const rows: BenchRow[] = [
      {
        name: `CLI \`unblock explain --json\`, ${kb} kB log (warm)`,
        value: `${warmMedian.toFixed(0)} ms`,
        target: `< ${TARGET_MS} ms`,
        pass: warmMedian < TARGET_MS && found,
        method: `median of ${RUNS} runs of \`node bin/unblock.js explain --json\`, process start to exit, launcher cache built${found ? '' : '; **denial not found**'}`,
      },
      {
        name: `CLI \`unblock explain --json\`, ${kb} kB log (cold)`,
        value: `${cold.ms.toFixed(0)} ms`,
        target: '—',
        pass: null,
        method:
          '1 run with an empty launcher cache (first run after install or a source edit: esbuild bundles the CLI)',
      },
      {
        name: 'Node.js start-up alone (`node -e ""`), for reference',
        value: `${median(bare).toFixed(0)} ms`,
        target: '—',
        pass: null,
        method: `median of ${RUNS} runs, interleaved with the warm runs above: the floor under any Node CLI on this machine`,
      },
    ];
    if (npx !== null) {
      rows.push({
        name: `\`npx unblock explain --json\`, ${kb} kB log`,
        value: `${npx.toFixed(0)} ms`,
        target: '—',
        pass: null,
        method: `median of ${NPX_RUNS} runs; includes npm's own start-up, outside the CLI's control`,
      });
    }
    return { rows, warmMedian, found };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { rows, warmMedian, found } = measure();
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(rows));
} else {
  const row = rows[0]!;
  console.log(
    `| ${row.name} | ${warmMedian.toFixed(0)} ms | ${row.target} | ${row.pass ? 'yes' : '**no**'} | ${row.method} |`,
  );
  if (!found) console.error('bench: the CLI did not find the denial in the log');
}
