/**
 * Open shadow roots of console web components: a MutationObserver on the document sees nothing
 * inside them, so each one is observed as well once found. They are found in subtrees the watcher
 * reads anyway (the page at start, then each added subtree, once): never by walking the whole
 * document on a mutation. A custom element added before its definition loaded attaches its root
 * later, when it upgrades, with no mutation to tell: such elements are looked at again for a few
 * seconds (a bounded number of them).
 */

/** Custom elements still waiting for their definition, looked at again; the oldest give way. */
const AWAITING_MAX = 200;
const AWAIT_POLL_MS = 250;
const AWAIT_FOR_MS = 10_000;

export interface ShadowRootsOptions {
  /** Start observing a newly found root. */
  observe(root: ShadowRoot): void;
  /** A root found: read what it already shows. */
  found(root: ShadowRoot): void;
}

export interface ShadowRoots {
  /** Looks for open shadow roots in `root`'s subtree (itself included). */
  scan(root: Node): void;
  /** Looks at one element (the large-text reader calls it for each element it walks). */
  check(el: Element): void;
  stop(): void;
}

export function createShadowRoots(opts: ShadowRootsOptions): ShadowRoots {
  const seen = new WeakSet<ShadowRoot>();
  const awaiting = new Map<Element, number>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  function check(el: Element): void {
    const root = el.shadowRoot;
    if (root) {
      if (seen.has(root)) return;
      seen.add(root);
      opts.observe(root);
      opts.found(root);
      return;
    }
    // Only custom elements (a hyphen in the name) can upgrade later.
    if (!el.localName.includes('-') || awaiting.has(el) || el.matches(':defined')) return;
    if (awaiting.size >= AWAITING_MAX) awaiting.delete(awaiting.keys().next().value!);
    awaiting.set(el, Date.now());
    timer ??= setTimeout(recheck, AWAIT_POLL_MS);
  }

  function recheck(): void {
    timer = undefined;
    const now = Date.now();
    for (const [el, since] of awaiting) {
      if (el.shadowRoot || el.matches(':defined') || !el.isConnected || now - since > AWAIT_FOR_MS) {
        awaiting.delete(el);
        if (el.shadowRoot) check(el);
      }
    }
    if (awaiting.size) timer = setTimeout(recheck, AWAIT_POLL_MS);
  }

  function scan(root: Node): void {
    if (root.nodeType === Node.ELEMENT_NODE) check(root as Element);
    const doc = root.ownerDocument;
    if (!doc) return;
    const walker = doc.createTreeWalker(root, NodeFilter.SHOW_ELEMENT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) check(n as Element);
  }

  return {
    scan,
    check,
    stop() {
      clearTimeout(timer);
      timer = undefined;
      awaiting.clear();
    },
  };
}
