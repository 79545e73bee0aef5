// @vitest-environment happy-dom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chainText, verifyChain } from '../../components/sidebar/audit-chain';
import { Sidebar, type SidebarDeps } from '../../components/sidebar/Sidebar';
import { BrokerError } from '../../lib/extension/broker-error';
import type { AccessRequestView, AuditEntryView, PreviewView } from '../../lib/contract/api';
import { grantView, requestView } from './ext-broker-fixtures';
import {
  auditRows,
  button,
  click,
  fakeApi,
  flush,
  meView,
  page,
  type,
  type FakeApi,
} from './ext-popup-fixtures';

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
});
afterEach(async () => {
  await act(() => render(null, root));
  root.remove();
});

const BOB = meView({ user: 'bob', displayName: 'Bob', groups: ['approvers'], approver: true });

const awsPreview: PreviewView = {
  provisioner: 'aws',
  summary: 'A session policy allowing ec2:StopInstances on account 222222222222',
  sessionPolicy: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['ec2:StopInstances'], Resource: '<script>alert(1)</script>' }],
  },
};

function broker(requests: AccessRequestView[], more: Parameters<typeof fakeApi>[0] = {}, me = BOB): FakeApi {
  return fakeApi({
    me: () => Promise.resolve(me),
    listRequests: (q) => page(q?.status ? requests.filter((r) => r.status === q.status) : requests),
    listGrants: () => page([]),
    preview: () => Promise.resolve(awsPreview),
    ...more,
  });
}

function deps(api: FakeApi | null, pollMs = 60_000) {
  return {
    client: vi.fn((): Promise<FakeApi | null> => Promise.resolve(api)),
    openOptions: vi.fn(),
    pollMs,
  } satisfies SidebarDeps;
}

async function mount(d: ReturnType<typeof deps>) {
  await act(() => render(<Sidebar deps={d} />, root));
  await flush();
}

const text = () => root.textContent ?? '';
const queueItems = () => [...root.querySelectorAll('.queue')];

const carolsRequest = requestView({
  id: 'req_c',
  requester: 'carol',
  ticket: 'INC-42',
  resource: 'arn:aws:ec2:us-east-1:222222222222:instance/i-0abc',
  denial: {
    excerpt: 'is not authorized to perform: ec2:StopInstances',
    denyKind: 'explicit-scp',
    encodedMessage: null,
  },
  decision: {
    outcome: 'needs-approval',
    requiredApprovals: 2,
    policyIds: ['prod-writes'],
    advice: ['Production writes need two approvers'],
    approverGroups: ['platform'],
    approvers: ['bob', 'dave'],
  },
  approvals: [{ approver: 'dave', at: '2026-03-02T10:02:00.000Z', comment: null }],
});
const bobsOwn = requestView({ id: 'req_b', requester: 'bob', justification: 'my own thing' });
const carolsOld = requestView({
  id: 'req_c0',
  requester: 'carol',
  status: 'denied',
  target: { cloud: 'gcp', account: 'acme-prod', environment: 'prod', name: 'acme-prod' },
  decidedAt: '2026-03-01T10:00:00.000Z',
});

