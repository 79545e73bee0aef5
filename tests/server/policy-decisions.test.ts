// The default Cedar policies (server/policy/*.cedar) as a table of cases: who asks for what, where,
// for how long → what the broker decides, how many approvers, and which policy said so.
import { describe, expect, it } from 'vitest';
import { createPolicyEngine, type PolicyRequest, type PolicyTarget } from '../../server/policy/engine';
import { loadPolicyDir } from '../../server/policy/load';

// validateRequests: also type-check every Cedar request against the schema, so an engine bug that
// builds a malformed request fails here rather than being silently tolerated.
const engine = createPolicyEngine(undefined, { validateRequests: true });

// Demo targets (the demo configuration uses the same ids).
const T = {
  awsDev: { cloud: 'aws', account: '111111111111', environment: 'dev', approverGroup: 'approvers' },
  awsProd: { cloud: 'aws', account: '222222222222', environment: 'prod', approverGroup: 'approvers' },
  azDev: {
    cloud: 'azure',
    account: '11111111-1111-1111-1111-111111111111',
    environment: 'dev',
    approverGroup: 'approvers',
  },
  azProd: {
    cloud: 'azure',
    account: '22222222-2222-2222-2222-222222222222',
    environment: 'prod',
    approverGroup: 'approvers',
  },
  gcpDev: { cloud: 'gcp', account: 'acme-dev', environment: 'dev', approverGroup: 'approvers' },
  gcpProd: { cloud: 'gcp', account: 'acme-prod', environment: 'prod', approverGroup: 'approvers' },
  awsStaging: { cloud: 'aws', account: '333333333333', environment: 'staging', approverGroup: 'approvers' },
} satisfies Record<string, PolicyTarget>;

// Demo users plus two that the demo lacks: an administrator and an on-call break-glass engineer.
const G: Record<string, string[]> = {
  alice: ['engineers'],
  bob: ['approvers'],
  dave: ['approvers'],
  carol: ['auditors'],
  frank: ['engineers'],
  sam: ['admins'],
  erin: ['engineers', 'break-glass'],
};
const groups = (user: string) => G[user] ?? [];

type Decision = 'auto-approve' | 'needs-approval' | 'deny';
type Row = [
  what: string,
  user: string,
  target: keyof typeof T,
  actions: string[],
  minutes: number,
  decision: Decision,
  approvals: 1 | 2,
  policyId: string | null,
];

