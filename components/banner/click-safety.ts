/**
 * Whether a trusted click on the banner's filing button may file: the pure decision, given what
 * `click-guard.ts` measured in the page. A page cannot forge a trusted click, but it can lay
 * things over the banner, hide or distort it, or slide it under the cursor, so that the user's
 * real click lands on "Request access" unknowingly (clickjacking; docs/extension.md, "Clicks the
 * page arranged"). A click is accepted only when the button was really on screen, unobscured and
 * in place for a while; otherwise the card says why and files nothing. No DOM here: tested in
 * tests/unit/click-safety.test.ts.
 */
import type { Risk } from '@/lib/risk';

/**
 * How long the button must have been visible and in place before a click counts (from when it
 * appeared or last moved, was covered or hidden). Browsers guard their own permission prompts and
 * dialogs with a delay of this order (docs/extension.md).
 */
export const STEADY_MS = 500;

export type Refusal = 'changed' | 'hidden' | 'distorted' | 'out-of-view' | 'covered' | 'too-soon';

/** What the card says when it refused a click: plain words, and that nothing was requested. */
export const REFUSAL_TEXT: Readonly<Record<Refusal, string>> = {
  changed: 'The page tampered with this banner; nothing was requested.',
  hidden: 'The page made this banner invisible or see-through; nothing was requested.',
  distorted: 'The page moved or distorted this banner; nothing was requested.',
  'out-of-view': 'The button was not fully in view; nothing was requested.',
  covered: 'The page covered this button; nothing was requested.',
  'too-soon': 'The button had only just appeared or moved; nothing was requested. Check it and click again.',
};

export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Computed style of one element between the banner host and the page's root (host first). */
export interface EffectFacts {
  opacity: number;
  visibility: string;
  display: string;
  contentVisibility: string;
  filter: string;
  clipPath: string;
  mask: string;
  transform: string;
  translate: string;
  scale: string;
  rotate: string;
}

/** Everything measured about the button at one moment (a click, or a watcher's sample). */
export interface LayoutFacts {
  button: Box;
  viewport: { width: number; height: number };
  /**
   * Per probe point (the button's centre and inner corners, and the click's own point when the
   * click had one): whether hit testing from inside our shadow root finds the button there.
   */
  probes: readonly boolean[];
  /** The click's point lies on the button (null: a keyboard activation, which has no point). */
  clickOnButton: boolean | null;
  host: {
    /** The host's inline style is the one the banner set (the page can rewrite it). */
    styleIntact: boolean;
    /** The banner put its host in the top layer (a popover) and it is still shown there. */
    topLayerExpected: boolean;
    topLayer: boolean;
    /** The page gave the host a `::before`/`::after` box (painted over the shadow content). */
    pseudoContent: boolean;
  };
  /** The host, then (outside the top layer only) its ancestors up to the root element. */
  chain: readonly EffectFacts[];
  /** A page element that paints above the banner overlaps the button (top layer, or later in tree order). */
  coveredAbove: boolean;
}

export interface ClickFacts extends LayoutFacts {
  now: number;
  /** When this button appeared (a new button: the card, or the confirmation replacing the first). */
  shownSince: number;
  /** Since when the watcher has seen the button visible, unobscured and in place; null: not now. */
  steadySince: number | null;
  /**
   * The browser's own report (IntersectionObserver v2 `isVisible`): since when the button has been
   * visible and unoccluded, null when it is not, `pending` before its first report. Absent where
   * the browser has no such report.
   */
  reportedVisibleSince?: number | null | 'pending';
}

export type ClickVerdict = { ok: true } | { ok: false; refusal: Refusal };

const FILTERS_THAT_KEEP_TEXT_READABLE = new Set([
  'hue-rotate',
  'grayscale',
  'sepia',
  'saturate',
  'drop-shadow',
]);

/**
 * Whether a computed `filter` could hide or fake what is under it. Colour shifts a dark-mode
 * extension applies to the whole page (`invert(1) hue-rotate(180deg)`, a contrast tweak) keep the
 * banner readable; `opacity()`, `blur()`, an SVG `url()`, half-way inversion (everything grey) or
 * a near-black brightness do not.
 */
