/** Test doubles for the popup and sidebar tests: a fake broker API and a few more views. */
import { vi, type Mock } from 'vitest';
import { act } from 'preact/test-utils';
import type { BrokerApi } from '../../lib/extension/broker-client';
import type { AuditEntryView, MeView } from '../../lib/contract/api';

type Methods = Exclude<keyof BrokerApi, 'baseUrl'>;
export type FakeApi = { readonly baseUrl: string } & { [K in Methods]: Mock<BrokerApi[K]> };

const METHODS: Methods[] = [
  'submitRequest',
  'getRequest',
  'getGrant',
  'landing',
  'listMyRequests',
  'me',
  'listRequests',
  'listGrants',
  'approve',
  'deny',
  'cancel',
  'extendGrant',
  'revokeGrant',
  'preview',
  'activity',
  'audit',
  'streamEvents',
];

/** Every method rejects unless given; `baseUrl` is the demo broker. */
export function fakeApi(impl: Partial<{ [K in Methods]: BrokerApi[K] }> = {}): FakeApi {
  const api: Record<string, unknown> = { baseUrl: 'http://127.0.0.1:8787' };
  for (const m of METHODS) {
    api[m] = vi.fn(impl[m] ?? (() => Promise.reject(new Error(`unexpected call: ${m}`))));
  }
  return api as unknown as FakeApi;
}

export function meView(patch: Partial<MeView> = {}): MeView {
  return { user: 'alice', displayName: null, groups: [], approver: false, auditor: false, ...patch };
}

export const page = <T>(items: T[]) => Promise.resolve({ items, nextCursor: null });

export function auditRows(n: number, from = 1): AuditEntryView[] {
  return Array.from({ length: n }, (_, i) => {
    const seq = from + i;
    return {
      seq,
      at: '2026-03-02T10:00:00.000Z',
      actor: 'bob',
      type: 'request.approved',
      subject: `req_${seq}`,
      details: { n: seq },
      prevHash: `h${seq - 1}`,
      hash: `h${seq}`,
    };
  });
}

/** Let promises and effects settle (real timers). */
export const flush = () =>
  act(async () => {
    for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
  });

export function click(el: Element | null | undefined) {
  if (!el) throw new Error('nothing to click');
  return act(() => {
    (el as HTMLElement).click();
  });
}

export function type(el: Element | null | undefined, value: string) {
  if (!el) throw new Error('no field');
  return act(() => {
    (el as HTMLInputElement).value = value;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

/** The button whose text is exactly `text`, within `root`. */
export function button(root: ParentNode, text: string): HTMLButtonElement | undefined {
  return [...root.querySelectorAll('button')].find((b) => b.textContent?.trim() === text);
}
