/**
 * Text normalisation shared by every family parser (docs/denial-formats.md §1). Pasted denials arrive
 * escaped inside JSON/XML/YAML/Python strings (sometimes several layers deep), hard-wrapped by
 * terminals and issue trackers (sometimes inside a token), prefixed line by line by loggers, CI
 * runners, PowerShell and Markdown, framed by Terraform's box-drawing gutter, coloured, and
 * decorated with curly quotes; values are masked or templated. The family
 * parsers match phrases with `\s+` gaps, so newlines are kept here (Key Vault labelled lines and
 * GCP permission lists are line-oriented); only tokens need the wrap-joining helpers below.
 *
 * Everything here is a single forward pass (or a bounded number of them) over the input: no
 * regex with nested quantifiers, so a 1 MB paste stays linear.
 */

import { joinContinuations, stripColour, stripDecorations, unescapeNested } from './unescape';

/**
 * Unescape repeatedly, normalise quotes and line endings, drop log prefixes, gutters, colour codes
 * and Markdown emphasis, and rejoin tokens that a hard wrap split (§1).
 */
export function normalise(input: string): string {
  const s = stripColour(
    unescapeNested(joinContinuations(input))
      .replace(/\r\n?/g, '\n')
      // Curly quotes and backticks behave as straight quotes (§1.3).
      .replace(/[\u2018\u2019\u201a\u2032`]/g, "'")
      .replace(/[\u201c\u201d\u201e\u2033]/g, '"')
      // Terraform's diagnostic gutter (│ ╷ ╵) would otherwise sit inside wrapped phrases.
      .replace(/[\u2502\u2575\u2577]/g, ' '),
  )
    // Zero-width characters break tokens invisibly.
    .replace(/\u200b|\u200c|\u200d|\u2060|\ufeff/g, '');
  return rejoinSplitTokens(stripDecorations(s));
}

/**
 * A whole token in one of the shapes a denial names (§1.1): an ARN, an Azure scope or operation,
 * an AWS action, a GCP permission. Used to confirm that two halves of a wrapped line are one token.
 */
const GRAMMAR_TOKEN_RE =
  /^(?:arn:[a-z-]{2,20}:[A-Za-z0-9-]{0,64}:[^\s]*|\/(?:subscriptions|providers)\/[^\s]+|[A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)+\/[^\s]+|[A-Za-z0-9-]{1,64}:[A-Z][A-Za-z0-9]{1,127}|[a-z][a-z0-9]*(?:\.[A-Za-z0-9]+){2,})$/;

const CUT_END = /[A-Za-z0-9/_.*-]/;
const CUT_START = /[A-Za-z0-9/_.:*'"-]/;

/** Lines at least this long may have been broken by a wrap; shorter lines ended by choice. */
const WRAP_MIN = 60;

const OPENERS = new Set(["'", '"', '(', '[']);
const CLOSERS = new Set(['.', ',', ';', ')', ']', "'", '"']);

/** A token without the quotes and punctuation around it (index scan: called once per long line). */
function bareToken(t: string): string {
  let i = 0;
  let j = t.length;
  while (i < j && OPENERS.has(t[i] as string)) i++;
  while (j > i && CLOSERS.has(t[j - 1] as string)) j--;
  return i === 0 && j === t.length ? t : t.slice(i, j);
}

/**
 * Whether `next` continues the token `prev` that a hard wrap cut (`'Microsoft.Authorization/roleAssignm`
 * / `ents/write'`): the first half is structured (`/`, `:` or `.` inside), the second is no word
 * or token that could stand alone, and the two together have a permission / ARN / scope shape.
 */
function continuesToken(prev: string, next: string): boolean {
  if (!/[/:.]./.test(prev) || /[.,;]$/.test(prev)) return false;
  const n = bareToken(next);
  if (!n || !/^[A-Za-z0-9/_.:-]/.test(next)) return false;
  if (GRAMMAR_TOKEN_RE.test(n) || STOP_WORDS.has(n.toLowerCase()) || /^[A-Z][a-z]+$/.test(n)) return false;
  // A lower-case word alone ("because") is prose; a piece with structure, or a tail that closes
  // the quote the first half opened, is not.
  if (/^[a-z]+$/.test(n) && !(/^['"]/.test(prev) && /['"][.,;)]*$/.test(next))) return false;
  return GRAMMAR_TOKEN_RE.test(bareToken(prev + next));
}

/**
 * Rejoins lines that a fixed-width wrap cut inside a token (§1.1). Two signals: (1) in a paragraph
 * where two or more lines share the longest length (≥ 60), those lines were cut by a terminal at
 * that width, so a cut between two non-space characters is inside a word, rejoined when the whole
 * has a token shape (`dynamodb:Describe` / `Table`); (2) elsewhere, a long line whose last token
 * and the next line's first token only make sense together (`continuesToken`). A line that
 * starts indented, and a short line, ended by choice and keep their break.
 */
function rejoinSplitTokens(s: string): string {
  // Line starts, then one pass per paragraph: no per-line strings unless a line may be cut.
  const starts = [0];
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) starts.push(i + 1);
  if (starts.length < 2) return s;
  const lineEnd = (k: number): number => (k + 1 < starts.length ? (starts[k + 1] as number) - 1 : s.length);
  const blank = (k: number): boolean => {
    for (let i = starts[k] as number, e = lineEnd(k); i < e; i++)
      if (!isSpaceCode(s.charCodeAt(i))) return false;
    return true;
  };
  const cuts: number[] = [];
  let k = 0;
  while (k < starts.length) {
    // One paragraph: lines k … end-1. Its wrap width is the longest length shared by two lines.
    let end = k;
    let max = 0;
    let atMax = 0;
    while (end < starts.length && !blank(end)) {
      const len = lineEnd(end) - (starts[end] as number);
      if (len > max) {
        max = len;
        atMax = 1;
      } else if (len === max) atMax++;
      end++;
    }
    const width = max >= WRAP_MIN && atMax >= 2 ? max : -1;
    for (let j = k; j + 1 < end; j++) {
      const ls = starts[j] as number;
      const le = lineEnd(j);
      if (le - ls < WRAP_MIN || le - ls > 4096) continue;
      const ns = le + 1;
      // Both sides of a cut inside a token are token characters; a line ending in `:` or other
      // punctuation ended a word (a cut after an ARN's colon is left to the token readers).
      if (!CUT_END.test(s[le - 1] as string) || !CUT_START.test(s[ns] as string)) continue;
      // Scans stay within the two lines: a search past them would make a space-free text quadratic.
      let ps = le;
      while (ps > ls && s.charCodeAt(ps - 1) !== 32) ps--;
      const prevTok = s.slice(ps, le);
      let ne = ns;
      const stop = Math.min(lineEnd(j + 1), ns + 4096);
      while (ne < stop && s.charCodeAt(ne) !== 32) ne++;
      const nextTok = s.slice(ns, ne);
      // Cut at the terminal's width: inside a word, but only a token of a known shape is
      // rejoined (prose words, the prefilter's keywords among them, keep the break as a space).
      const cut =
        le - ls === width
          ? GRAMMAR_TOKEN_RE.test(bareToken(prevTok + nextTok))
          : continuesToken(prevTok, nextTok);
      if (cut) cuts.push(le);
    }
    k = Math.max(end, k + 1);
  }
  if (cuts.length === 0) return s;
  let out = '';
  let from = 0;
  for (const at of cuts) {
    out += s.slice(from, at);
    from = at + 1;
  }
  return out + s.slice(from);
}

/** Whitespace-collapsed text, as kept in `excerpt`. */
export function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** `\s` by char code: the token loops call this per character, a regex test there is slow. */
export function isSpaceCode(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return (
    c === 160 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

export function isSpace(c: string | undefined): boolean {
  return c !== undefined && c.length > 0 && isSpaceCode(c.charCodeAt(0));
}

/** Characters that end an unquoted token: whitespace, quotes and angle brackets. */
export function isTokenStop(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c !== c || c === 39 || c === 34 || c === 60 || c === 62 || isSpaceCode(c); // NaN: past the end
}

/** Characters that may continue an ARN / scope / blob across a hard wrap (§1.1). */
const JOIN_CHAR = /[A-Za-z0-9:/_+=.*-]/;

/**
 * Words that start the next clause rather than continue a token. A wrap right before one of
 * these is a wrap between words, not inside the token.
 */
const STOP_WORDS = new Set([
  'because',
  'with',
  'on',
  'or',
  'and',
  'status',
  'request',
  'requestid',
  'the',
  'for',
  'at',
  'in',
  'is',
  'to',
  'was',
  'when',
  'error',
  'please',
  'if',
  'caused',
  'over',
  'code',
  'http',
  'https',
  'see',
  'this',
  'user',
  'principal',
  'resource',
  'action',
  'service',
  'details',
  'message',
  'encoded',
  'however',
  'it',
  'not',
  'no',
  'an',
  'a',
]);

function nextWord(s: string, k: number): string {
  let e = k;
  while (e < s.length && e - k < 200 && !isSpace(s[e])) e++;
  return s.slice(k, e);
}

function lineLengthBefore(s: string, j: number): number {
  let b = j;
  while (b > 0 && j - b < 400 && s[b - 1] !== '\n') b--;
  let t = b;
  while (t < j && isSpace(s[t])) t++;
  return j - t;
}

/**
 * Whether the whitespace run s[j..k) (which must contain a newline) is a hard wrap inside a
 * token rather than a real gap: the broken line is long (wraps happen at a fixed width), the next
 * piece starts with a token character and is not the start of the next clause.
 */
export function isWrapInside(s: string, j: number, k: number, minLine = 40): boolean {
  if (k >= s.length) return false;
  const run = s.slice(j, k);
  if (!run.includes('\n') || /\n[^\S\n]*\n/.test(run)) return false; // blank line: a new paragraph
  if (!JOIN_CHAR.test(s[k] ?? '')) return false;
  if (lineLengthBefore(s, j) < minLine) return false;
  const w = nextWord(s, k);
  const bare = w.replace(/[^A-Za-z]+$/, '').toLowerCase();
  if (STOP_WORDS.has(bare)) return false;
  if (/^[A-Z][a-z]+[:,.;]?$/.test(w)) return false; // a capitalised word: the next sentence
  if (/^\d+[,.:]?$/.test(w) && !/[:/]$/.test(s.slice(Math.max(0, j - 1), j))) return false;
  return true;
}

export interface Token {
  value: string;
  end: number;
}

/**
 * Reads an unquoted token (ARN, email, resource name) at `i`, joining hard wraps that fall
 * inside it. Bounded by `max` characters so that a huge run of token characters stays linear.
 */
export function readToken(s: string, i: number, max = 2048, joinWraps = true): Token | null {
  let value = '';
  let j = i;
  let joins = 0;
  for (;;) {
    const from = j;
    while (j < s.length && j - from < max && !isTokenStop(s, j)) j++;
    value += s.slice(from, j);
    if (!joinWraps || joins >= 8 || value.length >= max) break;
    let k = j;
    while (k < s.length && k - j < 200 && isSpace(s[k])) k++;
    if (k === j || !isWrapInside(s, j, k)) break;
    joins++;
    j = k;
  }
  if (!value) return null;
  return { value, end: j };
}

const QUOTES = new Set(["'", '"']);

/**
 * Reads a quoted value at `i` (the opening quote) up to the matching closing quote on a bounded
 * window. Whitespace runs with a newline inside the quotes are wraps: removed between token
 * characters, otherwise one space.
 */
export function readQuoted(s: string, i: number, max = 4096): Token | null {
  const q = s[i];
  if (q === undefined || !QUOTES.has(q)) return null;
  // indexOf stops at the next quote; summed over anchors that is linear (each anchor owns a quote).
  const close = s.indexOf(q, i + 1);
  if (close < 0 || close - i > max) return null;
  const inner = s.slice(i + 1, close);
  const value = inner.includes('\n') ? joinWrapped(inner) : inner.trim();
  return { value, end: close + 1 };
}

/** Joins wrapped lines of a token-like string (scope, ARN, blob). */
export function joinWrapped(inner: string): string {
  return inner
    .replace(/([A-Za-z0-9:/_+=.*-])[^\S\n]*\n\s*(?=[A-Za-z0-9:/_+=.*-])/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Trims the trailing punctuation that sentences put after tokens (§1.3). */
export function trimToken(v: string): string {
  let s = v.trim();
  for (let n = 0; n < 8; n++) {
    const t = s.replace(/^['"([]+/, '').replace(/[.,;)\]'"]+$/, '');
    if (t === s) break;
    s = t;
  }
  return s;
}

export function skipSpace(s: string, i: number, max = 400): number {
  let j = i;
  while (j < s.length && j - i < max && isSpace(s[j])) j++;
  return j;
}

/** Values the text masks or leaves as a template are not names (§1.6, README conventions). */
export function isMasked(v: string | null | undefined): boolean {
  if (v === null || v === undefined) return true;
  const t = v.trim();
  if (!t) return true;
  if (/\*{2,}|x{3,}|X{3,}|<[^>]*>|\bredacted\b|\[redacted|\.\.\.|…/i.test(t)) return true;
  // Templates: {account-id}, ${VAR}, $ACCOUNT_ID, [REDACTED], ACCOUNT_ID / SOME_GUID_HERE.
  if (/\{[^{}\s]{1,64}\}|\$\{|\$[A-Z][A-Z0-9_]{2,}|\b(?:masked|obfuscated|hidden|removed|omitted)\b/i.test(t))
    return true;
  if (/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(t)) return true;
  // An AWS ARN's account field holds digits, nothing (S3) or `aws` (managed policies): a word or
  // a star there (`*`, `ACCOUNTID`) is a mask. Digits of the wrong length are kept as written.
  const account = /^(?:arn:)?aws[a-z-]{0,20}:[^:\s]*:[^:\s]*:([^:\s]*):/.exec(t)?.[1];
  if (account && account !== 'aws' && !/^\d+$/.test(account)) return true;
  const letters = t.replace(/[^A-Za-z0-9]/g, '');
  if (letters.length >= 3 && /^([g-zG-Z])\1+$/.test(letters)) return true; // SSSS-SSSS…
  return false;
}

/** Decodes a URL component without throwing on malformed escapes. */
export function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