export function filterHides(filter: string): boolean {
  const f = filter.trim();
  if (f === '' || f === 'none') return false;
  if (/url\(/i.test(f)) return true;
  const calls = [...f.matchAll(/([a-z-]+)\(([^()]*(?:\([^()]*\)[^()]*)*)\)/gi)];
  if (!calls.length) return true;
  return calls.some(([, name = '', arg = '']) => {
    const fn = name.toLowerCase();
    if (FILTERS_THAT_KEEP_TEXT_READABLE.has(fn)) return false;
    const n = parseAmount(arg);
    if (n === null) return true;
    if (fn === 'invert') return n > 0.15 && n < 0.85;
    if (fn === 'brightness' || fn === 'contrast') return n < 0.5;
    if (fn === 'opacity') return n < 1;
    if (fn === 'blur') return n > 0;
    return true;
  });
}

/** `0.5`, `50%` or `2px` as a number (percent as a fraction); null when unreadable. */
function parseAmount(arg: string): number | null {
  const m = /^\s*(-?\d*\.?\d+(?:e-?\d+)?)\s*(%|px)?\s*$/i.exec(arg);
  if (!m) return null;
  const n = Number(m[1]);
  return m[2] === '%' ? n / 100 : n;
}

const IDENTITY = /^matrix\(\s*1,\s*0,\s*0,\s*1,\s*0,\s*0\s*\)$/;

function hides(e: EffectFacts): boolean {
  return (
    e.opacity < 1 ||
    e.visibility !== 'visible' ||
    e.display === 'none' ||
    e.contentVisibility === 'hidden' ||
    filterHides(e.filter) ||
    (e.clipPath !== '' && e.clipPath !== 'none') ||
    (e.mask !== '' && e.mask !== 'none')
  );
}

function distorts(e: EffectFacts): boolean {
  const set = (v: string) => v !== '' && v !== 'none';
  return (
    (set(e.transform) && !IDENTITY.test(e.transform)) || set(e.translate) || set(e.scale) || set(e.rotate)
  );
}

function inside(b: Box, v: { width: number; height: number }): boolean {
  return b.left >= 0 && b.top >= 0 && b.right <= v.width && b.bottom <= v.height && b.right > b.left;
}

/**
 * What is wrong with the button's layout right now, or null: everything a click is judged on
 * except how long it has been so. The watcher uses it too, to know since when the button is steady.
 */
export function layoutRefusal(f: LayoutFacts): Refusal | null {
  // What the page did, most telling first: hid it, distorted it, or otherwise rewrote the host.
  if (f.chain.some(hides)) return 'hidden';
  if (f.chain.some(distorts)) return 'distorted';
  if (!f.host.styleIntact || (f.host.topLayerExpected && !f.host.topLayer)) return 'changed';
  if (!inside(f.button, f.viewport)) return 'out-of-view';
  if (f.host.pseudoContent || f.coveredAbove || f.probes.some((hit) => !hit)) return 'covered';
  return null;
}

/** Accept or refuse a trusted click on the filing button, with the reason the card shows. */
export function judgeClick(f: ClickFacts): ClickVerdict {
  const layout = layoutRefusal(f);
  if (layout) return { ok: false, refusal: layout };
  const tooSoon = (since: number | null) => since === null || f.now - since < STEADY_MS;
  const reported = f.reportedVisibleSince;
  if (f.clickOnButton === null) {
    // A key press goes to the focused button wherever it is, and the page cannot move focus into
    // our closed root: where the button was a moment ago does not matter, only that it is seen now
    // and is not brand new (Enter held down, or pressed twice, on a confirmation just focused).
    if (tooSoon(f.shownSince)) return { ok: false, refusal: 'too-soon' };
    return reported === null ? { ok: false, refusal: 'covered' } : { ok: true };
  }
  // A click whose point is off the button moved between press and release. A button that only
  // just appeared is also still fading in: the browser's report may not count it visible yet.
  if (f.clickOnButton === false || tooSoon(f.steadySince)) return { ok: false, refusal: 'too-soon' };
  if (reported === undefined) return { ok: true };
  // The browser says something we could not see (an occluder in a closed shadow root) covers it.
  if (reported === null) return { ok: false, refusal: 'covered' };
  if (reported === 'pending' || tooSoon(reported)) return { ok: false, refusal: 'too-soon' };
  return { ok: true };
}

/**
 * A request worth a second, deliberate click: an admin action (identity, secrets, keys; lib/risk)
 * or a production target (the broker's environment for the account, compared the way its policies
 * compare it: `prod`).
 */
export function needsConfirmation(risk: Risk | null, environment: string | null): boolean {
  return risk === 'admin' || (environment !== null && /^prod(uction)?$/i.test(environment.trim()));
}
