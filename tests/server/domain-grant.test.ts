import { describe, expect, it } from 'vitest';
import type { Grant, GrantStatus, Result } from '../../server/domain';
import {
  DEFAULT_RETRY,
  GRANT_LIVE_STATUSES,
  GRANT_STATUSES,
  GRANT_TRANSITIONS,
  LAST_ERROR_MAX,
  applyExtension,
  approve,
  extendGrant,
  issueGrant,
  markDue,
  mergeOverlapping,
  provisionFailed,
  provisioned,
  retryDelayMs,
  revoke,
  revokeFailed,
  revoked,
  startProvisioning,
  startRevoking,
  submitRequest,
} from '../../server/domain';
import {
  HOUR,
  MINUTE,
  T0,
  approvedRequest,
  at,
  code,
  draft,
  grantIn,
  newGrant,
  pendingRequest,
  policy,
  value,
} from './domain-fixtures';

const SECOND = 1000;
const BEFORE_EXPIRY = at(10 * MINUTE); // the fixture grants run T0 … T0 + 60 min
const AFTER_EXPIRY = at(2 * HOUR);

describe('the grant transition table', () => {
  it('matches the documented lifecycle', () => {
    expect(GRANT_TRANSITIONS).toEqual({
      approved: ['provisioning', 'ended', 'revoked'],
      provisioning: ['active', 'provision-failed', 'revoking'],
      'provision-failed': ['provisioning', 'revoking'],
      active: ['revoking'],
      revoking: ['ended', 'revoked', 'failed', 'revoke-failed'],
      'revoke-failed': ['revoking'],
      revoked: [],
      ended: [],
      failed: [],
    });
    expect(Object.keys(GRANT_TRANSITIONS).sort()).toEqual([...GRANT_STATUSES].sort());
  });

  it('counts as live (the worker watches it; the popup lists it) every status that is not final', () => {
    expect([...GRANT_LIVE_STATUSES]).toEqual(GRANT_STATUSES.filter((s) => GRANT_TRANSITIONS[s].length > 0));
  });

  it('never lets an active grant end without going through revoking', () => {
    expect(GRANT_TRANSITIONS.active).toEqual(['revoking']);
  });
});

/** Every operation, with times that make it legal whenever the status allows it. */
const OPERATIONS: Record<string, (g: Grant) => Result<Grant>> = {
  startProvisioning: (g) => startProvisioning(g, BEFORE_EXPIRY),
  provisioned: (g) => provisioned(g, BEFORE_EXPIRY),
  provisionFailed: (g) => provisionFailed(g, 'boom', BEFORE_EXPIRY),
  provisionFailedForGood: (g) =>
    provisionFailed(g, { message: 'no role holds it', permanent: true }, BEFORE_EXPIRY),
  markDue: (g) => markDue(g, AFTER_EXPIRY),
  revoke: (g) => revoke(g, 'bob', BEFORE_EXPIRY),
  startRevoking: (g) => startRevoking(g, BEFORE_EXPIRY),
  revoked: (g) => revoked(g, BEFORE_EXPIRY),
  revokeFailed: (g) => revokeFailed(g, 'boom', BEFORE_EXPIRY),
  extendGrant: (g) =>
    extendGrant(g, at(2 * HOUR), {
      at: BEFORE_EXPIRY,
      maxExpiresAt: at(4 * HOUR),
      actor: 'alice',
      requestId: null,
    }),
};

/** The status each legal (status, operation) pair leads to; every pair not listed must be refused. */
const LEGAL: Partial<Record<GrantStatus, Record<string, GrantStatus>>> = {
  approved: { startProvisioning: 'provisioning', markDue: 'ended', revoke: 'revoked' },
  provisioning: {
    provisioned: 'active',
    provisionFailed: 'provision-failed',
    provisionFailedForGood: 'revoking',
    markDue: 'revoking',
    revoke: 'revoking',
  },
  'provision-failed': { startProvisioning: 'provisioning', markDue: 'revoking', revoke: 'revoking' },
  active: { markDue: 'revoking', revoke: 'revoking', extendGrant: 'active' },
  revoking: { revoked: 'revoked', revokeFailed: 'revoke-failed' },
  'revoke-failed': { startRevoking: 'revoking' },
};

