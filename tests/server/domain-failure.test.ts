/**
 * Giving up on provisioning (issue 11): a permanent error ends the grant at once, errors worth
 * retrying end it after the configured attempts, and the reason and advice are kept, without
 * secrets, for the requester and the approvers.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FAILURE_ADVICE,
  GRANT_LIVE_STATUSES,
  LAST_ERROR_MAX,
  REDACTED,
  grantWork,
  grantDueAt,
  markDue,
  provisionFailed,
  revoke,
  revokeFailed,
  revoked,
  startProvisioning,
  startRevoking,
  type Grant,
} from '../../server/domain';
import { HOUR, MINUTE, T0, at, code, grantIn, newGrant, value } from './domain-fixtures';

const NO_ROLE = 'no grantable predefined role contains container.clusters.get';
const CUSTOM_ROLES = 'set targets[].gcp.customRoles: true to grant exactly the permission';

describe('a permanent provisioning error', () => {
  it('gives up at once: the grant is cleaned up and ends failed, with the reason and the advice', () => {
    const now = at(MINUTE);
    const result = provisionFailed(
      grantIn('provisioning'),
      { message: NO_ROLE, permanent: true, code: null, advice: CUSTOM_ROLES },
      now,
    );
    const cleaning = value(result);
    // Not `provision-failed`: no retry is scheduled, whatever attempts are left.
    expect(cleaning).toMatchObject({
      status: 'revoking',
      revokeReason: 'failed',
      nextAttemptAt: null,
      failure: {
        cause: 'permanent',
        reason: NO_ROLE,
        advice: CUSTOM_ROLES,
        code: null,
        attempts: 1,
        at: now,
      },
    });
    expect(result.ok && result.events.map((e) => [e.type, e.details])).toEqual([
      [
        'grant.provision-failed',
        { attempt: 1, maxAttempts: 8, error: NO_ROLE, code: null, final: true, cause: 'permanent' },
      ],
      ['grant.revoking', { reason: 'failed', from: 'provisioning', cause: 'permanent' }],
    ]);
    // The worker cleans up at once (the grant is due now) and the grant ends failed.
    expect(grantWork(cleaning, now)).toBe('resume-revoking');
    const ended = revoked(cleaning, at(MINUTE + 1));
    expect(value(ended)).toMatchObject({
      status: 'failed',
      endedAt: at(MINUTE + 1),
      failure: cleaning.failure,
    });
    expect(ended.ok && ended.events).toEqual([
      expect.objectContaining({
        type: 'grant.failed',
        actor: 'system',
        details: {
          cause: 'permanent',
          reason: NO_ROLE,
          advice: CUSTOM_ROLES,
          code: null,
          attempts: 1,
          cleanupAttempts: 1,
        },
      }),
    ]);
  });

  it('without the provisioner’s advice carries the broker’s for the cause', () => {
    const g = value(provisionFailed(grantIn('provisioning'), { message: 'bad config', permanent: true }, T0));
    expect(g.failure?.advice).toBe(DEFAULT_FAILURE_ADVICE.permanent);
    expect(g.failure?.advice).toMatch(/^fix what the reason names/);
  });

  it('keeps the failure while a failing cleanup retries, and until the grant ends failed', () => {
    let g = value(provisionFailed(grantIn('provisioning'), { message: NO_ROLE, permanent: true }, T0));
    const failure = g.failure;
    g = value(revokeFailed(g, 'throttled', T0));
    expect(g).toMatchObject({ status: 'revoke-failed', revokeReason: 'failed', failure });
    g = value(startRevoking(g, at(MINUTE)));
    expect(value(revoked(g, at(MINUTE)))).toMatchObject({ status: 'failed', failure });
  });
});

describe('errors worth retrying', () => {
  /** Fails `grant` with a transient error at each retry's time until it stops being `provision-failed`. */
  function failUntilGivenUp(grant: Grant, policy: { provisionAttempts: number }): Grant[] {
    const seen: Grant[] = [];
    let g = value(startProvisioning(grant, T0));
    let now = T0;
    for (let n = 1; n <= 20; n++) {
      g = value(
        provisionFailed(g, `503 from the cloud #${n}`, now, { baseMs: 1000, capMs: 60_000, ...policy }),
      );
      seen.push(g);
      if (g.status !== 'provision-failed') return seen;
      now = g.nextAttemptAt!;
      g = value(startProvisioning(g, now));
    }
    throw new Error('never gave up');
  }

  it('retry up to the configured attempts, then give up with the last error as the reason', () => {
    const seen = failUntilGivenUp(newGrant(), { provisionAttempts: 3 });
    expect(seen.map((g) => g.status)).toEqual(['provision-failed', 'provision-failed', 'revoking']);
    expect(seen[1]).toMatchObject({ attempts: 2, lastError: '503 from the cloud #2' });
    expect(seen[2]).toMatchObject({
      revokeReason: 'failed',
      failure: {
        cause: 'attempts-exhausted',
        reason: '503 from the cloud #3',
        advice: DEFAULT_FAILURE_ADVICE['attempts-exhausted'],
        attempts: 3,
      },
    });
  });

  it('with the default policy end after eight attempts, about ten minutes after the first', () => {
    const seen = failUntilGivenUp(newGrant(), { provisionAttempts: 8 });
    expect(seen).toHaveLength(8);
    expect(seen.at(-1)?.failure).toMatchObject({ cause: 'attempts-exhausted', attempts: 8 });
  });

  it('say in their event which attempt of how many failed and when the next comes', () => {
    const result = provisionFailed(
      grantIn('provisioning'),
      { message: 'throttled', permanent: false, code: 'Throttling' },
      T0,
    );
    expect(result.ok && result.events[0]?.details).toEqual({
      attempt: 1,
      maxAttempts: 8,
      error: 'throttled',
      code: 'Throttling',
      final: false,
      nextAttemptAt: at(5000).toISOString(),
    });
  });

  it('a grant revoked while it waits for a retry is revoked, not failed', () => {
    const g = value(revoke(grantIn('provision-failed'), 'alice', at(2 * MINUTE)));
    expect(g).toMatchObject({ status: 'revoking', revokeReason: 'revoked', failure: null });
    expect(value(revoked(g, at(3 * MINUTE))).status).toBe('revoked');
  });
});

