/**
 * The Logging query language, the part audit queries use: comparisons on `protoPayload.*`,
 * `logName`, `timestamp`, `severity` and `resource.*`, `log_id("…")`, `AND`, `OR`, `NOT` and
 * parentheses, compiled to a predicate over stored entries.
 */
import { invalid } from './wire';

type LogEntryRecord = Record<string, unknown>;

function field(entry: LogEntryRecord, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as LogEntryRecord)[k] : undefined), entry);
}

/** Splits on a keyword (` AND `/` OR `) outside quotes and parentheses. */
function splitTopLevel(text: string, keyword: 'AND' | 'OR'): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"' && text[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && c === '(') depth += 1;
    else if (!quoted && c === ')') depth -= 1;
    else if (!quoted && depth === 0 && text.startsWith(` ${keyword} `, i)) {
      parts.push(text.slice(start, i));
      start = i + keyword.length + 2;
      i = start - 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const unquote = (s: string) =>
  s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/\\"/g, '"') : s;

/**
 * Filters on `protoPayload.*`/`logName`/`timestamp` comparisons (`=`, `!=`, `:`, `<`, `<=`, `>`,
 * `>=`), `log_id("…")`, `AND`, `OR`, `NOT` and parentheses; anything else is a 400, so a query
 * the fake would silently misread fails the test instead.
 */
export function compileLogFilter(filter: string): (entry: LogEntryRecord) => boolean {
  const text = filter.trim();
  if (!text) return () => true;
  const ors = splitTopLevel(text, 'OR');
  if (ors.length > 1) {
    const alternatives = ors.map(compileLogFilter);
    return (e) => alternatives.some((f) => f(e));
  }
  const ands = splitTopLevel(text, 'AND');
  if (ands.length > 1) {
    const all = ands.map(compileLogFilter);
    return (e) => all.every((f) => f(e));
  }
  if (text.startsWith('NOT ')) {
    const inner = compileLogFilter(text.slice(4));
    return (e) => !inner(e);
  }
  if (text.startsWith('(') && text.endsWith(')')) return compileLogFilter(text.slice(1, -1));
  const logId = /^log_id\("([^"]+)"\)$/.exec(text);
  if (logId) {
    const suffix = `/logs/${encodeURIComponent(logId[1]!)}`;
    return (e) => (typeof e.logName === 'string' ? e.logName : '').endsWith(suffix);
  }
  const cmp = /^([A-Za-z_][\w.]*)\s*(>=|<=|!=|=|:|<|>)\s*("(?:[^"\\]|\\.)*"|\S+)$/.exec(text);
  if (!cmp || !/^(protoPayload\.|logName$|timestamp$|severity$|resource\.)/.test(cmp[1]!)) {
    throw invalid(`Unparseable filter: ${text.slice(0, 80)}`);
  }
  const [, path, op, rawValue] = cmp as unknown as [string, string, string, string];
  const value = unquote(rawValue);
  if (path === 'timestamp') {
    const at = Date.parse(value);
    if (Number.isNaN(at)) throw invalid(`Unparseable filter: invalid timestamp ${value}`);
    return (e) => {
      const t = Date.parse(String(e.timestamp));
      if (op === '>=') return t >= at;
      if (op === '<=') return t <= at;
      if (op === '>') return t > at;
      if (op === '<') return t < at;
      if (op === '!=') return t !== at;
      return t === at;
    };
  }
  // Logging compares strings without regard to case (docs/cloud-mechanics.md §3.6): a filter on
  // `iam.serviceaccounts.actas` also matches `iam.serviceAccounts.actAs`, so a caller that needs
  // GCP's case-sensitive permissions must compare again itself.
  const wanted = value.toLowerCase();
  return (e) => {
    const actual = field(e, path);
    const raw =
      typeof actual === 'string'
        ? actual
        : actual === undefined || actual === null
          ? ''
          : JSON.stringify(actual);
    const s = raw.toLowerCase();
    const decoded = path === 'logName' ? decodeURIComponent(raw).toLowerCase() : s;
    if (op === '=') return s === wanted;
    if (op === '!=') return s !== wanted;
    if (op === ':') return s.includes(wanted) || decoded.includes(wanted);
    if (op === '<') return s < wanted;
    if (op === '<=') return s <= wanted;
    if (op === '>') return s > wanted;
    return s >= wanted;
  };
}