describe('every grant operation from every status', () => {
  for (const from of GRANT_STATUSES) {
    for (const [name, operation] of Object.entries(OPERATIONS)) {
      const expected = LEGAL[from]?.[name];
      it(`${name} on ${from} ${expected ? `→ ${expected}` : 'is refused'}`, () => {
        const grant = grantIn(from);
        expect(grant.status).toBe(from);
        const result = operation(grant);
        if (!expected) {
          expect(code(result)).toBe('illegal-transition');
          return;
        }
        const next = value(result);
        expect(next.status).toBe(expected);
        expect(next.version).toBe(grant.version + 1);
        if (expected !== from) expect(GRANT_TRANSITIONS[from]).toContain(expected);
        expect(result.ok && result.events.length).toBeGreaterThan(0);
        for (const event of result.ok ? result.events : []) expect(event.grantId).toBe(grant.id);
      });
    }
  }
});

describe('issueGrant', () => {
  it('turns an approved request into a grant whose clock starts at approval', () => {
    const request = approvedRequest({ durationMinutes: 90 });
    const result = issueGrant(request, { id: 'grant-1', at: at(MINUTE) });
    const { request: linked, grant, merged } = value(result);
    expect(merged).toBe(false);
    expect(linked).toMatchObject({ grantId: 'grant-1', version: request.version + 1 });
    expect(grant).toMatchObject({
      id: 'grant-1',
      requestId: 'req-1',
      user: 'alice',
      target: request.target,
      actions: request.actions,
      resource: request.resource,
      status: 'approved',
      startsAt: at(MINUTE),
      expiresAt: at(MINUTE + 90 * MINUTE),
      attempts: 0,
      lastError: null,
      nextAttemptAt: null,
      extendedBy: [],
      version: 1,
    });
    expect(result.ok && result.events.map((e) => [e.type, e.requestId, e.grantId])).toEqual([
      ['grant.issued', 'req-1', 'grant-1'],
    ]);
  });

  it('issues once per request', () => {
    const { request } = value(issueGrant(approvedRequest(), { id: 'g1', at: T0 }));
    expect(code(issueGrant(request, { id: 'g2', at: T0 }))).toBe('already-granted');
  });

  it('refuses requests that are not approved', () => {
    expect(code(issueGrant(pendingRequest(), { id: 'g', at: T0 }))).toBe('illegal-transition');
  });

  it('refuses extension requests, which move their linked grant instead', () => {
    const extension = approvedRequest({ linkedGrantId: 'grant-1' }, 'req-2');
    expect(code(issueGrant(extension, { id: 'g', at: T0 }))).toBe('mismatch');
  });
});

