import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrokerError } from '../../lib/extension/broker-error';
import { closeDrafts, DB_NAME, trackedStore } from '../../lib/background/drafts';
import { POLL_MAX_MS, POLL_MS } from '../../lib/background/request-flow';
import { MAX_AGE_MS } from '../../lib/background/request-steps';
import { isLandingUrl } from '../../lib/extension/landing';
import { RETRY_FIRST_MS } from '../../lib/background/propagation';
import type { AccessRequestView } from '../../lib/contract/api';
import { grantView, newRequest, requestView, T0 } from './ext-broker-fixtures';
import {
  type Harness,
  DRAFT,
  FakeBroker,
  harness,
  PAGE,
  progress,
  reloadLanding,
  seenAgain,
  SIGN_IN,
  WHERE,
} from './ext-broker-flow-harness';
describe('request flow', () => {
  it('without a broker configured files nothing', async () => {
    const h = harness({ configured: false });
    expect(await h.flow.file(DRAFT, WHERE)).toBe(false);
    await h.flow.idle();
    expect(h.broker.calls).toEqual([]);
    expect(h.messages).toEqual([]);
  });

  it('submitted → waiting → approved → provisioning → active → lands the sign-in URL in that tab', async () => {
    const h = harness();
    expect(await h.flow.file(DRAFT, WHERE)).toBe(true);
    await h.flow.idle();
    expect(h.broker.calls).toEqual(['submit']);
    expect(h.alarm.armed).toBe(true);
    expect(progress(h)).toEqual([
      { status: 'submitted', requestId: 'req_1' },
      {
        status: 'waiting-approval',
        requestId: 'req_1',
        advice: ['Production writes need an approver from the platform team'],
        requiredApprovals: 1,
        approvals: 0,
        approvers: ['bob', 'dave'],
      },
    ]);
    // Every message goes to the frame that asked, keyed by its draft.
    expect(h.messages.every((m) => m.tabId === 7 && m.frameId === 2 && m.message.draftId === 'draft-1')).toBe(
      true,
    );
    expect(h.timers.map((t) => t.ms)).toEqual([POLL_MS]);

    // Nothing changes: polls back off, but no more than POLL_MAX_MS, and nothing is re-sent.
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) delays.push(...(await h.tick()));
    expect(delays[0]).toBe(POLL_MS);
    expect(delays[1]).toBeGreaterThan(POLL_MS);
    expect(Math.max(...delays)).toBe(POLL_MAX_MS);
    expect(h.statuses()).toEqual(['submitted', 'waiting-approval']);

    // Approved: the grant is provisioning, polls go back to every second.
    h.broker.request = requestView({
      status: 'approved',
      grantId: 'grt_1',
      approvals: [{ approver: 'bob', at: '2026-03-02T10:05:00.000Z', comment: null }],
    });
    h.broker.calls = [];
    await h.tick();
    expect(h.broker.calls).toEqual(['request req_1', 'grant grt_1']);
    expect(h.statuses().at(-1)).toBe('provisioning');
    expect(h.timers.map((t) => t.ms)).toEqual([POLL_MS]);

    h.broker.grant = grantView({ status: 'active' });
    h.tabs.set(7, 'https://console.aws.amazon.com/ec2/home?region=us-east-1#Instances:instanceState=running');
    await h.tick();
    expect(h.broker.landings).toEqual([
      {
        grantId: 'grt_1',
        destination:
          'https://console.aws.amazon.com/ec2/home?region=us-east-1#Instances:instanceState=running',
      },
    ]);
    expect(h.navigations).toEqual([{ tabId: 7, url: SIGN_IN }]);
    expect(progress(h).slice(-2)).toEqual([
      { status: 'active', requestId: 'req_1', expiresAt: '2026-03-02T10:31:00.000Z' },
      { status: 'landing', requestId: 'req_1', message: expect.stringMatching(/signing you in/) as unknown },
    ]);
    // Finished: no timer, no alarm, the record kept as done; no landing URL in any message.
    expect(h.timers).toEqual([]);
    expect(h.alarm.armed).toBe(false);
    expect(JSON.stringify(h.messages)).not.toContain('SigninToken');
    const rows = await h.deps.store.list();
    expect(rows).toMatchObject([{ requestId: 'req_1', phase: 'done', tabId: 7, frameId: 2, pageUrl: PAGE }]);
    expect(JSON.stringify(rows)).not.toContain('SigninToken');
  });

  it('auto-approved and already active at once: lands straight away; a reload landing reloads at once', async () => {
    const h = harness();
    h.broker.request = requestView({ status: 'approved', grantId: 'grt_1' });
    h.broker.grant = grantView({ status: 'active' });
    h.broker.landing = reloadLanding({ expectedMs: 120_000, maxMs: 420_000 });
    await h.flow.file(DRAFT, WHERE);
    await h.flow.idle();
    expect(h.statuses()).toEqual(['submitted', 'active', 'landing']);
    expect(h.messages.at(-1)!.message.progress).toMatchObject({
      message: 'Access granted; reloading the page',
    });
    // No fixed wait for the cloud's propagation: the tab reloads now (same URL: a real reload, as
    // tabs.update to a URL with a fragment would not reload), and nothing waits on a timer.
    expect(h.reloads).toEqual([7]);
    expect(h.navigations).toEqual([]);
    expect(h.timers).toEqual([]);
    expect(h.alarm.armed).toBe(false);
    // The record watches for the denial coming back, until the cloud's limit.
    expect((await h.deps.store.list())[0]).toMatchObject({
      phase: 'done',
      watch: { activeAt: new Date(T0).toISOString(), expectedMs: 120_000, maxMs: 420_000, retries: 0 },
    });
  });

  it('a reload landing with another URL navigates the tab there', async () => {
    const h = harness();
    h.broker.request = requestView({ status: 'approved', grantId: 'grt_1' });
    h.broker.grant = grantView({ status: 'active' });
    const other = 'https://console.aws.amazon.com/ec2/home?region=eu-west-1';
    h.broker.landing = reloadLanding({ url: other });
    await h.flow.file(DRAFT, WHERE);
    await h.flow.idle();
    expect(h.navigations).toEqual([{ tabId: 7, url: other }]);
  });

  it('does not land when the tab left the console or was closed, and refuses non-https landings', async () => {
    const h = harness();
    h.broker.request = requestView({ status: 'approved', grantId: 'grt_1' });
    h.broker.grant = grantView({ status: 'active' });
    h.tabs.set(7, 'https://mail.example.com/inbox');
    await h.flow.file(DRAFT, WHERE);
    await h.flow.idle();
    expect(h.broker.landings).toEqual([]);
    expect(h.navigations).toEqual([]);
    expect(h.statuses().at(-1)).toBe('active');

    const h2 = harness();
    h2.broker.request = requestView({ status: 'approved', grantId: 'grt_1' });
    h2.broker.grant = grantView({ status: 'active' });
    h2.broker.landing = { kind: 'url', url: 'javascript:alert(1)', expiresAt: '2026-03-02T10:16:00.000Z' };
    await h2.flow.file(DRAFT, WHERE);
    await h2.flow.idle();
    expect(h2.navigations).toEqual([]);
    expect(h2.statuses().at(-1)).toBe('failed');
  });

  it('accepts landing URLs on https or on loopback http (the demo sign-in) only', () => {
    expect(isLandingUrl(SIGN_IN)).toBe(true);
    expect(isLandingUrl('http://127.0.0.1:38557/federation?Action=login')).toBe(true);
    expect(isLandingUrl('http://localhost:9000/x')).toBe(true);
    for (const bad of [
      'http://signin.example.com/federation',
      'javascript:alert(1)',
      'data:text/html,hi',
      'file:///etc/passwd',
      'chrome-extension://abc/options.html',
      'not a url',
    ]) {
      expect(isLandingUrl(bad), bad).toBe(false);
    }
  });

  it('denied by an approver: reports the comment and stops', async () => {
    const h = harness();
    await h.flow.file(DRAFT, WHERE);
    await h.flow.idle();
    h.broker.request = {
      ...requestView({ status: 'denied' }),
      denials: [{ approver: 'bob', at: '2026-03-02T10:05:00.000Z', comment: 'Use the runbook instead' }],
    };
    await h.tick();
    expect(progress(h).at(-1)).toEqual({
      status: 'denied',
      requestId: 'req_1',
      comment: 'Use the runbook instead',
      // The policy's "needs an approver" advice would mislead after an approver said no.
      advice: [],
    });
    expect(h.timers).toEqual([]);
    expect(h.alarm.armed).toBe(false);
  });

  it('denied by policy at submission: reports the advice', async () => {
    const h = harness();
    h.broker.request = requestView({
      status: 'denied',
      decision: {
        outcome: 'deny',
        requiredApprovals: 0,
        policyIds: ['no-iam'],
        advice: ['IAM changes go through Terraform'],
        approverGroups: [],
        approvers: [],
      },
    });
    await h.flow.file(DRAFT, WHERE);
    await h.flow.idle();
    expect(progress(h).at(-1)).toEqual({
      status: 'denied',
      requestId: 'req_1',
      comment: null,
      advice: ['IAM changes go through Terraform'],
    });
  });

  it('failed: the broker refuses the submission, the request expires, or the grant ends', async () => {
    const h = harness();
    h.broker.submitError = new BrokerError(
      'invalid_request',
      'durationMinutes: at most 15 minutes on production',
    );
    await h.flow.file(DRAFT, WHERE);
    await h.flow.idle();
    expect(progress(h)).toEqual([
      {
        status: 'failed',
        requestId: null,
        reason: 'Could not file the request: durationMinutes: at most 15 minutes on production',
      },
    ]);
    expect(await h.deps.store.list()).toEqual([]);

    const h2 = harness();
    h2.broker.submitError = new BrokerError('unreachable', 'could not reach the broker (Failed to fetch)');
    await h2.flow.file(DRAFT, WHERE);
    await h2.flow.idle();
    expect(progress(h2)[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/unreachable/) as unknown,
    });

    const h3 = harness();
    await h3.flow.file(DRAFT, WHERE);
    await h3.flow.idle();
    h3.broker.request = requestView({ status: 'expired' });
    await h3.tick();
    expect(progress(h3).at(-1)).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/expired/) as unknown,
    });

    const h4 = harness();
    h4.broker.request = requestView({ status: 'approved', grantId: 'grt_1' });
    h4.broker.grant = grantView({ status: 'revoked' });
    await h4.flow.file(DRAFT, WHERE);
    await h4.flow.idle();
    expect(progress(h4).at(-1)).toMatchObject({ status: 'failed', reason: 'The grant is revoked' });
  });

  it('keeps following through an unreachable broker, backing off, and says provisioning is retrying', async () => {
    const h = harness();
    h.broker.request = requestView({ status: 'approved', grantId: 'grt_1' });
    await h.flow.file(DRAFT, WHERE);
    await h.flow.idle();
    const before = h.messages.length;
    h.broker.failNext = new BrokerError('unreachable', 'down');
    const [first] = await h.tick();
    expect(first).toBe(POLL_MS);
    expect(h.timers[0]!.ms).toBeGreaterThanOrEqual(2 * POLL_MS);
    expect(h.messages.length).toBe(before);
    h.broker.grant = grantView({ status: 'provision-failed', lastError: 'throttled', attempts: 1 });
    await h.tick();
    expect(progress(h).at(-1)).toEqual({
      status: 'provisioning',
      requestId: 'req_1',
      retrying: true,
      retry: { failed: 1, error: 'throttled' },
    });
    // A token the broker no longer accepts ends it.
    h.broker.failNext = new BrokerError('unauthorized', 'bad token');
    await h.tick();
    expect(progress(h).at(-1)).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/API token/) as unknown,
    });
    expect(h.timers).toEqual([]);
  });

  it('stops following after a day', async () => {
    const h = harness();
    await h.flow.file(DRAFT, WHERE);
    await h.flow.idle();
    h.clock.now += MAX_AGE_MS + 1;
    await h.tick();
    expect(progress(h).at(-1)).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/24 hours/) as unknown,
    });
  });

  it('clips long broker texts to what the banner accepts', async () => {
    const h = harness();
    h.broker.request = {
      ...requestView({ status: 'denied' }),
      denials: [{ approver: 'b', at: '2026-03-02T10:05:00.000Z', comment: 'x'.repeat(5000) }],
    };
    await h.flow.file(DRAFT, WHERE);
    await h.flow.idle();
    const last = progress(h).at(-1) as { comment: string };
    expect(last.comment.length).toBeLessThanOrEqual(500);
  });
});

