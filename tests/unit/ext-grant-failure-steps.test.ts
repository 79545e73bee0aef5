/**
 * Following a grant the broker cannot provision (issue 11), one background step at a time
 * (lib/background/request-steps.ts): while it retries the banner hears which attempt of how many,
 * when, and the error; once the broker gives up it hears the reason and what an operator can do,
 * and the background stops following. Before, it said "retrying" for as long as anyone waited.
 */
import { describe, expect, it } from 'vitest';
import type { GrantFailureView, GrantView } from '../../lib/contract/api';
import type { BrokerClient } from '../../lib/extension/broker-client';
import { step, type Pace, type StepContext } from '../../lib/background/request-steps';
import type { TrackedRequest } from '../../lib/background/tracked-request';
import { RequestProgress, type RequestProgressMessage } from '../../lib/messaging/messages';
import { grantView, requestView, T0 } from './ext-broker-fixtures';

const PACE: Pace = { poll: () => 1000, retry: () => 5000 };
const NO_ROLE = 'no grantable predefined role contains container.clusters.get';
const ADVICE = 'set targets[].gcp.customRoles: true on this project’s target to grant exactly the permission';

function setup(grant: GrantView) {
  const sent: RequestProgressMessage[] = [];
  const stored: TrackedRequest[] = [];
  const client = {
    getRequest: () => Promise.resolve(requestView({ status: 'approved', grantId: 'grt_1' })),
    getGrant: () => Promise.resolve(grant),
  } as unknown as BrokerClient;
  const ctx: StepContext = {
    now: () => T0,
    deps: {
      client: () => Promise.resolve(client),
      store: {
        put: (r) => {
          stored.push(structuredClone(r));
          return Promise.resolve();
        },
        list: () => Promise.resolve([]),
        delete: () => Promise.resolve(),
      },
      notify: (_tab, _frame, message) => {
        sent.push(message);
        return Promise.resolve();
      },
      tabUrl: () => Promise.resolve(undefined),
      navigate: () => Promise.resolve(),
      reload: () => Promise.resolve(),
    },
  };
  const rec: TrackedRequest = {
    requestId: 'req_1',
    draftId: 'draft-1',
    tabId: 7,
    frameId: 0,
    pageUrl: 'https://console.cloud.google.com/kubernetes/list?project=acme-dev',
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    phase: 'request',
    grantId: null,
  };
  return { ctx, rec, sent, stored };
}

const failure = (patch: Partial<GrantFailureView> = {}): GrantFailureView => ({
  cause: 'permanent',
  reason: NO_ROLE,
  advice: ADVICE,
  code: null,
  attempts: 1,
  at: '2026-03-02T10:01:05.000Z',
  ...patch,
});

describe('a grant the broker gave up provisioning', () => {
  it('tells the banner why and what an operator can do, and stops following', async () => {
    const { ctx, rec, sent } = setup(grantView({ status: 'failed', failure: failure(), maxAttempts: 8 }));
    expect(await step(ctx, rec, PACE)).toBe('done');
    const last = sent.at(-1)!.progress;
    expect(last).toEqual({
      status: 'failed',
      requestId: 'req_1',
      reason: `Approved, but access could not be granted: ${NO_ROLE}`,
      advice: ADVICE,
    });
    expect(RequestProgress.safeParse(last).success).toBe(true);
    expect(rec.phase).toBe('done');
  });

  it('says so while the broker is still cleaning up, not "the grant is revoking"', async () => {
    const { ctx, rec, sent } = setup(grantView({ status: 'revoking', failure: failure() }));
    expect(await step(ctx, rec, PACE)).toBe('done');
    expect(sent.at(-1)!.progress).toMatchObject({ status: 'failed', advice: ADVICE });
  });

  it('names the attempts when they ran out, and the deadline when the time did', async () => {
    const exhausted = setup(
      grantView({
        status: 'failed',
        failure: failure({ cause: 'attempts-exhausted', attempts: 8, reason: 'HTTP 503' }),
      }),
    );
    await step(exhausted.ctx, exhausted.rec, PACE);
    expect(exhausted.sent.at(-1)!.progress).toMatchObject({
      reason: 'Approved, but access could not be granted; the broker gave up after 8 attempts: HTTP 503',
    });
    const expired = setup(
      grantView({ status: 'failed', failure: failure({ cause: 'expired', reason: 'HTTP 503' }) }),
    );
    await step(expired.ctx, expired.rec, PACE);
    expect(expired.sent.at(-1)!.progress).toMatchObject({
      reason: 'Approved, but access could not be granted before the grant’s time ran out: HTTP 503',
    });
  });
});

describe('a grant the broker is retrying', () => {
  it('tells the banner which attempt of how many comes when, and what went wrong', async () => {
    const { ctx, rec, sent } = setup(
      grantView({
        status: 'provision-failed',
        attempts: 1,
        maxAttempts: 8,
        nextAttemptAt: '2026-03-02T10:01:10.000Z',
        lastError: 'Google is busy or failing (503 UNAVAILABLE); will retry',
      }),
    );
    expect(await step(ctx, rec, PACE)).toBe(1000);
    const last = sent.at(-1)!.progress;
    expect(last).toEqual({
      status: 'provisioning',
      requestId: 'req_1',
      retrying: true,
      retry: {
        failed: 1,
        maxAttempts: 8,
        nextAttemptAt: '2026-03-02T10:01:10.000Z',
        error: 'Google is busy or failing (503 UNAVAILABLE); will retry',
      },
    });
    expect(RequestProgress.safeParse(last).success).toBe(true);
  });

  it('says a retry in progress is one (not a first try), without a time', async () => {
    const { ctx, rec, sent } = setup(
      grantView({ status: 'provisioning', attempts: 2, maxAttempts: 8, lastError: 'x' }),
    );
    await step(ctx, rec, PACE);
    expect(sent.at(-1)!.progress).toEqual({
      status: 'provisioning',
      requestId: 'req_1',
      retrying: true,
      retry: { failed: 2, maxAttempts: 8, error: 'x' },
    });
  });

  it('keeps a first try plain', async () => {
    const { ctx, rec, sent } = setup(grantView({ status: 'provisioning', attempts: 0 }));
    await step(ctx, rec, PACE);
    expect(sent.at(-1)!.progress).toEqual({ status: 'provisioning', requestId: 'req_1', retrying: false });
  });
});