describe('retry schedule', () => {
  it('is min(base · 2^n, cap): 5 s, 10 s, 20 s … capped at 5 min', () => {
    const delays = Array.from({ length: 10 }, (_, n) => retryDelayMs(n));
    expect(delays).toEqual([5, 10, 20, 40, 80, 160, 300, 300, 300, 300].map((s) => s * SECOND));
    expect(DEFAULT_RETRY).toEqual({ baseMs: 5 * SECOND, capMs: 300 * SECOND, provisionAttempts: 8 });
  });

  it('takes a custom policy and stays at the cap for huge attempt counts', () => {
    const policy = { baseMs: 100, capMs: 1000 };
    expect([0, 1, 2, 3, 4].map((n) => retryDelayMs(n, policy))).toEqual([100, 200, 400, 800, 1000]);
    expect(retryDelayMs(10_000)).toBe(300 * SECOND);
    expect(retryDelayMs(-3)).toBe(5 * SECOND);
  });

  it('drives provisioning retries: each failure is visible and waits longer', () => {
    let grant = value(startProvisioning(newGrant(), T0));
    let now = T0;
    const waits: number[] = [];
    for (let failure = 1; failure <= 4; failure++) {
      const failed = provisionFailed(grant, `throttled #${failure}`, now);
      grant = value(failed);
      expect(grant).toMatchObject({
        status: 'provision-failed',
        attempts: failure,
        lastError: `throttled #${failure}`,
      });
      expect(failed.ok && failed.events[0]).toMatchObject({
        type: 'grant.provision-failed',
        details: { attempt: failure, error: `throttled #${failure}` },
      });
      const nextAttemptAt = grant.nextAttemptAt ?? expect.fail('nextAttemptAt must be set');
      waits.push(nextAttemptAt.getTime() - now.getTime());
      // A retry before its time is refused; at its time it is claimed.
      expect(code(startProvisioning(grant, new Date(nextAttemptAt.getTime() - 1)))).toBe('not-due');
      now = nextAttemptAt;
      grant = value(startProvisioning(grant, now));
      expect(grant.nextAttemptAt).toBeNull();
      expect(grant.lastError).toBe(`throttled #${failure}`); // still visible while retrying
    }
    expect(waits).toEqual([5, 10, 20, 40].map((s) => s * SECOND));
    const active = value(provisioned(grant, now));
    expect(active).toMatchObject({ status: 'active', attempts: 0, lastError: null, nextAttemptAt: null });
  });

  it('drives revocation retries the same way, without a limit', () => {
    let grant = value(markDue(grantIn('active'), AFTER_EXPIRY));
    let now = AFTER_EXPIRY;
    for (let failure = 1; failure <= 12; failure++) {
      grant = value(revokeFailed(grant, 'AccessDenied on DeleteRolePolicy', now));
      expect(grant).toMatchObject({ status: 'revoke-failed', attempts: failure });
      const due = grant.nextAttemptAt ?? expect.fail('nextAttemptAt must be set');
      expect(due.getTime() - now.getTime()).toBe(retryDelayMs(failure - 1));
      expect(code(startRevoking(grant, now))).toBe('not-due');
      now = due;
      grant = value(startRevoking(grant, now));
    }
    const ended = value(revoked(grant, now));
    expect(ended).toMatchObject({ status: 'ended', endedAt: now, lastError: null, attempts: 0 });
  });

  it('keeps a long cloud error short', () => {
    const grant = value(provisionFailed(grantIn('provisioning'), 'x'.repeat(5000), BEFORE_EXPIRY));
    expect(grant.lastError).toHaveLength(LAST_ERROR_MAX);
  });

  it('takes a custom retry policy', () => {
    const grant = value(provisionFailed(grantIn('provisioning'), 'e', T0, { baseMs: 1, capMs: 2 }));
    expect(grant.nextAttemptAt).toEqual(at(1));
  });
});

