import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { BenchRow } from './report';

/** Size of what every console page loads: the always-injected content script (gzip -9). */
export function contentScriptSize(outDir = '.output/chrome-mv3'): BenchRow[] {
  const manifest = JSON.parse(readFileSync(`${outDir}/manifest.json`, 'utf8')) as {
    content_scripts?: { js?: string[]; css?: string[] }[];
  };
  const files = (manifest.content_scripts ?? []).flatMap((c) => [...(c.js ?? []), ...(c.css ?? [])]);
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const buf = readFileSync(`${outDir}/${f}`);
    raw += buf.length;
    gz += gzipSync(buf, { level: 9 }).length;
  }
  const rows: BenchRow[] = [
    {
      name: 'Always-injected content script (gzip)',
      value: `${(gz / 1024).toFixed(2)} kB (${(raw / 1024).toFixed(1)} kB raw)`,
      target: '≤ 12 kB',
      pass: gz <= 12 * 1024,
      method: `gzip -9 of ${files.join(', ')} in chrome-mv3`,
    },
  ];
  try {
    const lazy = readFileSync(`${outDir}/banner.js`);
    rows.push({
      name: 'Lazy banner chunk, loaded only when a denial is found (gzip)',
      value: `${(gzipSync(lazy, { level: 9 }).length / 1024).toFixed(2)} kB (${(lazy.length / 1024).toFixed(1)} kB raw)`,
      target: '—',
      pass: null,
      method: 'gzip -9 of banner.js',
    });
  } catch {
    // No lazy chunk in this build: nothing to report.
  }
  return rows;
}
