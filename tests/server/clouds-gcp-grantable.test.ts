/**
 * The GCP provisioner chooses among the roles the project's policy may bind
 * (`roles:queryGrantableRoles`, paged and cached per resource), and the fake refuses what a
 * project's policy cannot hold with Google's words; GCP permissions keep their case from the
 * denial to the binding, the custom role and the audit-log match (docs/cloud-mechanics.md §3.2,
 * §3.6; docs/denial-formats.md §1.5).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GRANTABLE_TTL_MS } from '../../server/clouds/gcp/grantable';
import { compileLogFilter } from '../../sim/clouds/gcp/fake';
import {
  ALICE,
  bearerToken,
  bindingsOf,
  BROKER,
  calls,
  closeGcpFakes,
  CONTEXT,
  googleCall,
  grantOf,
  NOW,
  PROJECT,
  rejection,
  setupGcp,
} from './gcp-fixtures';

afterEach(closeGcpFakes);

const PROJECT_NAME = `//cloudresourcemanager.googleapis.com/projects/${PROJECT}`;

describe('the roles a grant chooses from', () => {
  it('binds the smallest role the project accepts, not a smaller bucket-only one', async () => {
    const { fake, provisioner } = await setupGcp();
    const ref = await provisioner.grant(
      grantOf({ actions: ['storage.objects.get'] }),
      { gcp: ALICE },
      CONTEXT,
    );

    // roles/storage.legacyObjectReader holds only storage.objects.get, but only a bucket takes it.
    expect(ref.roles).toEqual(['roles/storage.objectViewer']);
    expect(bindingsOf(fake).map((b) => b.role)).toEqual(['roles/storage.objectViewer']);
    expect(calls(fake, ':setIamPolicy').map((r) => r.status)).toEqual([200]);
    const [query] = calls(fake, '/v1/roles:queryGrantableRoles');
    expect(query).toMatchObject({
      method: 'POST',
      body: { fullResourceName: PROJECT_NAME, view: 'FULL', pageSize: 1000 },
    });
    expect(calls(fake, '/v1/roles')).toEqual([]);
  });

  it('fails with the reason and the way out when no role the project accepts holds the permission', async () => {
    const { fake, provisioner } = await setupGcp();
    // Only the bucket-only legacy role carries storage.buckets.get in the fake's catalogue.
    const error = await rejection(
      provisioner.grant(grantOf({ actions: ['storage.buckets.get'] }), { gcp: ALICE }, CONTEXT),
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      'no predefined role grantable on projects/acme-dev contains storage.buckets.get',
    );
    expect(error.advice).toBe(
      'set targets[].gcp.customRoles: true on this project’s target to grant exactly the permission ' +
        '(a one-permission custom role; docs/clouds/gcp.md)',
    );
    expect(calls(fake, ':setIamPolicy')).toEqual([]);

    // The way out works: a one-permission custom role, which the project's policy accepts.
    const custom = await setupGcp({ customRoles: true });
    await custom.provisioner.grant(grantOf({ actions: ['storage.buckets.get'] }), { gcp: ALICE }, CONTEXT);
    expect(custom.fake.state.allows(ALICE, PROJECT, 'storage.buckets.get')).toBe(true);
  });

  it('previews the same grantable choice', async () => {
    const { provisioner } = await setupGcp();
    const target = { cloud: 'gcp' as const, account: PROJECT, environment: 'dev' };
    const preview = await provisioner.preview!(target, ['storage.objects.get'], null);
    expect(preview.role?.id).toBe('roles/storage.objectViewer');
  });

  it('pages through the grantable roles and caches them per resource for an hour of cloud time', async () => {
    const { clock, fake, provisioner } = await setupGcp({ maxPageSize: 5 });
    await provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT);
    const first = calls(fake, ':queryGrantableRoles');
    expect(first.length).toBeGreaterThan(1);
    expect(
      first.slice(1).every((r) => typeof (r.body as { pageToken?: unknown }).pageToken === 'string'),
    ).toBe(true);

    await provisioner.grant(grantOf({ id: 'g-2' }), { gcp: ALICE }, CONTEXT);
    expect(calls(fake, ':queryGrantableRoles')).toHaveLength(first.length);

    const prod = grantOf({ id: 'g-3', target: { cloud: 'gcp', account: 'acme-prod', environment: 'prod' } });
    await provisioner.grant(prod, { gcp: ALICE }, CONTEXT);
    const names = calls(fake, ':queryGrantableRoles').map(
      (r) => (r.body as { fullResourceName: string }).fullResourceName,
    );
    expect(new Set(names)).toEqual(
      new Set([PROJECT_NAME, '//cloudresourcemanager.googleapis.com/projects/acme-prod']),
    );

    const before = calls(fake, ':queryGrantableRoles').length;
    clock.advance(GRANTABLE_TTL_MS);
    await provisioner.grant(grantOf({ id: 'g-4' }), { gcp: ALICE }, CONTEXT);
    expect(calls(fake, ':queryGrantableRoles').length).toBe(before + first.length);
  });

  it('names the permission listing grantable roles needs when the broker lacks it', async () => {
    const { provisioner } = await setupGcp({ permissions: ['resourcemanager.projects.setIamPolicy'] });
    const error = await rejection(provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT));
    expect(error).toMatchObject({ retryable: false, code: 'PERMISSION_DENIED' });
    expect(error.message).toContain(
      `${BROKER} lacks resourcemanager.projects.getIamPolicy, needed to list the roles grantable on projects/acme-dev`,
    );
  });
});

describe('the fake: grantable roles per resource type', () => {
  it('lists what a project, a folder and a bucket may bind, with permissions only in the FULL view', async () => {
    const { clock, fake } = await setupGcp();
    const bearer = await bearerToken(fake, clock);
    const query = (body: unknown) =>
      googleCall(`${fake.endpoints.iam}/v1/roles:queryGrantableRoles`, bearer, 'POST', body);
    const names = (body: Record<string, unknown>) => (body.roles as { name: string }[]).map((r) => r.name);

    const project = await query({ fullResourceName: PROJECT_NAME, view: 'FULL', pageSize: 1000 });
    expect(project.status).toBe(200);
    expect(names(project.body)).toContain('roles/storage.objectViewer');
    expect(names(project.body)).toContain('roles/owner');
    expect(names(project.body)).not.toContain('roles/storage.legacyObjectReader');
    expect(
      (project.body.roles as { includedPermissions?: string[] }[])[0]?.includedPermissions,
    ).toBeDefined();
    const basic = await query({ fullResourceName: PROJECT_NAME });
    expect((basic.body.roles as object[]).every((r) => !('includedPermissions' in r))).toBe(true);

    const bucket = await query({
      fullResourceName: '//storage.googleapis.com/projects/_/buckets/b1',
      pageSize: 1000,
    });
    expect(names(bucket.body)).toContain('roles/storage.legacyObjectReader');
    expect(names(bucket.body)).not.toContain('roles/owner');
    expect(names(bucket.body)).not.toContain('roles/compute.viewer');
    const folder = await query({
      fullResourceName: '//cloudresourcemanager.googleapis.com/folders/123',
      pageSize: 1000,
    });
    expect(names(folder.body)).not.toContain('roles/storage.legacyObjectReader');

    expect((await query({})).body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect((await query({ fullResourceName: 'projects/acme-dev' })).body.error).toMatchObject({ code: 400 });
  });

  it('lists the project’s own custom roles, and pages', async () => {
    const { clock, fake, provisioner } = await setupGcp({ customRoles: true, maxPageSize: 4 });
    await provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT);
    const bearer = await bearerToken(fake, clock);
    const all: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await googleCall(`${fake.endpoints.iam}/v1/roles:queryGrantableRoles`, bearer, 'POST', {
        fullResourceName: PROJECT_NAME,
        ...(pageToken ? { pageToken } : {}),
      });
      expect((page.body.roles as unknown[]).length).toBeLessThanOrEqual(4);
      all.push(...(page.body.roles as { name: string }[]).map((r) => r.name));
      pageToken = page.body.nextPageToken as string | undefined;
    } while (pageToken);
    expect(all).toContain('projects/acme-dev/roles/unblock_compute_instances_start');
    expect(all).toContain('roles/compute.viewer');
  });

  it('refuses a binding of a role the project cannot hold with Google’s words', async () => {
    const { clock, fake } = await setupGcp();
    const bearer = await bearerToken(fake, clock);
    const { etag } = fake.state.policy(PROJECT);
    const set = (role: string) =>
      googleCall(`${fake.endpoints.resourceManager}/v1/projects/${PROJECT}:setIamPolicy`, bearer, 'POST', {
        policy: { version: 3, etag, bindings: [{ role, members: [ALICE] }] },
      });
    for (const role of [
      'roles/storage.legacyObjectReader',
      'projects/acme-prod/roles/unblock_x',
      'roles/no.such',
    ]) {
      const answer = await set(role);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toEqual({
        code: 400,
        message: `Role ${role} is not supported for this resource.`,
        status: 'INVALID_ARGUMENT',
      });
    }
    expect(bindingsOf(fake)).toEqual([]);
    expect((await set('roles/storage.objectViewer')).status).toBe(200);
  });
});

describe('permission case, from the denial to the binding', () => {
  it('binds the role holding the permission as IAM spells it, and only that spelling is allowed', async () => {
    const { fake, provisioner } = await setupGcp();
    const ref = await provisioner.grant(
      grantOf({ actions: ['iam.serviceAccounts.actAs'] }),
      { gcp: ALICE },
      CONTEXT,
    );
    expect(ref.roles).toEqual(['roles/iam.serviceAccountUser']);
    expect(fake.state.allows(ALICE, PROJECT, 'iam.serviceAccounts.actAs')).toBe(true);
    expect(fake.state.allows(ALICE, PROJECT, 'iam.serviceaccounts.actas')).toBe(false);
  });

  it('names IAM’s spelling for a permission a tool printed in another case, instead of guessing', async () => {
    const { fake, provisioner } = await setupGcp();
    // Cloud Run prints iam.serviceaccounts.actAs (docs/denial-formats.md §1.5).
    const error = await rejection(
      provisioner.grant(grantOf({ actions: ['iam.serviceaccounts.actAs'] }), { gcp: ALICE }, CONTEXT),
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      'no predefined role grantable on projects/acme-dev contains iam.serviceaccounts.actAs; GCP permissions ' +
        'are case-sensitive and IAM spells it iam.serviceAccounts.actAs',
    );
    expect(error.advice).toBe('request iam.serviceAccounts.actAs instead of iam.serviceaccounts.actAs');
    expect(`${error.message} ${error.advice ?? ''}`).not.toContain('customRoles');
    expect(calls(fake, ':setIamPolicy')).toEqual([]);
  });

  it('keeps the case in a custom role’s permissions and id', async () => {
    const { fake, provisioner } = await setupGcp({ customRoles: true });
    await provisioner.grant(grantOf({ actions: ['iam.serviceAccounts.actAs'] }), { gcp: ALICE }, CONTEXT);
    const [role] = calls(fake, '/v1/projects/acme-dev/roles');
    expect(role?.body).toMatchObject({
      roleId: 'unblock_iam_serviceAccounts_actAs',
      role: { includedPermissions: ['iam.serviceAccounts.actAs'] },
    });
    expect(fake.state.customRoles(PROJECT).map((r) => r.includedPermissions)).toEqual([
      ['iam.serviceAccounts.actAs'],
    ]);
    expect(fake.state.allows(ALICE, PROJECT, 'iam.serviceAccounts.actAs')).toBe(true);
    expect(fake.state.allows(ALICE, PROJECT, 'iam.serviceaccounts.actAs')).toBe(false);
  });

  it('finds the user’s audit entries whatever the case of the configured email, as Logging compares', async () => {
    const { fake, provisioner } = await setupGcp();
    fake.state.addLogEntry(PROJECT, {
      principalEmail: 'alice@example.com',
      methodName: 'google.iam.admin.v1.ServiceAccounts.ActAs',
      permission: 'iam.serviceAccounts.actAs',
      timestamp: new Date(NOW.getTime() + 1000),
    });
    const entries = await provisioner.activity!(grantOf(), null, { gcp: 'user:Alice@Example.com' });
    expect(entries.map((e) => e.action)).toEqual(['google.iam.admin.v1.ServiceAccounts.ActAs']);
  });

  it('the fake’s Logging filter compares strings without regard to case', () => {
    const entry = {
      logName: 'projects/p/logs/cloudaudit.googleapis.com%2Factivity',
      protoPayload: { methodName: 'v1.compute.instances.start', serviceName: 'compute.googleapis.com' },
    };
    expect(compileLogFilter('protoPayload.methodName="V1.Compute.Instances.Start"')(entry)).toBe(true);
    expect(compileLogFilter('protoPayload.serviceName:"COMPUTE"')(entry)).toBe(true);
    expect(compileLogFilter('logName:"CloudAudit.googleapis.com/activity"')(entry)).toBe(true);
    expect(compileLogFilter('protoPayload.methodName="v1.compute.instances.stop"')(entry)).toBe(false);
  });
});
