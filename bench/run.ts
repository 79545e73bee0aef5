/**
 * `npm run bench`: measures the speed and size targets and rewrites docs/benchmarks.md.
 * Builds the Chrome extension first so the figures describe the current source.
 */
import { execFileSync } from 'node:child_process';
import { browserMetrics } from './browser-metrics';
import { contentScriptSize } from './content-size';
import { corpusFigures } from './corpus';
import { parserThroughput } from './parser-throughput';
import { machineDescription, writeBenchSection, type BenchRow } from './report';

execFileSync('npx', ['wxt', 'build'], { stdio: 'inherit' });

const rows: BenchRow[] = [];
const step = async (name: string, fn: () => BenchRow[] | Promise<BenchRow[]>) => {
  process.stdout.write(`bench: ${name}…\n`);
  const r = await fn();
  for (const row of r) process.stdout.write(`  ${row.name}: ${row.value}\n`);
  rows.push(...r);
};

await step('content script size', () => contentScriptSize());
await step('parser throughput', () => parserThroughput());
await step('denial corpus per kind', () => corpusFigures());
await step('CLI', () => {
  const out = execFileSync('npx', ['tsx', 'bench/cli-explain.ts', '--json'], { encoding: 'utf8' });
  return JSON.parse(out) as BenchRow[];
});
await step('browser', () => browserMetrics());

writeBenchSection('extension', 'Extension and CLI', rows, machineDescription());
process.stdout.write('bench: wrote docs/benchmarks.md (Extension and CLI section)\n');
const missed = rows.filter((r) => r.pass === false);
if (missed.length) process.stdout.write(`bench: targets missed: ${missed.map((r) => r.name).join('; ')}\n`);
