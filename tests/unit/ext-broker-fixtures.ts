/** Broker views for the extension's broker tests (valid per lib/contract/api.ts). */
import { fakeBrowser } from 'wxt/testing/fake-browser';
import type { AccessRequestView, GrantView } from '../../lib/contract/api';
import type { NewAccessRequest } from '../../lib/contract/request';
import { closeDrafts, DB_NAME } from '../../lib/background/drafts';

export const T0 = Date.parse('2026-03-02T10:00:00.000Z');

export const newRequest = (): NewAccessRequest => ({
  target: { cloud: 'aws', account: '222222222222' },
  actions: ['ec2:StopInstances'],
  resource: null,
  durationMinutes: 30,
  justification: 'INC-42: stop the runaway instance',
  denial: {
    excerpt: 'is not authorized to perform: ec2:StopInstances',
    denyKind: 'implicit',
    encodedMessage: null,
  },
  pageUrl: 'https://console.aws.amazon.com/ec2/home?region=us-east-1#Instances:',
});

const target = { cloud: 'aws' as const, account: '222222222222', environment: 'prod', name: 'production' };

export function requestView(patch: Partial<AccessRequestView> = {}): AccessRequestView {
  return {
    id: 'req_1',
    requester: 'alice',
    target,
    actions: [{ action: 'ec2:StopInstances', risk: 'write' }],
    resource: null,
    durationMinutes: 30,
    justification: 'INC-42: stop the runaway instance',
    ticket: null,
    denial: { excerpt: 'is not authorized', denyKind: 'implicit', encodedMessage: null },
    status: 'pending',
    createdAt: '2026-03-02T10:00:00.000Z',
    decidedAt: null,
    pendingExpiresAt: '2026-03-03T10:00:00.000Z',
    decision: {
      outcome: 'needs-approval',
      requiredApprovals: 1,
      policyIds: ['prod-writes'],
      advice: ['Production writes need an approver from the platform team'],
      approverGroups: ['platform'],
      approvers: ['bob', 'dave'],
    },
    approvals: [],
    denials: [],
    linkedGrantId: null,
    grantId: null,
    ...patch,
  };
}

export function grantView(patch: Partial<GrantView> = {}): GrantView {
  return {
    id: 'grt_1',
    requestId: 'req_1',
    user: 'alice',
    target,
    actions: [{ action: 'ec2:StopInstances', risk: 'write' }],
    resource: null,
    status: 'provisioning',
    startsAt: '2026-03-02T10:01:00.000Z',
    expiresAt: '2026-03-02T10:31:00.000Z',
    lastError: null,
    nextAttemptAt: null,
    attempts: 0,
    endedAt: null,
    ...patch,
  };
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** A clean slate for tests that start the background: the fake browser reset, the drafts database deleted. */
export async function resetBackgroundState(): Promise<void> {
  fakeBrowser.reset();
  closeDrafts();
  await new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(DB_NAME);
    req.onsuccess = resolve;
    req.onerror = reject;
  });
}
