import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError, MAX_INPUT_BYTES, USAGE, decodeText, main, useColor } from '../../cli/main';
import type { Io } from '../../cli/main';

const dir = mkdtempSync(join(tmpdir(), 'unblock-cli-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  argv: string[],
  opts: {
    stdin?: string | Buffer;
    stdinTTY?: boolean;
    stdoutTTY?: boolean;
    env?: Record<string, string>;
  } = {},
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const stdin = Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]) as Io['stdin'];
  if (opts.stdinTTY) stdin.isTTY = true;
  const code = await main({
    argv,
    env: opts.env ?? {},
    stdin,
    stdout: {
      write: (s: string) => (stdout += s),
      isTTY: opts.stdoutTTY,
    },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe('unblock main()', () => {
  it('prints the version', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
  });

  it.each([['help'], ['--help'], ['-h'], ['explain', '--help']])('prints usage for %s', async (...argv) => {
    const r = await run(argv);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(USAGE);
    expect(USAGE).toContain('explain [FILE]');
    expect(USAGE).not.toContain('request');
  });

  it('exits 2 with usage when no command is given', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing command');
    expect(r.stderr).toContain('Usage: unblock');
    expect(r.stdout).toBe('');
  });

  it.each([
    [['frob'], 'unknown command "frob"'],
    [['request', 'x'], 'unknown command "request"'],
    [['--frob'], 'unknown option "--frob"'],
    [['explain', '--frob'], "Unknown option '--frob'"],
    [['explain', 'a', 'b'], 'at most one FILE'],
    [['explain', '--cloud', 'oracle', '-'], '--cloud must be one of aws, azure, gcp'],
    [['explain', '--account', ' ', '-'], '--account needs a value'],
  ])('rejects %j with exit 2', async (argv, message) => {
    const r = await run(argv, { stdin: 'x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('prints usage and exits 2 rather than wait on a terminal', async () => {
    const r = await run(['explain'], { stdinTTY: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('give a FILE');
  });

  it('reads standard input for "-" and prints one JSON object', async () => {
    const r = await run(['explain', '-', '--json'], { stdin: 'nothing to see here\n' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ isDenial: false, denials: [] });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toBe('');
  });

  it('says plainly when there is no denial, and recognises a look-alike', async () => {
    const r = await run(['explain'], {
      stdin:
        'An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token included in the request is expired',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No access denial found in standard input.');
    expect(r.stdout).toContain('credentials');
  });

  it('accepts the --cloud and --account hints', async () => {
    const r = await run(['explain', '--cloud', 'AWS', '--account', '123456789012', '--json'], {
      stdin: 'ok',
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ isDenial: false });
  });

  it('names the file and the problem when it cannot read it', async () => {
    const missing = join(dir, 'nope.log');
    let r = await run(['explain', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`unblock: ${missing}: cannot read: no such file\n`);

    r = await run(['explain', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`unblock: ${dir}: is a directory\n`);

    const binary = join(dir, 'blob.bin');
    writeFileSync(binary, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)));
    r = await run(['explain', binary]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`unblock: ${binary}: does not look like text (binary data or not UTF-8)\n`);
  });

  it('reads a file', async () => {
    const file = join(dir, 'ok.log');
    writeFileSync(file, 'Apply complete!\n');
    const r = await run(['explain', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`No access denial found in ${file}.\n`);
  });
});

describe('decodeText', () => {
  it('decodes UTF-8, dropping a byte-order mark', () => {
    expect(decodeText(Buffer.from('\ufeffhé', 'utf8'), 'f')).toBe('hé');
  });

  it('decodes UTF-16 with a byte-order mark (PowerShell redirects)', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Access Denied', 'utf16le')]);
    expect(decodeText(le, 'f')).toBe('Access Denied');
    const be = Buffer.from(le);
    be.swap16();
    expect(decodeText(be, 'f')).toBe('Access Denied');
  });

  it('tolerates a few stray bytes but not binary data', () => {
    const text = Buffer.concat([Buffer.from('a'.repeat(2000)), Buffer.from([0xff, 0x00, 0xc3])]);
    expect(decodeText(text, 'f')).toContain('aaa');
    expect(() => decodeText(new Uint8Array(1000), 'f')).toThrow(CliError);
  });

  it('refuses more than 20 MB', () => {
    expect(() => decodeText(new Uint8Array(MAX_INPUT_BYTES + 1), 'big.log')).toThrow(
      'big.log: input is larger than 20 MB',
    );
  });
});

describe('useColor', () => {
  it('colours a terminal unless NO_COLOR is set; FORCE_COLOR wins', () => {
    expect(useColor({}, true)).toBe(true);
    expect(useColor({}, false)).toBe(false);
    expect(useColor({}, undefined)).toBe(false);
    expect(useColor({ NO_COLOR: '1' }, true)).toBe(false);
    expect(useColor({ NO_COLOR: '' }, true)).toBe(true);
    expect(useColor({ TERM: 'dumb' }, true)).toBe(false);
    expect(useColor({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(useColor({ FORCE_COLOR: '0' }, false)).toBe(false);
  });
});
