/**
 * The `unblock` command line: argument parsing and I/O. The work itself is pure (./explain.ts).
 * Started by bin/unblock.js, which compiles this file on the fly (no build step).
 *
 * Exit codes: 0 success (denial found or not), 1 internal error, 2 usage error or unreadable input.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pkg from '../package.json' with { type: 'json' };
import { CLOUDS } from '../lib/clouds';
import { ExplainResult } from '../lib/contract/denial';
import type { Cloud, ParseHints } from '../lib/contract/denial';
import { explain, formatExplanation, lookAlike } from './explain';

/** Largest input accepted, file or stdin. */
export const MAX_INPUT_BYTES = 20 * 1024 * 1024;

export const USAGE = `Usage: unblock <command> [options]

Commands:
  explain [FILE]    Explain the access denial(s) in FILE, or in standard input
                    when FILE is "-" or missing.
  help              Show this help.

Options for explain:
  --json            Print one JSON object {"isDenial": boolean, "denials": [...]}.
  --cloud CLOUD     The cloud the text comes from when it does not say: aws, azure or gcp.
  --account ID      The AWS account, Azure subscription or GCP project, when the text does not say.

Other options:
  -h, --help        Show this help.
  -v, --version     Print the version.

Examples:
  terraform apply 2>&1 | unblock explain
  unblock explain error.txt --json
`;

/** The process around the CLI; replaced in tests. */
export interface Io {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown };
}

/** An input problem or a usage mistake: one line on stderr, exit 2. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message);
  }
}

/** Input decoded as text, or a CliError saying why it is not text. */
export function decodeText(bytes: Uint8Array, name: string): string {
  if (bytes.length > MAX_INPUT_BYTES) throw new CliError(`${name}: input is larger than 20 MB`);
  let text: string;
  // UTF-16 with a byte-order mark (Windows PowerShell's `>` writes UTF-16LE).
  if (bytes[0] === 0xff && bytes[1] === 0xfe) text = new TextDecoder('utf-16le').decode(bytes.subarray(2));
  else if (bytes[0] === 0xfe && bytes[1] === 0xff)
    text = new TextDecoder('utf-16be').decode(bytes.subarray(2));
  else text = new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);
  // Tolerate a few stray bytes (a truncated multi-byte character, a pasted control char), but
  // not binary data: more than 1% NULs or replacement characters means it is not text.
  let bad = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0 || c === 0xfffd) bad++;
  }
  if (bad > 8 && bad > text.length / 100) {
    throw new CliError(`${name}: does not look like text (binary data or not UTF-8)`);
  }
  return text;
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

async function readInputFile(file: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new CliError(`${file}: is a directory`);
    if (info.size > MAX_INPUT_BYTES) throw new CliError(`${file}: file is larger than 20 MB`);
    bytes = await readFile(file);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${file}: cannot read: ${describeFsError(err)}`);
  }
  return decodeText(bytes, file);
}

async function readStdin(stdin: Io['stdin']): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of stdin) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
      size += bytes.length;
      if (size > MAX_INPUT_BYTES) throw new CliError('standard input: input is larger than 20 MB');
      chunks.push(bytes);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`standard input: cannot read: ${describeFsError(err)}`);
  }
  return decodeText(Buffer.concat(chunks), 'standard input');
}

/** Colours only on a terminal, never with NO_COLOR set (https://no-color.org); FORCE_COLOR forces them. */
export function useColor(env: Io['env'], isTTY: boolean | undefined): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY === true && env.TERM !== 'dumb';
}

async function runExplain(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      cloud: { type: 'string' },
      account: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new CliError('explain takes at most one FILE', true);
  const hints: ParseHints = {};
  if (values.cloud !== undefined) {
    const cloud = values.cloud.toLowerCase();
    if (!(CLOUDS as readonly string[]).includes(cloud)) {
      throw new CliError(`--cloud must be one of ${CLOUDS.join(', ')} (got "${values.cloud}")`);
    }
    hints.cloud = cloud as Cloud;
  }
  if (values.account !== undefined) {
    if (values.account.trim() === '') throw new CliError('--account needs a value');
    hints.account = values.account.trim();
  }

  const file = positionals[0];
  let text: string;
  let inputName: string;
  if (file === undefined || file === '-') {
    if (io.stdin.isTTY && file === undefined) {
      throw new CliError('explain: give a FILE, or pipe the error text into standard input', true);
    }
    text = await readStdin(io.stdin);
    inputName = 'standard input';
  } else {
    text = await readInputFile(file);
    inputName = file;
  }

  const result = explain(text, hints);
  if (values.json) {
    const checked = ExplainResult.safeParse(result);
    if (!checked.success) {
      io.stderr.write(
        `unblock: internal error: the parser produced an invalid result: ${checked.error.message}\n`,
      );
      return 1;
    }
    io.stdout.write(`${JSON.stringify(checked.data, null, io.stdout.isTTY ? 2 : undefined)}\n`);
  } else {
    io.stdout.write(
      formatExplanation(result, {
        color: useColor(io.env, io.stdout.isTTY),
        inputName,
        lookAlike: result.isDenial ? null : lookAlike(text),
      }),
    );
  }
  return 0;
}

/** Runs one command line and resolves to the exit code. Never calls process.exit. */
export async function main(io: Io): Promise<number> {
  const args = [...io.argv];
  try {
    const first = args[0];
    if (first === '--version' || first === '-v' || first === 'version') {
      io.stdout.write(`${pkg.version}\n`);
      return 0;
    }
    if (first === 'help' || first === '--help' || first === '-h') {
      io.stdout.write(USAGE);
      return 0;
    }
    if (first === undefined) throw new CliError('missing command', true);
    if (first === 'explain') return await runExplain(args.slice(1), io);
    if (first.startsWith('-')) throw new CliError(`unknown option "${first}"`, true);
    throw new CliError(`unknown command "${first}"`, true);
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr.write(`unblock: ${err.message}\n`);
      if (err.showUsage) io.stderr.write(`\n${USAGE}`);
      return 2;
    }
    // parseArgs: unknown option, missing option value, …
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`unblock: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    io.stderr.write(
      `unblock: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return 1;
  }
}
