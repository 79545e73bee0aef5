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

export function renderMarkdown(rows: BenchRow[], meta: { date: string; machine: string }): string {
  const lines = [
    '# Benchmarks',
    '',
    'Produced by `npm run bench` (which rewrites this file). Figures are from the machine and date below;',
    'speed and size targets are checked here, never by timed assertions in tests.',
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
    '',
  ];
  return lines.join('\n');
}
