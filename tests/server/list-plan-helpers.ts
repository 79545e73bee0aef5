/**
 * Reading what a list call costs from the planner instead of a clock: a `Db` that runs EXPLAIN
 * ANALYZE on every SELECT it is asked (then the SELECT itself), and a summary of those plans —
 * which indexes were used, whether any listed table was scanned whole, and how many rows the
 * scans of the listed tables read in all. A page that costs O(page) reads a few pages' worth of
 * rows whatever the table's size; a page that filters or sorts the whole table reads all of it.
 *
 * The EXPLAIN runs with sequential scans and sorts discouraged (enable_seqscan, enable_sort off
 * for its transaction): on a test-sized table the planner rightly finds reading all of it
 * cheapest, which says nothing about a year of history. Discouraged is not forbidden: a query no
 * index can serve in order (a JSON-array filter, an order no index has) still scans and sorts
 * everything, and that is what these plans are checked for. Which plans the planner picks
 * unprompted at a million rows is what `npm run bench:broker` measures.
 */
import type { Db, Params, Tx } from '../../server/store/db';

/** The tables whose rows the request and grant lists read. */
const LISTED_TABLES = new Set(['access_requests', 'request_approver_groups', 'grants', 'approvals']);

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

export interface PlanSummary {
  /** Indexes the scans of listed tables used, sorted. */
  readonly indexes: string[];
  /** Listed tables read by a sequential scan. */
  readonly seqScans: string[];
  /** Rows the scans of listed tables produced or filtered out, over all loops. */
  readonly rowsRead: number;
  /** The statements explained (for failure messages). */
  readonly statements: number;
}

function walk(node: PlanNode, visit: (n: PlanNode) => void): void {
  visit(node);
  for (const child of node.Plans ?? []) walk(child, visit);
}

/** A Db whose SELECTs are explained (EXPLAIN ANALYZE runs them once more, which a SELECT allows). */
export function explainingDb(db: Db): { db: Db; take(): PlanSummary } {
  let plans: PlanNode[] = [];
  const explain = async (sql: string, params?: Params) => {
    if (!/^\s*(WITH|SELECT)\b/i.test(sql)) return;
    const raw = await db.transaction(async (tx: Tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      await tx.query('SET LOCAL enable_sort = off');
      const { rows } = await tx.query<{ 'QUERY PLAN': unknown }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
        params,
      );
      return rows[0]!['QUERY PLAN'];
    });
    const parsed = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
    plans.push(parsed[0]!.Plan);
  };
  const wrapped: Db = {
    ...db,
    engine: db.engine,
    async query<T>(sql: string, params?: Params) {
      await explain(sql, params);
      return db.query<T>(sql, params);
    },
  };
  return {
    db: wrapped,
    take() {
      const indexes = new Set<string>();
      const seqScans = new Set<string>();
      let rowsRead = 0;
      for (const plan of plans) {
        walk(plan, (n) => {
          const table = n['Relation Name'];
          if (table === undefined || !LISTED_TABLES.has(table)) return;
          if (n['Node Type'] === 'Seq Scan') seqScans.add(table);
          if (n['Index Name']) indexes.add(n['Index Name']);
          const loops = n['Actual Loops'] ?? 1;
          rowsRead +=
            ((n['Actual Rows'] ?? 0) +
              (n['Rows Removed by Filter'] ?? 0) +
              (n['Rows Removed by Index Recheck'] ?? 0)) *
            loops;
        });
        // Bitmap scans name their index on the child node, which has no relation.
        walk(plan, (n) => {
          if (n['Node Type'] === 'Bitmap Index Scan' && n['Index Name']) indexes.add(n['Index Name']);
        });
      }
      const summary = {
        indexes: [...indexes].sort(),
        seqScans: [...seqScans].sort(),
        rowsRead,
        statements: plans.length,
      };
      plans = [];
      return summary;
    },
  };
}
