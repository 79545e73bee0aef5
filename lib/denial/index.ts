/**
 * Denial parser: text in, denials out. Pure (no DOM, no I/O), shared by the content script's
 * lazily loaded banner chunk, the CLI and the broker.
 */
import type { Denial, ParseHints } from '../contract/denial';

export type { Denial, ParseHints } from '../contract/denial';
export { mayContainDenial } from './prefilter';

/** Every denial in `text`, in order of appearance, de-duplicated by (cloud, actions, resource). */
export function parseDenials(_text: string, _hints?: ParseHints): Denial[] {
  return []; // placeholder until the parser lands
}
