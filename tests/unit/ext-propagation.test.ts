import { describe, expect, it } from 'vitest';
import {
  afterDenial,
  isSameDenial,
  isWatching,
  propagationText,
  retryDelay,
  RETRY_FIRST_MS,
  RETRY_MAX_MS,
  SETTLE_MS,
  spokenDuration,
  type PropagationWatch,
} from '../../lib/background/propagation';
import { landingStep } from '../../lib/extension/landing';
import { grantView, requestView, T0 } from './ext-broker-fixtures';
import { DRAFT, harness, progress, reloadLanding, seenAgain, WHERE } from './ext-broker-flow-harness';

const watch = (patch: Partial<PropagationWatch> = {}): PropagationWatch => ({
  activeAt: new Date(T0).toISOString(),
  expectedMs: 120_000,
  maxMs: 420_000,
  advice: 'Reload the page in a few minutes.',
  retries: 0,
  ...patch,
});

describe('propagation: the decision when the denial comes back', () => {
  it('backs off from 2 s, doubling, to at most 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map(retryDelay)).toEqual([
      2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000,
    ]);
    expect(RETRY_FIRST_MS).toBe(2000);
    expect(RETRY_MAX_MS).toBe(30_000);
  });

  it('a denial with the page load: reload after the back-off, the last one at the limit itself', () => {
    expect(afterDenial(watch(), T0 + 700, 500)).toEqual({ kind: 'retry', inMs: 2000 });
    expect(afterDenial(watch({ retries: 3 }), T0 + 30_000, 500)).toEqual({ kind: 'retry', inMs: 16_000 });
    // 10 s before the limit, with 30 s due: the reload comes at the limit.
    expect(afterDenial(watch({ retries: 8 }), T0 + 410_000, 500)).toEqual({ kind: 'retry', inMs: 10_000 });
  });

  it('a denial after something the user did: no reload, only the news', () => {
    expect(afterDenial(watch(), T0 + 60_000, SETTLE_MS + 1)).toEqual({ kind: 'wait' });
    expect(afterDenial(watch(), T0 + 60_000, SETTLE_MS)).toEqual({ kind: 'retry', inMs: 2000 });
  });

  it('past the limit (or once given up): give up, whatever caused the denial', () => {
    expect(afterDenial(watch(), T0 + 420_000, 500)).toEqual({ kind: 'give-up' });
    expect(afterDenial(watch(), T0 + 500_000, SETTLE_MS + 1)).toEqual({ kind: 'give-up' });
    expect(afterDenial(watch({ gaveUp: true }), T0 + 1000, 500)).toEqual({ kind: 'give-up' });
  });

  it('watches until one settle window past the limit, and never without a limit', () => {
    expect(isWatching(watch(), T0 + 420_000 + SETTLE_MS - 1)).toBe(true);
    expect(isWatching(watch(), T0 + 420_000 + SETTLE_MS)).toBe(false);
    expect(isWatching(watch({ maxMs: 0 }), T0)).toBe(false);
  });

  it('recognises the request’s own denial: cloud, account, one of its actions (or none named)', () => {
    const requested = {
      target: { cloud: 'gcp' as const, account: 'acme-dev' },
      actions: ['compute.instances.list'],
    };
    const seen = { cloud: 'gcp' as const, account: 'ACME-DEV', actions: [], sinceLoadMs: 0 };
    expect(
      isSameDenial(requested, { ...seen, actions: ['compute.instances.get', 'compute.instances.list'] }),
    ).toBe(true);
    expect(isSameDenial(requested, seen)).toBe(true);
    expect(isSameDenial(requested, { ...seen, account: null })).toBe(true);
    expect(isSameDenial(requested, { ...seen, actions: ['compute.instances.start'] })).toBe(false);
    expect(isSameDenial(requested, { ...seen, account: 'acme-prod' })).toBe(false);
    expect(isSameDenial(requested, { ...seen, cloud: 'azure' })).toBe(false);
    // A record from before the watch existed names nothing: never claimed.
    expect(isSameDenial({}, seen)).toBe(false);
  });

  it('says "access is propagating", how long it usually takes, and what to do past the limit', () => {
    expect(propagationText('azure', watch(), { kind: 'retry', inMs: 4000 })).toBe(
      'Access is propagating: Azure has granted it, but this page is still denied (usually within 2 minutes, at most 7 minutes). Reloading in 4 s.',
    );
    expect(propagationText('gcp', watch(), { kind: 'wait' })).toMatch(
      /^Access is propagating: Google Cloud has granted it, but not everywhere yet .*Try again in a moment\.$/,
    );
    expect(propagationText('gcp', watch({ maxMs: 15_000 }), { kind: 'give-up' })).toBe(
      'Google Cloud has still not applied the grant after 15 seconds. Reload the page in a few minutes.',
    );
    expect(spokenDuration(60_000)).toBe('1 minute');
    expect(spokenDuration(600_000)).toBe('10 minutes');
  });

  it('a reload landing’s step carries the broker’s propagation, not a wait', () => {
    const step = landingStep(reloadLanding({ expectedMs: 1000, maxMs: 5000 }), { page: WHERE.pageUrl });
    expect(step).toEqual({
      kind: 'load',
      url: WHERE.pageUrl,
      message: 'Access granted; reloading the page',
      propagation: { expectedMs: 1000, maxMs: 5000, advice: 'Sign out and sign in again.' },
    });
  });
});

