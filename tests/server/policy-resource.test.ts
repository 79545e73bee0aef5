// How policies see a request's resource: `context.scoped` (does it name one resource in the
// target?) and `context.resource`. A wildcard, blank or policy-looking resource is never
// auto-approved as a read of one named resource; by default it is decided like a read across the
// target (auto-approve.cedar), and an operator who deletes that policy makes it wait for approval.
import { describe, expect, it } from 'vitest';
import {
  createPolicyEngine,
  type DecideRequestInput,
  type PolicyEngine,
  type PolicyTarget,
} from '../../server/policy/engine';
import { loadPolicyDir } from '../../server/policy/load';
import { namesOneResource } from '../../server/policy/resource-scope';

const engine = createPolicyEngine(undefined, { validateRequests: true });
const defaults = loadPolicyDir();

const T = {
  awsDev: { cloud: 'aws', account: '111111111111', environment: 'dev', approverGroup: 'approvers' },
  awsProd: { cloud: 'aws', account: '222222222222', environment: 'prod', approverGroup: 'approvers' },
  azDev: {
    cloud: 'azure',
    account: '11111111-1111-1111-1111-111111111111',
    environment: 'dev',
    approverGroup: 'approvers',
  },
  gcpDev: { cloud: 'gcp', account: 'acme-dev', environment: 'dev', approverGroup: 'approvers' },
} satisfies Record<string, PolicyTarget>;

const read = (
  target: PolicyTarget,
  resource: string | null | undefined,
  actions = ['s3:GetObject'],
): DecideRequestInput => ({
  user: 'alice',
  groups: ['engineers'],
  target,
  actions,
  durationMinutes: 60,
  ...(resource !== undefined ? { resource } : {}),
});

const SCOPED_READ = 'auto-approve.read-non-prod';
const ACCOUNT_READ = 'auto-approve.account-read-non-prod';

/** Reads that do not name one resource, with the cloud's own actions. */
const UNSCOPED: ReadonlyArray<[what: string, input: DecideRequestInput]> = [
  ['no resource', read(T.awsDev, undefined)],
  ['null', read(T.awsDev, null)],
  ['a lone *', read(T.awsDev, '*')],
  ['a lone newline', read(T.awsDev, '\n')],
  ['whitespace', read(T.awsDev, ' \t ')],
  ['a pattern AWS wrote in a denial', read(T.awsDev, 'arn:aws:rds:us-east-1:111111111111:db:*')],
  ['a ? wildcard', read(T.awsDev, 'arn:aws:s3:::exports/report-?.csv')],
  ['every bucket', read(T.awsDev, 'arn:aws:s3:::*')],
  [
    'a JSON policy document that reached the engine without the contract',
    read(T.awsDev, '{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'),
  ],
  ['a control character', read(T.awsDev, 'arn:aws:s3:::a\nb')],
  [
    'the Azure subscription itself',
    read(T.azDev, '/subscriptions/11111111-1111-1111-1111-111111111111/', [
      'Microsoft.Compute/virtualMachines/read',
    ]),
  ],
  ['the GCP project itself', read(T.gcpDev, 'projects/acme-dev', ['storage.objects.get'])],
  [
    'the GCP project by its full resource name',
    read(T.gcpDev, '//cloudresourcemanager.googleapis.com/projects/ACME-DEV', ['storage.objects.get']),
  ],
];

const SCOPED: ReadonlyArray<[what: string, input: DecideRequestInput]> = [
  ['an S3 object', read(T.awsDev, 'arn:aws:s3:::exports/nightly.csv')],
  ['a padded name', read(T.awsDev, '  arn:aws:s3:::exports/nightly.csv\n')],
  [
    'an Azure VM',
    read(
      T.azDev,
      '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/dev-rg/providers/Microsoft.Compute/virtualMachines/vm-dev1',
      ['Microsoft.Compute/virtualMachines/read'],
    ),
  ],
  ['a GCP bucket', read(T.gcpDev, 'projects/_/buckets/acme-dev-exports', ['storage.objects.get'])],
  ['another GCP project', read(T.gcpDev, 'projects/acme-dev-2', ['storage.objects.get'])],
];

