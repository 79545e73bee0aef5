import { describe, expect, it } from 'vitest';
import type { GrantStatus, GrantWork } from '../../server/domain';
import { GRANT_STATUSES, grantDueAt, grantWork } from '../../server/domain';
import { HOUR, MINUTE, T0, at, grantIn } from './domain-fixtures';

// grantIn() builds every grant at T0 + 1 min, expiring at T0 + 60 min; failures retry 5 s later.
const RETRY_DUE = at(MINUTE + 5_000);

describe('grantWork', () => {
  const cases: [GrantStatus, Date, GrantWork | null][] = [
    ['approved', at(2 * MINUTE), 'provision'],
    ['approved', at(HOUR), 'expire'],
    ['provisioning', at(2 * MINUTE), 'resume-provisioning'],
    ['provisioning', at(HOUR), 'expire'],
    ['provision-failed', at(MINUTE + 4_999), null],
    ['provision-failed', RETRY_DUE, 'provision'],
    ['provision-failed', at(HOUR), 'expire'],
    ['active', at(HOUR - 1), null],
    ['active', at(HOUR), 'expire'],
    ['revoking', at(2 * MINUTE), 'resume-revoking'],
    ['revoke-failed', at(MINUTE + 4_999), null],
    ['revoke-failed', RETRY_DUE, 'revoke'],
    ['revoked', at(10 * HOUR), null],
    ['ended', at(10 * HOUR), null],
  ];
  it.each(cases)('%s at %s → %s', (status, now, work) => {
    expect(grantWork(grantIn(status), now)).toBe(work);
  });

  it('re-applies an active grant whose cloud side lags its expiry, and only that', () => {
    const active = grantIn('active');
    const now = at(2 * MINUTE);
    expect(grantWork(active, now, { provisioned: true, expiresAt: active.expiresAt })).toBeNull();
    expect(grantWork(active, now, { provisioned: true, expiresAt: at(30 * MINUTE) })).toBe('reapply');
    // The reconciler found it missing: no applied expiry.
    expect(grantWork(active, now, { provisioned: true, expiresAt: null })).toBe('reapply');
    // Never provisioned (nothing to re-apply), or due: expiry wins.
    expect(grantWork(active, now, { provisioned: false, expiresAt: null })).toBeNull();
    expect(grantWork(active, at(HOUR), { provisioned: true, expiresAt: null })).toBe('expire');
    // Other statuses ignore it.
    expect(grantWork(grantIn('revoking'), now, { provisioned: true, expiresAt: null })).toBe(
      'resume-revoking',
    );
  });

  it('has an answer for every status', () => {
    for (const status of GRANT_STATUSES) expect(() => grantWork(grantIn(status), T0)).not.toThrow();
  });
});

describe('grantDueAt', () => {
  it('is when the sweeper next has something to do', () => {
    expect(grantDueAt(grantIn('approved'))).toEqual(T0);
    expect(grantDueAt(grantIn('provisioning'))).toEqual(T0);
    expect(grantDueAt(grantIn('revoking'))).toEqual(T0);
    expect(grantDueAt(grantIn('provision-failed'))).toEqual(RETRY_DUE);
    expect(grantDueAt(grantIn('revoke-failed'))).toEqual(RETRY_DUE);
    expect(grantDueAt(grantIn('active'))).toEqual(at(HOUR));
    expect(grantDueAt(grantIn('revoked'))).toBeNull();
    expect(grantDueAt(grantIn('ended'))).toBeNull();
  });

  it('is the expiry when a provisioning retry would come after it', () => {
    const failed = { ...grantIn('provision-failed'), nextAttemptAt: at(2 * HOUR) };
    expect(grantDueAt(failed)).toEqual(at(HOUR));
  });

  it('agrees with grantWork: nothing to do before it, something at it', () => {
    for (const status of GRANT_STATUSES) {
      const grant = grantIn(status);
      const due = grantDueAt(grant);
      if (due === null) {
        expect(grantWork(grant, at(100 * HOUR))).toBeNull();
        continue;
      }
      expect(grantWork(grant, due)).not.toBeNull();
      if (due.getTime() > T0.getTime()) expect(grantWork(grant, new Date(due.getTime() - 1))).toBeNull();
    }
  });
});
