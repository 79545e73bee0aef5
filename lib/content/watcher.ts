/**
 * The always-injected part: watch the console page for new text, run the cheap keyword prefilter
 * on it, and hand candidates on. Reads only what was added or changed since the last batch (never
 * the whole document after the first scan), does the reading at idle time, and reads a changed
 * node only once its text has settled, so text that arrives in pieces is parsed whole.
 *
 * What it sees: the document and every open shadow root (shadow-roots.ts: found in added subtrees
 * as they attach, and at start); `hidden` elements when they are shown; nodes removed before they
 * were read (a toast that came and went); subtrees of any size (big-text.ts reads those over
 * TEXT_CAP in bounded steps). What it reads of each is decided in dom-text.ts.
 */
import { mayContainDenial } from '../denial/prefilter';
import { BigTextRead, CHUNK_CHARS } from './big-text';
import { asShadowRoot, blockOf, extractText, isInline, isSkippedRoot, TEXT_CAP } from './dom-text';
import { createShadowRoots } from './shadow-roots';

export { extractText, TEXT_CAP } from './dom-text';

/** Max nodes looked at per idle slice; the rest waits for the next slice. */
const NODES_PER_SLICE = 400;
/** Characters of large subtrees read per slice (big-text.ts): a few milliseconds of work. */
const BIG_CHARS_PER_SLICE = CHUNK_CHARS;
/** Large subtrees waiting to be read; a newer one beyond this drops the oldest. */
const BIG_READS_MAX = 8;
/** rIC timeout: a denial should reach the screen within ~100 ms even on a busy page. */
const IDLE_TIMEOUT_MS = 50;

/**
 * When a changed node counts as settled: quiet for this long since its last change. An inserted
 * subtree (an alert rendered at once) is nearly always complete: a short wait keeps a denial's way
 * to the screen short. A text change may be the first piece of more. A node changing in separate
 * tasks, or growing soon after it was read, is streaming. However long the stream, a node is read
 * MAX_WAIT_MS after its first change.
 */
const QUIET_INSERT_MS = 25;
const QUIET_TEXT_MS = 100;
const STREAM_QUIET_MS = 400;
const STREAM_WINDOW_MS = 1500;
const MAX_WAIT_MS = 2500;

const MUTATIONS: MutationObserverInit = {
  childList: true,
  subtree: true,
  characterData: true,
  // Only `hidden`: a pre-rendered toast or panel shown by removing it has new text to read.
  attributeFilter: ['hidden'],
};

export interface Candidate {
  text: string;
  /** The element the text came from (a shadow root's host), for placing the banner. */
  node: Element;
  /** Stable per node: a newer text of the same node replaces its card (`12`, `12#3` for chunks). */
  source: string;
}

export interface WatcherOptions {
  /** Called once per batch with the texts that passed the prefilter. */
  onCandidates(candidates: Candidate[]): void;
  prefilter?: (text: string) => boolean;
  /** Milliseconds, for settling (performance.now by default). */
  now?: () => number;
}

export interface Watcher {
  /** Read the whole body once (the page may already show a denial when we arrive). */
  scanInitial(): void;
  stop(): void;
  /**
   * For tests: run the pending batch now, as if every node had settled; `settled: false` leaves the
   * nodes still settling (by `now`) for later.
   */
  flushNow(opts?: { settled?: boolean }): void;
}

type Schedule = (fn: () => void) => void;
type Root = Element | ShadowRoot;

/** A page quiet for this long gets its next batch read at once rather than at idle time. */
const QUIET_MS = 250;
let lastScheduledAt = -Infinity;

/**
 * Batches are read at idle time while the page is busy (SPAs re-render constantly), but a lone
 * change on a quiet page — typically the error alert after a failed call — is read in the next
 * task: waiting for an idle period would first wait for a frame, which on big console pages
 * costs a full style and layout pass before the banner can even start.
 */
const scheduleIdle: Schedule = (fn) => {
  const now = performance.now();
  const quiet = now - lastScheduledAt > QUIET_MS;
  lastScheduledAt = now;
  if (quiet || typeof requestIdleCallback !== 'function') setTimeout(fn, 0);
  else requestIdleCallback(fn, { timeout: IDLE_TIMEOUT_MS });
};

/** A short memory of texts already handed on, so SPA re-renders of one alert are not re-parsed. */
class RecentTexts {
  private seen = new Set<string>();
  constructor(private max = 256) {}
  /** True the first time a text is seen (recently). */
  add(text: string): boolean {
    const key = text.length > 4096 ? `${text.length}:${text.slice(0, 1024)}:${text.slice(-1024)}` : text;
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.max) this.seen.delete(this.seen.values().next().value!);
    this.seen.add(key);
    return true;
  }
}

