/**
 * The always-injected part: watch the console page for new text, run the cheap keyword prefilter
 * on it, and hand candidates on. Reads only what was added or changed since the last batch (never
 * the whole document after the first scan) and does the reading at idle time.
 */
import { mayContainDenial } from '../denial/prefilter';

/** Longest text handed on per node; hostile pages can add megabytes. */
export const TEXT_CAP = 1_000_000;
/** Max nodes read per idle slice; the rest waits for the next slice. */
const NODES_PER_SLICE = 400;
/** rIC timeout: a denial should reach the screen within ~100 ms even on a busy page. */
const IDLE_TIMEOUT_MS = 50;

/** Never read: code and markup containers, form fields (user input), our own banner host. */
const SKIP_TAGS = new Set([
  'HEAD',
  'TITLE',
  'SCRIPT',
  'STYLE',
  'NOSCRIPT',
  'TEMPLATE',
  'TEXTAREA',
  'INPUT',
  'SELECT',
  'SVG',
  'CANVAS',
  'IFRAME',
  'UNBLOCK-BANNER',
]);
/** Code blocks are skipped (docs and help quote example denials) unless inside an alert. */
const CODE_TAGS = new Set(['PRE', 'CODE']);
const ALERT = '[role="alert"],[role="alertdialog"],[aria-live="assertive"],[aria-live="polite"]';
/** Help drawers, info panels and tooltips quote complete example denials. */
export const HELP_SELECTOR = [
  '[role="tooltip"]',
  '[hidden]',
  '[data-unblock-skip]',
  '[class~="help"]',
  '[id="help"]',
  '[class*="help-panel" i]',
  '[class*="helppanel" i]',
  '[class*="help-drawer" i]',
  '[class*="info-panel" i]',
  'aside[class*="help" i]',
  '[class*="tooltip" i]',
  '[id*="help-panel" i]',
  'aside[aria-label*="help" i]',
  'unblock-banner',
].join(',');
/** Inline elements do not break words: text on either side belongs to one sentence. */
const INLINE_TAGS = new Set([
  'A',
  'ABBR',
  'B',
  'BDI',
  'BDO',
  'CODE',
  'EM',
  'FONT',
  'I',
  'KBD',
  'LABEL',
  'MARK',
  'Q',
  'S',
  'SAMP',
  'SMALL',
  'SPAN',
  'STRONG',
  'SUB',
  'SUP',
  'TIME',
  'U',
  'VAR',
  'WBR',
]);

export interface Candidate {
  text: string;
  node: Element;
}

export interface WatcherOptions {
  /** Called once per batch with the texts that passed the prefilter. */
  onCandidates(candidates: Candidate[]): void;
  prefilter?: (text: string) => boolean;
}

export interface Watcher {
  /** Read the whole body once (the page may already show a denial when we arrive). */
  scanInitial(): void;
  stop(): void;
  /** For tests: run the pending batch now. */
  flushNow(): void;
}

function isSkippedElement(el: Element): boolean {
  if (SKIP_TAGS.has(el.tagName.toUpperCase())) return true;
  if (el.closest(HELP_SELECTOR)) return true;
  return CODE_TAGS.has(el.tagName.toUpperCase()) && !el.closest(ALERT);
}

function blockOf(node: Node): Node | null {
  let el = node.parentElement;
  while (el && INLINE_TAGS.has(el.tagName.toUpperCase())) el = el.parentElement;
  return el;
}

/**
 * The readable text under `root`: text nodes in document order, joined without a separator inside
 * one block (so `s3:<b>GetObject</b>` stays one token) and with a newline between blocks.
 */
export function extractText(root: Node, cap = TEXT_CAP): string {
  const doc = root.ownerDocument ?? (root as Document);
  if (root.nodeType === Node.TEXT_NODE) return (root.nodeValue ?? '').slice(0, cap);
  const walker = doc.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      if (node.nodeType === Node.ELEMENT_NODE) {
        const el = node as Element;
        const tag = el.tagName.toUpperCase();
        if (SKIP_TAGS.has(tag) || el.matches(HELP_SELECTOR)) return NodeFilter.FILTER_REJECT;
        if (CODE_TAGS.has(tag) && !el.closest(ALERT)) return NodeFilter.FILTER_REJECT;
        return NodeFilter.FILTER_SKIP;
      }
      return NodeFilter.FILTER_ACCEPT;
    },
  });
  let out = '';
  let lastBlock: Node | null | undefined;
  for (let n = walker.nextNode(); n && out.length < cap; n = walker.nextNode()) {
    const value = n.nodeValue;
    if (!value) continue;
    const block = blockOf(n);
    if (lastBlock !== undefined && block !== lastBlock) out += '\n';
    lastBlock = block;
    out += value;
  }
  return out.length > cap ? out.slice(0, cap) : out;
}

type Schedule = (fn: () => void) => void;

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

export function createWatcher(
  doc: Document,
  opts: WatcherOptions,
  schedule: Schedule = scheduleIdle,
): Watcher {
  const prefilter = opts.prefilter ?? mayContainDenial;
  const pending = new Set<Node>();
  const recent = new RecentTexts();
  let scheduled = false;
  let stopped = false;

  const request = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    schedule(flush);
  };

  function rootFor(node: Node): Element | null {
    if (node.nodeType === Node.TEXT_NODE) {
      // A changed or added text node: read its whole block, the sentence it belongs to.
      const block = blockOf(node);
      return block instanceof Element ? block : null;
    }
    return node.nodeType === Node.ELEMENT_NODE ? (node as Element) : null;
  }

  function hasPendingAncestor(node: Node, batch: Set<Element>): boolean {
    for (let p = node.parentNode; p; p = p.parentNode) if (batch.has(p as Element)) return true;
    return false;
  }

  function flush(): void {
    scheduled = false;
    if (stopped) return;
    const roots = new Set<Element>();
    let taken = 0;
    for (const node of pending) {
      pending.delete(node);
      const root = rootFor(node);
      if (root?.isConnected) roots.add(root);
      if (++taken >= NODES_PER_SLICE) break;
    }
    const candidates: Candidate[] = [];
    for (const root of roots) {
      // Almost nothing a console adds mentions a denial: one native `textContent` read and the
      // keyword regex reject it before any tree walk or selector match. The careful extraction
      // below (skipping code, help and form fields) only runs on the rare hit.
      const raw = root.textContent;
      if (!raw || raw.length <= 8 || !prefilter(raw.length > TEXT_CAP ? raw.slice(0, TEXT_CAP) : raw))
        continue;
      // A node inside another added node is read with it; reading it again would duplicate text.
      if (hasPendingAncestor(root, roots) || isSkippedElement(root)) continue;
      const text = extractText(root);
      if (text.length > 8 && prefilter(text) && recent.add(text)) candidates.push({ text, node: root });
    }
    if (candidates.length) opts.onCandidates(candidates);
    if (pending.size) request();
  }

  const observer = new MutationObserver((records) => {
    // Keep the callback cheap: remember nodes, read them later at idle time.
    for (const r of records) {
      if (r.type === 'characterData') pending.add(r.target);
      else
        for (const n of r.addedNodes)
          if (n.nodeType === Node.ELEMENT_NODE || n.nodeType === Node.TEXT_NODE) pending.add(n);
    }
    if (pending.size) request();
  });
  observer.observe(doc.documentElement, { childList: true, subtree: true, characterData: true });

  return {
    scanInitial() {
      if (doc.body) pending.add(doc.body);
      request();
    },
    stop() {
      stopped = true;
      observer.disconnect();
      pending.clear();
    },
    flushNow: flush,
  };
}