describe('a failed grant', () => {
  it('is final, holds nothing, and needs no more work', () => {
    const failed = grantIn('failed');
    expect(failed.status).toBe('failed');
    expect(GRANT_LIVE_STATUSES).not.toContain('failed');
    expect(grantWork(failed, at(2 * HOUR))).toBeNull();
    expect(grantDueAt(failed)).toBeNull();
    expect(code(revoke(failed, 'bob', at(2 * MINUTE)))).toBe('illegal-transition');
    expect(code(markDue(failed, at(2 * HOUR)))).toBe('illegal-transition');
    expect(code(startProvisioning(failed, at(2 * MINUTE)))).toBe('illegal-transition');
  });
});

describe('what the grant keeps of an error', () => {
  it('never holds a credential the cloud echoed', () => {
    const message =
      'GET https://s3.amazonaws.com/b?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260105&X-Amz-Signature=abc123 ' +
      'failed; Authorization: Bearer ya29.a0AfH6SMBsecret; key -----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----';
    const retrying = value(provisionFailed(grantIn('provisioning'), message, T0));
    const givenUp = value(
      provisionFailed(
        grantIn('provisioning'),
        { message, permanent: true, advice: 'rotate client_secret=hunter22 in the config' },
        T0,
      ),
    );
    for (const text of [retrying.lastError, givenUp.failure?.reason, givenUp.failure?.advice]) {
      expect(text).toContain(REDACTED);
      for (const secret of ['AKIAIOSFODNN7EXAMPLE', 'abc123', 'ya29.a0AfH6SMBsecret', 'MIIEv', 'hunter22']) {
        expect(text).not.toContain(secret);
      }
    }
    // What makes the message useful stays.
    expect(givenUp.failure?.reason).toMatch(/^GET https:\/\/s3\.amazonaws\.com\/b\?/);
    expect(givenUp.failure?.advice).toBe(`rotate client_secret=${REDACTED} in the config`);
  });

  it('keeps principals, permissions and resources', () => {
    const message =
      "the broker's service account unblock@acme.iam.gserviceaccount.com lacks resourcemanager.projects.setIamPolicy on user:alice@example.com";
    expect(value(provisionFailed(grantIn('provisioning'), message, T0)).lastError).toBe(message);
  });

  it('is one short line', () => {
    const g = value(
      provisionFailed(
        grantIn('provisioning'),
        { message: `a\n\n  b${'x'.repeat(5000)}`, permanent: true },
        T0,
      ),
    );
    expect(g.failure?.reason.startsWith('a b')).toBe(true);
    expect(g.failure?.reason).toHaveLength(LAST_ERROR_MAX);
  });
});
