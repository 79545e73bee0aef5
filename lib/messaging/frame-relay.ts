/**
 * The frame relay, the half the content core needs (no zod: the core stays small). A console frame's
 * content script sends `frame-candidates` to the background (validated there with zod, see
 * messages.ts); the background relays it to the top frame of the same tab as `frame-candidates` with
 * the sender's `frameId`, and the top frame's content core checks it here before handing the texts
 * to the banner. One banner per tab, in the top frame (docs/extension.md, "Frames").
 */

export const FRAME_CANDIDATES = 'frame-candidates';
/** Longest text per candidate (the watcher's own cap). */
export const FRAME_TEXT_MAX = 1_000_000;
/** Candidates per message (a watcher batch is rarely more than a few). */
export const FRAME_CANDIDATES_MAX = 20;
/** Longest source id (the watcher's per-node id, e.g. `12` or `12#3` for a chunk of a big node). */
export const FRAME_SOURCE_MAX = 64;

export interface FrameCandidate {
  text: string;
  /** Stable per node within its frame: a newer text of the same node replaces its card. */
  source: string;
}

/** What the background relays to the top frame. */
export interface RelayedFrameCandidates {
  type: typeof FRAME_CANDIDATES;
  frameId: number;
  candidates: FrameCandidate[];
}

function isCandidate(value: unknown): value is FrameCandidate {
  if (!value || typeof value !== 'object') return false;
  const { text, source } = value as Record<string, unknown>;
  return (
    typeof text === 'string' &&
    text.length > 0 &&
    text.length <= FRAME_TEXT_MAX &&
    typeof source === 'string' &&
    source.length > 0 &&
    source.length <= FRAME_SOURCE_MAX
  );
}

/**
 * Whether a message came from this extension's background: a content script of ours would have a
 * tab, and nothing else can message a content script through the runtime.
 */
export function fromOurBackground(sender: { id?: string; tab?: unknown }, runtimeId: string): boolean {
  return sender.id === runtimeId && sender.tab === undefined;
}

/**
 * A relayed batch as the top frame receives it: well-formed, and from this extension's background.
 */
export function parseRelayedCandidates(
  raw: unknown,
  sender: { id?: string; tab?: unknown },
  runtimeId: string,
): RelayedFrameCandidates | undefined {
  if (!fromOurBackground(sender, runtimeId)) return undefined;
  if (!raw || typeof raw !== 'object') return undefined;
  const { type, frameId, candidates } = raw as Record<string, unknown>;
  if (type !== FRAME_CANDIDATES) return undefined;
  if (typeof frameId !== 'number' || !Number.isInteger(frameId) || frameId <= 0) return undefined;
  if (!Array.isArray(candidates) || candidates.length === 0 || candidates.length > FRAME_CANDIDATES_MAX)
    return undefined;
  if (!candidates.every(isCandidate)) return undefined;
  return { type, frameId, candidates: candidates.map((c) => ({ text: c.text, source: c.source })) };
}
