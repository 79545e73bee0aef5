import { expect, it } from 'vitest';
import type { AccessRequest, Grant } from '../../server/domain';
import {
  approve,
  deny,
  issueGrant,
  provisionFailed,
  provisioned,
  revoke,
  revokeFailed,
  startProvisioning,
  submitRequest,
} from '../../server/domain';
import { verifyAudit } from '../../server/store/audit';
import type { Db, Tx } from '../../server/store/db';
import { getGrant, insertGrant, listGrants, saveGrant } from '../../server/store/grants';
import { getRequest, insertRequest, listRequests, saveRequest } from '../../server/store/requests';
import { recordTransition, requestAudience } from '../../server/store/transitions';
import { APPROVERS, HOUR, MINUTE, T0, at, draft, pendingRequest, policy, value } from './domain-fixtures';
import { forEachStore } from './pg-harness';

const HOSTILE = [
  "'); DROP TABLE users; --",
  "Robert'); DELETE FROM audit_log WHERE ('1'='1",
  '<script>alert(1)</script><img src=x onerror=alert(2)>',
  '$1 $$ \\x00 %s %n {{7*7}} ${process.exit()} ?| @> ->> ::jsonb',
  '𝒰𝓃𝒷𝓁𝑜𝒸𝓀 ünïcödé ‮RTL',
];

const review = (approver: string, offsetMs: number, comment: string | null = null) => ({
  approver,
  at: at(offsetMs),
  comment,
  approverGroups: APPROVERS,
});

/** Stores a new request (expects success). */
async function store(db: Db, request: AccessRequest): Promise<AccessRequest> {
  return db.transaction(async (tx) => {
    const r = await insertRequest(tx, request);
    if (!r.ok) expect.fail(r.message);
    return r.value;
  });
}

async function saveOk(tx: Tx, next: AccessRequest, expected: number): Promise<void> {
  const r = await saveRequest(tx, next, expected);
  if (!r.ok) expect.fail(r.message);
}

