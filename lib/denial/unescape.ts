/**
 * The first stage of normalisation (docs/denial-formats.md §1.1, §1.2, §1.6, §1.7): undoing what
 * tools did to a message before any phrase is read. Escapes (JSON, XML/HTML entities, Python
 * `\x` bytes) nested a bounded number of times; continuations that join with no space (YAML's
 * trailing backslash, Python's adjacent literals); and decorations: colour codes, line prefixes,
 * Markdown bold, YAML's doubled quotes, templated ARN segments. Every regex here is literal-led or
 * anchored at a line start with bounded classes, so a 1 MB paste stays linear.
 */

/** One level of JSON / XML / HTML escaping. Alternatives start with distinct literals. */
const ESCAPE_RE =
  /\\u([0-9a-fA-F]{4})|\\(["\\/'])|\\r\\n|\\[nr]|\\t|&(quot|apos|lt|gt|amp|nbsp|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));/g;

const NAMED_ENTITIES: Record<string, string> = {
  quot: '"',
  apos: "'",
  lt: '<',
  gt: '>',
  amp: '&',
  nbsp: ' ',
};

function fromCodePoint(n: number): string {
  // Unpaired surrogates and out-of-range code points would throw in String.fromCodePoint.
  if (!Number.isFinite(n) || n < 0 || n > 0x10ffff) return '';
  try {
    return String.fromCodePoint(n);
  } catch {
    return '';
  }
}

function unescapeOnce(s: string): string {
  return s.replace(
    ESCAPE_RE,
    (m: string, hex?: string, ch?: string, entity?: string, dec?: string, hexEnt?: string): string => {
      if (hex !== undefined) return fromCodePoint(parseInt(hex, 16));
      if (ch !== undefined) return ch;
      if (entity !== undefined) {
        if (dec !== undefined) return fromCodePoint(parseInt(dec, 10));
        if (hexEnt !== undefined) return fromCodePoint(parseInt(hexEnt, 16));
        return NAMED_ENTITIES[entity] ?? m;
      }
      if (m === '\\t') return ' ';
      return '\n'; // literal \r\n, \n or \r: treated as a line break (§1.2)
    },
  );
}

/**
 * ANSI colour escapes: ESC [ … m (ESC may arrive escaped as `\033` or `\e`), and the bare `[31m`
 * left when a copy dropped the ESC byte. Built from a string so the ESC byte stays readable.
 */
const ANSI_RE = new RegExp(
  String.fromCharCode(27) +
    '\\[[0-9;]{0,16}[A-Za-z]|\\\\(?:033|e)\\[[0-9;]{0,16}m|\\[[0-9]{1,3}(?:;[0-9]{1,3}){0,4}m',
  'g',
);

/** Adjacent Python string literals on continuation lines (`'…'` newline, indent, `b'…'`). */
const PY_ADJACENT_RE = /(['"])\r?\n[ \t]+b?\1/g;

/** Python bytes literals and C-style strings: `\xe2\x80\x99` (UTF-8 bytes of one character). */
const HEX_BYTES_RE = /(?:\\x[0-9a-fA-F]{2}){1,16}/g;

function decodeHexBytes(run: string): string {
  const pct = run.replace(/\\x/g, '%');
  try {
    return decodeURIComponent(pct);
  } catch {
    // Not UTF-8: read each byte as a Latin-1 character.
    return run.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

/**
 * What loggers, CI runners, terminals and Markdown put in front of every line (§1.7): ISO and Go
 * log timestamps (GitHub Actions' raw log), Jenkins' time of day, klog headers, bracketed levels (`[error]`,
 * `##[error]`), Markdown quotes (`> `) and PowerShell's `|` gutter (with its line number).
 * Removed so that a sentence wrapped across prefixed lines reads as one. `Error:` itself stays:
 * wrappers are recognised by it (§2.2).
 */
const LINE_PREFIX_RE = new RegExp(
  '^(?:[^\\S\\n]*(?:' +
    [
      '\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d{1,9})?(?:Z|[+-]\\d\\d:?\\d\\d)?',
      '\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,9})?',
      '\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d{1,9})?(?=[^\\S\\n])',
      '[IWEF]\\d{4} \\d\\d:\\d\\d:\\d\\d\\.\\d{1,9}[^\\S\\n]+\\d{1,9} [\\w.-]{1,80}:\\d{1,6}\\]',
      '(?:##)?\\[(?:error|ERROR|Error|warn|WARN|warning|WARNING|Warning|info|INFO|debug|DEBUG|fatal|FATAL)\\]',
      '::(?:error|warning)[^:\\n]{0,200}::',
      '>{1,8}(?=\\s|$)',
      '(?:\\d{1,6}[^\\S\\n]+)?\\|(?=[^\\S\\n]|$)',
    ].join('|') +
    ')){1,4}[^\\S\\n]?',
  'gm',
);

/**
 * Markdown bold (`**text**`, `__text__`) around words. Three or more stars stay: `***` is how CI
 * masks a secret (§1.6).
 */
const MD_BOLD_RE = /\*{2,}|_{2,}/g;

const WORD_CHAR = /[A-Za-z0-9]/;

/** Drops a `**` / `__` pair marker that opens or closes emphasis; keeps `***` masks and `a__b`. */
function dropBold(m: string, at: number, s: string): string {
  if (m.length !== 2) return m;
  const before = s[at - 1] ?? ' ';
  const after = s[at + 2] ?? ' ';
  const opens = !WORD_CHAR.test(before) && !/\s/.test(after);
  const closes = !/\s/.test(before) && !WORD_CHAR.test(after);
  return opens !== closes ? '' : m;
}

/**
 * An ARN with templated segments (`arn:aws:eks:<region>:<acct>:cluster/<cluster>`): the angle
 * brackets would end the token, so they become braces, which token readers keep and the masking
 * check still recognises (§1.6).
 */
const TEMPLATED_ARN_RE = /\barn:(?:[A-Za-z0-9:/_+=.,@*-]|<[A-Za-z0-9 _.-]{1,40}>){1,2048}/g;

function braceTemplates(arn: string): string {
  return arn.includes('<') ? arn.replace(/<([^<>]*)>/g, '{$1}') : arn;
}

/** YAML single-quoted scalars double their quotes: `''alice''` is `'alice'` (§1.2). */
const YAML_QUOTE_RE = /''([^'\n]{1,2048})''/g;

/**
 * Continuations that join with no space: a YAML double-quoted scalar (or a shell line) ending in a
 * backslash, and Python's pretty-printer splitting a long (bytes) string into adjacent literals.
 */
export function joinContinuations(input: string): string {
  return input.replace(/\\\r?\n[ \t]*/g, '').replace(PY_ADJACENT_RE, '');
}

/** Unescapes repeatedly (JSON inside a JSON string, CloudTrail events, ARM details[], Python bytes). */
export function unescapeNested(input: string): string {
  let s = input;
  for (let i = 0; i < 5; i++) {
    const next = unescapeOnce(s.replace(HEX_BYTES_RE, decodeHexBytes));
    if (next === s) break;
    s = next;
  }
  return s;
}

/** ANSI colour codes, wherever they stand (they split tokens and phrases). */
export function stripColour(s: string): string {
  return s.replace(ANSI_RE, '');
}

/** Per-line prefixes, Markdown bold, YAML's doubled quotes and templated ARN segments. */
export function stripDecorations(s: string): string {
  return s
    .replace(LINE_PREFIX_RE, '')
    .replace(MD_BOLD_RE, dropBold)
    .replace(YAML_QUOTE_RE, "'$1'")
    .replace(TEMPLATED_ARN_RE, braceTemplates);
}
