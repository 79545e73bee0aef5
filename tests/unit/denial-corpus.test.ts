/**
 * Table-driven run of the denial corpus (tests/fixtures/denials/README.md): every `.txt` case is
 * parsed and compared against its `expect` line — the seven core fields always, the optional
 * contract fields when the expectation names them (`encodedMessage: true` means non-null).
 */
import { describe, expect, it } from 'vitest';
import { mayContainDenial, parseDenials } from '../../lib/denial';
import type { Denial } from '../../lib/denial';
import { loadCorpus } from '../fixtures/denials/corpus';

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

const cases = loadCorpus();

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
