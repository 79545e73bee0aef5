/**
 * Table-driven run of the denial corpus (tests/fixtures/denials/README.md): every `.txt` case is
 * parsed and compared against its `expect` line — the seven core fields always, the optional
 * contract fields when the expectation names them (`encodedMessage: true` means non-null).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mayContainDenial, parseDenials } from '../../lib/denial';
import type { Denial, ParseHints } from '../../lib/denial';

const ROOT = join(import.meta.dirname, '../fixtures/denials');
const CORE = ['cloud', 'actions', 'resource', 'principal', 'account', 'denyKind', 'requestable'] as const;
const OPTIONAL = [
  'encodedMessage',
  'operation',
  'policyId',
  'source',
  'confidence',
  'reason',
  'excerpt',
  'derivedFrom',
] as const;

interface Case {
  file: string;
  source: string | undefined;
  hints: ParseHints | undefined;
  expect: { isDenial: boolean; denials: Record<string, unknown>[] };
  text: string;
}

function listTxt(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTxt(p));
    else if (name.endsWith('.txt')) out.push(p);
  }
  return out;
}

function load(path: string): Case {
  const raw = readFileSync(path, 'utf8');
  const sep = raw.search(/^----$/m);
  if (sep < 0) throw new Error(`${path}: no ---- separator`);
  const header = raw.slice(0, sep);
  let text = raw.slice(sep + 4);
  if (text.startsWith('\r\n')) text = text.slice(2);
  else if (text.startsWith('\n')) text = text.slice(1);
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(header)?.[1]?.trim();
  const expectLine = field('expect');
  if (!expectLine) throw new Error(`${path}: no expect line`);
  const hints = field('hints');
  return {
    file: relative(ROOT, path),
    source: field('source'),
    hints: hints ? (JSON.parse(hints) as ParseHints) : undefined,
    expect: JSON.parse(expectLine) as Case['expect'],
    text,
  };
}

/** The parser's result projected onto the fields the expectation names. */
function project(actual: Denial[], expected: Record<string, unknown>[]): Record<string, unknown>[] {
  return actual.map((d, i) => {
    const want = expected[i] ?? {};
    const got: Record<string, unknown> = {};
    for (const k of CORE) got[k] = d[k];
    for (const k of OPTIONAL) {
      if (!(k in want)) continue;
      got[k] = k === 'encodedMessage' && want[k] === true ? d.encodedMessage !== null : d[k];
    }
    return got;
  });
}

const cases = listTxt(ROOT).map(load);

describe('denial corpus', () => {
  it('has enough cases, each with a source URL', () => {
    const denials = cases.filter((c) => c.expect.isDenial);
    const lookalikes = cases.filter((c) => !c.expect.isDenial);
    expect(denials.length).toBeGreaterThanOrEqual(80);
    expect(lookalikes.length).toBeGreaterThanOrEqual(20);
    for (const c of cases) expect(c.source, c.file).toMatch(/^https?:\/\/\S+$/);
  });

  it.each(cases.map((c) => [c.file, c] as const))('%s', (_file, c) => {
    const denials = parseDenials(c.text, c.hints);
    const got = { isDenial: denials.length > 0, denials: project(denials, c.expect.denials) };
    expect(got).toEqual(c.expect);
    if (denials.length > 0) expect(mayContainDenial(c.text)).toBe(true);
  });
});
