/**
 * Shared by the banner card tests that use the background (`ask`): a denial naming no action, a
 * fake background answering like lib/background/banner-queries.ts, mounting a card, and the
 * events a user makes. Call `useCardRoot()` once per file.
 */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, vi } from 'vitest';
import { Banner, type BannerProps } from '../../components/Banner';
import type { Denial } from '../../lib/contract/denial';
import type { BannerMessage, SaveDraftMessage } from '../../lib/messaging/messages';

export const denial = (patch: Partial<Denial> = {}): Denial => ({
  cloud: 'aws',
  actions: [],
  resource: null,
  principal: null,
  account: null,
  denyKind: 'unknown',
  requestable: true,
  reason: null,
  excerpt: 'Access Denied',
  source: 'console',
  encodedMessage: null,
  operation: null,
  policyId: null,
  confidence: 'low',
  ...patch,
});

let root: HTMLElement;
/** A fresh container for each test, emptied after it. */
export function useCardRoot(): void {
  beforeEach(() => {
    root = document.createElement('div');
    document.body.append(root);
  });
  afterEach(() => {
    render(null, root);
    root.remove();
  });
}
/** The container the card is rendered into. */
export const cardRoot = (): HTMLElement => root;
/** Unmounts the card, for a second one in the same test. */
export const unmount = () => render(null, root);

export type Answer = (msg: BannerMessage) => unknown;
export const background =
  (answers: Partial<Record<BannerMessage['type'], Answer>>) =>
  (msg: BannerMessage): Promise<unknown> =>
    Promise.resolve(answers[msg.type]?.(msg) ?? { ok: false, error: 'unexpected' });

export async function mount(
  props: Partial<BannerProps> & { answers?: Partial<Record<BannerMessage['type'], Answer>> },
) {
  const send = vi.fn((_msg: SaveDraftMessage) => Promise.resolve({ ok: true, id: 'draft-1' }));
  const ask = vi.fn(background(props.answers ?? {}));
  const onDismiss = vi.fn();
  await act(() => {
    render(
      <Banner
        denial={denial()}
        context={{ cloud: 'aws', account: '222222222222', accountLabel: 'prod' }}
        pageUrl="https://us-east-1.console.aws.amazon.com/s3/buckets/acme-prod-logs?region=us-east-1"
        idPrefix="t"
        send={send}
        ask={ask}
        onDismiss={onDismiss}
        isTrustedEvent={() => true}
        checkClick={() => ({ ok: true })}
        {...props}
      />,
      root,
    );
  });
  // The background's answers arrive in later microtasks.
  await act(async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  });
  return { send, ask, onDismiss };
}

export const combobox = () => root.querySelector<HTMLInputElement>('input[role="combobox"]');
export const options = () => [...root.querySelectorAll('[role="option"]')].map((o) => o.textContent ?? '');
export const text = () => root.textContent ?? '';
export const justification = () =>
  [...root.querySelectorAll('input')].find((i) => i.placeholder === 'Reason or ticket')!;
export const requestButton = () =>
  [...root.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Request access')!;
/** The second step of an admin or production request (click-safety.ts `needsConfirmation`). */
export const confirmButton = () =>
  [...root.querySelectorAll('button')].find((b) => b.textContent?.startsWith('Confirm request for'));

export async function key(el: HTMLElement, k: string) {
  await act(() => {
    el.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
  });
}
export async function type(el: HTMLInputElement, value: string) {
  await act(() => {
    el.value = value;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
}
export async function click(el: HTMLElement) {
  await act(async () => {
    el.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await Promise.resolve();
  });
}
