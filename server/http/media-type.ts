/**
 * A request's `Content-Type`, read strictly: the media type and its parameters as HTTP's grammar
 * writes them (docs/api.md, "Request bodies"). The lenient parsers at hand (WHATWG's, and the
 * `content-type` package) drop a parameter they cannot read, so `charset = latin1` or a second
 * `charset` would pass unseen; here anything outside the grammar is an error the caller is told.
 */

/** RFC 9110 token characters. */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
/** RFC 9110 quoted-string: qdtext, or a backslash before any visible character. */
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5B\\x5D-\\x7E\\x80-\\xFF]|\\\\[\\t \\x21-\\x7E\\x80-\\xFF])*"';
const TYPE_RE = new RegExp(`^(${TOKEN})/(${TOKEN})`);
/** `OWS ";" OWS [ name "=" value ]` at the sticky position. */
const PARAMETER_RE = new RegExp(`[ \\t]*;[ \\t]*(?:(${TOKEN})=(${TOKEN}|${QUOTED}))?`, 'y');

export interface MediaType {
  /** `type/subtype`, lower-cased (both are case-insensitive). */
  readonly essence: string;
  /** Parameters in order, names lower-cased, quoted values unquoted; a name may repeat. */
  readonly parameters: ReadonlyArray<readonly [name: string, value: string]>;
}

function unquote(value: string): string {
  return value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
}

/** The media type `header` names, or null when it does not follow the grammar. */
export function parseMediaType(header: string): MediaType | null {
  const text = header.trim();
  const type = TYPE_RE.exec(text);
  if (!type) return null;
  const parameters: [string, string][] = [];
  let at = type[0].length;
  while (at < text.length) {
    PARAMETER_RE.lastIndex = at;
    const parameter = PARAMETER_RE.exec(text);
    if (!parameter || PARAMETER_RE.lastIndex === at) return null;
    at = PARAMETER_RE.lastIndex;
    if (parameter[1] !== undefined) parameters.push([parameter[1].toLowerCase(), unquote(parameter[2]!)]);
  }
  return { essence: `${type[1]!}/${type[2]!}`.toLowerCase(), parameters };
}

/**
 * Why a body declared with `header` cannot be read as JSON in UTF-8, or null when it can: the
 * media type is `application/json` and the charset, if given once, is UTF-8 (any case).
 */
export function jsonContentTypeProblem(header: string | undefined): string | null {
  const send = 'send the body as Content-Type: application/json (UTF-8; charset=utf-8 or none)';
  if (header === undefined || header.trim() === '') return `Content-Type: missing; ${send}`;
  const media = parseMediaType(header);
  if (media === null) {
    return `Content-Type: ${JSON.stringify(header.slice(0, 100))} is not a valid media type; ${send}`;
  }
  if (media.essence !== 'application/json') {
    return `Content-Type: ${media.essence} is not supported; ${send}`;
  }
  const charsets = media.parameters.filter(([name]) => name === 'charset').map(([, value]) => value);
  if (charsets.length > 1) return `Content-Type: charset given ${charsets.length} times; ${send}`;
  const [charset] = charsets;
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
    return `Content-Type: charset ${JSON.stringify(charset.slice(0, 40))} is not supported, only UTF-8; ${send}`;
  }
  return null;
}
