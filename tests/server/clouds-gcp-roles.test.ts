/**
 * The GCP provisioner's pure parts: which role a grant binds, the policy edit that adds and
 * removes exactly the grant's binding, the landing URL, and the key loading. No network.
 */
import { exportPKCS8, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadPrivateKey } from '../../server/clouds/gcp/google';
import {
  conditionDescription,
  conditionTitle,
  expiryExpression,
  withGrantBindings,
  withoutGrantBindings,
  type IamBinding,
  type IamPolicy,
} from '../../server/clouds/gcp/policy';
import { landingUrl } from '../../server/clouds/gcp';
import {
  chooseRoles,
  customRoleId,
  customRoleName,
  extraPermissions,
  isPermission,
  otherCaseSpellings,
  type IamRole,
} from '../../server/clouds/gcp/roles';
import { PREDEFINED_ROLES, PROJECT_GRANTABLE_ROLES } from '../../sim/clouds/gcp/catalogue';
import { evaluateCondition, parseCondition } from '../../sim/clouds/gcp/cel';

const names = (roles: readonly IamRole[]) => roles.map((r) => r.name);

// The provisioner chooses among the roles a project's policy may bind (roles:queryGrantableRoles).
describe('role choice', () => {
  it.each([
    ['compute.instances.start', ['roles/compute.instanceAdmin.v1']],
    ['compute.instances.get', ['roles/compute.viewer']],
    ['storage.objects.get', ['roles/storage.objectViewer']],
    ['storage.objects.delete', ['roles/storage.objectAdmin']],
    ['iam.serviceAccounts.actAs', ['roles/iam.serviceAccountUser']],
    ['logging.logEntries.list', ['roles/logging.viewer']],
    ['bigquery.jobs.create', ['roles/bigquery.jobUser']],
    ['resourcemanager.projects.setIamPolicy', ['roles/resourcemanager.projectIamAdmin']],
  ])('%s → the smallest role containing it', (permission, expected) => {
    expect(names(chooseRoles(PROJECT_GRANTABLE_ROLES, [permission]).roles)).toEqual(expected);
  });

  it('picks one role containing every requested permission when there is one', () => {
    const choice = chooseRoles(PROJECT_GRANTABLE_ROLES, [
      'compute.instances.start',
      'compute.instances.stop',
    ]);
    expect(names(choice.roles)).toEqual(['roles/compute.instanceAdmin.v1']);
    expect(choice.missing).toEqual([]);
  });

  it('never chooses a basic role, even when only a basic role holds the permission', () => {
    // Only roles/owner, roles/editor and roles/viewer carry storage.buckets.list in the catalogue.
    const choice = chooseRoles(PROJECT_GRANTABLE_ROLES, ['storage.buckets.list']);
    expect(choice.roles).toEqual([]);
    expect(choice.missing).toEqual(['storage.buckets.list']);
  });

  it('falls back to one role per permission when no single role has them all', () => {
    const choice = chooseRoles(PROJECT_GRANTABLE_ROLES, ['compute.instances.start', 'storage.objects.get']);
    expect(names(choice.roles)).toEqual(['roles/compute.instanceAdmin.v1', 'roles/storage.objectViewer']);
  });

  it('prefers GA over other stages of the same size, and skips deprecated roles', () => {
    const catalogue: IamRole[] = [
      { name: 'roles/a.beta', stage: 'BETA', includedPermissions: ['x.y.z', 'x.y.w'] },
      { name: 'roles/b.ga', stage: 'GA', includedPermissions: ['x.y.z', 'x.y.v'] },
      { name: 'roles/c.old', stage: 'DEPRECATED', includedPermissions: ['x.y.z'] },
    ];
    expect(names(chooseRoles(catalogue, ['x.y.z']).roles)).toEqual(['roles/b.ga']);
  });

  it('would pick a bucket-only legacy role from the whole catalogue, which is why it never looks there', () => {
    expect(names(chooseRoles(PREDEFINED_ROLES, ['storage.objects.get']).roles)).toEqual([
      'roles/storage.legacyObjectReader',
    ]);
    expect(PROJECT_GRANTABLE_ROLES.map((r) => r.name)).not.toContain('roles/storage.legacyObjectReader');
  });

  it('compares permissions exactly and names the spelling IAM uses for one in another case', () => {
    expect(chooseRoles(PROJECT_GRANTABLE_ROLES, ['iam.serviceaccounts.actAs']).missing).toEqual([
      'iam.serviceaccounts.actAs',
    ]);
    expect(otherCaseSpellings(PROJECT_GRANTABLE_ROLES, 'iam.serviceaccounts.actAs')).toEqual([
      'iam.serviceAccounts.actAs',
    ]);
    expect(otherCaseSpellings(PROJECT_GRANTABLE_ROLES, 'iam.serviceAccounts.actAs')).toEqual([]);
    expect(otherCaseSpellings(PROJECT_GRANTABLE_ROLES, 'made.up.permission')).toEqual([]);
  });

  it('lists what else the chosen role grants', () => {
    const roles = chooseRoles(PROJECT_GRANTABLE_ROLES, ['storage.objects.get']).roles;
    expect(extraPermissions(roles, ['storage.objects.get'])).toEqual([
      'resourcemanager.projects.get',
      'resourcemanager.projects.list',
      'storage.objects.list',
    ]);
  });

  it('names one stable custom role per permission, within the 64-character id limit', () => {
    expect(customRoleId('compute.instances.start')).toBe('unblock_compute_instances_start');
    expect(customRoleName('acme-dev', 'compute.instances.start')).toBe(
      'projects/acme-dev/roles/unblock_compute_instances_start',
    );
    const long = 'someservice.averyveryverylongresourcename.anotherextremelylongverbname';
    const other = 'someservice.averyveryverylongresourcename.anotherextremelylongverbnamf';
    expect(customRoleId(long)).toMatch(/^[a-zA-Z0-9_.]{3,64}$/);
    expect(customRoleId(long)).not.toBe(customRoleId(other));
  });

  it('recognises GCP permissions', () => {
    expect(isPermission('compute.instances.start')).toBe(true);
    expect(isPermission('ec2:StartInstances')).toBe(false);
    expect(isPermission('compute.instances')).toBe(false);
  });
});