describe('expiry and revocation', () => {
  it('markDue waits for expiresAt', () => {
    const grant = grantIn('active');
    expect(code(markDue(grant, at(HOUR - 1)))).toBe('not-due');
    expect(value(markDue(grant, at(HOUR)))).toMatchObject({ status: 'revoking', revokeReason: 'expired' });
    expect(code(markDue(newGrant(), at(HOUR - 1)))).toBe('not-due');
  });

  it('an expired grant ends through revoking; the event names the system as actor', () => {
    const due = markDue(grantIn('active'), AFTER_EXPIRY);
    expect(due.ok && due.events[0]).toMatchObject({
      type: 'grant.revoking',
      actor: 'system',
      details: { reason: 'expired', from: 'active' },
    });
    const result = revoked(value(due), at(2 * HOUR + SECOND));
    expect(value(result)).toMatchObject({ status: 'ended', endedAt: at(2 * HOUR + SECOND) });
    expect(result.ok && result.events[0]?.type).toBe('grant.ended');
  });

  it('a grant that expired before provisioning ends without a cloud call', () => {
    const result = markDue(newGrant(), AFTER_EXPIRY);
    expect(value(result)).toMatchObject({ status: 'ended', endedAt: AFTER_EXPIRY });
    expect(result.ok && result.events[0]).toMatchObject({
      type: 'grant.ended',
      details: { provisioned: false },
    });
  });

  it('a grant that expired while waiting for a provisioning retry is cleaned up and fails, not provisioned', () => {
    const failed = grantIn('provision-failed');
    expect(code(startProvisioning(failed, AFTER_EXPIRY))).toBe('grant-expired');
    expect(code(startProvisioning(newGrant(), AFTER_EXPIRY))).toBe('grant-expired');
    // It never became active: its time ran out while the broker retried, which is a failure the
    // requester is told about (with the last error), not an ordinary end of access.
    const cleaning = value(markDue(failed, AFTER_EXPIRY));
    expect(cleaning).toMatchObject({
      status: 'revoking',
      revokeReason: 'failed',
      failure: { cause: 'expired', reason: 'throttled', attempts: 1, at: AFTER_EXPIRY },
    });
    expect(value(revoked(cleaning, AFTER_EXPIRY)).status).toBe('failed');
  });

  it('an early revoke ends as revoked and records who', () => {
    const result = revoke(grantIn('active'), 'dave', BEFORE_EXPIRY, 'incident over');
    const revoking = value(result);
    expect(revoking).toMatchObject({ status: 'revoking', revokeReason: 'revoked', revokedBy: 'dave' });
    expect(result.ok && result.events[0]).toMatchObject({
      actor: 'dave',
      details: { comment: 'incident over' },
    });
    const done = revoked(revoking, at(11 * MINUTE));
    expect(value(done)).toMatchObject({ status: 'revoked', revokedBy: 'dave' });
    expect(done.ok && done.events[0]).toMatchObject({ type: 'grant.revoked', actor: 'dave' });
  });

  it('revoking mid-provisioning wins: the late provisioning report is refused, the revoker cleans up', () => {
    const revoking = value(revoke(grantIn('provisioning'), 'alice', BEFORE_EXPIRY));
    expect(code(provisioned(revoking, BEFORE_EXPIRY))).toBe('illegal-transition');
    expect(code(provisionFailed(revoking, 'x', BEFORE_EXPIRY))).toBe('illegal-transition');
  });

  it('a sweep and an early revoke do not stack', () => {
    const revoking = value(markDue(grantIn('active'), AFTER_EXPIRY));
    expect(code(revoke(revoking, 'bob', AFTER_EXPIRY))).toBe('illegal-transition');
    expect(code(markDue(revoking, AFTER_EXPIRY))).toBe('illegal-transition');
  });
});

describe('extendGrant', () => {
  const options = { at: BEFORE_EXPIRY, maxExpiresAt: at(4 * HOUR), actor: 'alice', requestId: 'req-ext' };

  it('moves expiresAt later in place and records the extension request', () => {
    const grant = grantIn('active');
    const result = extendGrant(grant, at(2 * HOUR), options);
    const extended = value(result);
    expect(extended).toMatchObject({
      id: grant.id,
      status: 'active',
      expiresAt: at(2 * HOUR),
      extendedBy: ['req-ext'],
      version: grant.version + 1,
    });
    expect(result.ok && result.events[0]).toMatchObject({
      type: 'grant.extended',
      actor: 'alice',
      details: { from: at(HOUR).toISOString(), to: at(2 * HOUR).toISOString(), capped: false },
    });
  });

  it('never moves expiresAt backwards or to the same instant', () => {
    const grant = grantIn('active');
    expect(code(extendGrant(grant, at(30 * MINUTE), options))).toBe('not-later');
    expect(code(extendGrant(grant, grant.expiresAt, options))).toBe('not-later');
  });

  it('clamps to the maximum, and refuses when the maximum leaves no room', () => {
    const grant = grantIn('active');
    const result = extendGrant(grant, at(10 * HOUR), options);
    expect(value(result).expiresAt).toEqual(at(4 * HOUR));
    expect(result.ok && result.events[0]?.details).toMatchObject({ capped: true });
    expect(code(extendGrant(grant, at(10 * HOUR), { ...options, maxExpiresAt: at(HOUR) }))).toBe('not-later');
  });

  it('only extends active grants that have not yet expired', () => {
    expect(code(extendGrant(grantIn('approved'), at(2 * HOUR), options))).toBe('illegal-transition');
    expect(code(extendGrant(grantIn('provisioning'), at(2 * HOUR), options))).toBe('illegal-transition');
    expect(code(extendGrant(grantIn('active'), at(3 * HOUR), { ...options, at: at(HOUR) }))).toBe(
      'grant-expired',
    );
  });

  it('without a request id leaves extendedBy alone', () => {
    const extended = value(extendGrant(grantIn('active'), at(2 * HOUR), { ...options, requestId: null }));
    expect(extended.extendedBy).toEqual([]);
  });
});

