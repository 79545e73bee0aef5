// @vitest-environment happy-dom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Popup, type PopupDeps } from '../../components/popup/Popup';
import { popupCacheKey, type PopupSnapshot } from '../../components/popup/popup-data';
import { formatTime } from '../../components/panel-format';
import { BrokerError } from '../../lib/extension/broker-error';
import { memoryCache } from '../../lib/extension/cache';
import { grantView, requestView } from './ext-broker-fixtures';
import { button, click, fakeApi, flush, meView, page, type, type FakeApi } from './ext-popup-fixtures';

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
});
afterEach(async () => {
  await act(() => render(null, root));
  root.remove();
  vi.useRealTimers();
});

const NOW = Date.parse('2026-03-02T10:20:00.000Z');
const inMinutes = (m: number, s = 0) => new Date(NOW + m * 60_000 + s * 1000).toISOString();

function deps(api: FakeApi | null, patch: Pick<PopupDeps, 'now'> = {}) {
  return {
    client: vi.fn((): Promise<FakeApi | null> => Promise.resolve(api)),
    cache: memoryCache(),
    openOptions: vi.fn(),
    openTab: vi.fn(),
    now: patch.now ?? (() => NOW),
    refreshMs: 60_000,
  } satisfies PopupDeps;
}

function brokerWith(snapshot: Partial<PopupSnapshot> = {}, more: Parameters<typeof fakeApi>[0] = {}) {
  return fakeApi({
    me: () => Promise.resolve(snapshot.me ?? meView()),
    listGrants: () => page(snapshot.grants ?? []),
    listRequests: () => page(snapshot.requests ?? []),
    ...more,
  });
}

async function mount(d: PopupDeps) {
  await act(() => render(<Popup deps={d} />, root));
  await flush();
}

const text = () => root.textContent ?? '';

describe('popup states', () => {
  it('signed out: one button to the options page', async () => {
    const d = deps(null);
    await mount(d);
    expect(text()).toContain('Not signed in');
    await click(button(root, 'Open settings to sign in'));
    expect(d.openOptions).toHaveBeenCalledTimes(1);
  });

  it('a refused token is signed out too, saying why', async () => {
    const api = fakeApi({
      me: () => Promise.reject(new BrokerError('unauthorized', 'bad token', [], [], 401)),
    });
    const d = deps(api);
    await mount(d);
    expect(text()).toContain('The broker refused the API token');
    expect(button(root, 'Open settings to sign in')).toBeDefined();
  });

  it('unreachable with nothing cached: says so, and retries on request', async () => {
    const api = fakeApi({
      me: () =>
        Promise.reject(new BrokerError('unreachable', 'could not reach the broker (Failed to fetch)')),
    });
    const d = deps(api);
    await mount(d);
    expect(text()).toContain('The broker is unreachable');
    expect(root.querySelector('[role="alert"]')?.textContent).toContain('Failed to fetch');
    api.me.mockImplementation(() => Promise.resolve(meView()));
    api.listGrants.mockImplementation(() => page([]));
    api.listRequests.mockImplementation(() => page([]));
    await click(button(root, 'Try again'));
    await flush();
    expect(text()).toContain('Signed in as alice');
  });

  it('empty: no access, nothing pending, nothing decided', async () => {
    await mount(deps(brokerWith()));
    expect(text()).toContain('Signed in as alice');
    expect(text()).toContain('No active access');
    expect(text()).toContain('No pending requests');
    expect(text()).toContain('Nothing decided yet');
  });

  it('renders from the cache at once, then from the broker, and caches the answer', async () => {
    const d = deps(null);
    const cached: PopupSnapshot = {
      me: meView(),
      grants: [
        grantView({
          status: 'active',
          expiresAt: inMinutes(30),
          target: { ...grantView().target, name: 'cached-target' },
        }),
      ],
      requests: [],
    };
    await d.cache.put(popupCacheKey('http://127.0.0.1:8787'), cached, new Date(NOW - 60_000));
    let answer!: (v: ReturnType<typeof meView>) => void;
    const api = brokerWith(
      { grants: [grantView({ status: 'active', expiresAt: inMinutes(30) })] },
      { me: () => new Promise((r) => (answer = r)) },
    );
    d.client.mockImplementation(() => Promise.resolve(api));
    await mount(d);
    expect(text()).toContain('cached-target');
    expect(text()).toContain('Updating…');
    await act(() => answer(meView()));
    await flush();
    expect(text()).not.toContain('cached-target');
    expect(text()).toContain('production (prod)');
    expect(text()).not.toContain('Updating…');
    const stored = d.cache.entries.get(popupCacheKey('http://127.0.0.1:8787'));
    expect((stored?.data as PopupSnapshot).grants[0]?.target.name).toBe('production');
  });

  it('keeps the cached view when the broker is unreachable, and says when it is from', async () => {
    const d = deps(null);
    await d.cache.put(
      popupCacheKey('http://127.0.0.1:8787'),
      { me: meView(), grants: [grantView({ status: 'active', expiresAt: inMinutes(30) })], requests: [] },
      new Date(NOW - 60_000),
    );
    d.client.mockImplementation(() =>
      Promise.resolve(fakeApi({ me: () => Promise.reject(new BrokerError('unreachable', 'timeout')) })),
    );
    await mount(d);
    expect(text()).toContain('production (prod)');
    expect(text()).toContain('The broker is unreachable: timeout');
    expect(text()).toContain('Showing what the broker said at');
  });
});