describe('the policy edit', () => {
  const at = new Date('2026-11-25T20:00:00.000Z');
  const title = conditionTitle('g-1');
  const mine: IamBinding = {
    role: 'roles/compute.instanceAdmin.v1',
    members: ['user:alice@example.com'],
    condition: { title, description: 'd', expression: expiryExpression(at) },
  };
  const othersConditional: IamBinding = {
    role: 'roles/compute.instanceAdmin.v1',
    members: ['user:bob@example.com'],
    condition: { title: 'bob until friday', expression: 'request.time < timestamp("2026-11-27T00:00:00Z")' },
  };
  const plain: IamBinding = { role: 'roles/viewer', members: ['group:devs@example.com'] };
  const base: IamPolicy = {
    version: 3,
    etag: 'BwXyZ0AbCdE=',
    bindings: [plain, othersConditional],
    auditConfigs: [],
  };

  it('writes the expiry as a CEL time bound and a trimmed description', () => {
    expect(expiryExpression(at)).toBe('request.time < timestamp("2026-11-25T20:00:00Z")');
    expect(conditionDescription('r-1', '  fix\n the   outage ')).toBe('Unblock request r-1: fix the outage');
    expect(conditionDescription('r-1', 'x'.repeat(400))).toHaveLength(256);
  });

  it('adds the binding at version 3 and keeps everything else, unknown fields included', () => {
    const next = withGrantBindings(base, title, [mine])!;
    expect(next.version).toBe(3);
    expect(next.etag).toBe('BwXyZ0AbCdE=');
    expect(next.auditConfigs).toEqual([]);
    expect(next.bindings).toEqual([plain, othersConditional, mine]);
  });

  it('is a no-op when the binding is already there, and replaces it when the expiry moved', () => {
    const granted = withGrantBindings(base, title, [mine])!;
    expect(withGrantBindings(granted, title, [mine])).toBeNull();
    const later = {
      ...mine,
      condition: { ...mine.condition!, expression: expiryExpression(new Date(+at + 3600_000)) },
    };
    expect(withGrantBindings(granted, title, [later])!.bindings).toEqual([plain, othersConditional, later]);
  });

  it('removes exactly the grant’s binding, and reports nothing to do once it is gone', () => {
    const granted = withGrantBindings(base, title, [mine])!;
    const revoked = withoutGrantBindings(granted, title, 'user:alice@example.com')!;
    expect(revoked.bindings).toEqual([plain, othersConditional]);
    expect(withoutGrantBindings(revoked, title, 'user:alice@example.com')).toBeNull();
  });

  it('takes only the member out of a shared binding, and leaves a same-titled binding without the member', () => {
    const shared = { ...mine, members: ['user:alice@example.com', 'user:carol@example.com'] };
    const policy = { ...base, bindings: [plain, shared] };
    expect(withoutGrantBindings(policy, title, 'user:alice@example.com')!.bindings).toEqual([
      plain,
      { ...shared, members: ['user:carol@example.com'] },
    ]);
    expect(
      withoutGrantBindings({ ...base, bindings: [plain, mine] }, title, 'user:dave@example.com'),
    ).toBeNull();
    expect(withoutGrantBindings({ ...base, bindings: [plain, mine] }, title, null)!.bindings).toEqual([
      plain,
    ]);
  });
});

