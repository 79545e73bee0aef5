/**
 * The click guard's decision (components/banner/click-safety.ts): given what was measured in the
 * page, a click on the filing button is accepted or refused with the reason the card shows.
 */
import { describe, expect, it } from 'vitest';
import {
  filterHides,
  judgeClick,
  needsConfirmation,
  REFUSAL_TEXT,
  STEADY_MS,
  type ClickFacts,
  type EffectFacts,
} from '../../components/banner/click-safety';

const plain: EffectFacts = {
  opacity: 1,
  visibility: 'visible',
  display: 'block',
  contentVisibility: 'visible',
  filter: 'none',
  clipPath: 'none',
  mask: 'none',
  transform: 'none',
  translate: 'none',
  scale: 'none',
  rotate: 'none',
};

/** A button in view, unobscured, in the top layer, steady for a second: what a real click sees. */
function facts(patch: Partial<ClickFacts> = {}): ClickFacts {
  return {
    now: 10_000,
    shownSince: 5_000,
    steadySince: 9_000,
    button: { left: 900, top: 200, right: 1010, bottom: 230 },
    viewport: { width: 1280, height: 800 },
    probes: [true, true, true, true, true, true],
    clickOnButton: true,
    host: { styleIntact: true, topLayerExpected: true, topLayer: true, pseudoContent: false },
    chain: [plain],
    coveredAbove: false,
    ...patch,
  };
}

const refusal = (f: ClickFacts) => {
  const v = judgeClick(f);
  return v.ok ? 'accepted' : v.refusal;
};