describe('request flow: wake (an event about the request on the broker’s stream)', () => {
  /** Files the draft and lets the polls back off until the next one is POLL_MAX_MS away. */
  async function waitingAndBackedOff(h: Harness): Promise<void> {
    await h.flow.file(DRAFT, WHERE);
    await h.flow.idle();
    while (h.timers[0]!.ms < POLL_MAX_MS) await h.tick();
    h.broker.calls = [];
  }

  it('polls a backed-off request at once, lands it, and never waits for the old timer', async () => {
    const h = harness();
    await waitingAndBackedOff(h);
    expect(h.timers.map((t) => t.ms)).toEqual([POLL_MAX_MS]);

    // Bob approves; the grant is active at once. The event wakes the flow: no timer fires.
    h.broker.request = requestView({ status: 'approved', grantId: 'grt_1' });
    h.broker.grant = grantView({ status: 'active' });
    h.flow.wake('req_1');
    await h.flow.idle();
    expect(h.broker.calls).toEqual(['request req_1', 'grant grt_1', 'landing']);
    expect(h.navigations).toEqual([{ tabId: 7, url: SIGN_IN }]);
    expect(h.timers).toEqual([]);
  });

  it('starts the back-off again from POLL_MS', async () => {
    const h = harness();
    await waitingAndBackedOff(h);
    // Another approval recorded, still one short: the progress changes.
    h.broker.request = requestView({
      decision: { ...requestView().decision, requiredApprovals: 2 },
      approvals: [{ approver: 'bob', at: '2026-03-02T10:05:00.000Z', comment: null }],
    });
    h.flow.wake('req_1');
    await h.flow.idle();
    expect(h.broker.calls).toEqual(['request req_1']);
    expect(h.timers.map((t) => t.ms)).toEqual([POLL_MS]);

    // Nothing changed since: the next wake leaves it one step into the back-off.
    await h.tick();
    h.flow.wake();
    await h.flow.idle();
    expect(h.timers.map((t) => t.ms)).toEqual([Math.round(POLL_MS * 1.5)]);
  });

  it('wakes only the request the event names (by request or grant id); no names: all of them', async () => {
    const h = harness();
    await h.flow.file(DRAFT, WHERE);
    h.broker.request = requestView({ id: 'req_2' });
    await h.flow.file({ id: 'draft-2', request: newRequest() }, WHERE);
    await h.flow.idle();
    h.broker.calls = [];
    expect(h.timers).toHaveLength(2);

    h.flow.wake('req_unrelated');
    h.flow.wake(undefined, 'grt_unrelated');
    await h.flow.idle();
    expect(h.broker.calls).toEqual([]);
    expect(h.timers).toHaveLength(2);

    h.flow.wake('req_2');
    await h.flow.idle();
    expect(h.broker.calls).toEqual(['request req_2']);

    h.broker.calls = [];
    h.flow.wake();
    await h.flow.idle();
    expect(h.broker.calls.sort()).toEqual(['request req_1', 'request req_2']);
    expect(h.timers).toHaveLength(2);

    // Following the grant: an event that names only the grant wakes it.
    h.broker.request = requestView({ status: 'approved', grantId: 'grt_2' });
    h.broker.grant = grantView({ id: 'grt_2', status: 'provisioning' });
    h.flow.wake('req_2');
    await h.flow.idle();
    h.broker.calls = [];
    h.flow.wake(undefined, 'grt_2');
    await h.flow.idle();
    expect(h.broker.calls).toEqual(['grant grt_2']);
  });

  it('woken while a poll is under way: polls once more right after it', async () => {
    const h = harness();
    await waitingAndBackedOff(h);
    let answer: (v: AccessRequestView) => void = () => undefined;
    const slow = vi
      .spyOn(h.broker.client, 'getRequest')
      .mockImplementationOnce(() => new Promise<AccessRequestView>((r) => (answer = r)));
    h.flow.wake('req_1'); // the poll starts, and hangs
    await Promise.resolve();
    h.flow.wake('req_1'); // the approval lands meanwhile
    h.flow.wake('req_1');
    answer(requestView()); // the first answer predates it
    await h.flow.idle();
    // One more poll at once (0 ms), not after the back-off.
    expect(h.timers.map((t) => t.ms)).toEqual([0]);
    slow.mockRestore();
    h.broker.calls = [];
    h.broker.request = requestView({ status: 'approved', grantId: 'grt_1' });
    h.broker.grant = grantView({ status: 'active' });
    await h.tick();
    expect(h.broker.calls).toEqual(['request req_1', 'grant grt_1', 'landing']);
  });

  it('is a no-op with nothing followed, and does not hurry a reload due after the denial came back', async () => {
    const h = harness();
    h.flow.wake();
    h.flow.wake('req_1');
    await h.flow.idle();
    expect(h.broker.calls).toEqual([]);

    h.broker.request = requestView({ status: 'approved', grantId: 'grt_1' });
    h.broker.grant = grantView({ status: 'active' });
    h.broker.landing = reloadLanding();
    await h.flow.file(DRAFT, WHERE);
    await h.flow.idle();
    await h.flow.denialSeen({ tabId: 7, frameId: 0 }, seenAgain());
    expect(h.timers.map((t) => t.ms)).toEqual([RETRY_FIRST_MS]);
    h.broker.calls = [];
    h.flow.wake('req_1');
    await h.flow.idle();
    expect(h.broker.calls).toEqual([]);
    expect(h.reloads).toEqual([7]);
    expect(h.timers.map((t) => t.ms)).toEqual([RETRY_FIRST_MS]);
  });
});

