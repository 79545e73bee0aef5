/**
 * The broker's use cases end to end below HTTP: policy decides, the domain transitions, the store
 * saves with compare-and-set and audits, the worker provisions into the simulated cloud and takes
 * access away again. Runs on PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AccessRequestView } from '../../lib/contract/api';
import {
  AccessRequestView as AccessRequestViewSchema,
  GrantView as GrantViewSchema,
} from '../../lib/contract/api';
import { parseDenials } from '../../lib/denial';
import { DENY_KIND_FACTS, DENY_KINDS, grantCanHelp } from '../../lib/deny-kinds';
import { createPolicyEngine } from '../../server/policy/engine';
import { createSimProvisioner } from '../../server/provision/sim';
import { createBroker } from '../../server/service/broker';
import type { ServiceResult } from '../../server/service/errors';
import { createWorker } from '../../server/service/worker';
import { verifyAudit } from '../../server/store/audit';
import type { Db } from '../../server/store/db';
import { startSimCloud, type SimCloud } from '../../sim/clouds/entitlements';
import { Clock, PRODUCTION, ada, alice, bob, body, carol, dave, erin, testConfig } from './broker-fixtures';
import { forEachStore } from './pg-harness';

const MINUTE = 60_000;
const policy = createPolicyEngine();
let sim: SimCloud;
beforeAll(async () => {
  sim = await startSimCloud();
});
afterAll(() => sim.close());

function value<T>(r: ServiceResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

async function setup(db: Db) {
  const config = await testConfig();
  const clock = new Clock();
  const worker = createWorker({
    db,
    provisionerFor: () => createSimProvisioner(sim.url),
    identities: (user) => Promise.resolve(config.users.find((u) => u.name === user)?.identities ?? {}),
    workerId: 'test-worker',
    now: clock.now,
    retry: { baseMs: 5_000, capMs: 60_000 },
  });
  const broker = createBroker({
    db,
    config,
    policy,
    now: clock.now,
    provisionerFor: () => createSimProvisioner(sim.url),
    identities: (user) => Promise.resolve(config.users.find((u) => u.name === user)?.identities ?? {}),
  });
  return { broker, worker, clock };
}

const prodStop = () =>
  body({ target: { cloud: 'aws', account: PRODUCTION }, actions: ['ec2:StopInstances'] });

forEachStore('broker service', (fixture) => {
  it('auto-approves a read on a dev target and the worker provisions it into the sim cloud', async () => {
    const db = await fixture.migrated();
    const { broker, worker } = await setup(db);
    const request = value(await broker.createRequest(alice, body()));
    expect(AccessRequestViewSchema.safeParse(request).success).toBe(true);
    expect(request).toMatchObject({ status: 'approved', requester: 'alice' });
    expect(request.decision.outcome).toBe('auto-approve');
    expect(request.decision.advice.length).toBeGreaterThan(0);
    expect(request.grantId).not.toBeNull();

    await worker.runOnce();
    const grant = value(await broker.getGrant(alice, request.grantId!));
    expect(GrantViewSchema.safeParse(grant).success).toBe(true);
    expect(grant.status).toBe('active');
    expect(sim.list().filter((e) => e.grantId === grant.id)).toEqual([
      expect.objectContaining({ identity: 'alice', account: '111111111111', actions: ['s3:GetObject'] }),
    ]);
    expect(await verifyAudit(db)).toMatchObject({ ok: true });
  });

  it('sends a write on prod to an approver; nobody approves their own; the wrong group cannot', async () => {
    const db = await fixture.migrated();
    const { broker } = await setup(db);
    const request = value(await broker.createRequest(alice, prodStop()));
    expect(request.status).toBe('pending');
    expect(request.decision).toMatchObject({ outcome: 'needs-approval', requiredApprovals: 1 });
    // Who alice waits for: the approver group's configured members.
    expect(request.decision).toMatchObject({ approverGroups: ['approvers'], approvers: ['bob', 'dave'] });
    // An approver asking for himself waits for the others only.
    const bobs = value(await broker.createRequest(bob, prodStop()));
    expect(bobs.decision.approvers).toEqual(['dave']);

    const own = await broker.approveRequest(alice, request.id, {});
    expect(own.ok || own.error.code).toBe('forbidden');
    const auditor = await broker.approveRequest(carol, request.id, {});
    expect(auditor.ok || auditor.error.code).toBe('forbidden');
    const outsider = await broker.approveRequest(erin, request.id, {});
    expect(outsider.ok || outsider.error.code).toBe('forbidden');

    const approved = value(await broker.approveRequest(bob, request.id, { comment: 'ok for the incident' }));
    expect(approved.status).toBe('approved');
    expect(approved.approvals).toEqual([
      expect.objectContaining({ approver: 'bob', comment: 'ok for the incident' }),
    ]);
    const late = await broker.approveRequest(dave, request.id, {});
    expect(late.ok || late.error.code).toBe('conflict');
  });

  it('approves a bob-approved request that bob also submitted only through someone else', async () => {
    const db = await fixture.migrated();
    const { broker } = await setup(db);
    const mine = value(await broker.createRequest(bob, prodStop()));
    const self = await broker.approveRequest(bob, mine.id, {});
    expect(self.ok).toBe(false);
    expect(self.ok || self.error.advice?.join(' ')).toMatch(/own/i);
    expect(value(await broker.approveRequest(dave, mine.id, {})).status).toBe('approved');
  });

  it('needs two distinct approvers for admin-level actions on prod', async () => {
    const db = await fixture.migrated();
    const { broker } = await setup(db);
    const request = value(
      await broker.createRequest(
        alice,
        body({ target: { cloud: 'aws', account: PRODUCTION }, actions: ['iam:AttachRolePolicy'] }),
      ),
    );
    expect(request.decision.requiredApprovals).toBe(2);
    expect(value(await broker.approveRequest(bob, request.id, {})).status).toBe('pending');
    const twice = await broker.approveRequest(bob, request.id, {});
    expect(twice.ok || twice.error.code).toBe('conflict');
    const done = value(await broker.approveRequest(dave, request.id, {}));
    expect(done.status).toBe('approved');
    expect(done.approvals.map((a) => a.approver)).toEqual(['bob', 'dave']);
  });

  it('never creates two grants when two approvers approve at once', async () => {
    const db = await fixture.migrated();
    const other = await fixture.another(db);
    const config = await testConfig();
    const clock = new Clock();
    const first = createBroker({ db, config, policy, now: clock.now });
    const second = createBroker({ db: other, config, policy, now: clock.now });
    const request = value(await first.createRequest(alice, prodStop()));
    const results = await Promise.all([
      first.approveRequest(bob, request.id, {}),
      second.approveRequest(dave, request.id, {}),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM grants WHERE request_id = $1',
      [request.id],
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('lets only the requester cancel, and only while pending; denial is final', async () => {
    const db = await fixture.migrated();
    const { broker } = await setup(db);
    const a = value(await broker.createRequest(alice, prodStop()));
    const notYours = await broker.cancelRequest(bob, a.id, {});
    expect(notYours.ok || notYours.error.code).toBe('forbidden');
    expect(value(await broker.cancelRequest(alice, a.id, { comment: 'fixed it myself' })).status).toBe(
      'cancelled',
    );
    const { rows } = await db.query<{ details: { comment: string } }>(
      "SELECT details FROM audit_log WHERE type = 'request.cancelled'",
    );
    expect(rows[0]!.details.comment).toBe('fixed it myself');
    const b = value(await broker.createRequest(alice, prodStop()));
    const denied = value(await broker.denyRequest(dave, b.id, { comment: 'use the runbook' }));
    expect(denied.status).toBe('denied');
    expect(denied.denials).toEqual([
      expect.objectContaining({ approver: 'dave', comment: 'use the runbook' }),
    ]);
    const after = await broker.approveRequest(bob, b.id, {});
    expect(after.ok || after.error.code).toBe('conflict');
  });

  it("keeps other people's requests and grants private, but shows them to approvers and auditors", async () => {
    const db = await fixture.migrated();
    const { broker } = await setup(db);
    const request = value(await broker.createRequest(alice, body()));
    const peek = await broker.getRequest(erin, request.id);
    expect(peek.ok || peek.error.code).toBe('forbidden');
    const grantPeek = await broker.getGrant(erin, request.grantId!);
    expect(grantPeek.ok || grantPeek.error.code).toBe('forbidden');
    expect(value(await broker.getRequest(bob, request.id)).id).toBe(request.id);
    expect(value(await broker.getRequest(carol, request.id)).id).toBe(request.id);
    expect(value(await broker.listRequests(erin, {})).items).toEqual([]);
    expect(value(await broker.listRequests(alice, {})).items.map((r) => r.id)).toEqual([request.id]);
    expect(value(await broker.listRequests(dave, {})).items.map((r) => r.id)).toEqual([request.id]);
    expect(value(await broker.listRequests(dave, { mine: 'true' })).items).toEqual([]);
    expect(value(await broker.listGrants(erin, {})).items).toEqual([]);
    expect(value(await broker.listGrants(alice, {})).items).toHaveLength(1);
    const missing = await broker.getRequest(alice, 'req_nope');
    expect(missing.ok || missing.error.code).toBe('not_found');
  });

  it('pages request lists newest first with a cursor', async () => {
    const db = await fixture.migrated();
    const { broker, clock } = await setup(db);
    const ids: string[] = [];
    for (let i = 0; i < 55; i++) {
      ids.push(value(await broker.createRequest(alice, prodStop())).id);
      clock.advance(1000);
    }
    const first = value(await broker.listRequests(alice, {}));
    expect(first.items).toHaveLength(50);
    expect(first.items[0]!.id).toBe(ids[54]);
    const second = value(await broker.listRequests(alice, { cursor: first.nextCursor! }));
    expect(second.items.map((r) => r.id)).toEqual(ids.slice(0, 5).reverse());
    expect(second.nextCursor).toBeNull();
    const bad = await broker.listRequests(alice, { cursor: 'garbage' });
    expect(bad.ok || bad.error.fields?.[0]?.path).toBe('cursor');
  });

  it('rejects unknown targets, durations over the target maximum, and guardrail denials, naming the field', async () => {
    const db = await fixture.migrated();
    const { broker } = await setup(db);
    const unknown = await broker.createRequest(
      alice,
      body({ target: { cloud: 'aws', account: '999999999999' } }),
    );
    expect(unknown.ok || unknown.error.fields?.[0]?.path).toBe('target.account');
    const noAccount = await broker.createRequest(alice, body({ target: { cloud: 'aws', account: null } }));
    expect(noAccount.ok || noAccount.error.fields?.[0]?.path).toBe('target.account');
    const long = await broker.createRequest(alice, body({ durationMinutes: 600 }));
    expect(long.ok || long.error.fields?.[0]?.path).toBe('durationMinutes');
    const scp = await broker.createRequest(
      alice,
      body({
        denial: {
          excerpt: 'explicit deny in a service control policy',
          denyKind: 'explicit-scp',
          encodedMessage: null,
        },
      }),
    );
    expect(scp.ok || scp.error.fields?.[0]?.path).toBe('denial.denyKind');
    expect(value(await broker.listRequests(alice, {})).items).toEqual([]);
  });

  it('refuses exactly the deny kinds the parser says no grant can help with (one table decides)', async () => {
    const db = await fixture.migrated();
    const { broker } = await setup(db);
    for (const denyKind of DENY_KINDS) {
      const r = await broker.createRequest(
        alice,
        body({ denial: { excerpt: `denied (${denyKind})`, denyKind, encodedMessage: null } }),
      );
      const accepted = r.ok;
      expect(accepted, `${denyKind}: ${r.ok ? 'accepted' : r.error.message}`).toBe(grantCanHelp(denyKind));
      if (!r.ok) {
        expect(r.error.fields?.[0]?.path).toBe('denial.denyKind');
        expect(r.error.message).toContain(DENY_KIND_FACTS[denyKind].noGrant);
      }
    }
    // The parser agrees: a requestable denial is never of a kind the broker refuses.
    const explicitIdentity = parseDenials(
      'User: arn:aws:iam::111111111111:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k with an explicit deny in an identity-based policy',
    )[0]!;
    expect(explicitIdentity.denyKind).toBe('explicit-identity');
    expect(explicitIdentity.requestable).toBe(false);
    expect(grantCanHelp(explicitIdentity.denyKind)).toBe(false);
  });

  it('stores SQL-looking and markup-looking text inert and returns it unchanged', async () => {
    const db = await fixture.migrated();
    const { broker } = await setup(db);
    const hostile = "'); DROP TABLE grants; -- <script>alert(1)</script> {{7*7}} ${x}";
    const request = value(
      await broker.createRequest(alice, body({ justification: hostile, resource: hostile })),
    );
    const back = value(await broker.getRequest(alice, request.id));
    expect(back.justification).toBe(hostile);
    expect(back.resource).toBe(hostile);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM grants');
    expect(rows[0]!.n).toBe(1);
  });

  it('revokes early: the requester can, an unrelated engineer cannot, and the cloud loses the grant', async () => {
    const db = await fixture.migrated();
    const { broker, worker } = await setup(db);
    const request = value(await broker.createRequest(alice, body()));
    await worker.runOnce();
    const stranger = await broker.revokeGrant(erin, request.grantId!, {});
    expect(stranger.ok || stranger.error.code).toBe('forbidden');
    const revoking = value(await broker.revokeGrant(alice, request.grantId!, { reason: 'done' }));
    expect(revoking.status).toBe('revoking');
    await worker.runOnce();
    expect(value(await broker.getGrant(alice, request.grantId!)).status).toBe('revoked');
    expect(sim.list().some((e) => e.grantId === request.grantId)).toBe(false);
    const again = await broker.revokeGrant(alice, request.grantId!, {});
    expect(again.ok || again.error.code).toBe('conflict');
  });

  it('lets an admin revoke any grant', async () => {
    const db = await fixture.migrated();
    const { broker, worker } = await setup(db);
    const request = value(await broker.createRequest(alice, body()));
    await worker.runOnce();
    expect(value(await broker.revokeGrant(ada, request.grantId!, {})).status).toBe('revoking');
  });

  it('ends a grant at expiry, and retries a failed provisioning with backoff, visibly', async () => {
    const db = await fixture.migrated();
    const { broker, worker, clock } = await setup(db);
    await fetch(`${sim.url}/sim/v1/faults`, {
      method: 'POST',
      body: JSON.stringify({ failNext: 1, status: 503 }),
    });
    const request = value(await broker.createRequest(alice, body({ durationMinutes: 30 })));
    await worker.runOnce();
    const failed = value(await broker.getGrant(alice, request.grantId!));
    expect(failed.status).toBe('provision-failed');
    expect(failed.lastError).toMatch(/503/);
    expect(failed.nextAttemptAt).not.toBeNull();
    await worker.runOnce(); // not due yet
    expect(value(await broker.getGrant(alice, request.grantId!)).status).toBe('provision-failed');
    clock.advance(5_000);
    await worker.runOnce();
    expect(value(await broker.getGrant(alice, request.grantId!))).toMatchObject({
      status: 'active',
      lastError: null,
    });

    clock.advance(30 * MINUTE);
    await worker.runOnce();
    const ended = value(await broker.getGrant(alice, request.grantId!));
    expect(ended.status).toBe('ended');
    expect(sim.list().some((e) => e.grantId === request.grantId)).toBe(false);
  });

  it('extends an active grant in place through a linked, policy-decided request', async () => {
    const db = await fixture.migrated();
    const { broker, worker } = await setup(db);
    const request = value(await broker.createRequest(alice, body({ durationMinutes: 60 })));
    await worker.runOnce();
    const before = value(await broker.getGrant(alice, request.grantId!));
    const extension = value(
      await broker.extendGrant(alice, request.grantId!, {
        durationMinutes: 30,
        justification: 'still exporting',
      }),
    );
    expect(extension).toMatchObject({
      status: 'approved',
      linkedGrantId: request.grantId,
      grantId: request.grantId,
    });
    const after = value(await broker.getGrant(alice, request.grantId!));
    expect(Date.parse(after.expiresAt) - Date.parse(before.expiresAt)).toBe(30 * MINUTE);
    const notHolder = await broker.extendGrant(bob, request.grantId!, {
      durationMinutes: 30,
      justification: 'x',
    });
    expect(notHolder.ok || notHolder.error.code).toBe('forbidden');
  });

  it('merges an overlapping request into the live grant instead of making a second one', async () => {
    const db = await fixture.migrated();
    const { broker, worker, clock } = await setup(db);
    const first = value(await broker.createRequest(alice, body({ durationMinutes: 60 })));
    await worker.runOnce();
    clock.advance(10 * MINUTE);
    const second = value(await broker.createRequest(alice, body({ durationMinutes: 120 })));
    expect(second.grantId).toBe(first.grantId);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM grants');
    expect(rows[0]!.n).toBe(1);
  });

  it('expires requests nobody answered', async () => {
    const db = await fixture.migrated();
    const { broker, worker, clock } = await setup(db);
    const request: AccessRequestView = value(await broker.createRequest(alice, prodStop()));
    clock.advance(24 * 60 * MINUTE);
    await worker.runOnce();
    expect(value(await broker.getRequest(alice, request.id)).status).toBe('expired');
  });

  it('shows the audit log to auditors only, hash-chained', async () => {
    const db = await fixture.migrated();
    const { broker } = await setup(db);
    value(await broker.createRequest(alice, body()));
    const denied = await broker.listAudit(alice, {});
    expect(denied.ok || denied.error.code).toBe('forbidden');
    const page = value(await broker.listAudit(carol, {}));
    expect(page.items.map((e) => e.type)).toEqual(['request.submitted', 'request.approved', 'grant.issued']);
    expect(page.items[1]!.prevHash).toBe(page.items[0]!.hash);
    expect(page.items[0]!.actor).toBe('alice');
    expect(page.items[1]).toMatchObject({ actor: 'policy', details: { caller: 'alice' } });
  });

  it('lands only the holder on an active grant, and audits that it did', async () => {
    const db = await fixture.migrated();
    const { broker, worker } = await setup(db);
    const request = value(await broker.createRequest(alice, body()));
    const early = await broker.landGrant(alice, request.grantId!, {});
    expect(early.ok || early.error.code).toBe('conflict'); // not provisioned yet
    await worker.runOnce();
    const destination = 'https://console.aws.amazon.com/s3/buckets/exports';
    const landing = value(await broker.landGrant(alice, request.grantId!, { destination }));
    expect(landing).toMatchObject({ kind: 'reload', url: destination });
    const other = await broker.landGrant(bob, request.grantId!, {});
    expect(other.ok || other.error.code).toBe('forbidden');
    const { rows } = await db.query<{ actor: string; subject: string }>(
      "SELECT actor, subject FROM audit_log WHERE type = 'grant.landing-issued'",
    );
    expect(rows).toEqual([{ actor: 'alice', subject: request.grantId }]);
  });

  it('previews what approval grants for approvers, and says when a cloud cannot decode', async () => {
    const db = await fixture.migrated();
    const { broker } = await setup(db);
    const request = value(await broker.createRequest(alice, prodStop()));
    const preview = value(await broker.previewRequest(bob, request.id));
    expect(preview).toMatchObject({ provisioner: 'sim' });
    expect(preview.summary).toMatch(/ec2:StopInstances/);
    const stranger = await broker.previewRequest(erin, request.id);
    expect(stranger.ok || stranger.error.code).toBe('forbidden');
    const decoded = await broker.decodeDenial(alice, {
      target: { cloud: 'aws', account: PRODUCTION },
      encodedMessage: 'abc',
    });
    expect(decoded.ok || decoded.error.fields?.[0]?.path).toBe('encodedMessage');
    const unknown = await broker.decodeDenial(alice, {
      target: { cloud: 'aws', account: '999999999999' },
      encodedMessage: 'abc',
    });
    expect(unknown.ok || unknown.error.fields?.[0]?.path).toBe('target.account');
    expect(
      value(await broker.listGrantActivity(alice, value(await broker.createRequest(alice, body())).grantId!)),
    ).toEqual({
      items: [],
    });
  });

  it('tells each caller who they are and what to offer them', async () => {
    const db = await fixture.migrated();
    const { broker } = await setup(db);
    expect(value(await broker.me(alice))).toEqual({
      user: 'alice',
      displayName: 'Alice (engineer)',
      groups: ['engineers'],
      approver: false,
      auditor: false,
      // The targets the broker manages (checked in service-banner.test.ts).
      targets: expect.any(Array) as unknown,
    });
    expect(value(await broker.me(bob))).toMatchObject({ approver: true, auditor: false });
    expect(value(await broker.me(carol))).toMatchObject({ approver: false, auditor: true });
  });
});