/** A harness whose request was granted and landed with a reload at T0 (tab 7, frame 2). */
async function landed(landing = reloadLanding()) {
  const h = harness();
  h.broker.request = requestView({ status: 'approved', grantId: 'grt_1' });
  h.broker.grant = grantView({ status: 'active' });
  h.broker.landing = landing;
  await h.flow.file(DRAFT, WHERE);
  await h.flow.idle();
  expect(h.reloads).toEqual([7]);
  h.messages.splice(0);
  return h;
}

describe('request flow: the denial coming back after a reload landing', () => {
  it('says access is propagating and reloads with back-off until the page works', async () => {
    const h = await landed();
    const top = { tabId: 7, frameId: 0 };
    // The reloaded page is still denied (0.7 s after the load): the card adopts the request.
    h.clock.now += 1000;
    const adopted = await h.flow.denialSeen(top, seenAgain());
    expect(adopted).toEqual({
      draftId: 'draft-1',
      progress: {
        status: 'propagating',
        requestId: 'req_1',
        message: expect.stringMatching(/^Access is propagating: AWS .* Reloading in 2 s\.$/) as unknown,
        retryAt: new Date(T0 + 3000).toISOString(),
      },
    });
    // Reported to the frame that saw it too (the banner follows it from there).
    expect(h.messages.map((m) => [m.frameId, m.message.progress.status])).toEqual([[0, 'propagating']]);
    expect(h.timers.map((t) => t.ms)).toEqual([2000]);
    expect(h.alarm.armed).toBe(true);
    expect(h.reloads).toEqual([7]);

    // The reload comes after the back-off, not before.
    expect(await h.tick()).toEqual([2000]);
    expect(h.reloads).toEqual([7, 7]);
    expect(h.timers).toEqual([]);

    // Denied again: the next wait doubles.
    h.clock.now += 800;
    await h.flow.denialSeen(top, seenAgain());
    expect(h.timers.map((t) => t.ms)).toEqual([4000]);
    await h.tick();
    expect(h.reloads).toEqual([7, 7, 7]);

    // This time the page works: no denial, so nothing more happens.
    expect(h.timers).toEqual([]);
    expect(h.alarm.armed).toBe(false);
    expect((await h.deps.store.list())[0]).toMatchObject({ phase: 'done', watch: { retries: 2 } });
    expect(progress(h).map((p) => p.status)).toEqual(['propagating', 'propagating']);
  });

  it('past the cloud’s limit: stops reloading and says what to do', async () => {
    const h = await landed(
      reloadLanding({ expectedMs: 2000, maxMs: 5000, advice: 'Sign out and sign in again.' }),
    );
    const top = { tabId: 7, frameId: 0 };
    const reloadsAt: number[] = [];
    for (;;) {
      h.clock.now += 500;
      const adopted = await h.flow.denialSeen(top, seenAgain());
      if (adopted?.progress.status !== 'propagating') break;
      await h.tick();
      reloadsAt.push(h.clock.now - T0);
    }
    // 2 s after the first denial, then the rest of the way to the limit (5 s): never past it.
    expect(reloadsAt).toEqual([2500, 5000]);
    expect(h.reloads).toHaveLength(3);
    expect(progress(h).at(-1)).toEqual({
      status: 'not-propagated',
      requestId: 'req_1',
      message: 'AWS has still not applied the grant after 5 seconds. Sign out and sign in again.',
    });
    expect(h.timers).toEqual([]);
    // Told once; the same denial again gets the same answer, and still no reload.
    h.clock.now += 3000;
    expect((await h.flow.denialSeen(top, seenAgain()))?.progress.status).toBe('not-propagated');
    expect(h.reloads).toHaveLength(3);
    expect(h.timers).toEqual([]);
  });

  it('a denial after a user action is not reloaded away; another tab or denial is not claimed', async () => {
    const h = await landed();
    const top = { tabId: 7, frameId: 0 };
    const later = await h.flow.denialSeen(top, seenAgain({ sinceLoadMs: SETTLE_MS + 5000 }));
    expect(later?.progress).toMatchObject({ status: 'propagating', retryAt: null });
    expect(h.timers).toEqual([]);
    expect(h.reloads).toEqual([7]);

    expect(await h.flow.denialSeen({ tabId: 8, frameId: 0 }, seenAgain())).toBeNull();
    expect(await h.flow.denialSeen(top, seenAgain({ actions: ['ec2:TerminateInstances'] }))).toBeNull();
    expect(await h.flow.denialSeen(top, seenAgain({ account: '333333333333' }))).toBeNull();
    // Long after the limit the denial is nobody's business: a fresh card.
    h.clock.now += 600_000 + SETTLE_MS;
    expect(await h.flow.denialSeen(top, seenAgain())).toBeNull();
  });

  it('two cards of the same page schedule one reload', async () => {
    const h = await landed();
    const top = { tabId: 7, frameId: 0 };
    const [a, b] = await Promise.all([
      h.flow.denialSeen(top, seenAgain()),
      h.flow.denialSeen(top, seenAgain({ actions: [] })),
    ]);
    expect(a).toEqual(b);
    expect(h.timers.map((t) => t.ms)).toEqual([2000]);
    expect((await h.deps.store.list())[0]).toMatchObject({ phase: 'reload', watch: { retries: 1 } });
  });

  it('a sign-in landing (AWS) or a grant that applies at once keeps no watch', async () => {
    const aws = harness();
    aws.broker.request = requestView({ status: 'approved', grantId: 'grt_1' });
    aws.broker.grant = grantView({ status: 'active' });
    await aws.flow.file(DRAFT, WHERE);
    await aws.flow.idle();
    expect(aws.navigations).toHaveLength(1);
    expect(await aws.flow.denialSeen({ tabId: 7, frameId: 0 }, seenAgain())).toBeNull();

    const atOnce = await landed(reloadLanding({ expectedMs: 0, maxMs: 0 }));
    expect((await atOnce.deps.store.list())[0]!.watch).toBeUndefined();
    expect(await atOnce.flow.denialSeen({ tabId: 7, frameId: 0 }, seenAgain())).toBeNull();
  });

  it('a reload due when the worker stopped happens in the next one', async () => {
    const h = await landed();
    await h.flow.denialSeen({ tabId: 7, frameId: 0 }, seenAgain());
    const store = h.deps.store;
    const next = harness({ store, broker: h.broker });
    next.clock.now = h.clock.now + 60_000;
    await next.flow.resume();
    await next.flow.idle();
    expect(next.reloads).toEqual([7]);
    expect((await store.list())[0]).toMatchObject({ phase: 'done' });
  });
});
