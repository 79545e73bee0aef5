/**
 * The counting of `npm run chaos` (bench/chaos/counting.ts) on crafted store and cloud states:
 * each count sees exactly the case it is about, and an agreeing state counts nothing.
 */
import { expect, it } from 'vitest';
import { countAll, type StoredGrant, type StoredRequest } from '../../bench/chaos/counting';
import type { CloudsState } from '../../sim/clouds/standalone/state';

const NOW = new Date('2026-12-08T12:00:00Z');
const LATER = new Date('2026-12-08T13:00:00Z');
const EARLIER = new Date('2026-12-08T11:00:00Z');
const SUB = '/subscriptions/22222222-2222-2222-2222-222222222222';
const ROLE_GUID = '9980e02c-c2be-4d73-94e8-173b1dc7cf3c';
const ALICE = '3f2b9c1e-7d4a-4e8b-9a61-5c0d2e8f7b14';
const JIT = 'arn:aws:iam::111111111111:role/unblock-jit';

const gcpRef = (grantId: string) => ({
  kind: 'gcp-iam-binding',
  project: 'acme-dev',
  member: 'user:alice@acme-corp.dev',
  roles: ['roles/compute.viewer'],
  conditionTitle: `unblock ${grantId}`,
  expiresAt: LATER.toISOString(),
});
const azureRef = {
  kind: 'azure',
  mode: 'pim',
  scope: SUB,
  roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${ROLE_GUID.toUpperCase()}`,
  roleName: 'Virtual Machine Contributor',
  principalId: ALICE,
  name: 'n',
  owned: true,
  activatedAt: null,
  endsAt: LATER.toISOString(),
};
const awsRef = (sessionName: string) => ({ kind: 'aws', roleArn: JIT, sessionName, sourceIdentity: 'alice' });

const grant = (
  id: string,
  ref: Record<string, unknown> | null,
  over: Partial<StoredGrant> = {},
): StoredGrant => ({
  id,
  requestId: `req-${id}`,
  status: 'active',
  expiresAt: LATER,
  providerRef: ref,
  ...over,
});
const request = (id: string, grantId: string | null, status = 'approved'): StoredRequest => ({
  id,
  status,
  grantId,
});

function clouds(parts: {
  gcp?: { title: string; live: boolean }[];
  azure?: { live: boolean }[];
  aws?: { sessionName: string; live: boolean }[];
}): CloudsState {
  return {
    now: NOW.toISOString(),
    gcp: {
      bindings: [
        // The project's own binding (no unblock condition) is never the broker's access.
        {
          project: 'acme-dev',
          role: 'roles/owner',
          members: ['user:admin@acme-corp.dev'],
          conditionTitle: null,
          conditionExpression: null,
          live: true,
        },
        ...(parts.gcp ?? []).map((b) => ({
          project: 'acme-dev',
          role: 'roles/compute.viewer',
          members: ['user:alice@acme-corp.dev'],
          conditionTitle: b.title,
          conditionExpression: 'request.time < timestamp("2026-12-08T13:00:00Z")',
          live: b.live,
        })),
      ],
    },
    azure: {
      assignments: (parts.azure ?? []).map((a) => ({
        kind: 'pim' as const,
        name: 'n',
        principalId: ALICE.toUpperCase(),
        roleDefinitionName: ROLE_GUID,
        roleName: 'Virtual Machine Contributor',
        scope: SUB,
        startsAt: EARLIER.toISOString(),
        endsAt: LATER.toISOString(),
        activatedAt: EARLIER.toISOString(),
        removedAt: null,
        live: a.live,
      })),
    },
    aws: {
      roles: [],
      sessions: (parts.aws ?? []).map((s) => ({
        account: '111111111111',
        roleArn: JIT,
        sessionName: s.sessionName,
        sourceIdentity: 'alice',
        accessKeyId: 'ASIA',
        issuedAt: EARLIER.toISOString(),
        expiresAt: LATER.toISOString(),
        tags: {},
        live: s.live,
      })),
    },
    sim: { entitlements: [] },
  };
}

const count = (
  grants: StoredGrant[],
  state: CloudsState,
  requests: StoredRequest[] = [],
  filed: string[] = [],
  approved: string[] = [],
) => countAll({ filed, approved, requests, grants, state, now: NOW });

it('an agreeing state counts nothing, across the three clouds', () => {
  const grants = [grant('g1', gcpRef('g1')), grant('g2', azureRef), grant('g3', awsRef('unblock-r3'))];
  const requests = grants.map((g) => request(g.requestId, g.id));
  const state = clouds({
    gcp: [{ title: 'unblock g1', live: true }],
    azure: [{ live: true }],
    aws: [{ sessionName: 'unblock-r3', live: true }],
  });
  expect(
    count(
      grants,
      state,
      requests,
      requests.map((r) => r.id),
      requests.map((r) => r.id),
    ),
  ).toEqual({
    lostRequests: [],
    lostApprovals: [],
    duplicateGrants: [],
    orphanedAccess: [],
    activeWithoutAccess: [],
  });
});

it('a binding left behind by a revoked grant is orphaned; an expired condition or a dead session is not access', () => {
  const grants = [
    grant('g1', gcpRef('g1'), { status: 'revoked' }),
    grant('g3', awsRef('unblock-r3'), { status: 'ended' }),
  ];
  const state = clouds({
    gcp: [
      { title: 'unblock g1', live: true },
      { title: 'unblock g9', live: false },
    ],
    aws: [{ sessionName: 'unblock-r3', live: false }],
  });
  expect(count(grants, state).orphanedAccess).toEqual([
    'gcp|acme-dev|user:alice@acme-corp.dev|roles/compute.viewer|unblock g1',
  ]);
});

it('access owned by a grant that is active in status but past its expiry is orphaned', () => {
  const state = clouds({ aws: [{ sessionName: 'unblock-r3', live: true }] });
  expect(count([grant('g3', awsRef('unblock-r3'), { expiresAt: EARLIER })], state).orphanedAccess).toEqual([
    `aws|${JIT}|unblock-r3`,
  ]);
});

it('an Azure grant active without its assignment (the older grant took it away) is counted, as is one never provisioned', () => {
  const grants = [
    grant('old', azureRef, { status: 'revoked' }),
    grant('new', { ...azureRef, owned: false }),
    grant('none', null),
  ];
  expect(count(grants, clouds({ azure: [{ live: false }] })).activeWithoutAccess).toEqual([
    'new (azure)',
    'none (no provider ref)',
  ]);
  // With the assignment live, the newer grant has its access, whoever created it.
  expect(count(grants, clouds({ azure: [{ live: true }] })).activeWithoutAccess).toEqual([
    'none (no provider ref)',
  ]);
});

it('lost requests and approvals: acknowledged by the API, missing or not approved in the store', () => {
  const requests = [request('r1', 'g1'), request('r2', null, 'pending')];
  const counts = count(
    [grant('g1', gcpRef('g1'), { requestId: 'r1' })],
    clouds({ gcp: [{ title: 'unblock g1', live: true }] }),
    requests,
    ['r1', 'r2', 'r3'],
    ['r1', 'r2'],
  );
  expect(counts.lostRequests).toEqual(['r3']);
  expect(counts.lostApprovals).toEqual(['r2 (pending, no grant)']);
});

it('an approved extension of a grant that had ended extends nothing and is not lost; of an active grant it is', () => {
  const extension = (id: string, linked: string): StoredRequest => ({
    ...request(id, null),
    linkedGrantId: linked,
  });
  const grants = [
    grant('g1', gcpRef('g1'), { requestId: 'r1', status: 'revoked' }),
    grant('g2', gcpRef('g2'), { requestId: 'r2' }),
  ];
  const requests = [request('r1', 'g1'), request('r2', 'g2'), extension('x1', 'g1'), extension('x2', 'g2')];
  const counts = count(
    grants,
    clouds({ gcp: [{ title: 'unblock g2', live: true }] }),
    requests,
    [],
    ['x1', 'x2'],
  );
  expect(counts.lostApprovals).toEqual(['x2 (approved, no grant)']);
});

it('a request linked to two live grants is a duplicate; a merged request pointing at the grant it joined is not', () => {
  const grants = [
    grant('g1', gcpRef('g1'), { requestId: 'r1' }),
    grant('g2', gcpRef('g2'), { requestId: 'r2' }),
    grant('g3', gcpRef('g3'), { requestId: 'r3', status: 'revoked' }),
  ];
  const requests = [request('r1', 'g1'), request('r2', 'g1'), request('r3', 'g1'), request('r4', 'g1')];
  expect(count(grants, clouds({}), requests).duplicateGrants).toEqual(['r2']);
});