describe('applyExtension', () => {
  const extensionRequest = (overrides: Parameters<typeof draft>[0] = {}) =>
    approvedRequest({ linkedGrantId: 'grant-1', durationMinutes: 30, ...overrides }, 'req-ext');
  const options = { at: BEFORE_EXPIRY, maxExpiresAt: at(4 * HOUR) };

  it('adds the duration to the current expiry and marks the request applied', () => {
    const { request, grant } = value(applyExtension(extensionRequest(), grantIn('active'), options));
    expect(grant.expiresAt).toEqual(at(HOUR + 30 * MINUTE));
    expect(grant.extendedBy).toEqual(['req-ext']);
    expect(request.grantId).toBe('grant-1');
  });

  it('applies once', () => {
    const { request, grant } = value(applyExtension(extensionRequest(), grantIn('active'), options));
    expect(code(applyExtension(request, grant, options))).toBe('already-granted');
  });

  it('refuses a pending extension, another grant, another user, and an ended grant', () => {
    const pending = value(
      submitRequest(draft({ linkedGrantId: 'grant-1' }), {
        id: 'x',
        requester: 'alice',
        now: T0,
        policy: policy(),
      }),
    );
    expect(code(applyExtension(pending, grantIn('active'), options))).toBe('illegal-transition');
    expect(
      code(applyExtension(extensionRequest({ linkedGrantId: 'other' }), grantIn('active'), options)),
    ).toBe('mismatch');
    const bobs = { ...extensionRequest(), requester: 'bob' };
    expect(code(applyExtension(bobs, grantIn('active'), options))).toBe('mismatch');
    expect(code(applyExtension(extensionRequest(), grantIn('ended'), options))).toBe('illegal-transition');
  });

  it('an extension decided by approvers is applied like an auto-approved one', () => {
    const pending = value(
      submitRequest(draft({ linkedGrantId: 'grant-1', durationMinutes: 60 }), {
        id: 'req-ext',
        requester: 'alice',
        now: BEFORE_EXPIRY,
        policy: policy(),
      }),
    );
    const approved = value(
      approve(pending, { approver: 'bob', at: at(20 * MINUTE), approverGroups: ['sandbox-approvers'] }),
    );
    const { grant } = value(applyExtension(approved, grantIn('active'), { ...options, at: at(20 * MINUTE) }));
    expect(grant.expiresAt).toEqual(at(2 * HOUR));
  });
});

