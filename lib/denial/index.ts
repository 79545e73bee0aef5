/**
 * Denial parser: text in, denials out. Pure (no DOM, no I/O), shared by the content script's
 * lazily loaded banner chunk, the CLI and the broker. The pipeline lives in ./parse.ts; the
 * family parsers in ./aws.ts, ./azure.ts, ./gcp.ts; look-alikes in ./lookalikes.ts.
 */
import type { Denial, ParseHints } from '../contract/denial';
import { parseUnguarded } from './parse';
import { mayContainDenial } from './prefilter';

export type { Denial, ParseHints } from '../contract/denial';
export { mayContainDenial } from './prefilter';

/** Every denial in `text`, in order of appearance, de-duplicated by (cloud, actions, resource). */
export function parseDenials(text: string, hints?: ParseHints): Denial[] {
  try {
    // The prefilter is the gate the content script uses; applying it here too keeps the two
    // consistent by construction (and skips the parse for ordinary page text).
    if (typeof text !== 'string' || !mayContainDenial(text)) return [];
    return parseUnguarded(text, hints ?? {});
  } catch {
    // The parser runs on arbitrary page text: a bug must cost a missed banner, never a crash.
    return [];
  }
}
