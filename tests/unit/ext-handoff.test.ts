// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BannerController, completes } from '../../components/banner-controller';
import {
  checkFrameSender,
  checkSender,
  handleMessage,
  type HandlerDeps,
} from '../../lib/background/handle-message';
import type { Denial } from '../../lib/contract/denial';
import {
  handOff,
  resetBridge,
  QUEUE_MAX,
  type CandidateBatch,
  type UnblockBridge,
} from '../../lib/content/handoff';
import { FRAME_TEXT_MAX, parseRelayedCandidates } from '../../lib/messaging/frame-relay';

const batch = (text: string): CandidateBatch => ({
  texts: [text],
  nodes: [],
  context: { cloud: 'aws' },
  pageUrl: 'https://console.aws.amazon.com/',
});
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('handOff', () => {
  it('queues until the chunk registers, asking for the chunk only once', async () => {
    const b: UnblockBridge = { queue: [] };
    const requestUi = vi.fn(() => Promise.resolve(true));
    handOff(batch('a'), requestUi, b);
    handOff(batch('b'), requestUi, b);
    await flush();
    expect(requestUi).toHaveBeenCalledTimes(1);
    expect(b.queue.map((x) => x.texts[0])).toEqual(['a', 'b']);
    const deliver = vi.fn();
    b.deliver = deliver;
    handOff(batch('c'), requestUi, b);
    expect(deliver).toHaveBeenCalledWith(batch('c'));
  });

  it('asks again after a refused or failed request', async () => {
    const b: UnblockBridge = { queue: [] };
    const requestUi = vi
      .fn()
      .mockResolvedValueOnce(false)
      .mockRejectedValueOnce(new Error('gone'))
      .mockResolvedValue(true);
    handOff(batch('a'), requestUi, b);
    await flush();
    handOff(batch('b'), requestUi, b);
    await flush();
    handOff(batch('c'), requestUi, b);
    await flush();
    handOff(batch('d'), requestUi, b);
    expect(requestUi).toHaveBeenCalledTimes(3);
  });

  it('keeps the queue bounded when the chunk never loads', () => {
    const b: UnblockBridge = { queue: [] };
    for (let i = 0; i < QUEUE_MAX + 15; i++) handOff(batch(String(i)), () => new Promise(() => {}), b);
    expect(b.queue).toHaveLength(QUEUE_MAX);
    expect(b.queue[0]!.texts[0]).toBe('15');
  });

  it('drops a chunk left by a previous extension instance', () => {
    const teardown = vi.fn();
    const b: UnblockBridge = { queue: [batch('old')], deliver: vi.fn(), uiRequested: true, teardown };
    resetBridge(b);
    expect(teardown).toHaveBeenCalled();
    expect(b).toEqual({ queue: [], deliver: undefined, teardown: undefined, uiRequested: false });
  });
});

describe('frame relay', () => {
  const ID = 'ext-id';
  const TOP = 'https://portal.azure.com/#@contoso.onmicrosoft.com/resource/subscriptions/x';
  const frameSender = (url: string, frameId = 4, tabUrl = TOP) => ({
    id: ID,
    url,
    frameId,
    tab: { id: 9, url: tabUrl },
  });
  const message = { type: 'frame-candidates', candidates: [{ text: 'AuthorizationFailed …', source: '3' }] };

  it('accepts a child frame of a console tab on a console or console-frame host', () => {
    expect(
      checkFrameSender(frameSender('https://sandbox-1.reactblade.portal.azure.net/x'), ID),
    ).toBeUndefined();
    expect(checkFrameSender(frameSender('https://portal.azure.com/frame'), ID)).toBeUndefined();
    expect(checkFrameSender(frameSender('about:srcdoc'), ID)).toBeUndefined();
  });

  it('refuses the top frame, other hosts, non-console tabs and other senders', () => {
    expect(checkFrameSender(frameSender('https://sandbox-1.reactblade.portal.azure.net/x', 0), ID)).toMatch(
      /child frame/,
    );
    expect(checkFrameSender(frameSender('https://evil.example/'), ID)).toMatch(/console frame/);
    expect(
      checkFrameSender(
        frameSender('https://sandbox-1.reactblade.portal.azure.net/x', 4, 'https://evil.example/'),
        ID,
      ),
    ).toMatch(/console page/);
    expect(checkFrameSender({ ...frameSender('https://portal.azure.com/'), id: 'other' }, ID)).toMatch(
      /extension/,
    );
    // A console-frame host is no console: its top frame may not ask for the banner.
    expect(checkSender(frameSender('https://sandbox-1.reactblade.portal.azure.net/x', 0), ID)).toMatch(
      /console/,
    );
  });

  it('relays a valid message to the top frame of the sender’s tab, with the frame id', async () => {
    const relayToTop = vi.fn(() => Promise.resolve(true));
    const deps: HandlerDeps = { runtimeId: ID, injectBanner: vi.fn(), saveDraft: vi.fn(), relayToTop };
    const sender = frameSender('https://sandbox-1.reactblade.portal.azure.net/x');
    expect(await handleMessage(message, sender, deps)).toEqual({ ok: true });
    expect(relayToTop).toHaveBeenCalledWith(9, { ...message, frameId: 4 });
    // Nobody listening yet in the top frame: the frame is told, and tries again.
    relayToTop.mockResolvedValueOnce(false);
    expect(await handleMessage(message, sender, deps)).toMatchObject({ ok: false });
    // Invalid messages and senders are never relayed.
    relayToTop.mockClear();
    expect(await handleMessage({ ...message, candidates: [] }, sender, deps)).toMatchObject({ ok: false });
    expect(await handleMessage(message, frameSender('https://evil.example/'), deps)).toMatchObject({
      ok: false,
    });
    expect(relayToTop).not.toHaveBeenCalled();
  });

  it('the top frame takes relayed candidates only from the background, well-formed', () => {
    const relayed = { ...message, frameId: 4 };
    expect(parseRelayedCandidates(relayed, { id: ID }, ID)).toEqual(relayed);
    expect(parseRelayedCandidates(relayed, { id: ID, tab: { id: 1 } }, ID)).toBeUndefined();
    expect(parseRelayedCandidates(relayed, { id: 'other' }, ID)).toBeUndefined();
    expect(parseRelayedCandidates({ ...relayed, frameId: 0 }, { id: ID }, ID)).toBeUndefined();
    expect(
      parseRelayedCandidates(
        { ...relayed, candidates: [{ text: 'x'.repeat(FRAME_TEXT_MAX + 1), source: '1' }] },
        { id: ID },
        ID,
      ),
    ).toBeUndefined();
    expect(
      parseRelayedCandidates({ ...relayed, candidates: [{ text: 'x', source: 7 }] }, { id: ID }, ID),
    ).toBeUndefined();
  });
});

