/**
 * `npm run chaos`: mixed flows against broker child processes that are SIGKILLed at random
 * moments and restarted, with the clouds out of process (`npm run sim:clouds`), on PGlite and on
 * PostgreSQL with two replicas; then it counts lost requests, duplicate grants, orphaned access
 * and active grants without access, times the revocation of overdue grants after restarts,
 * writes the figures to docs/reliability.md, and exits 1 when any count is above zero or the
 * overdue target is missed.
 *
 *   npm run chaos -- [--flows 240] [--kills 12] [--store pglite|postgres|both] [--seed 1]
 */
import { parseArgs } from 'node:util';
import { anyCounted } from './chaos/counting';
import { overdueMet, renderChaosSection, writeChaosSection } from './chaos/report';
import { chaosRun } from './chaos/run';
import type { StoreName } from './chaos/stores';

const { values } = parseArgs({
  options: {
    flows: { type: 'string', default: '240' },
    kills: { type: 'string', default: '12' },
    store: { type: 'string', default: 'both' },
    seed: { type: 'string', default: '1' },
  },
});

function count(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`chaos: --${name} must be a whole number ≥ ${min}, not "${text}"\n`);
    process.exit(2);
  }
  return n;
}

const flows = count('flows', values.flows, 2);
const kills = count('kills', values.kills, 0);
const seed = count('seed', values.seed, 0);
if (!['pglite', 'postgres', 'both'].includes(values.store)) {
  process.stderr.write(`chaos: --store must be pglite, postgres or both, not "${values.store}"\n`);
  process.exit(2);
}
const stores: StoreName[] = values.store === 'both' ? ['pglite', 'postgres'] : [values.store as StoreName];

let failed = false;
for (const store of stores) {
  process.stdout.write(`chaos: ${store}, ${flows} flows, ${kills} kills, seed ${seed}\n`);
  const result = await chaosRun(store, {
    flows,
    kills,
    seed,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  writeChaosSection(result, seed);
  process.stdout.write(
    `${renderChaosSection(result, seed)}\n  refusals: ${result.ledger.refusals.join(' / ')}\n\n`,
  );
  failed ||= anyCounted(result.counts) || !overdueMet(result) || !result.settled;
}
process.stdout.write(`chaos: wrote docs/reliability.md${failed ? ' — some counts are not zero' : ''}\n`);
process.exitCode = failed ? 1 : 0;
