/**
 * What the content core reads of a console page, and how: which elements are never read (code
 * editors, help, form fields, our own banner), when a `<pre>`/`<code>` block is error output worth
 * reading rather than a code sample, and the readable text of a subtree in document order. Shared
 * by the watcher (lib/content/watcher.ts) and the large-text reader (lib/content/big-text.ts).
 */

/** Longest text handed on as one candidate; longer subtrees are read in chunks (big-text.ts). */
export const TEXT_CAP = 1_000_000;

/** Never read: markup and script containers, form fields (user input), our own banner host. */
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

/**
 * Never read: help drawers, info panels and tooltip bubbles quote complete example denials; code
 * editors (Monaco, CodeMirror 5 and 6, Ace) and editable regions hold what someone typed or a
 * file, not what the console answered. Tooltip *triggers* (Angular Material's
 * `mat-mdc-tooltip-trigger`, Fluent's `ms-TooltipHost`) wrap ordinary content such as table cells:
 * only the bubbles are skipped.
 */
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
  '[class~="tooltip"]',
  '[class~="ms-Tooltip"]',
  '[class~="mat-mdc-tooltip"]',
  '[class~="mat-tooltip"]',
  '[class*="tooltip-content" i]',
  '[class*="tooltip-inner" i]',
  '[class*="tooltip-body" i]',
  '[id*="help-panel" i]',
  'aside[aria-label*="help" i]',
  'unblock-banner',
  '.monaco-editor',
  '.cm-editor',
  '.CodeMirror',
  '.ace_editor',
  '[contenteditable]:not([contenteditable="false"])',
].join(',');

/** Live regions and alerts: what the console announces, error output included. */
const LIVE_SELECTOR =
  '[role="alert"],[role="alertdialog"],[role="status"],[aria-live="assertive"],[aria-live="polite"]';
/** Error and notification containers by their class names. */
const ERROR_BOX_SELECTOR = [
  '[class*="error" i]',
  '[class*="alert" i]',
  '[class*="danger" i]',
  '[class*="flash" i]',
  '[class*="notification" i]',
  '[class*="toast" i]',
].join(',');
/** Documentation: its code blocks are samples, even when they quote a real-looking error. */
const DOCS_SELECTOR =
  'article,[role="article"],[role="document"],[class*="markdown" i],[class*="documentation" i],[class*="docs" i]';
/** A heading, summary or label naming the block as error output. */
const ERROR_LABEL = /error|fail|exception|denied|response|output|\blogs?\b|stack ?trace|reason|details/i;
const LABEL_TAGS = new Set([
  'H1',
  'H2',
  'H3',
  'H4',
  'H5',
  'H6',
  'SUMMARY',
  'LABEL',
  'LEGEND',
  'DT',
  'CAPTION',
]);

