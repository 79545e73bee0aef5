/**
 * `unblock-server`: the operator CLI. Commands arrive with the features they drive; each prints
 * what an operator needs and exits 0 on success, 1 when the check fails, 2 on bad usage.
 */
import { readFile } from 'node:fs/promises';
import { checkConfigText } from './config/load';

const USAGE = `Usage: unblock-server <command>

Commands:
  config check FILE   validate a broker config file (YAML or JSON); every problem names its path
  help                this text
`;

type Io = { out: (s: string) => void; err: (s: string) => void };
const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

async function configCheck(file: string | undefined, io: Io): Promise<number> {
  if (!file) {
    io.err(`unblock-server config check: missing FILE\n\n${USAGE}`);
    return 2;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    io.err(`${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})\n`);
    return 2;
  }
  const r = checkConfigText(text, file);
  if (!r.ok) {
    io.err(`${file}: ${r.problems.length} problem(s)\n${r.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 1;
  }
  const c = r.config;
  io.out(`${file}: OK — ${c.users.length} users, ${c.groups.length} groups, ${c.targets.length} targets\n`);
  return 0;
}

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    io.out(USAGE);
    return cmd ? 0 : 2;
  }
  if (cmd === 'config' && sub === 'check') return configCheck(rest[0], io);
  io.err(`unblock-server: unknown command "${[cmd, sub].filter(Boolean).join(' ')}"\n\n${USAGE}`);
  return 2;
}