describe('landing', () => {
  const consoleUrl = new URL('https://console.cloud.google.com');
  it('keeps a denied console page with its authuser and project', () => {
    const denied = 'https://console.cloud.google.com/compute/instances?authuser=1&project=acme-dev';
    expect(landingUrl(consoleUrl, 'acme-dev', denied)).toBe(denied);
  });
  it('adds the project when the page lacks it', () => {
    expect(
      landingUrl(consoleUrl, 'acme-dev', 'https://console.cloud.google.com/storage/browser?authuser=2'),
    ).toBe('https://console.cloud.google.com/storage/browser?authuser=2&project=acme-dev');
  });
  it.each([
    'https://evil.example.com/compute?project=acme-dev',
    'http://console.cloud.google.com/compute',
    'javascript:alert(1)',
    'not a url',
    null,
  ])('sends %s to the console home instead', (destination) => {
    expect(landingUrl(consoleUrl, 'acme-dev', destination)).toBe(
      'https://console.cloud.google.com/home/dashboard?project=acme-dev',
    );
  });
});

describe('the service-account key', () => {
  it('reads env:NAME, undoes \\n escapes, and names the field when unusable', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportPKCS8(privateKey);
    expect(loadPrivateKey('env:GCP_KEY', { GCP_KEY: pem.replace(/\n/g, '\\n') }).asymmetricKeyType).toBe(
      'rsa',
    );
    expect(() => loadPrivateKey('env:GCP_KEY', {})).toThrow(
      /clouds\.gcp\.serviceAccount\.privateKey names the environment variable GCP_KEY, which is not set/,
    );
    expect(() => loadPrivateKey('hunter2')).toThrow(/clouds\.gcp\.serviceAccount\.privateKey is not a PEM/);
    expect(() => loadPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----')).toThrow(
      /clouds\.gcp\.serviceAccount\.privateKey is not a usable RSA private key/,
    );
  });
});

describe('the fake’s conditions', () => {
  it('evaluates time bounds and resource prefixes, and refuses what it cannot read', () => {
    const node = parseCondition(
      'request.time < timestamp("2026-01-01T00:00:00Z") && resource.name.startsWith("projects/_/buckets/b")',
    );
    expect(evaluateCondition(node, new Date('2025-12-31T23:59:59Z'), 'projects/_/buckets/b/objects/o')).toBe(
      true,
    );
    expect(evaluateCondition(node, new Date('2026-01-01T00:00:00Z'), 'projects/_/buckets/b/objects/o')).toBe(
      false,
    );
    expect(evaluateCondition(node, new Date('2025-12-31T00:00:00Z'))).toBe(false);
    expect(() => parseCondition('request.time < now()')).toThrow();
    expect(() =>
      parseCondition(Array(14).fill('request.time < timestamp("2026-01-01T00:00:00Z")').join(' || ')),
    ).toThrow(/logical operators/);
  });
});