describe('BannerController: a newer text of the same node replaces the card it completes', () => {
  const aws = (actions: string[], resource: string | null = null): Denial => ({
    cloud: 'aws',
    actions,
    resource,
    principal: null,
    account: '222222222222',
    denyKind: 'implicit',
    requestable: true,
    reason: null,
    excerpt: actions.join(' '),
    source: 'console',
    encodedMessage: null,
    operation: null,
    policyId: null,
    confidence: 'high',
  });
  // Texts are "action[@resource]" lists separated by ";".
  const parse = (text: string): Denial[] =>
    text.split(';').map((d) => {
      const [action, resource] = d.split('@');
      return aws([action!], resource ?? null);
    });
  let roots: ShadowRoot[] = [];
  afterEach(() => {
    document.querySelectorAll('unblock-banner').forEach((e) => e.remove());
    roots = [];
  });
  function controller() {
    const attach = Object.getOwnPropertyDescriptor(Element.prototype, 'attachShadow')!.value as (
      this: Element,
      init: ShadowRootInit,
    ) => ShadowRoot;
    vi.spyOn(Element.prototype, 'attachShadow').mockImplementation(function (this: Element, init) {
      const root = attach.call(this, init);
      roots.push(root);
      return root;
    });
    return new BannerController(document, vi.fn(), parse);
  }
  /** Every card's text, the folded ones too (the stack shows two and an "N more denials" toggle). */
  const cards = async () => {
    await new Promise((r) => setTimeout(r, 0));
    const more = roots[0]?.querySelector<HTMLButtonElement>('button.more');
    if (more?.getAttribute('aria-expanded') === 'false') {
      more.click();
      await new Promise((r) => setTimeout(r, 0));
    }
    return [...(roots[0]?.querySelectorAll('article') ?? [])].map((a) => a.textContent ?? '');
  };
  const deliver = (c: BannerController, text: string, source: string, node?: Element) =>
    c.deliver({
      texts: [text],
      sources: [source],
      nodes: node ? [node] : [],
      context: { cloud: 'aws', account: '222222222222' },
      pageUrl: 'https://console.aws.amazon.com/',
    });

  it('a truncated action, then the whole: one card, the complete one', async () => {
    const c = controller();
    deliver(c, 'iam:Pa', '7');
    expect(await cards()).toHaveLength(1);
    deliver(c, 'iam:PassRole@arn:aws:iam::222222222222:role/app', '7');
    expect(await cards()).toHaveLength(1);
    expect((await cards())[0]).toContain('iam:PassRole');
  });

  it('keeps cards a newer text does not complete, and denials the node still shows', async () => {
    const c = controller();
    deliver(c, 's3:GetObject', '7');
    deliver(c, 'ec2:StopInstances', '7');
    expect(await cards()).toHaveLength(2);
    deliver(c, 's3:GetObject;s3:GetObjectAcl', '8');
    deliver(c, 's3:GetObject;s3:GetObjectAcl', '8');
    expect(await cards()).toHaveLength(3);
  });

  it('another node completes a card only when the page has removed that card’s node', async () => {
    const c = controller();
    const shown = document.createElement('p');
    document.body.append(shown);
    deliver(c, 'logs:Cre', '9', shown);
    deliver(c, 'logs:CreateLogGroup', '10');
    expect(await cards()).toHaveLength(2);
    const gone = document.createElement('p');
    deliver(c, 'lambda:List', '11', gone);
    deliver(c, 'lambda:ListFunctions', '12');
    const texts = await cards();
    expect(texts).toHaveLength(3);
    expect(texts.some((t) => /lambda:ListFunctions/.test(t))).toBe(true);
    expect(texts.some((t) => /lambda:List\b(?!F)/.test(t))).toBe(false);
    shown.remove();
  });

  it('completes: same cloud, each older field the start of the newer', () => {
    expect(completes(aws(['iam:PassRole'], 'arn:aws:iam::2:role/app'), aws(['iam:Pa']))).toBe(true);
    expect(
      completes(aws(['iam:PassRole'], 'arn:aws:iam::2:role/app'), aws(['iam:PassRole'], 'arn:aws:iam::2:ro')),
    ).toBe(true);
    expect(completes(aws(['s3:GetObject']), aws(['iam:Pa']))).toBe(false);
    expect(completes(aws(['iam:PassRole']), aws(['iam:PassRole'], 'arn:aws:iam::2:role/app'))).toBe(false);
    expect(completes(aws(['iam:PassRole']), aws(['iam:PassRole']))).toBe(false);
  });
});