describe('request flow restart recovery (IndexedDB)', () => {
  beforeEach(async () => {
    closeDrafts();
    await new Promise((resolve, reject) => {
      const req = indexedDB.deleteDatabase(DB_NAME);
      req.onsuccess = resolve;
      req.onerror = reject;
    });
  });
  afterEach(() => closeDrafts());

  it('a new worker picks up an unfinished request from the store and lands the tab', async () => {
    const broker = new FakeBroker();
    const first = harness({ store: trackedStore, broker });
    await first.flow.file(DRAFT, WHERE);
    await first.flow.idle();
    expect(first.statuses()).toEqual(['submitted', 'waiting-approval']);
    // The worker stops: its timers are gone with it.
    first.timers.splice(0);
    closeDrafts();

    broker.request = requestView({ status: 'approved', grantId: 'grt_1' });
    broker.grant = grantView({ status: 'active' });
    const second = harness({ store: trackedStore, broker });
    await second.flow.resume();
    await second.flow.idle();
    expect(second.alarm.armed).toBe(false); // finished: the safety net is off again
    expect(second.navigations).toEqual([{ tabId: 7, url: SIGN_IN }]);
    expect(second.messages.every((m) => m.message.draftId === 'draft-1' && m.frameId === 2)).toBe(true);
    expect(second.statuses()).toEqual(['active', 'landing']);

    // An alarm in a third worker finds nothing left to do.
    const third = harness({ store: trackedStore, broker });
    broker.calls = [];
    await third.flow.resume();
    await third.flow.idle();
    expect(broker.calls).toEqual([]);
  });

  it('resume arms the safety net while something is pending, and never runs a request twice', async () => {
    const broker = new FakeBroker();
    const h = harness({ store: trackedStore, broker });
    await h.flow.file(DRAFT, WHERE);
    await h.flow.idle();
    broker.calls = [];
    await Promise.all([h.flow.resume(), h.flow.resume()]);
    await h.flow.idle();
    expect(h.alarm.armed).toBe(true);
    expect(broker.calls).toEqual([]); // already followed in this worker
    expect(h.timers).toHaveLength(1);
    const spy = vi.spyOn(broker.client, 'getRequest');
    await h.tick();
    expect(spy).toHaveBeenCalledTimes(1);
  });
});