async function count(db: Db, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

/** An approved request with its grant stored (grant status `approved`). */
async function grantedRequest(db: Db, id = 'req-1', grantId = 'grant-1'): Promise<Grant> {
  const approved = value(
    submitRequest(draft(), {
      id,
      requester: 'alice',
      now: T0,
      policy: policy({ decision: 'auto-approve', requiredApprovals: 0 }),
    }),
  );
  await store(db, approved);
  const issued = value(issueGrant(approved, { id: grantId, at: T0 }));
  await db.transaction(async (tx) => {
    const g = await insertGrant(tx, issued.grant);
    if (!g.ok) expect.fail(g.message);
    await saveOk(tx, issued.request, approved.version);
  });
  return issued.grant;
}

forEachStore('repository', (store_) => {
  it('round-trips a pending request with its decision snapshot and approvals, exactly', async () => {
    const db = await store_.migrated();
    const pending = pendingRequest({
      decision: 'needs-approval',
      requiredApprovals: 3,
      policyIds: ['prod-admin-two-approvers', 'no-self-approval'],
      advice: ['Two approvers from prod-approvers.', ''],
      approverGroups: ['sandbox-approvers', 'prod-approvers'],
    });
    await store(db, pending);
    expect(await getRequest(db, pending.id)).toEqual(pending);

    // Two approvals with the same timestamp, in non-alphabetical order: order is kept.
    const one = value(approve(pending, review('dave', MINUTE, 'looks fine')));
    const two = value(approve(one, review('bob', MINUTE)));
    await db.transaction((tx) => saveOk(tx, one, pending.version));
    await db.transaction((tx) => saveOk(tx, two, one.version));
    const read = await getRequest(db, pending.id);
    expect(read).toEqual(two);
    expect(read!.approvals.map((a) => a.approver)).toEqual(['dave', 'bob']);
    expect(read!.approvals[0]!.at).toBeInstanceOf(Date);
    expect(read!.createdAt).toEqual(T0);
    expect(read!.decidedAt).toBeNull();
  });

  it('round-trips nulls, a decided request, and a reviewer who approved then denied', async () => {
    const db = await store_.migrated();
    const bare = value(
      submitRequest(draft({ resource: null, ticket: null, denial: null }), {
        id: 'req-bare',
        requester: 'alice',
        now: T0,
        policy: policy({ requiredApprovals: 2 }),
      }),
    );
    await store(db, bare);
    expect(await getRequest(db, 'req-bare')).toEqual(bare);

    const approvedOnce = value(approve(bare, review('bob', MINUTE)));
    const denied = value(deny(approvedOnce, review('bob', 2 * MINUTE, 'on second thought, no')));
    await db.transaction((tx) => saveOk(tx, approvedOnce, bare.version));
    await db.transaction((tx) => saveOk(tx, denied, approvedOnce.version));
    const read = await getRequest(db, 'req-bare');
    expect(read).toEqual(denied);
    expect(read).toMatchObject({ status: 'denied', decidedAt: at(2 * MINUTE) });
    expect(await getRequest(db, 'nope')).toBeNull();
  });

  it('a second insert of the same request id is reported, not thrown', async () => {
    const db = await store_.migrated();
    await store(db, pendingRequest());
    const again = await db.transaction((tx) => insertRequest(tx, pendingRequest()));
    expect(again).toMatchObject({ ok: false, code: 'duplicate-id', id: 'req-1' });
  });

  it('compare-and-set: two saves from the same snapshot, exactly one wins', async () => {
    const db = await store_.migrated();
    const other = await store_.another(db);
    const pending = await store(db, pendingRequest({ requiredApprovals: 2 }));
    const snapshot = (await getRequest(db, pending.id))!;
    const byBob = value(approve(snapshot, review('bob', MINUTE)));
    const byDave = value(approve(snapshot, review('dave', MINUTE)));
    const results = await Promise.all([
      db.transaction((tx) => saveRequest(tx, byBob, snapshot.version)),
      other.transaction((tx) => saveRequest(tx, byDave, snapshot.version)),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const lost = results.find((r) => !r.ok);
    expect(lost).toMatchObject({
      ok: false,
      code: 'concurrent-update',
      id: pending.id,
      expectedVersion: 1,
      currentVersion: 2,
    });
    const winner = results[0].ok ? byBob : byDave;
    expect(await getRequest(db, pending.id)).toEqual(winner);

    // The loser reloads and re-applies: now both approvals count and the request is approved.
    const loser = winner === byBob ? 'dave' : 'bob';
    const reloaded = (await getRequest(db, pending.id))!;
    const next = value(approve(reloaded, review(loser, 2 * MINUTE)));
    await db.transaction((tx) => saveOk(tx, next, reloaded.version));
    expect(await getRequest(db, pending.id)).toEqual(next);
    expect(next.status).toBe('approved');
    expect(await count(db, 'approvals')).toBe(2);

    // Saving to a request that does not exist is `not-found`; a save that does not bump the
    // version is a programming error.
    expect(
      await db.transaction((tx) => saveRequest(tx, { ...next, id: 'ghost', version: 9 }, 8)),
    ).toMatchObject({ ok: false, code: 'not-found', id: 'ghost' });
    await expect(db.transaction((tx) => saveRequest(tx, next, next.version))).rejects.toThrow(
      /must be greater than/,
    );
  });

  it('concurrent insertGrant for one request: one grant, the other gets already-granted', async () => {
    const db = await store_.migrated();
    const other = await store_.another(db);
    const approved = await store(
      db,
      value(
        submitRequest(draft(), {
          id: 'req-1',
          requester: 'alice',
          now: T0,
          policy: policy({ decision: 'auto-approve', requiredApprovals: 0 }),
        }),
      ),
    );
    const attempt = (handle: Db, grantId: string) =>
      handle.transaction(async (tx) => {
        const issued = value(issueGrant(approved, { id: grantId, at: T0 }));
        const r = await insertGrant(tx, issued.grant);
        // The transaction is still usable after a lost race (no aborted-transaction error).
        await tx.query('SELECT 1');
        if (r.ok) await saveOk(tx, issued.request, approved.version);
        return r;
      });
    const results = await Promise.all([attempt(db, 'grant-a'), attempt(other, 'grant-b')]);
    const won = results.filter((r) => r.ok);
    expect(won).toHaveLength(1);
    const winnerId = won[0]!.ok ? won[0]!.value.id : '';
    expect(results.find((r) => !r.ok)).toMatchObject({
      ok: false,
      code: 'already-granted',
      requestId: 'req-1',
      grantId: winnerId,
    });
    expect(await count(db, 'grants')).toBe(1);
    expect((await getRequest(db, 'req-1'))!.grantId).toBe(winnerId);

    // Reusing a grant id for another request is a duplicate id, also reported as a value.
    await store(db, { ...approved, id: 'req-2' });
    const dup = await db.transaction((tx) =>
      insertGrant(tx, { ...value(issueGrant({ ...approved, id: 'req-2' }, { id: winnerId, at: T0 })).grant }),
    );
    expect(dup).toMatchObject({ ok: false, code: 'duplicate-id', id: winnerId });
  });

  it('round-trips grants through their lifecycle with compare-and-set saves', async () => {
    const db = await store_.migrated();
    const fresh = await grantedRequest(db);
    expect(await getGrant(db, fresh.id)).toEqual(fresh);

    const steps: ((g: Grant) => Grant)[] = [
      (g) => value(startProvisioning(g, at(MINUTE))),
      (g) => value(provisionFailed(g, `throttled: ${HOSTILE[0]}`, at(2 * MINUTE))),
      (g) => value(startProvisioning(g, at(10 * MINUTE))),
      (g) => value(provisioned(g, at(11 * MINUTE))),
      (g) => value(revoke(g, 'bob', at(20 * MINUTE), 'done early')),
      (g) => value(revokeFailed(g, HOSTILE[2]!, at(21 * MINUTE))),
    ];
    let current = fresh;
    for (const step of steps) {
      const next = step(current);
      const r = await db.transaction((tx) => saveGrant(tx, next, current.version));
      expect(r.ok).toBe(true);
      expect(await getGrant(db, next.id)).toEqual(next);
      current = next;
    }
    expect(current).toMatchObject({ status: 'revoke-failed', revokeReason: 'revoked', revokedBy: 'bob' });
    expect(current.nextAttemptAt).toBeInstanceOf(Date);

    // A stale save loses.
    const stale = await db.transaction((tx) =>
      saveGrant(tx, { ...current, version: current.version + 1 }, 1),
    );
    expect(stale).toMatchObject({ ok: false, code: 'concurrent-update', currentVersion: current.version });
    expect(await getGrant(db, 'grant-none')).toBeNull();
  });

  it('listGrants filters by user and status', async () => {
    const db = await store_.migrated();
    const g1 = await grantedRequest(db, 'req-1', 'grant-1');
    const g2 = await grantedRequest(db, 'req-2', 'grant-2');
    const active = value(provisioned(value(startProvisioning(g2, at(MINUTE))), at(2 * MINUTE)));
    await db.transaction((tx) => saveGrant(tx, active, g2.version));
    expect((await listGrants(db)).map((g) => g.id)).toEqual(['grant-2', 'grant-1']);
    expect(await listGrants(db, { user: 'alice', status: 'active' })).toEqual([active]);
    expect(await listGrants(db, { status: ['approved', 'provisioning'] })).toEqual([g1]);
    expect(await listGrants(db, { user: 'bob' })).toEqual([]);
  });

  it('listRequests filters by status, requester and approver groups, and pages', async () => {
    const db = await store_.migrated();
    const make = (id: string, requester: string, minutes: number, groups: string[]) =>
      value(
        submitRequest(draft(), {
          id,
          requester,
          now: at(minutes * MINUTE),
          policy: policy({ approverGroups: groups }),
        }),
      );
    const a = await store(db, make('req-a', 'alice', 0, ['sandbox-approvers']));
    const b = await store(db, make('req-b', 'erin', 1, ['prod-approvers']));
    const c = await store(db, make('req-c', 'alice', 2, ['prod-approvers', 'sec']));
    const d = await store(db, make('req-d', 'erin', 2, []));
    const cancelledA = { ...a, status: 'cancelled' as const, decidedAt: at(HOUR), version: 2 };
    await db.transaction((tx) => saveOk(tx, cancelledA, 1));

    const ids = (rs: AccessRequest[]) => rs.map((r) => r.id);
    expect(ids(await listRequests(db, { limit: 10 }))).toEqual(['req-d', 'req-c', 'req-b', 'req-a']);
    expect(ids(await listRequests(db, { limit: 10, status: 'pending' }))).toEqual([
      'req-d',
      'req-c',
      'req-b',
    ]);
    expect(await listRequests(db, { limit: 10, status: ['cancelled', 'denied'] })).toEqual([cancelledA]);
    expect(ids(await listRequests(db, { limit: 10, requester: 'alice' }))).toEqual(['req-c', 'req-a']);
    expect(
      ids(await listRequests(db, { limit: 10, status: 'pending', approverGroups: ['prod-approvers', 'x'] })),
    ).toEqual(['req-c', 'req-b']);
    expect(ids(await listRequests(db, { limit: 10, approverGroups: ['sec'] }))).toEqual(['req-c']);
    expect(await listRequests(db, { limit: 10, approverGroups: [] })).toEqual([]);
    expect(await listRequests(db, { limit: 10, requester: HOSTILE[0]! })).toEqual([]);

    // Pages: c and d share created_at, the id breaks the tie; nothing is skipped or repeated.
    const page1 = await listRequests(db, { limit: 2 });
    expect(page1).toEqual([d, c]);
    const last = page1.at(-1)!;
    const page2 = await listRequests(db, { limit: 2, before: { createdAt: last.createdAt, id: last.id } });
    expect(page2).toEqual([b, cancelledA]);
    await expect(listRequests(db, { limit: 0 })).rejects.toThrow(RangeError);
  });

  it('recordTransition writes audit and event rows with the save, atomically', async () => {
    const db = await store_.migrated();
    const submitted = submitRequest(draft(), {
      id: 'req-1',
      requester: 'alice',
      now: T0,
      policy: policy({ decision: 'auto-approve', requiredApprovals: 0 }),
    });
    if (!submitted.ok) expect.fail(submitted.error.message);
    const recorded = await db.transaction(async (tx) => {
      const r = await insertRequest(tx, submitted.value);
      if (!r.ok) expect.fail(r.message);
      return recordTransition(tx, {
        events: submitted.events,
        audience: requestAudience(submitted.value),
        actor: 'alice',
      });
    });
    expect(recorded.audit.map((a) => a.type)).toEqual(['request.submitted', 'request.approved']);
    expect(recorded.eventIds).toHaveLength(2);
    const audit = await db.query('SELECT seq, at, actor, type, subject, details FROM audit_log ORDER BY seq');
    expect(audit.rows).toHaveLength(2);
    expect(audit.rows[0]).toMatchObject({
      seq: 1,
      at: T0,
      actor: 'alice',
      type: 'request.submitted',
      subject: 'req-1',
      details: { requestId: 'req-1', grantId: null, decision: 'auto-approve', actions: ['s3:GetObject'] },
    });
    expect(audit.rows[1]).toEqual({
      seq: 2,
      at: T0,
      actor: 'policy',
      type: 'request.approved',
      subject: 'req-1',
      details: { policyIds: ['needs-one-approver'], requestId: 'req-1', grantId: null, caller: 'alice' },
    });
    const events = await db.query('SELECT id, at, audience, type, payload FROM events ORDER BY id');
    expect(events.rows).toHaveLength(2);
    expect(events.rows[0]).toMatchObject({ id: recorded.eventIds[0], type: 'request.submitted' });
    expect(events.rows[1]).toEqual({
      id: recorded.eventIds[1],
      at: T0,
      audience: { users: ['alice'], groups: APPROVERS },
      type: 'request.approved',
      payload: {
        type: 'request.approved',
        requestId: 'req-1',
        grantId: null,
        actor: 'policy',
        at: T0.toISOString(),
        details: { policyIds: ['needs-one-approver'], requestId: 'req-1', grantId: null, caller: 'alice' },
        auditSeq: 2,
        auditHash: recorded.audit[1]!.hash,
      },
    });
    expect(await verifyAudit(db)).toMatchObject({ ok: true, count: 2 });

    // A failure later in the same transaction rolls back the save, the audit rows and the events.
    const stored = (await getRequest(db, 'req-1'))!;
    const issuing = issueGrant(stored, { id: 'grant-1', at: T0 });
    if (!issuing.ok) expect.fail(issuing.error.message);
    const issued = { ...issuing.value, events: issuing.events };
    await expect(
      db.transaction(async (tx) => {
        const g = await insertGrant(tx, issued.grant);
        if (!g.ok) expect.fail(g.message);
        await saveOk(tx, issued.request, stored.version);
        const r = await recordTransition(tx, { events: issued.events, audience: requestAudience(stored) });
        expect(r.audit.map((a) => a.seq)).toEqual([3]);
        throw new Error('provisioner queue unavailable');
      }),
    ).rejects.toThrow('provisioner queue unavailable');
    expect(await count(db, 'audit_log')).toBe(2);
    expect(await count(db, 'events')).toBe(2);
    expect(await count(db, 'grants')).toBe(0);
    expect(await getRequest(db, 'req-1')).toEqual(stored);
    expect(await verifyAudit(db)).toMatchObject({ ok: true, count: 2 });
  });

  it('stores SQL-looking and markup-looking strings verbatim', async () => {
    const db = await store_.migrated();
    for (const [i, text] of HOSTILE.entries()) {
      const pending = value(
        submitRequest(
          draft({
            actions: [text, `s3:${text}`],
            resource: text,
            justification: text,
            ticket: text,
            denial: { excerpt: text, denyKind: 'explicit-scp', encodedMessage: text },
            target: { cloud: 'aws', account: text, environment: text },
          }),
          {
            id: `req-${i}-${text}`,
            requester: `${text}-requester`,
            now: T0,
            policy: policy({ policyIds: [text], advice: [text], approverGroups: [text] }),
          },
        ),
      );
      const approved = value(
        approve(pending, { approver: text, at: at(MINUTE), comment: text, approverGroups: [text] }),
      );
      await store(db, pending);
      await db.transaction(async (tx) => {
        await saveOk(tx, approved, pending.version);
        await recordTransition(tx, { events: [], audience: requestAudience(approved) });
      });
      expect(await getRequest(db, pending.id)).toEqual(approved);
      expect(await listRequests(db, { limit: 1, requester: pending.requester })).toEqual([approved]);
      expect((await listRequests(db, { limit: 5, approverGroups: [text] })).map((r) => r.id)).toContain(
        pending.id,
      );
      const grant = value(issueGrant(approved, { id: `grant-${text}`, at: T0 })).grant;
      await db.transaction(async (tx) => {
        const g = await insertGrant(tx, grant);
        if (!g.ok) expect.fail(g.message);
      });
      expect(await getGrant(db, grant.id)).toEqual(grant);
    }
    expect(await listGrants(db, { user: `${HOSTILE[1]}-requester` })).toHaveLength(1);
  });
});