describe('approver queue', () => {
  it('lists pending requests of others, never the approver’s own, with everything needed to decide', async () => {
    const api = broker([carolsRequest, bobsOwn, carolsOld]);
    await mount(deps(api));
    expect(root.querySelector('[role="tab"][aria-selected="true"]')?.textContent).toBe('To decide');
    const items = queueItems();
    expect(items).toHaveLength(1);
    const item = items[0]!;
    expect(text()).not.toContain('my own thing');
    const t = item.textContent ?? '';
    expect(t).toContain('carol');
    expect(t).toContain('production (prod)');
    expect(t).toContain('ec2:StopInstances');
    expect(item.querySelector('.risk-write')).not.toBeNull();
    expect(t).toContain('instance/i-0abc');
    expect(t).toContain('INC-42: stop the runaway instance');
    expect(t).toContain('INC-42');
    expect(t).toContain('is not authorized to perform: ec2:StopInstances');
    expect(t).toContain('Blocked by an organization guardrail');
    expect(t).toContain('Policy: needs approval');
    expect(t).toContain('Production writes need two approvers');
    // Quorum: one of two.
    expect(t).toContain('Approvals: 1 of 2');
    expect(t).not.toContain('1 of 2 approvals');
    const progress = item.querySelector('progress')!;
    expect(progress.getAttribute('max')).toBe('2');
    expect(progress.getAttribute('value')).toBe('1');
    expect(t).toContain('Approved by dave');
    // The requester's recent requests.
    expect(item.querySelector('.recent')?.textContent).toContain('Denied · acme-prod');
    expect(api.preview).toHaveBeenCalledWith('req_c');
  });

  it('shows the AWS session policy as text in a <pre>', async () => {
    await mount(deps(broker([carolsRequest])));
    const pre = root.querySelector('pre.policy')!;
    expect(pre.textContent).toContain('"Version": "2012-10-17"');
    expect(pre.textContent).toContain('<script>alert(1)</script>');
    expect(root.querySelector('script')).toBeNull();
    expect(text()).toContain('A session policy allowing ec2:StopInstances');
  });

  it('shows an Azure/GCP role and what else it grants', async () => {
    const api = broker([carolsRequest], {
      preview: () =>
        Promise.resolve({
          provisioner: 'azure',
          summary: 'Virtual Machine Contributor at the VM',
          role: { id: '9980e02c', name: 'Virtual Machine Contributor', scope: '/subscriptions/2222/vm1' },
          alsoGrants: [
            'Microsoft.Compute/virtualMachines/delete',
            'Microsoft.Network/networkInterfaces/join/action',
          ],
        }),
    });
    await mount(deps(api));
    const t = root.querySelector('.preview')?.textContent ?? '';
    expect(t).toContain('Role Virtual Machine Contributor');
    expect(t).toContain('/subscriptions/2222/vm1');
    expect(t).toContain('The role also grants');
    expect([...root.querySelectorAll('.also li')].map((li) => li.textContent)).toEqual([
      'Microsoft.Compute/virtualMachines/delete',
      'Microsoft.Network/networkInterfaces/join/action',
    ]);
  });

  it('Deny needs a comment; then denies with it', async () => {
    const api = broker([carolsRequest], {
      deny: () => Promise.resolve({ ...carolsRequest, status: 'denied' as const }),
    });
    await mount(deps(api));
    await click(button(root, 'Deny'));
    expect(api.deny).not.toHaveBeenCalled();
    expect(root.querySelector('[role="alert"]')?.textContent).toContain('A denial needs a comment');
    await type(root.querySelector('#decide-req_c-comment'), 'use the runbook instead');
    await click(button(root, 'Deny'));
    await flush();
    expect(api.deny).toHaveBeenCalledWith('req_c', 'use the runbook instead');
    expect(api.approve).not.toHaveBeenCalled();
    expect(text()).toContain('carol’s request denied');
  });

  it('Approve calls the approve route with the comment, and refreshes', async () => {
    const api = broker([carolsRequest], {
      approve: () =>
        Promise.resolve({
          ...carolsRequest,
          approvals: [
            ...carolsRequest.approvals,
            { approver: 'bob', at: carolsRequest.createdAt, comment: 'ok' },
          ],
          status: 'approved' as const,
        }),
    });
    await mount(deps(api));
    const calls = api.listRequests.mock.calls.length;
    await type(root.querySelector('#decide-req_c-comment'), 'ok');
    await click(button(root, 'Approve'));
    await flush();
    expect(api.approve).toHaveBeenCalledWith('req_c', 'ok');
    expect(api.listRequests.mock.calls.length).toBeGreaterThan(calls);
    expect(text()).toContain('carol’s request approved');
  });

  it('shows the broker’s refusal as it says it', async () => {
    const api = broker([carolsRequest], {
      approve: () =>
        Promise.reject(new BrokerError('forbidden', 'you cannot approve your own request', [], [], 403)),
    });
    await mount(deps(api));
    await click(button(root, 'Approve'));
    await flush();
    expect(root.querySelector('[role="alert"]')?.textContent).toBe('you cannot approve your own request');
  });

  it('is live: polls and shows new requests', async () => {
    const requests = [carolsRequest];
    const api = broker(requests);
    await mount(deps(api, 20));
    expect(queueItems()).toHaveLength(1);
    requests.push(requestView({ id: 'req_new', requester: 'erin', justification: 'new one' }));
    await act(() => new Promise((r) => setTimeout(r, 80)));
    await flush();
    expect(queueItems()).toHaveLength(2);
    expect(text()).toContain('new one');
  });

  it('is live through the event stream too, and stops it when closed', async () => {
    const requests = [carolsRequest];
    let push!: (id: string) => void;
    let end!: () => void;
    const api = broker(requests, {
      streamEvents: (opts) =>
        new Promise<void>((resolve) => {
          opts.onOpen?.();
          push = (id) =>
            opts.onEvent({ id, type: 'request.submitted', at: carolsRequest.createdAt, requestId: id });
          end = resolve;
        }),
    });
    await mount(deps(api, 60_000));
    expect(api.streamEvents).toHaveBeenCalledTimes(1);
    expect(api.streamEvents.mock.calls[0]?.[0].lastEventId).toBeNull();
    requests.push(requestView({ id: 'req_new', requester: 'erin', justification: 'via the stream' }));
    await act(() => push('7'));
    await act(() => new Promise((r) => setTimeout(r, 250)));
    await flush();
    expect(text()).toContain('via the stream');
    expect(api.streamEvents.mock.calls[0]?.[0].signal?.aborted).toBe(false);
    await act(() => render(null, root));
    expect(api.streamEvents.mock.calls[0]?.[0].signal?.aborted).toBe(true);
    end();
  });

  it('reads the queue past its first page', async () => {
    const second = requestView({ id: 'req_p2', requester: 'erin', justification: 'on the second page' });
    const api = broker([], {
      listRequests: (q) =>
        q?.status !== 'pending'
          ? page([])
          : q.cursor === 'c2'
            ? page([second])
            : Promise.resolve({ items: [carolsRequest], nextCursor: 'c2' }),
    });
    await mount(deps(api));
    expect(queueItems()).toHaveLength(2);
    expect(text()).toContain('on the second page');
  });

  it('an empty queue says so', async () => {
    await mount(deps(broker([bobsOwn])));
    expect(text()).toContain('Nothing waiting for you');
  });
});

