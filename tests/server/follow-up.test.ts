/**
 * Reminders, escalation and expiry of pending requests (issue 13, point 8): the worker reminds a
 * request's approvers when its target's `followUp` says, at most `maxReminders` times, escalates
 * it to `escalateTo` (whose members may then see and decide it), expires it at `pendingTtlHours`,
 * and the requester hears of each step through the event stream and the webhooks. Runs on PGlite
 * and PostgreSQL.
 */
import { expect, it } from 'vitest';
import { BrokerConfig } from '../../server/config/schema';
import { createPolicyEngine } from '../../server/policy/engine';
import { createBroker } from '../../server/service/broker';
import type { ServiceResult } from '../../server/service/errors';
import { createWorker } from '../../server/service/worker';
import { verifyAudit } from '../../server/store/audit';
import type { Db } from '../../server/store/db';
import { readVisibleEvents } from '../../server/store/events';
import { listDueFollowUpRequestIds } from '../../server/store/requests';
import { webhookTransitionHook } from '../../server/webhooks/transition-hook';
import { targetIndex } from '../../server/config/targets';
import { Clock, PRODUCTION, alice, as, bob, body, testConfig } from './broker-fixtures';
import { explainingDb } from './list-plan-helpers';
import { forEachStore } from './pg-harness';

const MINUTE = 60_000;
const policy = createPolicyEngine();
/** sam leads security: not an approver of any target, the production target escalates to him. */
const sam = as('sam', ['security-leads']);

function value<T>(r: ServiceResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** The test config with production reminding after 60 min, then every 30, twice; escalating at 2 h. */
async function followUpConfig(): Promise<BrokerConfig> {
  const base = await testConfig();
  return BrokerConfig.parse({
    ...base,
    groups: [...base.groups, { name: 'security-leads', description: 'Decide what waited too long' }],
    users: [...base.users, { name: 'sam', groups: ['security-leads'], identities: {} }],
    targets: base.targets.map((t) =>
      t.account === PRODUCTION
        ? {
            ...t,
            followUp: {
              remindAfterMinutes: 60,
              remindEveryMinutes: 30,
              maxReminders: 2,
              escalateAfterMinutes: 120,
              escalateTo: ['security-leads'],
            },
          }
        : t,
    ),
    webhooks: [{ name: 'chat', kind: 'slack', url: 'http://127.0.0.1:9/hook' }],
  });
}

async function setup(db: Db, workerId = 'w1') {
  const config = await followUpConfig();
  const clock = new Clock();
  const onTransition = webhookTransitionHook(config, targetIndex(config.targets), 'https://unblock.test');
  const worker = (id: string, handle: Db = db) =>
    createWorker({
      db: handle,
      provisionerFor: () => {
        throw new Error('no grant is provisioned in these tests');
      },
      identities: () => Promise.resolve({}),
      workerId: id,
      now: clock.now,
      onTransition,
    });
  const broker = createBroker({ db, config, policy, now: clock.now, onTransition });
  return { broker, worker: worker(workerId), newWorker: worker, clock, config };
}

const prodStop = () =>
  body({ target: { cloud: 'aws', account: PRODUCTION }, actions: ['ec2:StopInstances'] });

/** The events `viewer` may see on the stream, of the follow-up kinds and expiry. */
async function followUpEvents(db: Db, viewer: { user: string; groups: readonly string[] }) {
  const rows = await readVisibleEvents(db, { afterId: 0, upToId: 1e9, limit: 1000 }, viewer);
  return rows
    .filter((e) => ['request.reminder', 'request.escalated', 'request.expired'].includes(e.type))
    .map((e): Record<string, unknown> & { type: string } => ({ ...e.payload.details, type: e.type }));
}

async function slackTexts(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ body: string; event_type: string }>(
    `SELECT body, event_type FROM webhook_deliveries
     WHERE event_type IN ('request.reminder', 'request.escalated') ORDER BY id`,
  );
  return rows.map((r) => (JSON.parse(r.body) as { text: string }).text);
}

