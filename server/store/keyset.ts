/**
 * Keyset pages: the SQL behind every request and grant listing, so that a page costs O(page)
 * however many rows the tables hold.
 *
 * A listing is newest first, ordered by a time column and then the id (both descending), and a
 * page is "the first `limit` rows strictly after a position" (the last row of the previous page).
 * What a caller may see is a union of ranges, each an index range of migration 007 scanned
 * backwards: "alice's requests", "requests in the queue of group g", "pending requests in g"…
 * Each range reads at most `limit` rows from its index; the union is cut to `limit` again. So a
 * page reads at most (ranges × limit) index entries, and rows inserted between two pages (newer
 * than any cursor) can neither repeat nor hide rows on later pages.
 *
 * Why not one WHERE with OR and IN: a disjunction, or an IN list over a column before the order
 * columns, leaves Postgres no index whose order is the listing's, so it reads every match and
 * sorts it. One range per disjunct and per state keeps each piece an ordered index range.
 */
import type { Params } from './db';

/** Where a page starts: the sort key of the last row of the previous page. */
export interface PagePosition {
  readonly at: Date;
  readonly id: string;
}

/** One ordered index range: rows of `from` matching every condition of `where`. */
export interface KeysetRange {
  /** The table the range reads (the listed table itself, or a side table such as request_approver_groups). */
  readonly from: string;
  /** The columns of `from` holding the listed row's id and its sort time. */
  readonly id: string;
  readonly at: string;
  /** Conditions, already parameterised; together they must be an equality prefix of one index. */
  readonly where: readonly string[];
}

/** Collects query parameters, answering each one's `$n`. */
export class QueryParams {
  private readonly values: unknown[] = [];
  add(value: unknown): string {
    return `$${this.values.push(value)}`;
  }
  get params(): Params {
    return this.values;
  }
}

/**
 * Each range once per alternative: `ranges` × `alternatives` ("own OR queue of g" × "pending OR
 * approved"). No alternatives at all means no ranges; one empty alternative leaves them as they are.
 */
export function eachOf(
  ranges: readonly KeysetRange[],
  alternatives: ReadonlyArray<readonly string[]>,
): KeysetRange[] {
  return ranges.flatMap((r) => alternatives.map((extra) => ({ ...r, where: [...r.where, ...extra] })));
}

/**
 * The alternatives `column = value`, one per value: one range each (an IN list would not keep the
 * index's order). Undefined: one alternative without a condition; an empty list: none at all.
 */
export function equalsOneOf(
  column: string,
  values: string | readonly string[] | undefined,
  params: QueryParams,
): string[][] {
  if (values === undefined) return [[]];
  const distinct = new Set(typeof values === 'string' ? [values] : values);
  return [...distinct].map((value) => [`${column} = ${params.add(value)}`]);
}

/**
 * A query whose rows are the page's ids (column `id`), in order, or null when there are no ranges
 * (a filter that matches nothing, e.g. an approver with no groups). `pageRowsSql` reads the rows.
 */
export function pageIdsSql(
  ranges: readonly KeysetRange[],
  before: PagePosition | undefined,
  limit: number,
  params: QueryParams,
): string | null {
  if (ranges.length === 0) return null;
  const limitParam = params.add(limit);
  const position = before ? [params.add(before.at), params.add(before.id)] : null;
  const selects = ranges.map((r) => {
    const where = [...r.where];
    // A row comparison on the index's last two columns: an index condition, not a filter.
    if (position) where.push(`(${r.at}, ${r.id}) < (${position[0]}::timestamptz, ${position[1]}::text)`);
    return `SELECT ${r.id} AS id, ${r.at} AS at FROM ${r.from}
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${r.at} DESC, ${r.id} DESC LIMIT ${limitParam}`;
  });
  // UNION (not UNION ALL): a request in two of the caller's ranges (their own, in their queue) is
  // listed once. The outer ORDER BY costs nothing over one range (already in that order).
  const union = selects.length === 1 ? selects[0]! : selects.map((s) => `(${s})`).join(' UNION ');
  return `SELECT id FROM (${union}) AS ranged ORDER BY at DESC, id DESC LIMIT ${limitParam}`;
}

/**
 * The listed rows of a page: `columns` of `table` for the page's ids, each with its `position` in
 * the page (sort by it: `inPageOrder`). A join on the ids, looked up by primary key: an ORDER BY
 * here would let the planner walk a whole (time, id) index for the order instead, and
 * `id = ANY (…)` would let it test every row of a small table against every id.
 */
export function pageRowsSql(table: string, columns: string, pageIds: string): string {
  const qualified = columns
    .split(',')
    .map((c) => `listed.${c.trim()}`)
    .join(', ');
  return `SELECT ${qualified}, page.position
    FROM unnest(ARRAY(${pageIds})) WITH ORDINALITY AS page(id, position)
    JOIN ${table} AS listed ON listed.id = page.id`;
}

/** Rows of `pageRowsSql` in the page's order. */
export function inPageOrder<T extends { position: number }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => Number(a.position) - Number(b.position));
}
