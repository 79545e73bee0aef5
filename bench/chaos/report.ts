/**
 * The figures of a chaos run, as a section of docs/reliability.md per store (between
 * `<!-- chaos:<store> -->` markers); everything else in the file is left as it is.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { machineDescription, median } from '../report';
import type { ChaosCounts } from './counting';
import type { ChaosResult } from './run';

export const RELIABILITY_FILE = 'docs/reliability.md';
/** The issue's target for revoking overdue grants after a restart. */
export const OVERDUE_TARGET_MS = 10_000;

const list = (ids: readonly string[]) =>
  ids.length === 0 ? '0' : `**${ids.length}** (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''})`;

export function countRows(c: ChaosCounts): string[] {
  return [
    `| Lost requests (filed, not in the store) | ${list(c.lostRequests)} | 0 |`,
    `| Lost approvals (acknowledged, not approved with a grant) | ${list(c.lostApprovals)} | 0 |`,
    `| Duplicate grants (a request with two live grants) | ${list(c.duplicateGrants)} | 0 |`,
    `| Orphaned access in the clouds (no active grant owns it) | ${list(c.orphanedAccess)} | 0 |`,
    `| Active grants without access | ${list(c.activeWithoutAccess)} | 0 |`,
  ];
}

export function overdueMet(r: ChaosResult): boolean {
  return r.overdue.missed === 0 && r.overdue.timesMs.every((t) => t <= OVERDUE_TARGET_MS);
}

export function renderChaosSection(r: ChaosResult, seed: number): string {
  const flows = Object.entries(r.ledger.done)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const unanswered =
    Object.entries(r.ledger.unanswered)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  const times = r.overdue.timesMs;
  const overdue =
    times.length === 0
      ? 'no restart timed'
      : `max ${(Math.max(...[...times]) / 1000).toFixed(1)} s, median ${(median([...times]) / 1000).toFixed(1)} s over ${times.length} restart(s)`;
  return [
    `## Chaos run: ${r.store === 'pglite' ? 'PGlite (one broker)' : `PostgreSQL (${r.replicas} broker replicas)`}`,
    '',
    `- Date: ${new Date().toISOString().slice(0, 10)}; machine: ${machineDescription()}`,
    `- \`npm run chaos -- --store ${r.store} --seed ${seed}\`: ${r.seconds} s; ${r.kills} SIGKILLs; settled at the end: ${r.settled ? 'yes' : '**no** (timed out)'}`,
    `- Flows acknowledged by the broker: ${flows} (${r.ledger.filed.length} requests filed, ${r.ledger.approved.length} approved); unanswered or refused: ${unanswered}`,
    `- Overdue grants revoked after a restart: ${r.overdue.grants} made overdue; ${overdue}; missed (not revoked within 60 s): ${r.overdue.missed} — target ≤ ${OVERDUE_TARGET_MS / 1000} s: ${overdueMet(r) ? 'met' : '**missed**'}`,
    '',
    '| Count | Result | Target |',
    '|---|---|---|',
    ...countRows(r.counts),
  ].join('\n');
}

const HEADER = [
  '# Reliability',
  '',
  'What holds when the broker is killed at random moments while the clouds answer slowly or fail:',
  'the figures of `npm run chaos` (docs/operations.md says how to run it and `npm run sim:clouds`).',
  'Each section is rewritten by the run on its store; the rest of this file is left as it is.',
  '',
].join('\n');

export function writeChaosSection(r: ChaosResult, seed: number): void {
  const begin = `<!-- chaos:${r.store} -->`;
  const end = `<!-- /chaos:${r.store} -->`;
  const block = `${begin}\n${renderChaosSection(r, seed)}\n${end}`;
  const current = existsSync(RELIABILITY_FILE) ? readFileSync(RELIABILITY_FILE, 'utf8') : HEADER;
  const existing = new RegExp(`${begin}[\\s\\S]*?${end.replace('/', '\\/')}`);
  const next = existing.test(current)
    ? current.replace(existing, () => block)
    : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(RELIABILITY_FILE, next);
}