describe('popup grants', () => {
  it('counts down every second; the live region speaks only in the final minutes', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let clock = NOW;
    const api = brokerWith({ grants: [grantView({ status: 'active', expiresAt: inMinutes(5, 3) })] });
    await mount(deps(api, { now: () => clock }));
    const timer = () => root.querySelector('[role="timer"]')?.textContent;
    const live = () => root.querySelector('.countdown [aria-live]');
    expect(timer()).toBe('5:03 left');
    expect(live()?.getAttribute('aria-live')).toBe('off');
    expect(live()?.textContent).toBe('');
    await act(() => {
      clock += 1000;
      vi.advanceTimersByTime(1000);
    });
    expect(timer()).toBe('5:02 left');
    await act(() => {
      clock += 4000;
      vi.advanceTimersByTime(4000);
    });
    expect(timer()).toBe('4:58 left');
    expect(live()?.getAttribute('aria-live')).toBe('polite');
    expect(live()?.textContent).toBe('5 minutes left on production (prod)');
    await act(() => {
      clock += 5 * 60_000;
      vi.advanceTimersByTime(5 * 60_000);
    });
    expect(timer()).toBe('Expired');
    expect(live()?.textContent).toBe('Access expired');
  });

  it('shows target, environment and actions with risk; grants across clouds', async () => {
    const api = brokerWith({
      grants: [
        grantView({
          id: 'g-gcp',
          status: 'active',
          expiresAt: inMinutes(60),
          target: { cloud: 'gcp', account: 'acme-dev', environment: 'dev', name: 'acme-dev' },
        }),
        grantView({
          id: 'g-aws',
          status: 'active',
          expiresAt: inMinutes(20),
          actions: [{ action: 'iam:PassRole', risk: 'admin' }],
        }),
        grantView({ id: 'g-old', status: 'ended' }),
      ],
    });
    await mount(deps(api));
    const items = [...root.querySelectorAll('.grant')];
    expect(items).toHaveLength(2);
    expect(items[0]?.textContent).toContain('production (prod)');
    expect(items[0]?.textContent).toContain('AWS 222222222222');
    expect(items[0]?.querySelector('.risk-admin')?.getAttribute('aria-label')).toBe('Risk: Admin');
    expect(items[1]?.textContent).toContain('acme-dev (dev)');
    expect(items[1]?.textContent).toContain('Google Cloud acme-dev');
  });

  it('Open console: a sign-in URL opens in a new tab; a reload opens the target console', async () => {
    const api = brokerWith(
      {
        grants: [
          grantView({ id: 'g1', status: 'active', expiresAt: inMinutes(20) }),
          grantView({
            id: 'g2',
            status: 'active',
            expiresAt: inMinutes(30),
            target: {
              cloud: 'azure',
              account: '11111111-1111-1111-1111-111111111111',
              environment: 'dev',
              name: 'dev-sub',
            },
          }),
        ],
      },
      {
        landing: (id) =>
          Promise.resolve(
            id === 'g1'
              ? {
                  kind: 'url' as const,
                  url: 'https://signin.aws.amazon.com/federation?Action=login',
                  expiresAt: inMinutes(15),
                }
              : {
                  kind: 'reload' as const,
                  url: null,
                  expectedMs: 0,
                  maxMs: 0,
                  message: 'reload',
                  advice: '',
                },
          ),
      },
    );
    const d = deps(api);
    await mount(d);
    const [aws, azure] = [...root.querySelectorAll('.grant')];
    await click(button(aws!, 'Open console as this grant'));
    await flush();
    expect(api.landing).toHaveBeenCalledWith('g1', null);
    expect(d.openTab).toHaveBeenLastCalledWith('https://signin.aws.amazon.com/federation?Action=login');
    await click(button(azure!, 'Open console as this grant'));
    await flush();
    expect(api.landing).toHaveBeenLastCalledWith('g2', null);
    expect(d.openTab).toHaveBeenLastCalledWith(
      'https://portal.azure.com/#@/resource/subscriptions/11111111-1111-1111-1111-111111111111/overview',
    );
  });

  it('refuses to open a non-https sign-in link', async () => {
    const api = brokerWith(
      { grants: [grantView({ status: 'active', expiresAt: inMinutes(20) })] },
      {
        landing: () =>
          Promise.resolve({ kind: 'url' as const, url: 'javascript:alert(1)', expiresAt: inMinutes(15) }),
      },
    );
    const d = deps(api);
    await mount(d);
    await click(button(root, 'Open console as this grant'));
    await flush();
    expect(d.openTab).not.toHaveBeenCalled();
    expect(root.querySelector('[role="alert"]')?.textContent).toContain('unusable sign-in link');
  });

  it('Extend: asks why, sends duration and justification, shows the linked request waiting', async () => {
    const api = brokerWith(
      { grants: [grantView({ id: 'g1', status: 'active', expiresAt: inMinutes(20) })] },
      {
        extendGrant: () =>
          Promise.resolve(requestView({ id: 'req_ext', linkedGrantId: 'g1', status: 'pending' })),
      },
    );
    await mount(deps(api));
    await click(button(root, 'Extend'));
    await click(button(root, 'Ask for more time'));
    expect(api.extendGrant).not.toHaveBeenCalled();
    // An empty justification does not get sent (the field is required).
    expect(root.querySelector<HTMLInputElement>('#extend-g1-why')?.required).toBe(true);
    const select = root.querySelector<HTMLSelectElement>('#extend-g1-duration')!;
    await act(() => {
      select.value = '240';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await type(root.querySelector('#extend-g1-why'), 'INC-42 still open');
    await click(button(root, 'Ask for more time'));
    await flush();
    expect(api.extendGrant).toHaveBeenCalledWith('g1', {
      durationMinutes: 240,
      justification: 'INC-42 still open',
    });
    expect(text()).toContain('Extension waiting for approval.');
    expect(text()).toContain('Production writes need an approver');
    // Loaded again after the action (each load asks for the newest page and for the active ones).
    expect(api.listGrants).toHaveBeenCalledTimes(4);
  });

  it('Extend: says when policy approved it at once', async () => {
    const api = brokerWith(
      { grants: [grantView({ id: 'g1', status: 'active', expiresAt: inMinutes(20) })] },
      {
        extendGrant: () =>
          Promise.resolve(
            requestView({
              status: 'approved',
              decision: {
                outcome: 'auto-approve',
                requiredApprovals: 0,
                policyIds: [],
                advice: [],
                approverGroups: [],
                approvers: [],
              },
            }),
          ),
      },
    );
    await mount(deps(api));
    await click(button(root, 'Extend'));
    await type(root.querySelector('#extend-g1-why'), 'more');
    await click(button(root, 'Ask for more time'));
    await flush();
    expect(text()).toContain('Extension auto-approved');
  });

  it('Revoke now asks to confirm, then revokes and refreshes', async () => {
    const api = brokerWith(
      { grants: [grantView({ id: 'g1', status: 'active', expiresAt: inMinutes(20) })] },
      { revokeGrant: () => Promise.resolve(grantView({ id: 'g1', status: 'revoking' })) },
    );
    await mount(deps(api));
    await click(button(root, 'Revoke now'));
    expect(api.revokeGrant).not.toHaveBeenCalled();
    expect(text()).toContain('End this access now?');
    expect(document.activeElement?.textContent).toBe('Revoke');
    await click(button(root, 'Keep'));
    expect(button(root, 'Revoke now')).toBeDefined();
    await click(button(root, 'Revoke now'));
    await click(button(root, 'Revoke'));
    await flush();
    expect(api.revokeGrant).toHaveBeenCalledWith('g1');
    // Loaded again after the action (each load asks for the newest page and for the active ones).
    expect(api.listGrants).toHaveBeenCalledTimes(4);
  });
});

describe('popup with a long history', () => {
  it('still lists an active grant and a pending request that fell off the newest page', async () => {
    const old = grantView({ id: 'g_old', status: 'active' });
    const waiting = requestView({ id: 'req_old', justification: 'still waiting from last week' });
    const api = brokerWith(
      {},
      {
        listGrants: (q?: { status?: string }) => page(q?.status === 'active' ? [old] : []),
        listRequests: (q?: { status?: string }) => page(q?.status === 'pending' ? [waiting] : []),
      },
    );
    await mount(deps(api));
    expect(api.listGrants).toHaveBeenCalledWith({ mine: 'true', status: 'active' });
    expect(api.listRequests).toHaveBeenCalledWith({ mine: 'true', status: 'pending' });
    expect(button(root, 'Revoke now')).toBeDefined();
    expect(root.querySelector('.pending')?.textContent).toContain('Cancel request');
  });
});

describe('popup requests', () => {
  it('lists pending requests with status, and Cancel withdraws one', async () => {
    const pending = requestView({
      id: 'req_p',
      decision: { ...requestView().decision, requiredApprovals: 2 },
    });
    const api = brokerWith(
      { requests: [pending] },
      { cancel: () => Promise.resolve({ ...pending, status: 'cancelled' as const }) },
    );
    await mount(deps(api));
    const item = root.querySelector('.pending')!;
    expect(item.textContent).toContain('Waiting (0 of 2 approvals)');
    await click(button(item, 'Cancel request'));
    await flush();
    expect(api.cancel).toHaveBeenCalledWith('req_p');
    // Loaded again after the action (each load asks for the newest page and for the pending ones).
    expect(api.listRequests).toHaveBeenCalledTimes(4);
  });

  it('shows the last ten decided requests, newest first, with the reviewer comment', async () => {
    const decided = Array.from({ length: 12 }, (_, i) =>
      requestView({
        id: `req_${i}`,
        status: i % 2 ? 'approved' : 'denied',
        decidedAt: new Date(NOW - (12 - i) * 60_000).toISOString(),
        denials: i % 2 ? [] : [{ approver: 'bob', at: inMinutes(0), comment: `no ${i}` }],
      }),
    );
    await mount(deps(brokerWith({ requests: decided })));
    const items = [...root.querySelectorAll('.history')];
    expect(items).toHaveLength(10);
    expect(items[0]?.textContent).toContain('Approved');
    expect(items[1]?.textContent).toContain('Denied');
    expect(items[1]?.textContent).toContain('bob: “no 10”');
  });

  it('says in the history when a request’s grant ended or was revoked (no longer active access)', async () => {
    const approved = (id: string, grantId: string, minutesAgo: number) =>
      requestView({ id, status: 'approved', decidedAt: inMinutes(-minutesAgo), grantId });
    const api = brokerWith({
      requests: [
        approved('req_a', 'g_live', 60),
        approved('req_b', 'g_ended', 70),
        approved('req_c', 'g_revoked', 80),
      ],
      grants: [
        grantView({ id: 'g_live', requestId: 'req_a', status: 'active', expiresAt: inMinutes(20) }),
        grantView({ id: 'g_ended', requestId: 'req_b', status: 'ended', endedAt: inMinutes(-5) }),
        grantView({ id: 'g_revoked', requestId: 'req_c', status: 'revoked', endedAt: inMinutes(-10) }),
      ],
    });
    await mount(deps(api));
    expect(root.querySelectorAll('.grant')).toHaveLength(1);
    const [live, ended, revoked] = [...root.querySelectorAll('.history')].map((li) => li.textContent ?? '');
    expect(live).toContain('Approved');
    expect(live).not.toMatch(/Access (ended|revoked)/);
    expect(ended).toContain(`Access ended ${formatTime(inMinutes(-5))}`);
    expect(revoked).toContain(`Access revoked ${formatTime(inMinutes(-10))}`);
  });

  it('offers approvers the side panel', async () => {
    const d = { ...deps(brokerWith({ me: meView({ approver: true }) })), openSidebar: vi.fn(() => true) };
    await mount(d);
    await click(button(root, 'Open the approvals side panel'));
    expect(d.openSidebar).toHaveBeenCalledTimes(1);
    await act(() => render(null, root));
    await mount({ ...deps(brokerWith()), openSidebar: vi.fn(() => true) });
    expect(button(root, 'Open the approvals side panel')).toBeUndefined();
  });

  it('renders broker strings as text', async () => {
    const evil = '<img src=x onerror="alert(1)">';
    const api = brokerWith({
      me: meView({ displayName: evil }),
      grants: [
        grantView({
          status: 'active',
          expiresAt: inMinutes(20),
          target: { ...grantView().target, name: evil },
        }),
      ],
    });
    await mount(deps(api));
    expect(root.querySelector('img')).toBeNull();
    expect(text()).toContain('<img src=x');
  });
});