describe('judgeClick', () => {
  it('accepts a click on a visible, unobscured button that has been in place long enough', () => {
    expect(judgeClick(facts())).toEqual({ ok: true });
    expect(judgeClick(facts({ reportedVisibleSince: 9_400 }))).toEqual({ ok: true });
    expect(judgeClick(facts({ clickOnButton: null, probes: [true, true, true, true, true] }))).toEqual({
      ok: true,
    });
  });

  it('refuses a button the page laid something over, at any probe point', () => {
    for (let i = 0; i < 6; i++) {
      const probes = [true, true, true, true, true, true];
      probes[i] = false;
      expect(refusal(facts({ probes }))).toBe('covered');
    }
    expect(refusal(facts({ coveredAbove: true }))).toBe('covered');
    expect(refusal(facts({ host: { ...facts().host, pseudoContent: true } }))).toBe('covered');
  });

  it('refuses when the browser reports the button occluded, even if hit testing finds it (pointer-events: none)', () => {
    expect(refusal(facts({ reportedVisibleSince: null }))).toBe('covered');
    // Before the browser's first report, or while our own card fades in: too soon, not covered.
    expect(refusal(facts({ reportedVisibleSince: 'pending' }))).toBe('too-soon');
    expect(refusal(facts({ reportedVisibleSince: null, steadySince: 9_900 }))).toBe('too-soon');
  });

  it('refuses a host made transparent, hidden, clipped, masked or filtered', () => {
    const cases: Array<Partial<EffectFacts>> = [
      { opacity: 0 },
      { opacity: 0.5 },
      { visibility: 'hidden' },
      { display: 'none' },
      { contentVisibility: 'hidden' },
      { clipPath: 'inset(0px 0px 100% 0px)' },
      { mask: 'linear-gradient(transparent, transparent)' },
      { filter: 'opacity(0)' },
      { filter: 'blur(4px)' },
      { filter: 'url("#fake")' },
    ];
    for (const c of cases)
      expect(refusal(facts({ chain: [{ ...plain, ...c }] })), JSON.stringify(c)).toBe('hidden');
    // An ancestor's effects count as much as the host's (outside the top layer).
    expect(refusal(facts({ chain: [plain, plain, { ...plain, opacity: 0 }] }))).toBe('hidden');
  });

  it('refuses a host or ancestor moved, scaled or rotated by a transform', () => {
    for (const c of [
      { transform: 'matrix(0.5, 0, 0, 0.5, 0, 0)' },
      { transform: 'matrix(1, 0, 0, 1, -300, 0)' },
      { scale: '0.1' },
      { rotate: '180deg' },
      { translate: '40px' },
    ])
      expect(refusal(facts({ chain: [plain, { ...plain, ...c }] })), JSON.stringify(c)).toBe('distorted');
    expect(refusal(facts({ chain: [{ ...plain, transform: 'matrix(1, 0, 0, 1, 0, 0)' }] }))).toBe('accepted');
  });

  it('refuses when the page rewrote the host style or took it out of the top layer', () => {
    expect(refusal(facts({ host: { ...facts().host, styleIntact: false } }))).toBe('changed');
    expect(refusal(facts({ host: { ...facts().host, topLayer: false } }))).toBe('changed');
    // Where the browser has no popovers the host was never in the top layer: that is no change.
    expect(
      refusal(
        facts({
          host: { styleIntact: true, topLayerExpected: false, topLayer: false, pseudoContent: false },
        }),
      ),
    ).toBe('accepted');
  });

  it('refuses a button not wholly inside the viewport', () => {
    expect(refusal(facts({ button: { left: 1200, top: 200, right: 1310, bottom: 230 } }))).toBe(
      'out-of-view',
    );
    expect(refusal(facts({ button: { left: 900, top: -10, right: 1010, bottom: 20 } }))).toBe('out-of-view');
    expect(refusal(facts({ button: { left: 0, top: 0, right: 0, bottom: 0 } }))).toBe('out-of-view');
  });

  it(`refuses a button that appeared or moved less than ${STEADY_MS} ms before the click`, () => {
    expect(refusal(facts({ steadySince: 10_000 - STEADY_MS + 1 }))).toBe('too-soon');
    expect(refusal(facts({ steadySince: 10_000 - STEADY_MS }))).toBe('accepted');
    expect(refusal(facts({ steadySince: null }))).toBe('too-soon');
    // The browser's report counts too: visible only just now is too soon.
    expect(refusal(facts({ reportedVisibleSince: 9_800 }))).toBe('too-soon');
    // A click whose point is off the button: it moved between press and release.
    expect(refusal(facts({ clickOnButton: false }))).toBe('too-soon');
  });

  it('judges a key press on what is seen now, not on where the button was (no click point)', () => {
    const keyboard = { clickOnButton: null, probes: [true, true, true, true, true] };
    // Scrolled into view by the focus a moment ago: the key still goes to the focused button.
    expect(refusal(facts({ ...keyboard, steadySince: 9_950 }))).toBe('accepted');
    // …but a button that only just appeared (a confirmation, focused for the user) waits.
    expect(refusal(facts({ ...keyboard, shownSince: 9_800, steadySince: 9_800 }))).toBe('too-soon');
    expect(refusal(facts({ ...keyboard, reportedVisibleSince: null }))).toBe('covered');
    expect(refusal(facts({ ...keyboard, probes: [true, false, true, true, true] }))).toBe('covered');
  });

  it('every refusal says, in words, that nothing was requested', () => {
    for (const text of Object.values(REFUSAL_TEXT)) expect(text).toMatch(/nothing was requested/);
    expect(REFUSAL_TEXT.covered).toBe('The page covered this button; nothing was requested.');
  });
});

describe('filterHides', () => {
  it('lets colour shifts a dark-mode extension applies keep the banner readable', () => {
    for (const f of [
      'none',
      '',
      'invert(1) hue-rotate(180deg)',
      'grayscale(1)',
      'contrast(0.9) brightness(1.1)',
    ])
      expect(filterHides(f), f).toBe(false);
  });
  it('catches filters that hide or fake what is under them', () => {
    for (const f of [
      'opacity(0)',
      'opacity(0.99)',
      'blur(2px)',
      'invert(0.5)',
      'brightness(0)',
      'url("#x")',
      'garbage',
    ])
      expect(filterHides(f), f).toBe(true);
  });
});

describe('needsConfirmation', () => {
  it('asks for a second click on admin actions and production targets only', () => {
    expect(needsConfirmation('admin', null)).toBe(true);
    expect(needsConfirmation('read', 'prod')).toBe(true);
    expect(needsConfirmation('write', 'Production')).toBe(true);
    expect(needsConfirmation('write', 'dev')).toBe(false);
    expect(needsConfirmation('read', null)).toBe(false);
    expect(needsConfirmation(null, 'staging')).toBe(false);
    expect(needsConfirmation(null, 'preprod')).toBe(false);
  });
});