const REQUESTS: Row[] = [
  [
    'read on dev for 4 h is automatic',
    'alice',
    'awsDev',
    ['s3:GetObject'],
    240,
    'auto-approve',
    1,
    'auto-approve.account-read-non-prod',
  ],
  [
    'read on dev for 15 min is automatic',
    'alice',
    'awsDev',
    ['ec2:DescribeInstances', 's3:ListBucket'],
    15,
    'auto-approve',
    1,
    'request.engineers',
  ],
  [
    'read on dev for 4 h 1 min needs an approver',
    'alice',
    'awsDev',
    ['s3:GetObject'],
    241,
    'needs-approval',
    1,
    'quorum.one-approver',
  ],
  [
    'read on dev for 8 h needs an approver',
    'alice',
    'awsDev',
    ['s3:GetObject'],
    480,
    'needs-approval',
    1,
    'quorum.one-approver',
  ],
  [
    'write on dev needs an approver',
    'alice',
    'awsDev',
    ['s3:PutObject'],
    60,
    'needs-approval',
    1,
    'quorum.one-approver',
  ],
  [
    'read + write on dev takes the higher risk',
    'alice',
    'awsDev',
    ['s3:GetObject', 'ec2:StartInstances'],
    60,
    'needs-approval',
    1,
    'quorum.one-approver',
  ],
  [
    'admin on dev needs one approver',
    'alice',
    'awsDev',
    ['iam:PassRole'],
    60,
    'needs-approval',
    1,
    'quorum.one-approver',
  ],
  [
    'read on prod needs one approver',
    'alice',
    'awsProd',
    ['s3:GetObject'],
    60,
    'needs-approval',
    1,
    'quorum.one-approver',
  ],
  [
    'write on prod needs one approver',
    'alice',
    'awsProd',
    ['ec2:StartInstances'],
    60,
    'needs-approval',
    1,
    'quorum.one-approver',
  ],
  [
    'admin on prod needs two approvers',
    'alice',
    'awsProd',
    ['iam:PassRole'],
    60,
    'needs-approval',
    2,
    'quorum.admin-on-prod',
  ],
  [
    'a secret read on prod is admin: two approvers',
    'alice',
    'awsProd',
    ['secretsmanager:GetSecretValue'],
    30,
    'needs-approval',
    2,
    'quorum.admin-on-prod',
  ],
  [
    'read + admin on prod takes the higher risk',
    'alice',
    'awsProd',
    ['s3:GetObject', 'kms:Decrypt'],
    60,
    'needs-approval',
    2,
    'quorum.admin-on-prod',
  ],
  [
    'non-prod environments other than dev behave like dev',
    'alice',
    'awsStaging',
    ['s3:GetObject'],
    60,
    'auto-approve',
    1,
    'auto-approve.account-read-non-prod',
  ],
  // Azure
  [
    'Azure read on dev is automatic',
    'alice',
    'azDev',
    ['Microsoft.Storage/storageAccounts/read'],
    60,
    'auto-approve',
    1,
    'auto-approve.account-read-non-prod',
  ],
  [
    'Azure write on dev needs an approver',
    'alice',
    'azDev',
    ['Microsoft.Compute/virtualMachines/start/action'],
    60,
    'needs-approval',
    1,
    'quorum.one-approver',
  ],
  [
    'Azure read on prod needs one approver',
    'alice',
    'azProd',
    ['Microsoft.Storage/storageAccounts/read'],
    60,
    'needs-approval',
    1,
    'quorum.one-approver',
  ],
  [
    'Azure role assignment on prod needs two',
    'alice',
    'azProd',
    ['Microsoft.Authorization/roleAssignments/write'],
    60,
    'needs-approval',
    2,
    'quorum.admin-on-prod',
  ],
  // GCP
  [
    'GCP read on dev is automatic',
    'alice',
    'gcpDev',
    ['storage.objects.get'],
    240,
    'auto-approve',
    1,
    'auto-approve.account-read-non-prod',
  ],
  [
    'GCP write on dev needs an approver',
    'alice',
    'gcpDev',
    ['compute.instances.start'],
    60,
    'needs-approval',
    1,
    'quorum.one-approver',
  ],
  [
    'GCP read on prod needs one approver',
    'alice',
    'gcpProd',
    ['storage.objects.get'],
    60,
    'needs-approval',
    1,
    'quorum.one-approver',
  ],
  [
    'GCP setIamPolicy on prod needs two',
    'alice',
    'gcpProd',
    ['resourcemanager.projects.setIamPolicy'],
    60,
    'needs-approval',
    2,
    'quorum.admin-on-prod',
  ],
  // Refusals
  ['a wildcard action is refused', 'alice', 'awsDev', ['s3:*'], 60, 'deny', 1, 'request.no-wildcards'],
  ['a bare * is refused', 'alice', 'gcpProd', ['*'], 60, 'deny', 1, 'request.no-wildcards'],
  ['an auditor cannot request', 'carol', 'awsDev', ['s3:GetObject'], 60, 'deny', 1, null],
  [
    'an approver who is not an engineer cannot request',
    'bob',
    'awsProd',
    ['s3:GetObject'],
    60,
    'deny',
    1,
    null,
  ],
  ['someone in no group cannot request', 'mallory', 'awsDev', ['s3:GetObject'], 60, 'deny', 1, null],
];

