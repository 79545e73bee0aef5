/**
 * The denial corpus scored per kind: what `unblock explain --json` gets right on each kind of real
 * text the corpus holds (tests/fixtures/denials/), as figures for docs/benchmarks.md. The corpus
 * test demands every expectation exactly; this says how the corpus is spread over the kinds the
 * parser must generalise across, and how each fares, in the terms the held-out corpus is scored in:
 * detection, exact action set, false positives, resource and account.
 *
 * A case's kinds are read from its text and expectation (a case can have several):
 * - redacted: masked or templated values (`***`, `<user-arn>`, `{account-id}`, `${VAR}`, `xxx`);
 * - wrapped/escaped: escaped JSON (`\"`, `\n` as text), YAML block scalars, Python bytes,
 *   PowerShell's gutter, Markdown emphasis or quotes, ANSI colour codes;
 * - operation: the expectation derives the action from an API operation, or names no action but
 *   an operation;
 * - no action named: a denial whose expected actions are all empty;
 * - look-alike: the `lookalikes/` folder (must give no denial).
 */
import { parseDenials } from '../lib/denial/index';
import type { Denial } from '../lib/contract/denial';
import { loadCorpus, type CorpusCase } from '../tests/fixtures/denials/corpus';
import type { BenchRow } from './report';

type Kind = 'redacted' | 'wrapped/escaped' | 'operation' | 'no action named' | 'look-alike';

const REDACTED =
  /\*{3,}|<[a-z][\w -]{1,30}>|\{[a-z][\w-]{1,30}\}|<<\w+>>|\$\{?[A-Z_]{3,}\}?|\bx{3,}\b|\[REDACTED\]/i;
// ANSI colour codes are among the decorations counted, so the pattern names the ESC byte.
const WRAPPED =
  // eslint-disable-next-line no-control-regex
  /\\"|\\n|\\u00|:\s*[>|][-+]?\s*\n|\bb'|^\s*\|\s|\*\*\w|^> |\x1b\[|\[\d{1,2}m|^\s+\+ (CategoryInfo|FullyQualified)/m;

export function kindsOf(c: CorpusCase): Kind[] {
  if (c.file.startsWith('lookalikes/')) return ['look-alike'];
  const kinds: Kind[] = [];
  if (REDACTED.test(c.text)) kinds.push('redacted');
  if (WRAPPED.test(c.text)) kinds.push('wrapped/escaped');
  const denials = c.expect.denials;
  if (denials.some((d) => d.derivedFrom === 'operation' || (d.operation && isEmpty(d.actions))))
    kinds.push('operation');
  if (denials.length > 0 && denials.every((d) => isEmpty(d.actions))) kinds.push('no action named');
  return kinds;
}

const isEmpty = (v: unknown) => !Array.isArray(v) || v.length === 0;

interface Tally {
  cases: number;
  detected: number;
  /** Positive cases that name at least one action, and those whose action set came out exact. */
  withActions: number;
  exactActions: number;
  resourceRight: number;
  accountRight: number;
  falsePositives: number;
}

const blank = (): Tally => ({
  cases: 0,
  detected: 0,
  withActions: 0,
  exactActions: 0,
  resourceRight: 0,
  accountRight: 0,
  falsePositives: 0,
});

const sorted = (xs: unknown[]) => [...(xs as string[])].sort();
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function score(t: Tally, c: CorpusCase, got: Denial[]): void {
  t.cases += 1;
  const want = c.expect.denials;
  if (!c.expect.isDenial) {
    if (got.length > 0) t.falsePositives += 1;
    else t.detected += 1;
    return;
  }
  if (got.length > 0) t.detected += 1;
  const wantActions = sorted(want.flatMap((d) => d.actions as string[]));
  if (wantActions.length > 0) {
    t.withActions += 1;
    if (same(wantActions, sorted(got.flatMap((d) => d.actions)))) t.exactActions += 1;
  }
  if (
    same(
      want.map((d) => d.resource),
      got.map((d) => d.resource),
    )
  )
    t.resourceRight += 1;
  if (
    same(
      want.map((d) => d.account),
      got.map((d) => d.account),
    )
  )
    t.accountRight += 1;
}

const pct = (n: number, of: number) => (of === 0 ? '—' : `${((100 * n) / of).toFixed(0)}% (${n}/${of})`);

function row(name: string, t: Tally): BenchRow {
  const lookalikes = name.includes('look-alike');
  return {
    name: `Corpus: ${name}`,
    value: lookalikes
      ? `${t.cases} texts, ${t.falsePositives} false positive(s)`
      : `${t.cases} texts: detection ${pct(t.detected, t.cases)}, exact actions ${pct(t.exactActions, t.withActions)}, resource ${pct(t.resourceRight, t.cases)}, account ${pct(t.accountRight, t.cases)}`,
    target: lookalikes ? '0 false positives' : 'detection ≥ 97 %, exact actions ≥ 96 %',
    pass: lookalikes
      ? t.falsePositives === 0
      : t.detected >= 0.97 * t.cases && t.exactActions >= 0.96 * t.withActions,
    method: 'parseDenials on each text with its hints, compared with its expectation',
  };
}

/** Rows per cloud, per kind, and overall. */
export function corpusFigures(): BenchRow[] {
  const byGroup = new Map<string, Tally>();
  const add = (group: string, c: CorpusCase, got: Denial[]) => {
    if (!byGroup.has(group)) byGroup.set(group, blank());
    score(byGroup.get(group)!, c, got);
  };
  for (const c of loadCorpus()) {
    const got = parseDenials(c.text, c.hints);
    const folder = c.file.split('/')[0]!;
    const cloud = folder === 'lookalikes' ? 'look-alikes' : folder.toUpperCase();
    add(c.expect.isDenial ? 'all denials' : 'all look-alikes', c, got);
    add(cloud, c, got);
    for (const kind of kindsOf(c)) if (kind !== 'look-alike') add(`kind ${kind}`, c, got);
  }
  const order = ['all denials', 'all look-alikes', 'AWS', 'AZURE', 'GCP'];
  return [...byGroup.entries()]
    .sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b))
    .filter(([name]) => name !== 'look-alikes')
    .map(([name, t]) => row(name.replace('AZURE', 'Azure'), t));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of corpusFigures()) console.log(`${r.name}: ${r.value}`);
}