describe('mergeOverlapping', () => {
  /** An active grant for alice, s3:GetObject on the reports bucket, T0 … T0 + 60 min. */
  const existing = (): Grant => grantIn('active');
  const candidate = (overrides: Parameters<typeof draft>[0] = {}, durationMinutes = 120): Grant =>
    newGrant({ durationMinutes, ...overrides }, 'grant-2', 'req-2');

  it('folds a new grant for the same entitlement into the live one; the later expiry wins', () => {
    const outcome = mergeOverlapping([existing()], candidate());
    expect(outcome.kind).toBe('merged');
    expect(outcome.grant).toMatchObject({
      id: 'grant-1',
      status: 'active',
      expiresAt: at(2 * HOUR),
      extendedBy: ['req-2'],
    });
    expect(outcome.kind === 'merged' && outcome.extended).toBe(true);
  });

  it('never shortens the existing grant', () => {
    const outcome = mergeOverlapping([existing()], candidate({}, 15));
    expect(outcome).toMatchObject({
      kind: 'merged',
      extended: false,
      grant: { id: 'grant-1', expiresAt: at(HOUR) },
    });
    expect(outcome.grant.extendedBy).toEqual(['req-2']);
  });

  it('ignores the order and repetition of actions', () => {
    const base = newGrant({ actions: ['s3:GetObject', 's3:ListBucket'] });
    const again = newGrant(
      { actions: ['s3:ListBucket', 's3:GetObject', 's3:ListBucket'] },
      'grant-2',
      'req-2',
    );
    expect(mergeOverlapping([base], again).kind).toBe('merged');
  });

  const BOTH = ['s3:GetObject', 's3:ListBucket'];
  it.each<[string, Parameters<typeof draft>[0]]>([
    ['a bigger action set', { actions: [...BOTH, 's3:PutObject'] }],
    ['a smaller action set', { actions: ['s3:GetObject'] }],
    ['a different resource', { resource: 'arn:aws:s3:::other/*' }],
    ['no resource where the existing names one', { resource: null }],
    ['another account', { target: { cloud: 'aws', account: '222222222222', environment: 'prod' } }],
  ])('keeps %s separate', (_name, overrides) => {
    // The existing grant holds both actions on the reports bucket; each case changes one thing.
    const base = newGrant({ actions: BOTH });
    const outcome = mergeOverlapping([base], newGrant({ actions: BOTH, ...overrides }, 'grant-2', 'req-2'));
    expect(outcome).toMatchObject({ kind: 'new', grant: { id: 'grant-2' } });
  });

  it('merges when only the duration differs (the control for the cases above)', () => {
    const base = newGrant({ actions: ['s3:GetObject', 's3:ListBucket'] });
    const again = newGrant(
      { actions: ['s3:GetObject', 's3:ListBucket'], durationMinutes: 90 },
      'grant-2',
      'req-2',
    );
    expect(mergeOverlapping([base], again).kind).toBe('merged');
  });

  it('treats the same user spelled in another case as the same user', () => {
    const shouted: Grant = { ...candidate(), user: 'ALICE' };
    expect(mergeOverlapping([existing()], shouted).kind).toBe('merged');
  });

  it('keeps another user separate', () => {
    const bobs: Grant = { ...candidate(), user: 'bob' };
    expect(mergeOverlapping([existing()], bobs).kind).toBe('new');
  });

  it.each(['revoking', 'revoke-failed', 'revoked', 'ended'] as const)(
    'does not reuse a %s grant',
    (status) => {
      expect(mergeOverlapping([grantIn(status)], candidate()).kind).toBe('new');
    },
  );

  it.each(['approved', 'provisioning', 'provision-failed'] as const)(
    'merges into a %s grant (it will hold the same permission)',
    (status) => {
      expect(mergeOverlapping([grantIn(status)], candidate()).kind).toBe('merged');
    },
  );

  it('picks the match that expires last and never merges a grant into itself', () => {
    const early = { ...existing(), id: 'g-early' };
    const late = { ...existing(), id: 'g-late', expiresAt: at(90 * MINUTE) };
    expect(mergeOverlapping([early, late], candidate()).grant.id).toBe('g-late');
    const self = candidate();
    expect(mergeOverlapping([self], self).kind).toBe('new');
  });

  it('issueGrant merges through the same rule and points the request at the existing grant', () => {
    const request = approvedRequest({ durationMinutes: 120 }, 'req-2');
    const result = issueGrant(request, { id: 'grant-2', at: T0, liveGrants: [existing()] });
    const issued = value(result);
    expect(issued.merged).toBe(true);
    expect(issued.request.grantId).toBe('grant-1');
    expect(issued.grant).toMatchObject({ id: 'grant-1', expiresAt: at(2 * HOUR), extendedBy: ['req-2'] });
    expect(result.ok && result.events).toEqual([
      {
        type: 'grant.merged',
        requestId: 'req-2',
        grantId: 'grant-1',
        actor: 'system',
        at: T0,
        details: {
          intoGrantId: 'grant-1',
          extended: true,
          expiresAt: at(2 * HOUR).toISOString(),
          requestedExpiresAt: at(2 * HOUR).toISOString(),
        },
      },
    ]);
  });
});

describe('refusal wording', () => {
  it('reads as English whatever the status: "an ended grant", "a revoked grant"', () => {
    const ended = startRevoking(grantIn('ended'), BEFORE_EXPIRY);
    expect(!ended.ok && ended.error.message).toBe('an ended grant cannot become revoking');
    const revokedOne = startRevoking(grantIn('revoked'), BEFORE_EXPIRY);
    expect(!revokedOne.ok && revokedOne.error.message).toBe('a revoked grant cannot become revoking');
  });
});
