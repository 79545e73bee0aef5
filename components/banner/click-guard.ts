/**
 * Measures, in the page, what `click-safety.ts` judges a click on: where the filing button is,
 * whether hit testing from inside our closed shadow root finds it at its centre, corners and the
 * click's point, what the page did to the host (its inline style, the top layer, pseudo-elements)
 * and, outside the top layer, to its ancestors. A watcher samples the same facts while the button
 * is shown, so a click is judged on how long the button has been steady, and listens to the
 * browser's own occlusion report (IntersectionObserver v2, Chromium) where there is one.
 * docs/extension.md ("Clicks the page arranged") says what each check is for.
 */
import { useEffect, useRef } from 'preact/hooks';
import {
  judgeClick,
  layoutRefusal,
  type Box,
  type ClickVerdict,
  type EffectFacts,
  type LayoutFacts,
  type Refusal,
} from './click-safety';

/** What the banner set on its host: the inline style, and whether it showed it as a popover. */
export interface HostIntent {
  style: string;
  topLayer: boolean;
}
/** Written by the banner controller when it mounts its host; read at click time. */
export const hostIntents = new WeakMap<Element, HostIntent>();

/** How often the watcher samples the button while it is shown (cheap: a rect, a few hit tests). */
const SAMPLE_MS = 100;
/**
 * Corner probes sit this far inside the top and bottom edges, and half the button's height inside
 * its sides: hit testing honours rounded corners, and a pill-shaped button's radius is half its
 * height.
 */
const EDGE_INSET = 3;

function boxOf(el: Element): Box {
  const r = el.getBoundingClientRect();
  return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
}

const overlaps = (a: Box, b: Box) =>
  Math.min(a.right, b.right) > Math.max(a.left, b.left) &&
  Math.min(a.bottom, b.bottom) > Math.max(a.top, b.top);

function effectsOf(view: Window, el: Element): EffectFacts {
  const s = view.getComputedStyle(el);
  const get = (p: string) => s.getPropertyValue(p);
  return {
    opacity: Number(s.opacity || '1'),
    visibility: s.visibility,
    display: s.display,
    contentVisibility: get('content-visibility') || 'visible',
    filter: s.filter,
    clipPath: get('clip-path'),
    mask: get('mask-image') || get('mask'),
    transform: s.transform,
    translate: get('translate'),
    scale: get('scale'),
    rotate: get('rotate'),
  };
}

/** The element's parent, stepping out of shadow roots (a page may move the host into one). */
function parentOf(el: Element): Element | null {
  if (el.parentElement) return el.parentElement;
  const root = el.parentNode;
  return root && 'host' in root ? (root as ShadowRoot).host : null;
}

function matchesSafely(el: Element, selector: string): boolean {
  try {
    return el.matches(selector);
  } catch {
    return false; // a selector this browser does not know (`:popover-open` before popovers)
  }
}

function pageTopLayer(doc: Document, host: Element | null): Element[] {
  const found: Element[] = [];
  for (const selector of [':popover-open', ':modal', ':fullscreen']) {
    try {
      for (const el of doc.querySelectorAll(selector)) if (el !== host) found.push(el);
    } catch {
      // unknown selector in this browser
    }
  }
  return found;
}

/** Page boxes that paint above a host outside the top layer: later siblings, and `html::after`. */
function paintedAfter(doc: Document, host: Element): boolean {
  const view = doc.defaultView!;
  const after = view.getComputedStyle(doc.documentElement, '::after').content;
  if (after && after !== 'none' && after !== 'normal') return true;
  return host.parentElement !== doc.documentElement || host.nextElementSibling !== null;
}

/** Measures the button now; `click` adds the click's own point when it had one. */
export function measureButton(button: HTMLElement, click?: MouseEvent): LayoutFacts {
  const doc = button.ownerDocument;
  const view = doc.defaultView!;
  const root = button.getRootNode() as Document | ShadowRoot;
  const host = 'host' in root ? root.host : null;
  const box = boxOf(button);
  const viewport = { width: view.innerWidth, height: view.innerHeight };
  const width = box.right - box.left;
  const height = box.bottom - box.top;
  const dx = Math.min(height / 2, width / 4);
  const dy = Math.min(EDGE_INSET, height / 4);
  const points: Array<[number, number]> = [
    [(box.left + box.right) / 2, (box.top + box.bottom) / 2],
    [box.left + dx, box.top + dy],
    [box.right - dx, box.top + dy],
    [box.left + dx, box.bottom - dy],
    [box.right - dx, box.bottom - dy],
  ];
  // A keyboard activation has no point (`detail` 0); a pointer click is judged at its point too.
  const pointed = !!click && click.detail > 0;
  if (pointed) points.push([click.clientX, click.clientY]);
  const probes = points.map(([x, y]) => {
    // Missing (an old engine, a DOM without layout): no hit, so no click counts.
    const hit = typeof root.elementFromPoint === 'function' ? root.elementFromPoint(x, y) : null;
    return !!hit && (hit === button || button.contains(hit));
  });
  const intent = host ? hostIntents.get(host) : undefined;
  const topLayer = !!host && matchesSafely(host, ':popover-open');
  const chain: EffectFacts[] = [];
  for (let el: Element | null = host; el; el = topLayer ? null : parentOf(el))
    chain.push(effectsOf(view, el));
  const pseudo = (p: string) => {
    const c = host ? view.getComputedStyle(host, p).content : 'none';
    return !!c && c !== 'none' && c !== 'normal';
  };
  const above = pageTopLayer(doc, host).some((el) => overlaps(boxOf(el), box));
  return {
    button: box,
    viewport,
    probes,
    clickOnButton: pointed
      ? click.clientX >= box.left &&
        click.clientX <= box.right &&
        click.clientY >= box.top &&
        click.clientY <= box.bottom
      : null,
    host: {
      styleIntact: !host || (!!intent && host.getAttribute('style') === intent.style),
      topLayerExpected: !!intent?.topLayer,
      topLayer,
      pseudoContent: pseudo('::before') || pseudo('::after'),
    },
    chain,
    coveredAbove: above || (!!host && !topLayer && paintedAfter(doc, host)),
  };
}