/** When a pending node changed (observer callback times), and how. */
interface Stamp {
  first: number;
  last: number;
  /** A text change (characterData, an added text node or inline piece), not a new subtree. */
  text: boolean;
  /** An added subtree (or a shadow root found): shadow roots may be attached inside it. */
  inserted: boolean;
  /** Where a node removed before it was read used to be. */
  formerParent?: Node;
}

/** A settled root to read, with the subtrees added under it since it was last read. */
interface Settled {
  root: Element | ShadowRoot;
  inserted: Node[];
  formerParent?: Node;
}

export function createWatcher(
  doc: Document,
  opts: WatcherOptions,
  schedule: Schedule = scheduleIdle,
): Watcher {
  const prefilter = opts.prefilter ?? mayContainDenial;
  const now = opts.now ?? (() => performance.now());
  const pending = new Map<Node, Stamp>();
  const recent = new RecentTexts();
  /** When each root was last read, and its text's start and length then: growing soon after is streaming. */
  const reads = new WeakMap<Node, { at: number; head: string; length: number }>();
  const ids = new WeakMap<Node, number>();
  let nextId = 0;
  const bigReads: BigTextRead[] = [];
  let scheduled = false;
  let stopped = false;
  let wakeTimer: ReturnType<typeof setTimeout> | undefined;
  /** The earliest a pending node can have settled: before then a batch has nothing to read. */
  let wakeAt = Infinity;
  /** Pending nodes were left unexamined (the slice was full). */
  let more = false;

  const request = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    schedule(() => flush(false));
  };

  /** Reads the settled nodes by `at` (one timer; the batch itself runs through `schedule`). */
  function wakeBy(at: number): void {
    if (at >= wakeAt) return;
    wakeAt = at;
    clearTimeout(wakeTimer);
    wakeTimer = setTimeout(
      () => {
        wakeAt = -Infinity; // due now
        request();
      },
      Math.max(0, at - now()),
    );
  }

  const sourceOf = (root: Node): string => {
    let id = ids.get(root);
    if (id === undefined) ids.set(root, (id = ++nextId));
    return String(id);
  };

  function note(node: Node, at: number, text: boolean, inserted: boolean): void {
    const s = pending.get(node);
    if (!s) pending.set(node, { first: at, last: at, text, inserted });
    else {
      s.last = at;
      s.text ||= text;
      s.inserted ||= inserted;
    }
  }

  const observer = new MutationObserver((records) => {
    // Keep the callback cheap: remember nodes and when they changed, read them later.
    const at = now();
    for (const r of records) {
      if (r.type === 'characterData') note(r.target, at, true, false);
      else if (r.type === 'attributes') {
        if (!(r.target as Element).hasAttribute('hidden')) note(r.target, at, false, false);
      } else {
        for (const n of r.addedNodes)
          if (n.nodeType === Node.ELEMENT_NODE) note(n, at, isInline(n as Element), true);
          else if (n.nodeType === Node.TEXT_NODE) note(n, at, true, false);
        if (pending.size)
          for (const n of r.removedNodes) {
            const s = pending.get(n);
            if (s && !s.formerParent) s.formerParent = r.target;
          }
      }
    }
    // No batch before the earliest a node can have settled: one timer for all of them, so a page
    // mutating non-stop costs a batch per settling period, not one per mutation.
    if (pending.size) wakeBy(at + QUIET_INSERT_MS);
  });
  const observe = (target: Node) => observer.observe(target, MUTATIONS);
  const shadows = createShadowRoots({
    observe,
    found(root) {
      pending.set(root, { first: -Infinity, last: -Infinity, text: false, inserted: true });
      wakeBy(now());
      request();
    },
  });
  observe(doc.documentElement);

  /** The unit read for a changed node: a text's block; an inline piece's sentence; else itself. */
  function rootFor(node: Node): Root | null {
    if (node.nodeType === Node.TEXT_NODE) return blockOf(node);
    const shadow = asShadowRoot(node);
    if (shadow) return shadow;
    if (node.nodeType !== Node.ELEMENT_NODE) return null;
    const el = node as Element;
    if (isInline(el)) {
      const block = blockOf(el);
      if (block && block !== doc.body && block !== doc.documentElement) return block;
    }
    return el;
  }

  function hasPendingAncestor(root: Root, batch: Set<Root>): boolean {
    for (let p: Node | null = root.parentNode; p; p = p.parentNode) if (batch.has(p as Root)) return true;
    return false;
  }

  const anchorOf = (root: Root): Element => asShadowRoot(root)?.host ?? (root as Element);

  /**
   * Groups pending nodes by root and returns the roots that have settled, forgetting their nodes;
   * `wake`: when the next one will have; `more`: pending nodes left unexamined this slice.
   */
  function settled(force: boolean): { ready: Settled[]; wake: number; more: boolean } {
    interface Group {
      first: number;
      last: number;
      text: boolean;
      nodes: Node[];
      inserted: Node[];
      former?: Node;
    }
    const groups = new Map<Root, Group>();
    let taken = 0;
    for (const [node, s] of pending) {
      if (taken++ >= NODES_PER_SLICE) break;
      const root = rootFor(node);
      if (!root) {
        pending.delete(node);
        continue;
      }
      let g = groups.get(root);
      if (!g) groups.set(root, (g = { first: s.first, last: s.last, text: s.text, nodes: [], inserted: [] }));
      g.first = Math.min(g.first, s.first);
      g.last = Math.max(g.last, s.last);
      g.text ||= s.text;
      g.former ??= s.formerParent;
      g.nodes.push(node);
      if (s.inserted) g.inserted.push(node);
    }
    const t = now();
    let wake = Infinity;
    const ready: Settled[] = [];
    for (const [root, g] of groups) {
      const streaming = g.last > g.first || grewSinceRead(root, g.first);
      const quiet = streaming ? STREAM_QUIET_MS : g.text ? QUIET_TEXT_MS : QUIET_INSERT_MS;
      const due = Math.min(g.last + quiet, g.first + MAX_WAIT_MS);
      if (!force && t < due) {
        wake = Math.min(wake, due);
        continue;
      }
      for (const n of g.nodes) pending.delete(n);
      ready.push({ root, inserted: g.inserted, ...(g.former ? { formerParent: g.former } : {}) });
    }
    return { ready, wake, more: taken > NODES_PER_SLICE };
  }

  /** Read not long before `changedAt`, and its text has grown since (more of the same text). */
  function grewSinceRead(root: Root, changedAt: number): boolean {
    const last = reads.get(root);
    if (!last || changedAt - last.at >= STREAM_WINDOW_MS) return false;
    const raw = root.textContent ?? '';
    return raw.length > last.length && raw.startsWith(last.head);
  }

  function read({ root, inserted, formerParent }: Settled, out: Candidate[], batch: Set<Root>): void {
    // Almost nothing a console adds mentions a denial: one native `textContent` read and the
    // keyword regex reject it before any tree walk or selector match. The careful extraction
    // (dom-text.ts: skipping editors, help and form fields) only runs on the rare hit.
    const raw = root.textContent ?? '';
    reads.set(root, { at: now(), head: raw.slice(0, 256), length: raw.length });
    // A node inside another added node is read with it; reading it again would duplicate text.
    const nested = hasPendingAncestor(root, batch);
    if (raw.length > TEXT_CAP) {
      // Read in bounded steps; that walk finds the shadow roots too.
      if (!nested && !isSkippedRoot(root, formerParent)) startBigRead(root);
      return;
    }
    for (const node of inserted) shadows.scan(node);
    if (raw.length <= 8 || !prefilter(raw) || nested || isSkippedRoot(root, formerParent)) return;
    const text = extractText(root);
    if (text.length > 8 && prefilter(text) && recent.add(text))
      out.push({ text, node: anchorOf(root), source: sourceOf(root) });
  }

  function startBigRead(root: Root): void {
    const existing = bigReads.findIndex((r) => r.root === root);
    if (existing >= 0) bigReads.splice(existing, 1);
    bigReads.push(new BigTextRead(root, sourceOf(root), (el) => shadows.check(el)));
    if (bigReads.length > BIG_READS_MAX) bigReads.shift();
  }

  function stepBigReads(out: Candidate[]): void {
    const current = bigReads[0];
    if (!current) return;
    for (const chunk of current.step(BIG_CHARS_PER_SLICE))
      if (prefilter(chunk.text) && recent.add(chunk.text))
        out.push({ text: chunk.text, node: anchorOf(current.root as Root), source: chunk.source });
    if (current.done) bigReads.shift();
  }

  function flush(force: boolean): void {
    scheduled = false;
    if (stopped) return;
    // Most batches come while every pending node is still settling: nothing to read yet.
    if (!force && now() < wakeAt && !more && !bigReads.length) return;
    wakeAt = Infinity;
    const { ready, wake, more: left } = settled(force);
    more = left;
    const batch = new Set(ready.map((r) => r.root));
    const candidates: Candidate[] = [];
    for (const settledRoot of ready) read(settledRoot, candidates, batch);
    stepBigReads(candidates);
    if (candidates.length) opts.onCandidates(candidates);
    if (more || bigReads.length) request();
    else if (wake !== Infinity) wakeBy(wake);
  }

  return {
    scanInitial() {
      if (doc.body) pending.set(doc.body, { first: -Infinity, last: -Infinity, text: false, inserted: true });
      wakeBy(now());
      request();
    },
    stop() {
      stopped = true;
      observer.disconnect();
      shadows.stop();
      clearTimeout(wakeTimer);
      pending.clear();
      bigReads.length = 0;
    },
    flushNow: ({ settled = true } = {}) => flush(settled),
  };
}
