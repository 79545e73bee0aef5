/**
 * Position index over the normalised text: paragraph blocks (blank-line separated) and
 * pre-computed hit lists for wrapper / look-alike signals. Each signal regex runs once over the
 * whole text; candidates then ask "is there a hit in [a, b)?" by binary search, which keeps the
 * per-candidate cost logarithmic instead of rescanning a window for every match (a 1 MB log can
 * hold thousands of candidate sentences).
 */

export interface Hit {
  pos: number;
  end: number;
  /** First capture group, or the whole match. */
  value: string;
  /** Second capture group when the regex has one. */
  value2?: string;
  /** All capture groups (index 1…), undefined where a group did not participate. */
  groups: (string | undefined)[];
}

/** Cap on hits per signal: beyond it the text is adversarial and later hits add nothing. */
const MAX_HITS = 20000;

export function scanAll(text: string, re: RegExp): Hit[] {
  const flags = re.flags.includes('g') ? re.flags : re.flags + 'g';
  const g = new RegExp(re.source, flags);
  const out: Hit[] = [];
  let m: RegExpExecArray | null;
  while ((m = g.exec(text)) !== null && out.length < MAX_HITS) {
    if (m[0].length === 0) {
      g.lastIndex++;
      continue;
    }
    out.push({ pos: m.index, end: m.index + m[0].length, value: m[1] ?? m[0], value2: m[2], groups: [...m] });
  }
  return out;
}

/** Index of the first hit with pos >= a. */
function lowerBound(hits: readonly Hit[], a: number): number {
  let lo = 0;
  let hi = hits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((hits[mid] as Hit).pos < a) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function firstIn(hits: readonly Hit[], a: number, b: number): Hit | undefined {
  const i = lowerBound(hits, a);
  const h = hits[i];
  return h !== undefined && h.pos < b ? h : undefined;
}

export function lastIn(hits: readonly Hit[], a: number, b: number): Hit | undefined {
  const i = lowerBound(hits, b) - 1;
  const h = hits[i];
  return h !== undefined && h.pos >= a ? h : undefined;
}

export class Doc {
  readonly text: string;
  private readonly blockStarts: number[];
  private readonly cache = new Map<string, Hit[]>();

  constructor(text: string) {
    this.text = text;
    this.blockStarts = [0];
    const re = /\n[^\S\n]*\n/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      this.blockStarts.push(m.index + m[0].length);
      re.lastIndex = m.index + m[0].length - 1; // allow consecutive blank lines
      if (re.lastIndex <= m.index) re.lastIndex = m.index + 1;
    }
  }

  /** [start, end) of the blank-line separated paragraph holding `pos`. */
  block(pos: number): [number, number] {
    const bs = this.blockStarts;
    let lo = 0;
    let hi = bs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((bs[mid] as number) <= pos) lo = mid;
      else hi = mid - 1;
    }
    const start = bs[lo] as number;
    const end = lo + 1 < bs.length ? (bs[lo + 1] as number) : this.text.length;
    return [start, end];
  }

  /** Hits of a signal regex, computed once per document. */
  hits(key: string, re: RegExp): Hit[] {
    let h = this.cache.get(key);
    if (!h) {
      h = scanAll(this.text, re);
      this.cache.set(key, h);
    }
    return h;
  }
}
