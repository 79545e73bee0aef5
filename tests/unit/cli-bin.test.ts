/**
 * The real command: spawns `node bin/unblock.js` (the launcher compiles cli/ on first use).
 * No timing assertions here; start-up time is measured by bench/cli-explain.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ExplainResult } from '../../lib/contract/denial';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/unblock.js');
const dir = mkdtempSync(join(tmpdir(), 'unblock-cli-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function unblock(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, [BIN, ...args], { input: input ?? '', encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SENTENCE =
  'User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:ListBucket on resource: "arn:aws:s3:::my-bucket" because no identity-based policy allows the s3:ListBucket action';

describe('bin/unblock.js', { timeout: 60_000 }, () => {
  it('--json on a file with a denial prints exactly one JSON object', () => {
    const file = join(dir, 'denied.log');
    writeFileSync(file, `$ aws s3 ls s3://my-bucket\n${SENTENCE}\n`);
    const r = unblock(['explain', '--json', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const result = ExplainResult.parse(JSON.parse(r.stdout));
    expect(Object.keys(result).sort()).toEqual(['denials', 'isDenial']);
    expect(result.isDenial).toBe(true);
    expect(result.denials[0]).toMatchObject({
      cloud: 'aws',
      actions: ['s3:ListBucket'],
      account: '123456789012',
    });
  });

  it('--json on stdin without a denial prints isDenial false and exits 0', () => {
    const r = unblock(['explain', '--json'], 'Apply complete! Resources: 2 added, 0 changed, 0 destroyed.\n');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ isDenial: false, denials: [] });
    expect(r.stderr).toBe('');
  });

  it('prints a readable explanation without colours when piped', () => {
    const r = unblock(['explain', '-'], SENTENCE);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('s3:ListBucket');
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('exits 2 and names a missing file', () => {
    const missing = join(dir, 'missing.log');
    const r = unblock(['explain', missing]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(missing);
    expect(r.stderr).toContain('no such file');
    expect(r.stdout).toBe('');
  });

  it('exits 2 on an unknown command, with usage', () => {
    const r = unblock(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    expect(r.stderr).toContain('Usage: unblock');
  });

  it('prints its version', () => {
    const r = unblock(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