describe('sidebar grants, history and states', () => {
  it('Active grants tab: revoke after confirming', async () => {
    const api = broker([], {
      listGrants: () =>
        page([
          grantView({ id: 'g1', user: 'carol', status: 'active', expiresAt: '2099-01-01T00:00:00.000Z' }),
          grantView({ id: 'g0', status: 'ended' }),
        ]),
      revokeGrant: () => Promise.resolve(grantView({ id: 'g1', status: 'revoking' })),
    });
    await mount(deps(api));
    await click(button(root, 'Active grants'));
    const rows = [...root.querySelectorAll('.grant')];
    expect(rows).toHaveLength(1);
    expect(rows[0]?.textContent).toContain('carol');
    await click(button(root, 'Revoke'));
    expect(api.revokeGrant).not.toHaveBeenCalled();
    expect(text()).toContain('End carol’s access now?');
    const confirm = root.querySelector('.confirm button.danger');
    await click(confirm);
    await flush();
    expect(api.revokeGrant).toHaveBeenCalledWith('g1', 'revoked from the Unblock sidebar');
  });

  it('users who approve nothing see their own requests instead of a queue', async () => {
    const mine = [
      requestView({ id: 'r1', status: 'pending', justification: 'waiting one' }),
      requestView({ id: 'r2', status: 'approved', decidedAt: '2026-03-02T11:00:00.000Z' }),
    ];
    const api = broker(mine, {}, meView());
    await mount(deps(api));
    const tabs = [...root.querySelectorAll('[role="tab"]')].map((t) => t.textContent);
    expect(tabs).toEqual(['My requests', 'Active grants']);
    expect(queueItems()).toHaveLength(0);
    expect(root.querySelectorAll('.history')).toHaveLength(2);
    expect(text()).toContain('Waiting for approval');
    expect(api.listRequests).not.toHaveBeenCalledWith({ status: 'pending' });
    expect(api.approve).not.toHaveBeenCalled();
  });

  it('tabs move with the arrow keys', async () => {
    await mount(deps(broker([], {}, { ...BOB, auditor: true }), 60_000));
    const first = root.querySelector<HTMLElement>('[role="tab"]')!;
    first.focus();
    await act(() => {
      first.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
    });
    expect(root.querySelector('[role="tab"][aria-selected="true"]')?.textContent).toBe('Audit');
  });

  it('signed out and unreachable', async () => {
    const d = deps(null);
    await mount(d);
    await click(button(root, 'Open settings to sign in'));
    expect(d.openOptions).toHaveBeenCalled();
    await act(() => render(null, root));
    await mount(
      deps(
        fakeApi({ me: () => Promise.reject(new BrokerError('unreachable', 'could not reach the broker')) }),
      ),
    );
    expect(text()).toContain('The broker is unreachable');
  });
});

