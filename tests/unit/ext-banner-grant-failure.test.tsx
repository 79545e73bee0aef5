// @vitest-environment happy-dom
/**
 * The banner card when granting fails (issue 11): while the broker retries it says which attempt
 * of how many comes when and what went wrong; once the broker gives up it says why, in an error
 * style, and what an operator can do, and the user may ask again. Before, it said "Approved;
 * granting access (retrying)…" for as long as anyone waited.
 */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Banner } from '../../components/Banner';
import { progressText } from '../../components/ProgressLine';
import type { Denial } from '../../lib/contract/denial';
import {
  parseProgressMessage,
  type RequestProgress,
  type SaveDraftMessage,
} from '../../lib/messaging/messages';

const NO_ROLE =
  'Approved, but access could not be granted: no grantable predefined role contains container.clusters.get';
const ADVICE = 'set targets[].gcp.customRoles: true on this project’s target to grant exactly the permission';

const denial = (): Denial => ({
  cloud: 'gcp',
  actions: ['container.clusters.get'],
  resource: null,
  principal: null,
  account: 'acme-dev',
  denyKind: 'gcp-iam',
  requestable: true,
  reason: null,
  excerpt: 'required "container.clusters.get" permission(s)',
  source: 'console',
  encodedMessage: null,
  operation: null,
  policyId: null,
  confidence: 'high',
});

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
});

const button = () =>
  [...root.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Request access');

async function filedCard() {
  const send = vi.fn((_msg: SaveDraftMessage) => Promise.resolve({ ok: true, id: 'd1', broker: true }));
  const draw = (progress?: RequestProgress) =>
    act(() => {
      render(
        <Banner
          denial={denial()}
          context={{ cloud: 'gcp', account: 'acme-dev' }}
          pageUrl="https://console.cloud.google.com/kubernetes/list?project=acme-dev"
          idPrefix="t"
          send={send}
          onDismiss={() => undefined}
          isTrustedEvent={() => true}
          checkClick={() => ({ ok: true })}
          progress={progress ? new Map([['d1', progress]]) : undefined}
        />,
        root,
      );
    });
  await draw();
  const input = [...root.querySelectorAll('input')].find((i) => i.placeholder === 'Reason or ticket')!;
  await act(() => {
    input.value = 'read the cluster config';
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await act(async () => {
    button()!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await Promise.resolve();
  });
  return { draw, send };
}

const line = () => root.querySelector('.progress');
const second = () => root.querySelector('.status .advice');

describe('the card when granting fails', () => {
  it('says why access could not be granted and what an operator can do, and lets the user ask again', async () => {
    const { draw, send } = await filedCard();
    await draw({ status: 'failed', requestId: 'req_1', reason: NO_ROLE, advice: ADVICE });
    expect(line()?.textContent).toBe(NO_ROLE);
    expect(line()?.classList.contains('error')).toBe(true);
    expect(second()?.textContent).toBe(`What an operator can do: ${ADVICE}`);
    // The advice is the one thing left to read: never cut to two lines.
    expect(second()?.classList.contains('clamp')).toBe(false);
    expect(root.textContent).not.toMatch(/retrying/);
    expect(button()!.disabled).toBe(false);
    await act(async () => {
      button()!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      await Promise.resolve();
    });
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('while retrying, names the attempt of how many, when, and the error on the second line', async () => {
    const { draw } = await filedCard();
    await draw({
      status: 'provisioning',
      requestId: 'req_1',
      retrying: true,
      retry: {
        failed: 1,
        maxAttempts: 8,
        nextAttemptAt: new Date(Date.now() + 5 * 60_000).toISOString(),
        error: '<b>Google is busy</b> (503 UNAVAILABLE)',
      },
    });
    expect(line()?.textContent).toMatch(
      /^Approved; granting failed, trying again at \d\d:\d\d.* \(attempt 2 of 8\)$/,
    );
    expect(second()?.textContent).toBe('<b>Google is busy</b> (503 UNAVAILABLE)');
    expect(root.querySelector('b')).toBeNull();
    expect(button()!.disabled).toBe(true);
  });

  it('words each retry moment, and falls back for brokers that send no details', () => {
    const now = Date.parse('2026-03-02T10:00:00.000Z');
    const retrying = (
      retry: Extract<RequestProgress, { status: 'provisioning' }>['retry'],
    ): RequestProgress => ({
      status: 'provisioning',
      requestId: 'r',
      retrying: true,
      ...(retry ? { retry } : {}),
    });
    expect(
      progressText(retrying({ failed: 1, maxAttempts: 8, nextAttemptAt: '2026-03-02T10:00:10.000Z' }), now),
    ).toBe('Approved; granting failed, trying again in under a minute (attempt 2 of 8)');
    expect(progressText(retrying({ failed: 3, maxAttempts: 8 }), now)).toBe(
      'Approved; granting failed, trying again now (attempt 4 of 8)',
    );
    expect(progressText(retrying({ failed: 2 }), now)).toBe(
      'Approved; granting failed, trying again now (attempt 3)',
    );
    expect(progressText(retrying(undefined), now)).toBe('Approved; granting access (retrying)…');
  });
});

describe('progress messages about failed grants', () => {
  const message = (progress: unknown) => ({ type: 'request-progress', draftId: 'd1', progress });
  const fromBackground = { id: 'me' };

  it('carry the advice and the retry details, within limits', () => {
    const failed = { status: 'failed', requestId: 'req_1', reason: NO_ROLE, advice: ADVICE };
    expect(parseProgressMessage(message(failed), fromBackground, 'me')?.progress).toEqual(failed);
    expect(
      parseProgressMessage(message({ ...failed, advice: 'x'.repeat(501) }), fromBackground, 'me'),
    ).toBeUndefined();
    const retrying = {
      status: 'provisioning',
      requestId: 'req_1',
      retrying: true,
      retry: { failed: 1, maxAttempts: 8 },
    };
    expect(parseProgressMessage(message(retrying), fromBackground, 'me')?.progress).toEqual(retrying);
    for (const retry of [
      { failed: -1 },
      { failed: 1, maxAttempts: 0 },
      { failed: 1, nextAttemptAt: 'soon' },
    ]) {
      expect(parseProgressMessage(message({ ...retrying, retry }), fromBackground, 'me')).toBeUndefined();
    }
  });
});
