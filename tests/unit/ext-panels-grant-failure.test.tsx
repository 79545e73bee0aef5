// @vitest-environment happy-dom
/**
 * The popup and the side panel when granting fails (issue 11): the requester reads why access
 * could not be granted and what an operator can do; while the broker retries, which attempt of
 * how many comes when; approvers find failed and retrying grants in their queue, with the reason.
 */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatTime } from '../../components/panel-format';
import { Popup, type PopupDeps } from '../../components/popup/Popup';
import { Sidebar, type SidebarDeps } from '../../components/sidebar/Sidebar';
import type { AccessRequestView, GrantFailureView, GrantView } from '../../lib/contract/api';
import { memoryCache } from '../../lib/extension/cache';
import { grantView, requestView } from './ext-broker-fixtures';
import { button, click, fakeApi, flush, meView, page, type FakeApi } from './ext-popup-fixtures';

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
});
afterEach(async () => {
  await act(() => render(null, root));
  root.remove();
});

const NOW = Date.parse('2026-03-02T10:20:00.000Z');
const inMinutes = (m: number) => new Date(NOW + m * 60_000).toISOString();
const REASON = 'no grantable predefined role contains container.clusters.get';
const ADVICE = 'set targets[].gcp.customRoles: true on this project’s target to grant exactly the permission';
const text = () => root.textContent ?? '';

const failure: GrantFailureView = {
  cause: 'permanent',
  reason: REASON,
  advice: ADVICE,
  code: null,
  attempts: 1,
  at: inMinutes(-2),
};
const approved = requestView({
  id: 'req_f',
  status: 'approved',
  decidedAt: inMinutes(-3),
  grantId: 'g_failed',
  decision: {
    outcome: 'auto-approve',
    requiredApprovals: 0,
    policyIds: [],
    advice: [],
    approverGroups: [],
    approvers: [],
  },
});
const failed = grantView({
  id: 'g_failed',
  requestId: 'req_f',
  status: 'failed',
  startsAt: inMinutes(-3),
  endedAt: inMinutes(-2),
  maxAttempts: 8,
  failure,
});
const retrying = grantView({
  id: 'g_retry',
  requestId: 'req_r',
  status: 'provision-failed',
  attempts: 1,
  maxAttempts: 8,
  lastError: 'Google is busy or failing (503 UNAVAILABLE); will retry',
  nextAttemptAt: inMinutes(4),
  startsAt: inMinutes(-1),
});

function api(grants: GrantView[], requests: AccessRequestView[], me = meView()): FakeApi {
  return fakeApi({
    me: () => Promise.resolve(me),
    listGrants: (q) => page(q?.status ? grants.filter((g) => g.status === q.status) : grants),
    listRequests: (q) => page(q?.status ? requests.filter((r) => r.status === q.status) : requests),
  });
}

async function popup(broker: FakeApi) {
  const deps = {
    client: () => Promise.resolve(broker),
    cache: memoryCache(),
    openOptions: vi.fn(),
    openTab: vi.fn(),
    now: () => NOW,
    refreshMs: 60_000,
  } satisfies PopupDeps;
  await act(() => render(<Popup deps={deps} />, root));
  await flush();
}

async function sidebar(broker: FakeApi) {
  const deps = {
    client: () => Promise.resolve(broker),
    openOptions: vi.fn(),
    now: () => NOW,
    pollMs: 60_000,
  } satisfies SidebarDeps;
  await act(() => render(<Sidebar deps={deps} />, root));
  await flush();
}

describe('the popup', () => {
  it('says in the history that an approved request was not granted, why, and what an operator can do', async () => {
    await popup(api([failed], [approved]));
    // Not listed as access the user has.
    expect(root.querySelectorAll('.grant')).toHaveLength(0);
    const item = root.querySelector('.history')!;
    expect(item.querySelector('.status')?.textContent).toBe('Auto-approved, not granted');
    expect(item.querySelector('.problem .error')?.textContent).toBe(
      `Approved, but access could not be granted: ${REASON}`,
    );
    expect(item.querySelector('.problem .advice')?.textContent).toBe(`What an operator can do: ${ADVICE}`);
  });

  it('does not list a grant being cleaned up after the broker gave up as active access', async () => {
    await popup(api([{ ...failed, status: 'revoking', endedAt: null }], [approved]));
    expect(root.querySelectorAll('.grant')).toHaveLength(0);
    expect(text()).toContain('No active access.');
    expect(root.querySelector('.history .problem .error')?.textContent).toBe(
      `Approved, but access could not be granted: ${REASON}`,
    );
  });

  it('while the broker retries, says the error and which attempt of how many comes when', async () => {
    await popup(api([retrying], [requestView({ id: 'req_r', status: 'approved', grantId: 'g_retry' })]));
    const item = root.querySelector('.grant')!;
    expect(item.querySelector('.status')?.textContent).toBe('Granting failed, retrying');
    expect(item.textContent).toContain('Google is busy or failing (503 UNAVAILABLE); will retry');
    expect(item.textContent).toContain(`Trying again at ${formatTime(inMinutes(4))} (attempt 2 of 8)`);
  });
});

describe('the side panel', () => {
  const BOB = meView({ user: 'bob', groups: ['approvers'], approver: true });

  it('lists failed and retrying grants in the approver’s queue, with the reason and the advice', async () => {
    const broker = api([retrying, failed], [approved], BOB);
    await sidebar(broker);
    expect(broker.listGrants).toHaveBeenCalledWith({ status: 'failed' });
    const section = root.querySelector('section.trouble')!;
    expect(section.querySelector('h3')?.textContent).toBe('Granting failed');
    const [first, second] = [...section.querySelectorAll('.trouble-item')];
    expect(first?.textContent).toContain('Granting failed, retrying');
    expect(first?.textContent).toContain('(attempt 2 of 8)');
    expect(second?.querySelector('.status')?.textContent).toBe('Could not be granted');
    expect(second?.textContent).toContain(`Approved, but access could not be granted: ${REASON}`);
    expect(second?.textContent).toContain(`What an operator can do: ${ADVICE}`);
    expect(second?.textContent).toContain(`failed ${formatTime(failure.at)}`);
    expect(text()).toContain('No requests waiting for you.');
  });

  it('leaves out grants that failed more than a day ago', async () => {
    const old = { ...failed, failure: { ...failure, at: inMinutes(-25 * 60) } };
    await sidebar(api([old], [approved], BOB));
    expect(root.querySelector('section.trouble')).toBeNull();
    expect(text()).toContain('Nothing waiting for you.');
  });

  it('shows the reason on a grant being cleaned up after the broker gave up, in the Grants tab', async () => {
    const cleaning = { ...failed, status: 'revoking' as const, endedAt: null };
    await sidebar(api([cleaning], [approved], BOB));
    await click(button(root, 'Active grants') ?? root.querySelector('#tab-grants'));
    const row = root.querySelector('[aria-label="Active grants"] li')!;
    expect(row.querySelector('.status')?.textContent).toBe('Could not be granted');
    expect(row.textContent).toContain(REASON);
  });

  it('shows the requester why their approved request was not granted; asks the broker for no queue', async () => {
    const broker = api([failed], [approved]);
    await sidebar(broker);
    expect(broker.listGrants).not.toHaveBeenCalledWith({ status: 'failed' });
    const item = root.querySelector('[aria-label="My requests"] li')!;
    expect(item.textContent).toContain('Auto-approved, not granted');
    expect(item.textContent).toContain(`What an operator can do: ${ADVICE}`);
  });
});
