/**
 * The GCP provisioner against the wire-level Google fakes (sim/clouds/gcp): grants as conditional
 * IAM bindings, the read-modify-write that must never lose anyone else's binding, etag conflicts,
 * custom roles, audit-log activity, errors, and the OAuth token. Cloud time is a FakeClock; the
 * provisioner's backoff sleeps advance it instead of waiting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createGcpProvisioner, GCP_PROPAGATION } from '../../server/clouds/gcp';
import type { FakeBinding, GcpFake } from '../../sim/clouds/gcp/fake';
import {
  ALICE,
  bindingsOf,
  BROKER,
  calls,
  closeGcpFakes,
  CONTEXT,
  gcpKeys,
  grantOf,
  HOUR,
  NOW,
  PROJECT,
  rejection,
  setupGcp as setup,
} from './gcp-fixtures';

afterEach(closeGcpFakes);

describe('grant and revoke', () => {
  it('binds the smallest role with an expiry condition, and allows exactly what was asked', async () => {
    const { fake, provisioner } = await setup();
    const ref = await provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT);

    expect(ref).toEqual({
      kind: 'gcp-iam-binding',
      project: PROJECT,
      member: ALICE,
      roles: ['roles/compute.instanceAdmin.v1'],
      conditionTitle: 'unblock g-1',
      expiresAt: '2026-06-01T13:00:00Z',
    });
    expect(bindingsOf(fake)).toEqual([
      {
        role: 'roles/compute.instanceAdmin.v1',
        members: [ALICE],
        condition: {
          title: 'unblock g-1',
          description: 'Unblock request r-1: restart the stuck VM',
          expression: 'request.time < timestamp("2026-06-01T13:00:00Z")',
        },
      },
    ]);
    expect(fake.state.policy(PROJECT).version).toBe(3);
    expect(fake.state.allows(ALICE, PROJECT, 'compute.instances.start')).toBe(true);
    expect(fake.state.allows(ALICE, PROJECT, 'storage.objects.get')).toBe(false);
    expect(fake.state.allows('user:bob@example.com', PROJECT, 'compute.instances.start')).toBe(false);
    expect(fake.state.allows(ALICE, 'acme-prod', 'compute.instances.start')).toBe(false);

    // Read at version 3, written at version 3 with the etag that was read.
    const [get] = calls(fake, ':getIamPolicy');
    expect(get?.body).toEqual({ options: { requestedPolicyVersion: 3 } });
    const [set] = calls(fake, ':setIamPolicy');
    expect(set?.body).toMatchObject({ policy: { version: 3, etag: expect.any(String) as string } });
  });

  it('never drops anyone else’s binding, conditional ones on the same role included', async () => {
    const seeded: FakeBinding[] = [
      { role: 'roles/compute.viewer', members: ['group:devs@example.com'] },
      {
        role: 'roles/storage.objectViewer',
        members: ['user:carol@example.com'],
        condition: {
          title: 'carol this week',
          expression: 'request.time < timestamp("2026-06-07T00:00:00Z")',
        },
      },
      {
        role: 'roles/compute.instanceAdmin.v1',
        members: ['user:bob@example.com'],
        condition: {
          title: 'bob on-call',
          description: 'pager',
          expression: 'request.time < timestamp("2026-06-02T00:00:00Z")',
        },
      },
    ];
    const { fake, provisioner } = await setup({ bindings: seeded });
    const grant = grantOf();

    await provisioner.grant(grant, { gcp: ALICE }, CONTEXT);
    expect(bindingsOf(fake).slice(0, 3)).toEqual(seeded);
    expect(bindingsOf(fake)).toHaveLength(4);
    expect(fake.state.allows('user:bob@example.com', PROJECT, 'compute.instances.start')).toBe(true);
    expect(fake.state.allows('user:carol@example.com', PROJECT, 'storage.objects.get')).toBe(true);

    await provisioner.revoke(grant, null, { gcp: ALICE });
    expect(bindingsOf(fake)).toEqual(seeded);
    expect(fake.state.allows(ALICE, PROJECT, 'compute.instances.start')).toBe(false);
    expect(fake.state.allows('user:bob@example.com', PROJECT, 'compute.instances.start')).toBe(true);
  });

  it('is idempotent, and moves the expiry when the grant is extended', async () => {
    const { fake, provisioner } = await setup();
    await provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT);
    await provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT);
    expect(calls(fake, ':setIamPolicy')).toHaveLength(1);
    expect(bindingsOf(fake)).toHaveLength(1);

    const extended = grantOf({ expiresAt: new Date(NOW.getTime() + 3 * HOUR) });
    const ref = await provisioner.grant(extended, { gcp: ALICE }, CONTEXT);
    expect(ref.expiresAt).toBe('2026-06-01T15:00:00Z');
    expect(bindingsOf(fake)).toHaveLength(1);
    expect(bindingsOf(fake)[0]?.condition?.expression).toBe(
      'request.time < timestamp("2026-06-01T15:00:00Z")',
    );
  });

  it('revokes exactly this grant’s binding, and succeeds when it is already gone', async () => {
    const { fake, provisioner } = await setup();
    const first = grantOf();
    const second = grantOf({ id: 'g-2', requestId: 'r-2', actions: ['storage.objects.get'] });
    const ref = await provisioner.grant(first, { gcp: ALICE }, CONTEXT);
    await provisioner.grant(second, { gcp: ALICE }, CONTEXT);

    await provisioner.revoke(first, ref, {});
    expect(bindingsOf(fake).map((b) => b.condition?.title)).toEqual(['unblock g-2']);
    expect(fake.state.allows(ALICE, PROJECT, 'compute.instances.start')).toBe(false);
    expect(fake.state.allows(ALICE, PROJECT, 'storage.objects.get')).toBe(true);

    const writes = calls(fake, ':setIamPolicy').length;
    await provisioner.revoke(first, ref, {});
    expect(calls(fake, ':setIamPolicy')).toHaveLength(writes);
  });

  it('stops allowing at expiry on the cloud clock, though the binding is still there', async () => {
    const { clock, fake, provisioner } = await setup();
    await provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT);
    clock.advance(HOUR - 1000);
    expect(fake.state.allows(ALICE, PROJECT, 'compute.instances.start')).toBe(true);
    clock.advance(1000);
    expect(fake.state.allows(ALICE, PROJECT, 'compute.instances.start')).toBe(false);
    expect(bindingsOf(fake)).toHaveLength(1);
  });

  it('re-reads and retries after a concurrent change (409 ABORTED)', async () => {
    const { fake, provisioner, sleeps } = await setup();
    fake.state.injectConcurrentChange(1);
    await provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT);
    expect(calls(fake, ':setIamPolicy').map((r) => r.status)).toEqual([409, 200]);
    expect(calls(fake, ':getIamPolicy')).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
    expect(fake.state.allows(ALICE, PROJECT, 'compute.instances.start')).toBe(true);
  });

  it('gives up with a retryable error when the policy keeps changing', async () => {
    const { fake, provisioner } = await setup();
    fake.state.injectConcurrentChange(100);
    const error = await rejection(provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT));
    expect(error).toMatchObject({ retryable: true, code: 'ABORTED' });
    expect(calls(fake, ':setIamPolicy')).toHaveLength(5);
    expect(bindingsOf(fake)).toEqual([]);
  });

  it('serialises concurrent grants on one project so neither loses', async () => {
    const { fake, provisioner } = await setup();
    await Promise.all(
      ['g-1', 'g-2', 'g-3'].map((id) => provisioner.grant(grantOf({ id }), { gcp: ALICE }, CONTEXT)),
    );
    expect(bindingsOf(fake).map((b) => b.condition?.title)).toEqual([
      'unblock g-1',
      'unblock g-2',
      'unblock g-3',
    ]);
    expect(calls(fake, ':setIamPolicy').every((r) => r.status === 200)).toBe(true);
  });

  it('refuses a user without a GCP identity, without calling Google', async () => {
    const { fake, provisioner } = await setup();
    const error = await rejection(provisioner.grant(grantOf(), {}, CONTEXT));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('users[].identities.gcp');
    expect(fake.state.requests).toEqual([]);
  });

  it('refuses a permission only basic roles hold, naming it', async () => {
    const { provisioner } = await setup();
    const error = await rejection(
      provisioner.grant(grantOf({ actions: ['storage.buckets.list'] }), { gcp: ALICE }, CONTEXT),
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('storage.buckets.list');
    // What to do about it is the operator's advice, kept apart from the reason (issue 11).
    expect(error.advice).toContain('customRoles');
  });
});

describe('custom roles', () => {
  it('creates a one-permission role once and binds it; a restarted broker accepts ALREADY_EXISTS', async () => {
    const { fake, provisioner, restart } = await setup({ customRoles: true });
    await provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT);
    await provisioner.grant(grantOf({ id: 'g-2' }), { gcp: ALICE }, CONTEXT);
    expect(calls(fake, '/v1/projects/acme-dev/roles').map((r) => r.status)).toEqual([200]);

    await restart().grant(grantOf({ id: 'g-3' }), { gcp: ALICE }, CONTEXT);
    expect(calls(fake, '/v1/projects/acme-dev/roles').map((r) => r.status)).toEqual([200, 409]);

    const roles = fake.state.customRoles(PROJECT);
    expect(roles.map((r) => [r.name, r.includedPermissions])).toEqual([
      ['projects/acme-dev/roles/unblock_compute_instances_start', ['compute.instances.start']],
    ]);
    expect(bindingsOf(fake).map((b) => b.role)).toEqual(Array(3).fill(roles[0]!.name));
    expect(fake.state.allows(ALICE, PROJECT, 'compute.instances.start')).toBe(true);
    expect(fake.state.allows(ALICE, PROJECT, 'compute.instances.stop')).toBe(false);
  });

  it('previews the exact custom role without creating it', async () => {
    const { fake, provisioner } = await setup({ customRoles: true });
    const target = { cloud: 'gcp' as const, account: PROJECT, environment: 'dev' };
    const preview = await provisioner.preview!(target, ['compute.instances.start'], null);
    expect(preview.role).toEqual({
      id: 'projects/acme-dev/roles/unblock_compute_instances_start',
      name: 'Unblock: compute.instances.start',
      scope: 'projects/acme-dev',
    });
    expect(preview.alsoGrants).toEqual([]);
    expect(fake.state.requests).toEqual([]);
  });

  it('passes Google’s INVALID_ARGUMENT message on, not retryable', async () => {
    const { provisioner } = await setup({ customRoles: true });
    const error = await rejection(
      provisioner.grant(grantOf({ actions: ['made.up.permission'] }), { gcp: ALICE }, CONTEXT),
    );
    expect(error).toMatchObject({ retryable: false, code: 'INVALID_ARGUMENT' });
    expect(error.message).toContain('Permission made.up.permission is not valid.');
  });
});

describe('preview and landing', () => {
  it('shows the chosen role and what else it grants, paging and caching the grantable roles', async () => {
    const { fake, provisioner } = await setup({ maxPageSize: 5 });
    const target = { cloud: 'gcp' as const, account: PROJECT, environment: 'dev' };
    const preview = await provisioner.preview!(target, ['compute.instances.start'], null);
    expect(preview.role).toEqual({
      id: 'roles/compute.instanceAdmin.v1',
      name: 'Compute Instance Admin (v1)',
      scope: 'projects/acme-dev',
    });
    expect(preview.alsoGrants).toContain('compute.instances.stop');
    expect(preview.alsoGrants).toContain('compute.instances.delete');
    expect(preview.alsoGrants).not.toContain('compute.instances.start');
    expect(preview.summary).toContain(`${preview.alsoGrants!.length} permissions beyond those requested`);

    // The roles the project may bind, paged, asked once and then cached (was: the whole catalogue).
    const pages = calls(fake, '/v1/roles:queryGrantableRoles').length;
    expect(pages).toBeGreaterThan(1);
    await provisioner.preview!(target, ['storage.objects.get'], null);
    expect(calls(fake, '/v1/roles:queryGrantableRoles')).toHaveLength(pages);
    expect(calls(fake, '/v1/roles')).toEqual([]);
  });

  it('reloads the denied page at once, with Google’s typical and longest propagation times', async () => {
    const { provisioner } = await setup();
    const denied = 'https://console.cloud.google.com/compute/instances?project=acme-dev&authuser=1';
    const landing = await provisioner.landing(grantOf(), null, { gcp: ALICE }, denied);
    expect(landing).toMatchObject({
      kind: 'reload',
      url: denied,
      expectedMs: 120_000,
      maxMs: 420_000,
      message: 'Access granted; reloading the page while Google Cloud applies it',
    });
    // No fixed wait any more: the extension watches the reloaded page instead.
    expect(landing).not.toHaveProperty('afterMs');
    if (landing.kind === 'reload') expect(landing.advice).toMatch(/reload the page in a few minutes/);
    expect(GCP_PROPAGATION).toEqual({ expectedMs: 120_000, maxMs: 420_000 });
  });
});

describe('activity', () => {
  function seed(fake: GcpFake, count: number) {
    for (let i = 0; i < count; i += 1) {
      fake.state.addLogEntry(PROJECT, {
        principalEmail: 'alice@example.com',
        methodName: 'v1.compute.instances.start',
        resourceName: `projects/acme-dev/zones/us-central1-a/instances/vm-${i}`,
        permission: 'compute.instances.start',
        timestamp: new Date(NOW.getTime() + (i + 1) * 1000),
        ...(i === 0 ? { statusCode: 7 } : {}),
      });
    }
    // Outside the window, and someone else: never shown.
    fake.state.addLogEntry(PROJECT, {
      principalEmail: 'alice@example.com',
      methodName: 'v1.compute.instances.stop',
      timestamp: new Date(NOW.getTime() - 1000),
    });
    fake.state.addLogEntry(PROJECT, {
      principalEmail: 'bob@example.com',
      methodName: 'v1.compute.instances.stop',
      timestamp: new Date(NOW.getTime() + 5000),
    });
  }

  it('reads the user’s audit entries over the grant’s window, page by page, retrying 429', async () => {
    const { fake, provisioner, sleeps } = await setup({ maxPageSize: 10 });
    seed(fake, 25);
    fake.state.injectRateLimit(1);
    const entries = await provisioner.activity!(grantOf(), null, { gcp: ALICE });

    expect(entries).toHaveLength(25);
    expect(entries[0]).toEqual({
      at: '2026-06-01T12:00:01.000Z',
      action: 'v1.compute.instances.start',
      resource: 'projects/acme-dev/zones/us-central1-a/instances/vm-0',
      outcome: 'PERMISSION_DENIED',
    });
    expect(entries[1]?.outcome).toBe('success');
    expect(calls(fake, 'entries:list').map((r) => r.status)).toEqual([429, 200, 200, 200]);
    expect(sleeps).toHaveLength(1);
    const [first] = calls(fake, 'entries:list');
    expect(first?.body).toMatchObject({
      resourceNames: ['projects/acme-dev'],
      filter:
        'protoPayload.authenticationInfo.principalEmail="alice@example.com" AND timestamp>="2026-06-01T12:00:00Z"' +
        ' AND timestamp<="2026-06-01T13:00:00Z" AND logName:"cloudaudit.googleapis.com"',
    });
  });

  it('waits out the 60-reads-per-minute quota on the cloud clock', async () => {
    const { fake, provisioner, sleeps } = await setup({ maxPageSize: 10 });
    seed(fake, 95);
    // Six reads of ten pages each use the minute's 60 calls; the seventh must back off past it.
    for (let i = 0; i < 6; i += 1) await provisioner.activity!(grantOf(), null, { gcp: ALICE });
    expect(sleeps).toEqual([]);
    const entries = await provisioner.activity!(grantOf(), null, { gcp: ALICE });
    expect(entries).toHaveLength(95);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(60_000);
    expect(calls(fake, 'entries:list').filter((r) => r.status === 429).length).toBeGreaterThan(0);
  });
});

describe('errors and the token', () => {
  it('says which permission the broker lacks when Google answers PERMISSION_DENIED', async () => {
    const { provisioner } = await setup({
      permissions: ['resourcemanager.projects.getIamPolicy', 'iam.roles.list'],
    });
    const error = await rejection(provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT));
    expect(error).toMatchObject({ retryable: false, code: 'PERMISSION_DENIED' });
    expect(error.message).toContain(BROKER);
    expect(error.message).toContain('resourcemanager.projects.setIamPolicy');
  });

  it('fails a non-retryable error when the token endpoint rejects the service-account key', async () => {
    const { fake, provisioner } = await setup({ privateKey: (await gcpKeys()).strangerPrivatePem });
    const error = await rejection(provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT));
    expect(error).toMatchObject({ retryable: false, code: 'invalid_grant' });
    expect(error.message).toContain('Invalid JWT Signature.');
    expect(error.message).toContain('clouds.gcp.serviceAccount');
    expect(fake.state.requests.map((r) => [r.service, r.status])).toEqual([['token', 400]]);
  });

  it('refuses to start without a usable key, naming the field', () => {
    expect(() =>
      createGcpProvisioner(
        { serviceAccount: { clientEmail: BROKER, privateKey: 'env:UNBLOCK_NO_SUCH_VAR' }, endpoints: {} },
        () => undefined,
      ),
    ).toThrow(/clouds\.gcp\.serviceAccount\.privateKey names the environment variable UNBLOCK_NO_SUCH_VAR/);
  });

  it('fetches a fresh token once when Google stops accepting the cached one', async () => {
    const { fake, provisioner } = await setup();
    await provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT);
    fake.state.revokeTokens();
    await provisioner.revoke(grantOf(), null, { gcp: ALICE });
    expect(fake.state.tokensIssued).toBe(2);
    expect(fake.state.requests.filter((r) => r.status === 401)).toHaveLength(1);
    expect(bindingsOf(fake)).toEqual([]);
  });

  it('caches the access token and fetches a new one after it expires on the clock', async () => {
    const { clock, fake, provisioner } = await setup();
    await provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT);
    await provisioner.grant(grantOf({ id: 'g-2' }), { gcp: ALICE }, CONTEXT);
    expect(fake.state.tokensIssued).toBe(1);
    clock.advance(HOUR);
    await provisioner.revoke(grantOf(), null, { gcp: ALICE });
    expect(fake.state.tokensIssued).toBe(2);
    expect(fake.state.requests.filter((r) => r.status === 401)).toEqual([]);
  });
});