const hasVisibilityReport = () =>
  typeof IntersectionObserverEntry !== 'undefined' && 'isVisible' in IntersectionObserverEntry.prototype;

/**
 * Follows one shown button: since when it has been steady (visible, unobscured, in the same
 * place), the browser's visibility report, and page clicks that land where it is (something of
 * the page's over it took the click).
 */
class ButtonWatch {
  steadySince: number | null = null;
  private readonly shownSince: number;
  reportedVisibleSince: number | null | 'pending' | undefined = undefined;
  private last: Box | null = null;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly observer?: IntersectionObserver;
  private readonly view: Window;

  constructor(
    private readonly button: HTMLElement,
    private readonly onCovered: () => void,
  ) {
    this.view = button.ownerDocument.defaultView!;
    this.shownSince = this.now();
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    if (hasVisibilityReport()) {
      this.reportedVisibleSince = 'pending';
      // `trackVisibility` (v2) also reports occlusion and visual effects; not in Firefox.
      const options = { threshold: [0.99], trackVisibility: true, delay: 100 } as IntersectionObserverInit;
      this.observer = new IntersectionObserver((entries) => this.report(entries), options);
      this.observer.observe(button);
    }
    this.view.addEventListener('click', this.onPageClick, true);
  }

  private now = () => this.view.performance.now();

  private report(entries: IntersectionObserverEntry[]) {
    for (const e of entries) {
      const visible = (e as IntersectionObserverEntry & { isVisible?: boolean }).isVisible === true;
      if (!visible || e.intersectionRatio < 0.99) this.reportedVisibleSince = null;
      else if (typeof this.reportedVisibleSince !== 'number') this.reportedVisibleSince = this.now();
    }
  }

  sample(): void {
    if (!this.button.isConnected) return;
    const facts = measureButton(this.button);
    const b = facts.button;
    const moved =
      !this.last ||
      Math.abs(b.left - this.last.left) > 0.5 ||
      Math.abs(b.top - this.last.top) > 0.5 ||
      Math.abs(b.right - this.last.right) > 0.5 ||
      Math.abs(b.bottom - this.last.bottom) > 0.5;
    this.last = b;
    if (layoutRefusal(facts)) this.steadySince = null;
    else if (moved || this.steadySince === null) this.steadySince = this.now();
  }

  /** A trusted click the page's element received where our button is: say so on the card. */
  private onPageClick = (e: MouseEvent) => {
    if (!e.isTrusted || !this.last || e.detail === 0) return;
    const root = this.button.getRootNode();
    const host = 'host' in root ? (root as ShadowRoot).host : null;
    if (e.target === host || e.target === this.button) return;
    const b = this.last;
    if (e.clientX >= b.left && e.clientX <= b.right && e.clientY >= b.top && e.clientY <= b.bottom)
      this.onCovered();
  };

  judge(click: MouseEvent): ClickVerdict {
    if (this.observer) this.report(this.observer.takeRecords());
    const facts = measureButton(this.button, click);
    return judgeClick({
      ...facts,
      now: this.now(),
      shownSince: this.shownSince,
      steadySince: this.steadySince,
      ...(this.reportedVisibleSince !== undefined ? { reportedVisibleSince: this.reportedVisibleSince } : {}),
    });
  }

  stop() {
    clearInterval(this.timer);
    this.observer?.disconnect();
    this.view.removeEventListener('click', this.onPageClick, true);
  }
}

/** Tests replace the page measurement with their own answer (happy-dom has no layout). */
export type CheckClick = (e: MouseEvent, button: HTMLElement | null) => ClickVerdict;

export interface ClickGuard {
  /** The `ref` of whichever button files now ("Request access", then "Confirm request…"). */
  ref: (el: HTMLButtonElement | null) => void;
  /** At click time: may this click file? A refusal is also reported through `onRefused`. */
  check: (e: MouseEvent) => ClickVerdict;
}

/**
 * Guards the card's filing button. A fresh button (the confirmation replacing "Request access")
 * starts a fresh watch, so it too must be steady before a click on it counts.
 */
export function useClickGuard(onRefused: (refusal: Refusal) => void, override?: CheckClick): ClickGuard {
  const watch = useRef<ButtonWatch | null>(null);
  const button = useRef<HTMLButtonElement | null>(null);
  const refused = useRef(onRefused);
  refused.current = onRefused;
  useEffect(() => () => watch.current?.stop(), []);
  const guard = useRef<ClickGuard | null>(null);
  guard.current ??= {
    ref: (el) => {
      if (el === button.current) return;
      watch.current?.stop();
      watch.current = null;
      button.current = el;
      if (el && !override) watch.current = new ButtonWatch(el, () => refused.current('covered'));
    },
    check: (e) => {
      const verdict = override
        ? override(e, button.current)
        : (watch.current?.judge(e) ?? ({ ok: false, refusal: 'changed' } as const));
      if (!verdict.ok) refused.current(verdict.refusal);
      return verdict;
    },
  };
  return guard.current;
}