describe('the resource as policies see it', () => {
  it.each(UNSCOPED)('%s is not a read of one named resource', (_what, input) => {
    expect(namesOneResource(input.target, input.resource)).toBe(false);
    const d = engine.decideRequest(input);
    expect(d.policyIds).not.toContain(SCOPED_READ);
    expect(d).toMatchObject({ decision: 'auto-approve', policyIds: ['request.engineers', ACCOUNT_READ] });
    expect(d.advice[1]).toMatch(/no single resource named/);
  });

  it.each(SCOPED)('%s is a read of one named resource', (_what, input) => {
    expect(namesOneResource(input.target, input.resource)).toBe(true);
    const d = engine.decideRequest(input);
    expect(d).toMatchObject({ decision: 'auto-approve', policyIds: ['request.engineers', SCOPED_READ] });
    expect(d.advice[1]).toMatch(/one named resource/);
  });

  it('on production neither kind is automatic', () => {
    for (const resource of [null, '*', 'arn:aws:s3:::prod-logs/*', 'arn:aws:s3:::prod-logs/a.log']) {
      expect(engine.decideRequest(read(T.awsProd, resource)).decision, String(resource)).toBe(
        'needs-approval',
      );
    }
  });

  it('does not answer a request for another resource from memory', () => {
    const fresh = createPolicyEngine();
    expect(fresh.decideRequest(read(T.awsDev, 'arn:aws:s3:::exports/a.csv')).policyIds).toContain(
      SCOPED_READ,
    );
    expect(fresh.decideRequest(read(T.awsDev, 'arn:aws:s3:::exports/*')).policyIds).toContain(ACCOUNT_READ);
    expect(fresh.decideRequest(read(T.awsDev, null)).policyIds).toContain(ACCOUNT_READ);
  });
});

/** The default set with `auto-approve.account-read-non-prod` deleted from auto-approve.cedar. */
function withoutAccountReads(): PolicyEngine {
  const policies = defaults.policies.map((p) =>
    p.name === 'auto-approve.cedar'
      ? { ...p, text: p.text.slice(0, p.text.indexOf(`@id("${ACCOUNT_READ}")`)) }
      : p,
  );
  expect(policies.find((p) => p.name === 'auto-approve.cedar')!.text).toContain(SCOPED_READ);
  return createPolicyEngine({ schema: defaults.schema, policies }, { validateRequests: true });
}

describe('an operator who wants reads across a target approved by a person', () => {
  const strict = withoutAccountReads();

  it.each(UNSCOPED)('%s then waits for an approver', (_what, input) => {
    expect(strict.decideRequest(input)).toMatchObject({
      decision: 'needs-approval',
      policyIds: ['request.engineers', 'quorum.one-approver'],
    });
  });

  it.each(SCOPED)('%s is still automatic', (_what, input) => {
    expect(strict.decideRequest(input).decision).toBe('auto-approve');
  });
});

describe('policies written with the resource', () => {
  const extra = (name: string, text: string) =>
    createPolicyEngine(
      { schema: defaults.schema, policies: [...defaults.policies, { name, text }] },
      { validateRequests: true },
    );

  it('context.resource is there when a resource is named, tested with `has`', () => {
    const frozen = extra(
      'freeze-secrets.cedar',
      '@id("request.no-secret-buckets")\n@advice("The secrets buckets are frozen.")\nforbid (principal, action == Action::"request", resource)\nwhen { context has resource && context.resource like "arn:aws:s3:::secrets-*" };',
    );
    expect(frozen.decideRequest(read(T.awsDev, ' arn:aws:s3:::secrets-prod/key ')).policyIds).toEqual([
      'request.no-secret-buckets',
    ]);
    expect(frozen.decideRequest(read(T.awsDev, 'arn:aws:s3:::exports/a.csv')).decision).toBe('auto-approve');
    expect(frozen.decideRequest(read(T.awsDev, null)).decision).toBe('auto-approve');
  });

  it('approve and revoke see whether the stored request names one resource', () => {
    const owners = extra(
      'owners.cedar',
      '@id("approve.resource-owners")\n@advice("Resource owners may approve requests naming one resource.")\npermit (principal in Group::"owners", action == Action::"approve", resource)\nwhen { context.scoped };',
    );
    const request = (resource: string | null) => ({
      requester: 'alice',
      target: T.awsProd,
      actions: ['s3:GetObject'],
      durationMinutes: 60,
      resource,
    });
    const ask = (resource: string | null) =>
      owners.canApprove({ approver: 'olga', groups: ['owners'], request: request(resource) }).allowed;
    expect(ask('arn:aws:s3:::prod-logs/a.log')).toBe(true);
    expect(ask('arn:aws:s3:::prod-logs/*')).toBe(false);
    expect(ask('*')).toBe(false);
    expect(ask(null)).toBe(false);
  });
});
