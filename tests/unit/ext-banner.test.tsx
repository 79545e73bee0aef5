// @vitest-environment happy-dom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Banner, type BannerProps } from '../../components/Banner';
import { BannerController, denialKey, stackPlacement } from '../../components/banner-controller';
import { BannerStack } from '../../components/BannerStack';
import { safeText } from '../../components/safe-text';
import type { Denial } from '../../lib/contract/denial';
import type { SaveDraftMessage } from '../../lib/messaging/messages';

const denial = (patch: Partial<Denial> = {}): Denial => ({
  cloud: 'aws',
  actions: ['s3:GetObject'],
  resource: 'arn:aws:s3:::my-bucket/report.csv',
  principal: 'arn:aws:sts::222222222222:assumed-role/Developer/alice',
  account: null,
  denyKind: 'implicit',
  requestable: true,
  reason: null,
  excerpt:
    'User: arn:aws:sts::222222222222:assumed-role/Developer/alice is not authorized to perform: s3:GetObject',
  source: 'console',
  encodedMessage: null,
  operation: null,
  policyId: null,
  confidence: 'high',
  ...patch,
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

function mount(props: Partial<BannerProps> = {}) {
  const send = vi.fn((_msg: SaveDraftMessage) => Promise.resolve({ ok: true, id: 'draft-1' }));
  const onDismiss = vi.fn();
  void act(() => {
    render(
      <Banner
        denial={denial()}
        context={{ cloud: 'aws', account: '222222222222', accountLabel: 'acme-dev' }}
        pageUrl="https://s3.console.aws.amazon.com/s3/buckets/my-bucket"
        idPrefix="t"
        send={send}
        onDismiss={onDismiss}
        checkClick={() => ({ ok: true })}
        {...props}
      />,
      root,
    );
  });
  return { send, onDismiss };
}

const button = (name: string) =>
  [...root.querySelectorAll('button')].find(
    (b) => (b.getAttribute('aria-label') ?? b.textContent?.trim()) === name,
  );
const byLabel = (text: string) => {
  const label = [...root.querySelectorAll('label')].find((l) => l.textContent === text);
  return label ? root.querySelector<HTMLElement>(`#${label.htmlFor}`) : null;
};

async function type(el: HTMLElement | null, value: string) {
  expect(el).not.toBeNull();
  await act(() => {
    (el as HTMLTextAreaElement).value = value;
    el!.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

async function click(el: HTMLElement | undefined) {
  expect(el).toBeDefined();
  await act(async () => {
    el!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await Promise.resolve();
  });
}

describe('Banner', () => {
  it('shows cloud, action with risk, resource, account with alias and deny kind', () => {
    mount();
    const text = root.textContent ?? '';
    expect(text).toContain('Access denied — AWS');
    expect(root.querySelector('code')?.textContent).toBe('s3:GetObject');
    expect(root.querySelector('.risk')?.textContent).toBe('Read');
    // The sentence: Request <action> on <resource> in <alias (id)> for <duration>.
    const headline = root.querySelector('.headline')?.textContent ?? '';
    expect(headline).toBe(
      'Request s3:GetObjectRead on my-bucket/report.csv in acme-dev (222222222222) for 1 h',
    );
    expect(text).toContain('arn:aws:s3:::my-bucket/report.csv');
    expect(text).toContain('222222222222 (acme-dev)');
    expect(text).toContain('No policy allows this action');
    expect(byLabel('Duration')).toBeInstanceOf(HTMLSelectElement);
    expect((byLabel('Duration') as HTMLSelectElement).value).toBe('60');
    expect(byLabel('Justification')).toBeInstanceOf(HTMLInputElement);
    expect(button('Request access')).toBeDefined();
    expect(button('Dismiss')).toBeDefined();
  });

  it('keeps resource, account, principal and the excerpt behind a Details disclosure', async () => {
    mount();
    const toggle = button('Details')!;
    const details = root.querySelector<HTMLElement>(`#${toggle.getAttribute('aria-controls')}`)!;
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(details.hidden).toBe(true);
    expect(details.textContent).toContain('arn:aws:sts::222222222222:assumed-role/Developer/alice');
    expect(details.textContent).toContain('What the page said');
    await click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(details.hidden).toBe(false);
  });

  it('names the first two actions in the headline and "+N more"; the full list is in details', () => {
    mount({
      denial: denial({ actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket'] }),
    });
    const headline = root.querySelector('.headline')!;
    expect([...headline.querySelectorAll('code')].map((c) => c.textContent)).toEqual([
      's3:GetObject',
      's3:PutObject',
    ]);
    expect(headline.textContent).toContain('+2 more');
    expect(root.querySelectorAll('.details code')).toHaveLength(4);
  });

  it('follows the chosen duration in the headline', async () => {
    mount();
    await act(() => {
      const select = byLabel('Duration') as HTMLSelectElement;
      select.value = '480';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(root.querySelector('.headline')?.textContent).toMatch(/for 8 h$/);
  });

  it('renders hostile page text inertly: no markup, no links, no bidi overrides, truncated', () => {
    const hostile = `<script>alert(1)</script><a href="javascript:alert(1)">x</a>\u202Egnp.exe\u2066${'A'.repeat(1_000_000)}`;
    mount({
      denial: denial({
        resource: hostile,
        excerpt: hostile,
        actions: [`s3:Get<img src=x onerror=alert(1)>`],
      }),
    });
    expect(root.querySelector('script')).toBeNull();
    expect(root.querySelector('a')).toBeNull();
    expect(root.querySelector('img')).toBeNull();
    const text = root.textContent ?? '';
    expect(text).toContain('<script>alert(1)</script>'); // shown as text
    expect(text).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200E\u200F]/);
    expect(text.length).toBeLessThan(3000);
    for (const el of root.querySelectorAll('[title]')) {
      expect(el.getAttribute('title')).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200E\u200F]/);
      expect(el.getAttribute('title')!.length).toBeLessThanOrEqual(200);
    }
  });

  it('requires a justification and names the field, without sending', async () => {
    const { send } = mount({ isTrustedEvent: () => true });
    await click(button('Request access'));
    expect(send).not.toHaveBeenCalled();
    const error = root.querySelector('[role="alert"]');
    expect(error?.textContent).toMatch(/^Justification: required/);
    expect(byLabel('Justification')?.getAttribute('aria-invalid')).toBe('true');
    expect(byLabel('Justification')?.getAttribute('aria-describedby')).toContain(error!.id);
  });

  it('ignores an untrusted (synthetic) click', async () => {
    const { send } = mount(); // default check: event.isTrusted, false for dispatchEvent
    await type(byLabel('Justification'), 'Fixing INC-1');
    await click(button('Request access'));
    expect(send).not.toHaveBeenCalled();
    expect(root.textContent).not.toContain('Request saved');
  });

  it('sends a validated save-draft message on a trusted click and then says "Request saved"', async () => {
    const { send } = mount({ isTrustedEvent: () => true });
    await type(byLabel('Justification'), '  Fixing INC-1  ');
    await act(() => {
      const select = byLabel('Duration') as HTMLSelectElement;
      select.value = '240';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await click(button('Request access'));
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]![0]).toEqual({
      type: 'save-draft',
      request: {
        target: { cloud: 'aws', account: '222222222222' },
        actions: ['s3:GetObject'],
        resource: 'arn:aws:s3:::my-bucket/report.csv',
        durationMinutes: 240,
        justification: 'Fixing INC-1',
        denial: { excerpt: denial().excerpt, denyKind: 'implicit', encodedMessage: null },
        pageUrl: 'https://s3.console.aws.amazon.com/s3/buckets/my-bucket',
      },
    });
    expect(root.textContent).toContain('Request saved');
    expect(button('Request access')?.hasAttribute('disabled')).toBe(true);
  });

  it('asks for the permission when the message names none, validated by the cloud grammar', async () => {
    const { send } = mount({
      denial: denial({ actions: [], denyKind: 'unknown' }),
      isTrustedEvent: () => true,
    });
    const input = byLabel('Permission to request');
    expect(input).toBeInstanceOf(HTMLInputElement);
    await type(byLabel('Justification'), 'Need to read the report');
    expect(input?.getAttribute('placeholder')).toBe('s3:Action'); // the page is the S3 console
    await type(input, 's3:*');
    await click(button('Request access'));
    expect(send).not.toHaveBeenCalled();
    expect(root.textContent).toContain('Permission to request:');
    expect(root.querySelector('.headline')?.textContent).toContain('Request s3:*');
    await type(input, 's3:GetObject');
    await click(button('Request access'));
    expect(send.mock.calls[0]![0].request.actions).toEqual(['s3:GetObject']);
  });

  it('suggests the permission from the operation and says the broker decodes an encoded message', () => {
    mount({
      denial: denial({
        actions: [],
        resource: null,
        denyKind: 'unknown',
        operation: 'StopInstances',
        encodedMessage: 'AbC123',
        excerpt:
          'You are not authorized to perform this operation. Encoded authorization failure message: AbC123',
      }),
      pageUrl: 'https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#Instances:',
    });
    expect(byLabel('Permission to request')?.getAttribute('placeholder')).toBe('ec2:StopInstances');
    // Without the background (no `ask`), the card says how decoding happens rather than doing it.
    expect(root.textContent).toMatch(/the broker decodes it when you are signed in/);
  });

  it('uses a neutral placeholder when nothing says which service it is', () => {
    mount({
      denial: denial({ actions: [], resource: null, denyKind: 'unknown', excerpt: 'Access Denied' }),
      pageUrl: 'https://console.aws.amazon.com/console/home',
    });
    expect(byLabel('Permission to request')?.getAttribute('placeholder')).toBe('service:Action');
  });

  it('shows the reason and who owns the block for a non-requestable denial, with no request button', () => {
    mount({
      denial: denial({
        denyKind: 'explicit-scp',
        requestable: false,
        reason: 'An organization service control policy explicitly denies this action.',
        policyId: 'arn:aws:organizations::111111111111:policy/o-example/service_control_policy/p-example1',
      }),
    });
    const text = root.textContent ?? '';
    expect(text).toContain('A grant will not help here.');
    expect(text).toContain('service control policy explicitly denies');
    expect(text).toContain('p-example1');
    expect(text).toContain('Who can change this');
    expect(button('Request access')).toBeUndefined();
    expect(byLabel('Justification')).toBeNull();
  });

  it('dismisses on the button and on Escape', async () => {
    const { onDismiss } = mount();
    await click(button('Dismiss'));
    expect(onDismiss).toHaveBeenCalledTimes(1);
    await act(() => {
      byLabel('Justification')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    });
    expect(onDismiss).toHaveBeenCalledTimes(2);
  });
});

describe('safeText', () => {
  it('strips bidi and control characters, collapses whitespace and truncates', () => {
    expect(safeText('a\u202Eb\u2067c\u200Fd\u0000e\n\n f')).toBe('abcde f');
    expect(safeText('x'.repeat(1_000_000), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(safeText('😀'.repeat(20), 5)).toBe('😀😀😀😀…');
    expect(safeText(null)).toBe('');
  });
});

describe('BannerController', () => {
  afterEach(() => document.querySelectorAll('unblock-banner').forEach((e) => e.remove()));

  const batch = (texts: string[]) => ({
    texts,
    nodes: [],
    context: { cloud: 'aws' as const, account: '222222222222' },
    pageUrl: 'https://console.aws.amazon.com/s3',
  });

  it('renders one host, deduplicates denials across batches, and fills the account from the page', () => {
    const parse = vi.fn((text: string) =>
      text.includes('deny') ? [denial(), denial({ actions: ['S3:getobject'] })] : [],
    );
    const controller = new BannerController(document, vi.fn(), parse);
    controller.deliver(batch(['nothing here']));
    expect(document.querySelector('unblock-banner')).toBeNull();
    controller.deliver(batch(['deny one']));
    controller.deliver(batch(['deny again']));
    const hosts = document.querySelectorAll('unblock-banner');
    expect(hosts).toHaveLength(1);
    expect(hosts[0]!.shadowRoot).toBeNull(); // closed
    expect(parse).toHaveBeenCalledWith('deny one', { cloud: 'aws', account: '222222222222' });
    expect(denialKey(denial())).toBe(denialKey(denial({ actions: ['S3:getobject'] })));
  });
});

describe('stackPlacement', () => {
  const viewport = { width: 1280, height: 800 };
  it('sits below the header when nothing is covered, and ignores whole-page anchors', () => {
    expect(stackPlacement([], 56, viewport)).toEqual({ top: 56 });
    expect(stackPlacement([{ top: 0, left: 0, right: 1280, bottom: 3000 }], 56, viewport)).toEqual({
      top: 56,
    });
    expect(stackPlacement([{ top: 300, left: 0, right: 600, bottom: 400 }], 56, viewport)).toEqual({
      top: 56,
    });
  });
  it('moves to the bottom right when the denial is at the top right', () => {
    expect(stackPlacement([{ top: 84, left: 272, right: 1248, bottom: 169 }], 56, viewport)).toEqual({
      bottom: 16,
      reserveTop: 177, // grows up to just below the denial
    });
    // A denial reaching down the right side: the stack sits below it and may grow up to it.
    expect(stackPlacement([{ top: 200, left: 884, right: 1264, bottom: 560 }], 48, viewport)).toEqual({
      bottom: 16,
      reserveTop: 568,
    });
  });
  it('moves to the bottom left when the denial covers the right side top to bottom', () => {
    // GCP's "You need additional access" panel: centre-right, from below the header nearly to the bottom.
    expect(stackPlacement([{ top: 134, left: 388, right: 1148, bottom: 680 }], 72, viewport)).toEqual({
      bottom: 16,
      reserveTop: 72,
      side: 'left',
    });
    // Everything covered: the corner covering least of the denial wins.
    const all = stackPlacement([{ top: 60, left: 0, right: 1280, bottom: 470 }], 56, viewport);
    expect('bottom' in all).toBe(true);
  });
});

describe('BannerStack', () => {
  it('shows two cards and folds the rest into an "N more denials" toggle', async () => {
    const entries = ['a', 'b', 'c', 'd'].map((x, i) => ({
      key: x,
      seq: i + 1,
      denial: denial({ actions: [`s3:Get${x.toUpperCase()}`] }),
      context: { cloud: 'aws' as const },
      pageUrl: 'https://console.aws.amazon.com/s3',
    }));
    void act(() => render(<BannerStack entries={entries} send={vi.fn()} onDismiss={vi.fn()} />, root));
    expect(root.querySelector('section')?.getAttribute('aria-label')).toBe('Unblock: access denied');
    expect(root.querySelectorAll('article')).toHaveLength(2);
    const more = button('2 more denials')!;
    expect(more.getAttribute('aria-expanded')).toBe('false');
    await click(more);
    expect(root.querySelectorAll('article')).toHaveLength(4);
    expect(more.getAttribute('aria-expanded')).toBe('true');
  });
});

describe('BannerController.destroy', () => {
  it('removes the host (used when a newer extension instance takes over the page)', () => {
    const controller = new BannerController(document, vi.fn(), (text) => [denial({ actions: [text] })]);
    controller.deliver({
      texts: ['s3:GetObject', 's3:PutObject'],
      nodes: [],
      context: { cloud: 'aws' },
      pageUrl: 'https://console.aws.amazon.com/s3',
    });
    expect(document.querySelectorAll('unblock-banner')).toHaveLength(1);
    controller.destroy();
    expect(document.querySelector('unblock-banner')).toBeNull();
  });
});
