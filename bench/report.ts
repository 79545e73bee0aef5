/** One row of docs/benchmarks.md. */
export interface BenchRow {
  name: string;
  /** The measured figure, already formatted with its unit. */
  value: string;
  /** The target, formatted, or '—' when the figure is informational. */
  target: string;
  /** null when there is no target to meet. */
  pass: boolean | null;
  /** How it was measured (sample size, statistic). */
  method: string;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

export const BENCH_FILE = 'docs/benchmarks.md';

export function machineDescription(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
}

export function renderSection(
  title: string,
  rows: BenchRow[],
  meta: { date: string; machine: string },
): string {
  return [
    `## ${title}`,
    '',
    `- Date: ${meta.date}`,
    `- Machine: ${meta.machine}`,
    '',
    '| Benchmark | Result | Target | Met | Method |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.value} | ${r.target} | ${r.pass === null ? '—' : r.pass ? 'yes' : '**no**'} | ${r.method} |`,
    ),
  ].join('\n');
}

const HEADER = [
  '# Benchmarks',
  '',
  'Produced by `npm run bench` (the extension and CLI section), `npm run bench:broker` (the broker',
  'section) and `npm run bench:loop` (the whole loop in Chromium); each rewrites only its own',
  'section. Figures are from the machine and date given with them; speed and size targets are',
  'checked here, never by timed assertions in tests.',
  '',
].join('\n');

/**
 * Replaces (or appends) the section `id` of docs/benchmarks.md, leaving the others as they are:
 * the benchmarks run separately (the broker's needs a quiet machine of its own).
 */
export function writeBenchSection(id: string, title: string, rows: BenchRow[], machine: string): void {
  const begin = `<!-- bench:${id} -->`;
  const end = `<!-- /bench:${id} -->`;
  const block = `${begin}\n${renderSection(title, rows, { date: new Date().toISOString().slice(0, 10), machine })}\n${end}`;
  const current = existsSync(BENCH_FILE) ? readFileSync(BENCH_FILE, 'utf8') : '';
  const sections = new Map<string, string>();
  for (const m of current.matchAll(/<!-- bench:([\w-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g))
    sections.set(m[1]!, m[0]);
  sections.set(id, block);
  writeFileSync(BENCH_FILE, `${HEADER}\n${[...sections.values()].join('\n\n')}\n`);
}