describe('audit trail', () => {
  it('verifies the chain client-side', () => {
    const rows = auditRows(3);
    expect(chainText(verifyChain(rows))).toBe('Chain verified for rows 1–3');
    const broken = auditRows(4);
    broken[2] = { ...broken[2]!, prevHash: 'tampered' };
    const check = verifyChain(broken);
    expect(check).toMatchObject({ ok: false, brokenSeq: 3, afterSeq: 2 });
    expect(chainText(check)).toBe('Chain broken at row 3: its previous hash does not match row 2');
    // Across pages: the previous page's last row links into this one.
    expect(verifyChain(auditRows(2, 51), { seq: 50, hash: 'h50' }).ok).toBe(true);
    expect(verifyChain(auditRows(2, 51), { seq: 50, hash: 'other' })).toMatchObject({
      ok: false,
      brokenSeq: 51,
    });
    // A deleted row breaks the link.
    const gap = auditRows(4).filter((r) => r.seq !== 2);
    expect(verifyChain(gap)).toMatchObject({ ok: false, brokenSeq: 3, afterSeq: 1 });
    expect(chainText(verifyChain([]))).toBe('No audit rows');
  });

  async function openAudit(pages: AuditEntryView[][]) {
    const api = broker(
      [],
      {
        audit: (q) => {
          const idx = pages.findIndex((p) => (p[0]?.seq ?? 1) - 1 === (q?.after ?? 0));
          return Promise.resolve({
            items: pages[idx] ?? [],
            nextCursor: idx < pages.length - 1 ? 'more' : null,
          });
        },
      },
      { ...BOB, auditor: true },
    );
    await mount(deps(api));
    await click(button(root, 'Audit'));
    await flush();
    return api;
  }

  it('auditors page through the trail with the chain verified', async () => {
    const api = await openAudit([auditRows(3, 1), auditRows(2, 4)]);
    expect(api.audit).toHaveBeenCalledWith({ after: 0, limit: 50 });
    expect(root.querySelector('[role="status"].ok')?.textContent).toBe('Chain verified for rows 1–3');
    expect(root.querySelectorAll('table.audit tbody tr')).toHaveLength(3);
    await click(button(root, 'Later rows'));
    await flush();
    expect(api.audit).toHaveBeenLastCalledWith({ after: 3, limit: 50 });
    expect(text()).toContain('Chain verified for rows 4–5');
    await click(button(root, 'Earlier rows'));
    expect(text()).toContain('Chain verified for rows 1–3');
  });

  it('names the first broken row', async () => {
    const rows = auditRows(5);
    rows[3] = { ...rows[3]!, prevHash: 'edited' };
    await openAudit([rows]);
    expect(root.querySelector('[role="status"].error')?.textContent).toBe(
      'Chain broken at row 4: its previous hash does not match row 3',
    );
    expect(root.querySelector('tr.broken td')?.textContent).toBe('4');
  });

  it('is not offered to non-auditors', async () => {
    await mount(deps(broker([])));
    expect(button(root, 'Audit')).toBeUndefined();
  });
});