describe('decideRequest: default policies', () => {
  it.each(REQUESTS)('%s', (_what, user, target, actions, minutes, decision, approvals, policyId) => {
    const d = engine.decideRequest({
      user,
      groups: groups(user),
      target: T[target],
      actions,
      durationMinutes: minutes,
    });
    expect(d.decision).toBe(decision);
    expect(d.requiredApprovals).toBe(approvals);
    if (policyId === null) expect(d.policyIds).toEqual([]);
    else expect(d.policyIds).toContain(policyId);
    expect(d.advice.length).toBeGreaterThan(0);
  });

  it('answers a repeated question from memory, identically, and a changed one afresh', () => {
    const fresh = createPolicyEngine();
    const ask = (actions: string[], durationMinutes = 60) =>
      fresh.decideRequest({
        user: 'alice',
        groups: groups('alice'),
        target: T.awsDev,
        actions,
        durationMinutes,
      });
    const first = ask(['s3:GetObject']);
    first.advice.push('tampered by a caller');
    const again = ask(['s3:GetObject']);
    expect(again).toEqual(
      engine.decideRequest({
        user: 'alice',
        groups: groups('alice'),
        target: T.awsDev,
        actions: ['s3:GetObject'],
        durationMinutes: 60,
      }),
    );
    expect(again.advice).not.toContain('tampered by a caller');
    expect(ask(['s3:GetObject'], 600).decision).not.toBe(again.decision); // over the 4 h auto-approval
  });

  it('the caller’s wildcard flag is honoured even when no action contains "*"', () => {
    const d = engine.decideRequest({
      user: 'alice',
      groups: ['engineers'],
      target: T.awsDev,
      actions: ['s3:GetObject'],
      durationMinutes: 60,
      hasWildcard: true,
    });
    expect(d).toMatchObject({ decision: 'deny', policyIds: ['request.no-wildcards'] });
    expect(d.advice[0]).toMatch(/exact actions/);
  });

  it('stores the ids of every policy involved, in the order asked, with their advice', () => {
    const d = engine.decideRequest({
      user: 'alice',
      groups: ['engineers'],
      target: T.awsProd,
      actions: ['iam:CreateAccessKey'],
      durationMinutes: 60,
    });
    expect(d).toMatchObject({ decision: 'needs-approval', requiredApprovals: 2, risk: 'admin' });
    expect(d.policyIds).toEqual(['request.engineers', 'quorum.one-approver', 'quorum.admin-on-prod']);
    const adviceOf = new Map(engine.policies.map((p) => [p.id, p.advice]));
    expect(d.advice).toEqual(d.policyIds.map((id) => adviceOf.get(id)));
    expect(d.advice[2]).toMatch(/two different approvers/);
  });

  it('auto-approval names the policy that granted it and the one that allowed the request', () => {
    const d = engine.decideRequest({
      user: 'alice',
      groups: ['engineers'],
      target: T.gcpDev,
      actions: ['storage.objects.get'],
      durationMinutes: 60,
    });
    expect(d).toMatchObject({
      decision: 'auto-approve',
      risk: 'read',
      policyIds: ['request.engineers', 'auto-approve.account-read-non-prod'],
    });
    expect(d.advice[1]).toMatch(/granted automatically/);
  });

  it('a refusal with no matching policy still says something to the requester', () => {
    const d = engine.decideRequest({
      user: 'carol',
      groups: ['auditors'],
      target: T.awsDev,
      actions: ['s3:GetObject'],
      durationMinutes: 60,
    });
    expect(d.advice).toEqual([expect.stringMatching(/No policy allows you to request/)]);
  });

  it('a request naming no action is treated as admin-level (unknown is never "read")', () => {
    const d = engine.decideRequest({
      user: 'alice',
      groups: ['engineers'],
      target: T.awsProd,
      actions: [],
      durationMinutes: 60,
    });
    expect(d).toMatchObject({ decision: 'needs-approval', requiredApprovals: 2, risk: 'admin' });
  });

  it("a target's config id, when given, is the Cedar entity a policy can name", () => {
    const named = createPolicyEngine({
      ...loadPolicyDir(),
      policies: [
        ...loadPolicyDir().policies,
        {
          name: 'freeze.cedar',
          text: '@id("freeze.aws-prod")\n@advice("aws-prod is frozen for the audit.")\nforbid (principal, action == Action::"request", resource == Target::"aws-prod");',
        },
      ],
    });
    const ask = (target: PolicyTarget) =>
      named.decideRequest({
        user: 'alice',
        groups: ['engineers'],
        target,
        actions: ['s3:GetObject'],
        durationMinutes: 60,
      });
    expect(ask({ ...T.awsProd, id: 'aws-prod' })).toMatchObject({
      decision: 'deny',
      policyIds: ['freeze.aws-prod'],
    });
    expect(ask({ ...T.awsProd, id: 'aws-sandbox' }).decision).toBe('needs-approval');
  });

  it('rejects a duration that is not a whole number of minutes', () => {
    const input = { user: 'alice', groups: ['engineers'], target: T.awsDev, actions: ['s3:GetObject'] };
    expect(() => engine.decideRequest({ ...input, durationMinutes: 1.5 })).toThrow(RangeError);
    expect(() => engine.decideRequest({ ...input, durationMinutes: -1 })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------

const request = (requester: string, target: keyof typeof T, actions = ['iam:PassRole']): PolicyRequest => ({
  requester,
  requesterGroups: groups(requester),
  target: T[target],
  actions,
  durationMinutes: 60,
});

type PermRow = [what: string, actor: string, req: PolicyRequest, allowed: boolean, policyId: string | null];

const APPROVALS: PermRow[] = [
  [
    'an approver-group member may approve',
    'bob',
    request('alice', 'awsProd'),
    true,
    'approve.approver-group',
  ],
  ['so may the other approver', 'dave', request('alice', 'azProd'), true, 'approve.approver-group'],
  [
    'approvers may approve on dev too',
    'bob',
    request('alice', 'gcpDev', ['compute.instances.start']),
    true,
    'approve.approver-group',
  ],
  ['an engineer may not approve', 'frank', request('alice', 'awsProd'), false, null],
  ['an auditor may not approve', 'carol', request('alice', 'awsProd'), false, null],
  ['an admin is not an approver', 'sam', request('alice', 'awsProd'), false, null],
  ['nobody approves their own request', 'bob', request('bob', 'awsProd'), false, 'approve.not-own-request'],
  [
    'not even with another approver’s groups',
    'dave',
    request('dave', 'gcpProd'),
    false,
    'approve.not-own-request',
  ],
  [
    'the target’s own approver group counts, not any group called approvers',
    'bob',
    { ...request('alice', 'awsProd'), target: { ...T.awsProd, approverGroup: 'payments-approvers' } },
    false,
    null,
  ],
  [
    'a target without an approver group cannot be approved by anyone',
    'bob',
    {
      ...request('alice', 'awsProd'),
      target: { cloud: 'aws', account: '222222222222', environment: 'prod' },
    },
    false,
    null,
  ],
];

describe('canApprove: default policies', () => {
  it.each(APPROVALS)('%s', (_what, approver, req, allowed, policyId) => {
    const p = engine.canApprove({ approver, groups: groups(approver), request: req });
    expect(p.allowed).toBe(allowed);
    if (policyId === null) expect(p.policyIds).toEqual([]);
    else expect(p.policyIds).toContain(policyId);
    expect(p.advice.length).toBeGreaterThan(0);
  });

  it('the self-approval refusal explains itself', () => {
    const p = engine.canApprove({
      approver: 'bob',
      groups: ['approvers'],
      request: request('bob', 'awsProd'),
    });
    expect(p).toEqual({
      allowed: false,
      policyIds: ['approve.not-own-request'],
      advice: [expect.stringMatching(/Nobody can approve their own request/)],
    });
  });
});

const REVOCATIONS: PermRow[] = [
  [
    'the requester may revoke their own access',
    'alice',
    request('alice', 'awsProd'),
    true,
    'revoke.requester',
  ],
  ['an approver of the target may revoke', 'bob', request('alice', 'awsProd'), true, 'revoke.approver-group'],
  ['an administrator may revoke', 'sam', request('alice', 'gcpProd'), true, 'revoke.admins'],
  ['another engineer may not revoke', 'frank', request('alice', 'awsProd'), false, null],
  ['an auditor may not revoke', 'carol', request('alice', 'awsDev'), false, null],
  [
    'an approver of another target may not revoke',
    'bob',
    { ...request('alice', 'awsProd'), target: { ...T.awsProd, approverGroup: 'payments-approvers' } },
    false,
    null,
  ],
];

describe('canRevoke: default policies', () => {
  it.each(REVOCATIONS)('%s', (_what, actor, req, allowed, policyId) => {
    const p = engine.canRevoke({ actor, groups: groups(actor), request: req });
    expect(p.allowed).toBe(allowed);
    if (policyId === null) expect(p.policyIds).toEqual([]);
    else expect(p.policyIds).toContain(policyId);
    expect(p.advice.length).toBeGreaterThan(0);
  });

  it('an approver revoking their own grant matches both rules', () => {
    const p = engine.canRevoke({ actor: 'bob', groups: ['approvers'], request: request('bob', 'awsProd') });
    expect(p).toMatchObject({ allowed: true, policyIds: ['revoke.requester', 'revoke.approver-group'] });
  });
});

describe('canBreakGlass: default policies', () => {
  const input = (user: string) => ({
    user,
    groups: groups(user),
    target: T.awsProd,
    actions: ['iam:PassRole'],
    durationMinutes: 60,
  });

  it('the break-glass group may, and is told that security is paged', () => {
    const p = engine.canBreakGlass(input('erin'));
    expect(p).toMatchObject({ allowed: true, policyIds: ['break-glass.group'] });
    expect(p.advice).toEqual([expect.stringMatching(/pages the security team/)]);
  });

  it.each(['alice', 'bob', 'sam', 'carol'])('%s may not', (user) => {
    const p = engine.canBreakGlass(input(user));
    expect(p).toMatchObject({ allowed: false, policyIds: [] });
    expect(p.advice).toEqual([expect.stringMatching(/not allowed to use break-glass/)]);
  });
});