forEachStore('reminders and escalation', (fixture) => {
  it('reminds after the configured time, again after the interval, at most maxReminders times', async () => {
    const db = await fixture.migrated();
    const { broker, worker, clock } = await setup(db);
    const request = value(await broker.createRequest(alice, prodStop()));
    expect(request.status).toBe('pending');

    clock.advance(59 * MINUTE);
    await worker.runOnce();
    expect(await followUpEvents(db, alice)).toEqual([]);

    clock.advance(1 * MINUTE);
    await worker.runOnce();
    await worker.runOnce();
    expect(await followUpEvents(db, alice)).toEqual([
      expect.objectContaining({ type: 'request.reminder', reminder: 1, waitedMinutes: 60 }),
    ]);

    clock.advance(30 * MINUTE);
    await worker.runOnce();
    // The second (and last) reminder at 90 min; the escalation at 120 adds nothing of its kind.
    clock.advance(5 * 60 * MINUTE);
    await worker.runOnce();
    await worker.runOnce();
    const reminders = (await followUpEvents(db, alice)).filter((e) => e.type === 'request.reminder');
    expect(reminders).toEqual([
      expect.objectContaining({ reminder: 1, maxReminders: 2, waitedMinutes: 60 }),
      expect.objectContaining({ reminder: 2, maxReminders: 2, waitedMinutes: 90 }),
    ]);
    // The approvers are in the audience of every reminder, and the requester reads it in words.
    expect(await followUpEvents(db, { user: 'bob', groups: ['approvers'] })).toEqual(
      await followUpEvents(db, alice),
    );
    expect((await slackTexts(db))[0]).toBe(
      "Reminder: alice (Alice (engineer))'s request for `ec2:StopInstances` on production (222222222222) has waited 1 h for approvers",
    );
    expect(await verifyAudit(db)).toMatchObject({ ok: true });
  });

  it('escalates: the new group sees the request in its queue and may approve it, which it could not before', async () => {
    const db = await fixture.migrated();
    const { broker, worker, clock } = await setup(db);
    const request = value(await broker.createRequest(alice, prodStop()));

    clock.advance(119 * MINUTE);
    await worker.runOnce();
    const early = await broker.approveRequest(sam, request.id, {});
    expect(early.ok || early.error.code).toBe('forbidden');
    expect(value(await broker.listRequests(sam, { status: 'pending' })).items).toEqual([]);

    clock.advance(1 * MINUTE);
    await worker.runOnce();
    const escalated = (await followUpEvents(db, alice)).filter((e) => e.type === 'request.escalated');
    expect(escalated).toEqual([
      expect.objectContaining({
        escalatedTo: ['security-leads'],
        waitedMinutes: 120,
        approverGroups: ['approvers', 'security-leads'],
      }),
    ]);
    expect(await followUpEvents(db, sam)).toContainEqual(
      expect.objectContaining({ type: 'request.escalated' }),
    );
    expect(await slackTexts(db)).toContain(
      "Escalated to security-leads after 2 h: alice (Alice (engineer))'s request for `ec2:StopInstances` on production (222222222222) still waits for a decision",
    );

    // The escalation group's queue (request_approver_groups, kept by trigger) lists it now.
    const queue = value(await broker.listRequests(sam, { status: 'pending' }));
    expect(queue.items.map((r) => r.id)).toEqual([request.id]);
    expect(queue.items[0]!.decision.approverGroups).toEqual(['approvers', 'security-leads']);

    // The broker's rules still hold for the new group: never one's own request.
    const samsOwn = value(await broker.createRequest(sam, prodStop()));
    clock.advance(120 * MINUTE);
    await worker.runOnce();
    const self = await broker.approveRequest(sam, samsOwn.id, {});
    expect(self.ok || self.error.code).toBe('forbidden');

    const approved = value(await broker.approveRequest(sam, request.id, { comment: 'escalated, fine' }));
    expect(approved.status).toBe('approved');
    // Decided: no more follow-ups for it.
    const before = await followUpEvents(db, alice);
    clock.advance(24 * 60 * MINUTE);
    await worker.runOnce();
    const after = await followUpEvents(db, alice);
    expect(after.filter((e) => e.requestId === request.id)).toEqual(
      before.filter((e) => e.requestId === request.id),
    );
    expect(await verifyAudit(db)).toMatchObject({ ok: true });
  });

  it('without escalation the other group stays forbidden; bob decides as before', async () => {
    const db = await fixture.migrated();
    const { broker, worker, clock } = await setup(db);
    // Sandbox has no followUp: nothing is reminded or escalated, ever.
    const sandbox = value(
      await broker.createRequest(alice, body({ actions: ['s3:PutObject'], durationMinutes: 300 })),
    );
    expect(sandbox.status).toBe('pending');
    clock.advance(23 * 60 * MINUTE);
    await worker.runOnce();
    expect(await followUpEvents(db, alice)).toEqual([]);
    expect((await broker.approveRequest(sam, sandbox.id, {})).ok).toBe(false);
    expect(value(await broker.approveRequest(bob, sandbox.id, {})).status).toBe('approved');
  });

  it('still expires an undecided request at pendingTtlHours, telling the requester', async () => {
    const db = await fixture.migrated();
    const { broker, worker, clock } = await setup(db);
    const request = value(await broker.createRequest(alice, prodStop()));
    clock.advance(24 * 60 * MINUTE - 1);
    await worker.runOnce();
    expect(value(await broker.getRequest(alice, request.id)).status).toBe('pending');
    clock.advance(1);
    await worker.runOnce();
    expect(value(await broker.getRequest(alice, request.id)).status).toBe('expired');
    // Reminders 1–2 and the escalation happened on the way (in one catch-up pass), then expiry.
    expect((await followUpEvents(db, alice)).map((e) => e.type)).toEqual([
      'request.escalated',
      'request.reminder',
      'request.expired',
    ]);
    // The catch-up counted both missed reminders in one, rather than sending a burst.
    expect((await followUpEvents(db, alice))[1]).toMatchObject({ reminder: 2 });
    const late = await broker.approveRequest(sam, request.id, {});
    expect(late.ok).toBe(false);
  });

  it('sends each reminder once when two workers race for it', async () => {
    const db = await fixture.migrated();
    const other = await fixture.another(db);
    const { broker, worker, newWorker, clock } = await setup(db);
    const second = newWorker('w2', other);
    value(await broker.createRequest(alice, prodStop()));
    value(await broker.createRequest(alice, prodStop()));
    clock.advance(60 * MINUTE);
    await Promise.all([worker.runOnce(), second.runOnce(), worker.runOnce(), second.runOnce()]);
    const reminders = (await followUpEvents(db, alice)).filter((e) => e.type === 'request.reminder');
    expect(reminders).toHaveLength(2);
    expect(new Set(reminders.map((e) => e.requestId)).size).toBe(2);
    expect(await slackTexts(db)).toHaveLength(2);
    expect(await verifyAudit(db)).toMatchObject({ ok: true });
  });

  it('finds the due follow-ups through the index of migration 009, reading only the due rows', async () => {
    const db = await fixture.migrated();
    const { broker, clock } = await setup(db);
    for (let n = 0; n < 30; n++) value(await broker.createRequest(alice, prodStop()));
    clock.advance(30 * MINUTE);
    const later = value(await broker.createRequest(alice, prodStop()));
    clock.advance(30 * MINUTE);
    const explaining = explainingDb(db);
    const due = await listDueFollowUpRequestIds(explaining.db, new Date(clock.now().getTime() - 1), 100);
    expect(due).toHaveLength(0);
    const allDue = await listDueFollowUpRequestIds(explaining.db, clock.now(), 100);
    expect(allDue).toHaveLength(30);
    expect(allDue).not.toContain(later.id);
    const plan = explaining.take();
    expect(plan.indexes).toContain('access_requests_follow_up_due');
    expect(plan.seqScans).toEqual([]);
  });
});
