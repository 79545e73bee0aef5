// @vitest-environment happy-dom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Banner, type BannerProps } from '../../components/Banner';
import { BannerController } from '../../components/banner-controller';
import { progressText } from '../../components/ProgressLine';
import type { Denial } from '../../lib/contract/denial';
import {
  parseProgressMessage,
  type RequestProgress,
  type SaveDraftMessage,
} from '../../lib/messaging/messages';

const denial = (): Denial => ({
  cloud: 'aws',
  actions: ['ec2:StopInstances'],
  resource: null,
  principal: null,
  account: '222222222222',
  denyKind: 'implicit',
  requestable: true,
  reason: null,
  excerpt: 'is not authorized to perform: ec2:StopInstances',
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

function mount(reply: unknown, props: Partial<BannerProps> = {}) {
  const send = vi.fn((_msg: SaveDraftMessage) => Promise.resolve(reply));
  const draw = (progress?: ReadonlyMap<string, RequestProgress>) =>
    act(() => {
      render(
        <Banner
          denial={denial()}
          context={{ cloud: 'aws', account: '222222222222' }}
          pageUrl="https://console.aws.amazon.com/ec2/home"
          idPrefix="t"
          send={send}
          onDismiss={() => undefined}
          isTrustedEvent={() => true}
          checkClick={() => ({ ok: true })}
          progress={progress}
          {...props}
        />,
        root,
      );
    });
  return { send, draw };
}

async function request() {
  const input = [...root.querySelectorAll('input')].find((i) => i.placeholder === 'Reason or ticket')!;
  await act(() => {
    input.value = 'INC-42';
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await act(async () => {
    button()!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await Promise.resolve();
  });
}

const status = () => root.querySelector('.status')?.textContent ?? '';

describe('banner progress', () => {
  it('follows the background through every status, as text', async () => {
    const { draw, send } = mount({ ok: true, id: 'd1', broker: true });
    await draw();
    await request();
    expect(send).toHaveBeenCalledTimes(1);
    expect(status()).toBe('Sending the request to the broker…');
    expect(button()!.disabled).toBe(true);

    const at = (p: RequestProgress) => draw(new Map([['d1', p]]));
    await at({ status: 'submitted', requestId: 'req_1' });
    expect(status()).toBe('Request req_1 filed');
    await at({
      status: 'waiting-approval',
      requestId: 'req_1',
      advice: ['Production writes need a platform approver'],
      requiredApprovals: 2,
      approvals: 1,
      approvers: ['bob', 'dave', 'erin'],
    });
    expect(status()).toContain('Waiting for approval (1 of 2) from bob, dave or erin');
    expect(status()).toContain('Production writes need a platform approver');
    await at({ status: 'provisioning', requestId: 'req_1', retrying: false });
    expect(status()).toBe('Approved; granting access…');
    await at({ status: 'active', requestId: 'req_1', expiresAt: '2026-03-02T10:31:00.000Z' });
    expect(status()).toMatch(/^Access granted until /);
    await at({ status: 'landing', requestId: 'req_1', message: 'Access granted; reloading the page' });
    expect(status()).toBe('Access granted; reloading the page');
    expect(button()!.disabled).toBe(true);
    // Another card's progress is not ours.
    await draw(new Map([['other', { status: 'failed', requestId: null, reason: 'nope' }]]));
    expect(status()).toBe('Sending the request to the broker…');
  });

  it('shows a denial with the approver comment, and lets the user ask again', async () => {
    const { draw, send } = mount({ ok: true, id: 'd1', broker: true });
    await draw();
    await request();
    await draw(
      new Map([
        [
          'd1',
          {
            status: 'denied',
            requestId: 'req_1',
            comment: '<img src=x onerror=alert(1)> use the runbook',
            advice: [],
          },
        ],
      ]),
    );
    expect(status()).toBe('Request denied: “<img src=x onerror=alert(1)> use the runbook”');
    expect(root.querySelector('img')).toBeNull();
    expect(root.querySelector('.progress')?.classList.contains('error')).toBe(true);
    expect(button()!.disabled).toBe(false);
    await act(async () => {
      button()!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      await Promise.resolve();
    });
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('says "Request saved" when no broker is configured, as before', async () => {
    const { draw } = mount({ ok: true, id: 'd1', broker: false });
    await draw();
    await request();
    expect(status()).toBe('Request saved');
  });

  it('a synthetic click files nothing, broker or not', async () => {
    const { draw, send } = mount(
      { ok: true, id: 'd1', broker: true },
      { isTrustedEvent: (e) => e.isTrusted },
    );
    await draw();
    await request();
    expect(send).not.toHaveBeenCalled();
    expect(status()).toBe('');
  });

  it('words failures and retries', () => {
    expect(
      progressText({ status: 'failed', requestId: null, reason: 'The broker is unreachable: down' }),
    ).toBe('The broker is unreachable: down');
    expect(progressText({ status: 'provisioning', requestId: 'r', retrying: true })).toMatch(/retrying/);
    expect(progressText({ status: 'denied', requestId: 'r', comment: null, advice: ['x'] })).toBe(
      'Request denied',
    );
  });
});

describe('request-progress messages', () => {
  const valid = {
    type: 'request-progress',
    draftId: 'd1',
    progress: { status: 'active', requestId: 'req_1', expiresAt: '2026-03-02T10:31:00.000Z' },
  };
  const background = { id: 'me' };

  it('are accepted only from our background, valid', () => {
    expect(parseProgressMessage(valid, background, 'me')).toEqual(valid);
    // From a content script (has a tab), another extension, or malformed: dropped.
    expect(parseProgressMessage(valid, { id: 'me', tab: { id: 1 } }, 'me')).toBeUndefined();
    expect(parseProgressMessage(valid, { id: 'other' }, 'me')).toBeUndefined();
    expect(
      parseProgressMessage({ ...valid, progress: { status: 'hacked' } }, background, 'me'),
    ).toBeUndefined();
    expect(
      parseProgressMessage(
        { ...valid, progress: { status: 'failed', requestId: null, reason: 'x'.repeat(501) } },
        background,
        'me',
      ),
    ).toBeUndefined();
    expect(parseProgressMessage({ ...valid, draftId: '' }, background, 'me')).toBeUndefined();
    expect(
      parseProgressMessage(
        { ...valid, progress: { ...valid.progress, expiresAt: 'tomorrow' } },
        background,
        'me',
      ),
    ).toBeUndefined();
  });

  it('reach the card through the controller', () => {
    let shadow: ShadowRoot | undefined;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call below
    const attach = Element.prototype.attachShadow;
    vi.spyOn(Element.prototype, 'attachShadow').mockImplementation(function (this: Element, init) {
      shadow = attach.call(this, init);
      return shadow;
    });
    const send = vi.fn(() => Promise.resolve({ ok: true, id: 'd9', broker: true }));
    const controller = new BannerController(document, send, () => [denial()]);
    controller.deliver({
      texts: ['denied'],
      nodes: [],
      context: { cloud: 'aws' },
      pageUrl: 'https://console.aws.amazon.com/ec2',
    });
    expect(shadow).toBeDefined();
    controller.report({
      type: 'request-progress',
      draftId: 'd9',
      progress: { status: 'submitted', requestId: 'req_9' },
    });
    // The card has not filed anything yet: it shows no progress.
    expect(shadow!.querySelector('.status')?.textContent ?? '').toBe('');
    controller.destroy();
  });

  it('a denial the background says is a granted request’s: the card adopts it, propagating', async () => {
    let shadow: ShadowRoot | undefined;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call below
    const attach = Element.prototype.attachShadow;
    vi.spyOn(Element.prototype, 'attachShadow').mockImplementation(function (this: Element, init) {
      shadow = attach.call(this, init);
      return shadow;
    });
    const propagating: RequestProgress = {
      status: 'propagating',
      requestId: 'req_9',
      message: 'Access is propagating: AWS has granted it, but this page is still denied. Reloading in 2 s.',
      retryAt: '2026-03-02T10:01:00.000Z',
    };
    const send = vi.fn((msg: { type: string }) =>
      Promise.resolve(
        msg.type === 'denial-seen'
          ? { ok: true, adopted: { draftId: 'd9', progress: propagating } }
          : { ok: true },
      ),
    );
    const controller = new BannerController(
      document,
      send,
      () => [denial()],
      () => 812.4,
    );
    await act(async () => {
      controller.deliver({
        texts: ['denied'],
        nodes: [],
        context: { cloud: 'aws' },
        pageUrl: 'https://console.aws.amazon.com/ec2',
      });
      await new Promise((r) => setTimeout(r, 0));
    });
    expect(send).toHaveBeenCalledWith({
      type: 'denial-seen',
      cloud: 'aws',
      account: '222222222222',
      actions: ['ec2:StopInstances'],
      sinceLoadMs: 812,
    });
    const card = shadow!.querySelector('.status')?.textContent ?? '';
    expect(card).toBe(propagating.message);
    const requestButton = [...shadow!.querySelectorAll('button')].find(
      (b) => b.textContent === 'Request access',
    );
    expect(requestButton?.disabled).toBe(true);

    // Past the limit the card says what to do, and may file again.
    await act(() =>
      controller.report({
        type: 'request-progress',
        draftId: 'd9',
        progress: { status: 'not-propagated', requestId: 'req_9', message: 'Sign out and sign in again.' },
      }),
    );
    expect(shadow!.querySelector('.status .error')?.textContent).toBe('Sign out and sign in again.');
    const again = [...shadow!.querySelectorAll('button')].find((b) => b.textContent === 'Request access');
    expect(again?.disabled).toBe(false);
    controller.destroy();
  });

  it('a denial that is no request’s business stays a fresh card, whatever the answer', async () => {
    let shadow: ShadowRoot | undefined;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call below
    const attach = Element.prototype.attachShadow;
    vi.spyOn(Element.prototype, 'attachShadow').mockImplementation(function (this: Element, init) {
      shadow = attach.call(this, init);
      return shadow;
    });
    for (const reply of [
      { ok: true, adopted: null },
      {
        ok: true,
        adopted: { draftId: 'd9', progress: { status: 'propagating', requestId: 'r', message: 'x' } },
      },
      { ok: false, error: 'no' },
      undefined,
    ]) {
      const send = vi.fn((_msg: { type: string }) => Promise.resolve(reply));
      const controller = new BannerController(document, send, () => [denial()]);
      await act(async () => {
        controller.deliver({
          texts: ['denied'],
          nodes: [],
          context: { cloud: 'aws' },
          pageUrl: 'https://console.aws.amazon.com/ec2',
        });
        await new Promise((r) => setTimeout(r, 0));
      });
      expect(send.mock.calls.filter(([m]) => m.type === 'denial-seen')).toHaveLength(1);
      expect(shadow!.querySelector('.status')?.textContent ?? '').toBe('');
      controller.destroy();
    }
  });
});
