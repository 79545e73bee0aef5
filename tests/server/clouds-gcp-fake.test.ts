/**
 * The GCP fake speaks Google where the provisioner relies on it: policy versions and the
 * `_withcond_` placeholders of a v1 read, version 3 for conditions, no conditions on basic roles,
 * etags and bearer tokens (docs/cloud-mechanics.md §3.3, §3.7).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeBinding, GcpFake } from '../../sim/clouds/gcp/fake';
import {
  ALICE,
  bearerToken,
  closeGcpFakes,
  googleCall,
  HOUR,
  PROJECT,
  setupGcp as setup,
} from './gcp-fixtures';

afterEach(closeGcpFakes);

describe('the fake speaks Google', () => {
  const token = bearerToken;
  const post = (fake: GcpFake, bearer: string | null, path: string, body: unknown) =>
    googleCall(`${fake.endpoints.resourceManager}${path}`, bearer, 'POST', body);

  it('answers v1 readers with conditions stripped and roles renamed, and refuses writing that back', async () => {
    const conditional: FakeBinding = {
      role: 'roles/compute.viewer',
      members: ['user:bob@example.com'],
      condition: { title: 't', expression: 'request.time < timestamp("2026-06-02T00:00:00Z")' },
    };
    const { clock, fake } = await setup({ bindings: [conditional] });
    const bearer = await token(fake, clock);
    const v1 = await post(fake, bearer, '/v1/projects/acme-dev:getIamPolicy', {});
    expect(v1.body.version).toBe(1);
    const [binding] = v1.body.bindings as FakeBinding[];
    expect(binding?.role).toMatch(/^roles\/compute\.viewer_withcond_[0-9a-f]+$/);
    expect(binding?.condition).toBeUndefined();

    const writeBack = await post(fake, bearer, '/v1/projects/acme-dev:setIamPolicy', { policy: v1.body });
    expect(writeBack.status).toBe(400);
    expect(fake.state.policy(PROJECT).bindings).toEqual([conditional]);
  });

  it('enforces version 3 for conditions, no conditions on basic roles, etags, and bearer tokens', async () => {
    const { clock, fake } = await setup();
    const bearer = await token(fake, clock);
    const { etag } = fake.state.policy(PROJECT);
    const condition = { title: 't', expression: 'request.time < timestamp("2026-06-02T00:00:00Z")' };
    const set = (policy: unknown, auth: string | null = bearer) =>
      post(fake, auth, '/v1/projects/acme-dev:setIamPolicy', { policy });

    const v1 = await set({
      version: 1,
      etag,
      bindings: [{ role: 'roles/compute.viewer', members: [ALICE], condition }],
    });
    expect(v1.body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    const basic = await set({
      version: 3,
      etag,
      bindings: [{ role: 'roles/editor', members: [ALICE], condition }],
    });
    expect(basic.body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    const stale = await set({ version: 3, etag: 'AAAAAAAAAAA=', bindings: [] });
    expect(stale.body.error).toEqual({
      code: 409,
      message:
        'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
      status: 'ABORTED',
    });
    const anonymous = await set({ version: 3, etag, bindings: [] }, null);
    expect(anonymous.body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });

    const ok = await set({
      version: 3,
      etag,
      bindings: [{ role: 'roles/compute.viewer', members: [ALICE], condition }],
    });
    expect(ok.status).toBe(200);
    expect(ok.body.etag).not.toBe(etag);
    expect(ok.body.etag).toMatch(/^[A-Za-z0-9+/]+=*$/);

    clock.advance(HOUR);
    const expired = await set({ version: 3, etag: ok.body.etag, bindings: [] });
    expect(expired.body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
  });
});
