import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

interface LintMessage {
  code: string;
  message: string;
  file?: string;
}
interface LintReport {
  count: number;
  summary: { errors: number; notices: number; warnings: number };
  errors: LintMessage[];
  warnings: LintMessage[];
}

/**
 * Mozilla's add-on linter on both Firefox builds (`npm test` builds them first). Errors block
 * submission to addons.mozilla.org; warnings are listed in the test output for reviewers.
 */
describe.each(['firefox-mv2', 'firefox-mv3'])('web-ext lint %s', (target) => {
  it('reports no errors', async () => {
    const dir = `.output/${target}`;
    expect(existsSync(`${dir}/manifest.json`), `${dir} is missing: run npm run build first`).toBe(true);
    // web-ext exits non-zero when there are errors; the JSON report is on stdout either way.
    const out = await run('npx', ['web-ext', 'lint', '--source-dir', dir, '--output', 'json', '--boring'], {
      maxBuffer: 16 * 1024 * 1024,
    }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
    const report = JSON.parse(out.stdout) as LintReport;
    for (const w of report.warnings) console.log(`[${target}] warning ${w.code}: ${w.file ?? ''}`);
    expect(report.errors.map((e) => `${e.code}: ${e.message}`)).toEqual([]);
  }, 120_000);
});