/** How error output starts or reads: JSON/XML error bodies, log lines, SDK and CLI error lines. */
const LOG_PATTERNS = [
  /^\s*[{[][\s\S]*"(?:errors?|code|message|errorCode|errorMessage|status|statusCode|details)"\s*:/i,
  /<(?:Error|ErrorResponse|Code|Message)>/,
  /^\s*\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/m,
  /^\s*[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}\b/m,
  /^\s*\[?\s*(?:ERROR|FATAL|CRITICAL|WARN(?:ING)?)\b/m,
  /^\s*(?:[│|]\s*)?(?:Error|Exception|Traceback|fatal|Caused by)\b/m,
  /An error occurred \(|Status ?Code: ?[45]\d\d|HTTP\/\d(?:\.\d)? [45]\d\d|status code:? [45]\d\d|\b\w+(?:Exception|Error): /i,
];

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

const ELEMENT = 1;
const FRAGMENT = 11;

export function isInline(el: Element): boolean {
  return INLINE_TAGS.has(el.tagName.toUpperCase());
}

/** An open shadow root (a document fragment with a host), else null. */
export function asShadowRoot(node: Node): ShadowRoot | null {
  return node.nodeType === FRAGMENT && (node as ShadowRoot).host ? (node as ShadowRoot) : null;
}

/** `closest` that continues from a shadow root to its host: web components nest. */
export function composedClosest(from: Element, selector: string): Element | null {
  for (let el: Element | null = from; el;) {
    const hit = el.closest(selector);
    if (hit) return hit;
    el = asShadowRoot(el.getRootNode())?.host ?? null;
  }
  return null;
}

/** The block a node's text belongs to: its nearest non-inline ancestor, or its shadow root. */
export function blockOf(node: Node): Element | ShadowRoot | null {
  let p = node.parentNode;
  while (p && p.nodeType === ELEMENT && isInline(p as Element)) p = p.parentNode;
  if (!p) return null;
  return p.nodeType === ELEMENT ? (p as Element) : asShadowRoot(p);
}

function labelledAsError(el: Element): boolean {
  let a: Element | null = el;
  for (let depth = 0; a && depth < 3; depth++, a = a.parentElement) {
    const labels = [a.getAttribute('aria-label')];
    for (const id of (a.getAttribute('aria-labelledby') ?? '').split(/\s+/).filter(Boolean))
      labels.push(a.ownerDocument.getElementById(id)?.textContent ?? null);
    const before = a.previousElementSibling;
    if (before && (LABEL_TAGS.has(before.tagName.toUpperCase()) || before.getAttribute('role') === 'heading'))
      labels.push(before.textContent);
    if (a.tagName.toUpperCase() === 'DETAILS') labels.push(a.querySelector('summary')?.textContent ?? null);
    if (labels.some((l) => !!l && l.length <= 120 && ERROR_LABEL.test(l))) return true;
  }
  return false;
}

/** Whether the text reads like error output (a log, an error body) rather than a code sample. */
export function looksLikeLog(text: string): boolean {
  const head = text.slice(0, 4096);
  return LOG_PATTERNS.some((re) => re.test(head));
}

/**
 * A `<pre>` or block `<code>` is read when it holds error output: inside an alert or live region,
 * or (outside documentation) in an error container, under an "error details"-like label, or when
 * its text reads like a log. Inline `<code>` in a sentence is read as part of it.
 */
export function readsAsErrorOutput(el: Element): boolean {
  if (composedClosest(el, LIVE_SELECTOR)) return true;
  if (composedClosest(el, DOCS_SELECTOR)) return false;
  if (composedClosest(el, ERROR_BOX_SELECTOR) || labelledAsError(el)) return true;
  return looksLikeLog(el.textContent ?? '');
}

function codeIsRead(el: Element): boolean {
  const tag = el.tagName.toUpperCase();
  if (tag === 'CODE') {
    // Inside a <pre>: the <pre> decided (the walk only got here through it).
    if (el.parentElement?.closest('pre')) return true;
    const text = el.textContent ?? '';
    if (text.length <= 200 && !text.includes('\n')) return true;
  }
  return readsAsErrorOutput(el);
}

/** Never read (with its subtree): skipped tags, help, editors, code blocks that are not error output. */
export function isSkippedElement(el: Element, formerParent?: Node | null): boolean {
  if (SKIP_TAGS.has(el.tagName.toUpperCase())) return true;
  if (composedClosest(el, HELP_SELECTOR)) return true;
  // A node removed before it was read is judged by where it was.
  if (formerParent?.nodeType === ELEMENT && composedClosest(formerParent as Element, HELP_SELECTOR))
    return true;
  const code = el.closest('pre,code');
  return !!code && !codeIsRead(code);
}

/** A root the watcher reads: an element, or an open shadow root judged by its host. */
export function isSkippedRoot(root: Element | ShadowRoot, formerParent?: Node | null): boolean {
  const shadow = asShadowRoot(root);
  return shadow
    ? composedClosest(shadow.host, HELP_SELECTOR) !== null
    : isSkippedElement(root as Element, formerParent);
}

/**
 * The readable text of a subtree, piece by piece: text nodes in document order, joined without a
 * separator inside one block (so `s3:<b>GetObject</b>` stays one token) and with a newline between
 * blocks. `onElement` sees every element walked through (the large-text reader finds shadow roots
 * with it).
 */
export function textWalk(root: Node, onElement?: (el: Element) => void): () => string | null {
  const doc = root.ownerDocument ?? (root as Document);
  const walker = doc.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      if (node.nodeType !== ELEMENT) return NodeFilter.FILTER_ACCEPT;
      const el = node as Element;
      const tag = el.tagName.toUpperCase();
      if (SKIP_TAGS.has(tag) || el.matches(HELP_SELECTOR)) return NodeFilter.FILTER_REJECT;
      if ((tag === 'PRE' || tag === 'CODE') && !codeIsRead(el)) return NodeFilter.FILTER_REJECT;
      onElement?.(el);
      return NodeFilter.FILTER_SKIP;
    },
  });
  let lastBlock: Node | null | undefined;
  return () => {
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const value = n.nodeValue;
      if (!value) continue;
      const block = blockOf(n);
      const separator = lastBlock !== undefined && block !== lastBlock ? '\n' : '';
      lastBlock = block;
      return separator + value;
    }
    return null;
  };
}

/** The readable text under `root` (see textWalk), at most `cap` characters. */
export function extractText(root: Node, cap = TEXT_CAP): string {
  if (root.nodeType === Node.TEXT_NODE) return (root.nodeValue ?? '').slice(0, cap);
  const next = textWalk(root);
  let out = '';
  for (let piece = next(); piece !== null && out.length < cap; piece = next()) out += piece;
  return out.length > cap ? out.slice(0, cap) : out;
}
