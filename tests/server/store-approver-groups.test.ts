/**
 * request_approver_groups (migration 007), the side table the approvers' queues are read from,
 * holds exactly one row per request and approver group of its policy snapshot, with the request's
 * status and time: filled for the requests stored before the migration, and kept in step by its
 * trigger whichever statement writes a request (insertRequest, the transition CTE, saveRequest, a
 * hand-made DELETE).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { AccessRequest } from '../../server/domain';
import { submitRequest } from '../../server/domain';
import type { Db, Tx } from '../../server/store/db';
import { MIGRATIONS_DIR, migrate } from '../../server/store/migrate';
import {
  REQUEST_COLUMNS,
  insertRequest,
  listRequests,
  requestParams,
  saveRequest,
} from '../../server/store/requests';
import { recordTransition, requestAudience } from '../../server/store/transitions';
import { MINUTE, at, draft, policy, value } from './domain-fixtures';
import { forEachStore } from './pg-harness';

const tempDirs: string[] = [];
afterEach(() => {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** The migrations before 007, in a directory of their own. */
function migrationsBefore007(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-migrations-'));
  tempDirs.push(dir);
  for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f < '007'))
    fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(dir, f));
  return dir;
}

const submitted = (id: string, groups: readonly string[], minutes = 0) =>
  submitRequest(draft(), {
    id,
    requester: 'alice',
    now: at(minutes * MINUTE),
    policy: policy({ approverGroups: groups }),
  });
const request = (id: string, groups: readonly string[], minutes = 0): AccessRequest =>
  value(submitted(id, groups, minutes));

/**
 * A request row as the store wrote it before migration 009, whose follow-up columns the schema
 * before 007 lacks (the request has no reviews, so the row is all there is).
 */
async function insertBefore009(tx: Tx, r: AccessRequest): Promise<void> {
  const columns = REQUEST_COLUMNS.replace(/,\s*follow_up, follow_up_at$/, '');
  const params = [r.id, ...requestParams(r).slice(0, -2)];
  await tx.query(
    `INSERT INTO access_requests (${columns}) VALUES (${params.map((_, n) => `$${n + 1}`).join(', ')})`,
    params,
  );
}

/** What the side table must hold, from the requests themselves. */
async function expectedRows(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ row: string }>(
    `SELECT DISTINCT r.id || ' ' || g.name || ' ' || r.status || ' ' || r.created_at::text AS row
     FROM access_requests r CROSS JOIN LATERAL jsonb_array_elements_text(
       CASE WHEN jsonb_typeof(r.decision -> 'approverGroups') = 'array' THEN r.decision -> 'approverGroups' ELSE '[]' END
     ) AS g(name) ORDER BY row`,
  );
  return rows.map((r) => r.row);
}

async function sideRows(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ row: string }>(
    `SELECT request_id || ' ' || approver_group || ' ' || status || ' ' || created_at::text AS row
     FROM request_approver_groups ORDER BY row`,
  );
  return rows.map((r) => r.row);
}

forEachStore('approver groups side table', (store) => {
  it('migration 007 fills it for the requests already stored', async () => {
    const db = await store.empty();
    await migrate(db, { dir: migrationsBefore007() });
    await db.transaction(async (tx) => {
      for (const [n, groups] of [['approvers'], ['approvers', 'sec'], [], ['sec', 'sec']].entries()) {
        await insertBefore009(tx, request(`req-${n}`, groups, n));
      }
    });
    // A snapshot written by hand without a list of groups is in no queue (and does not stop the migration).
    await db.query(`UPDATE access_requests SET decision = decision - 'approverGroups' WHERE id = 'req-0'`);
    await migrate(db);
    expect(await sideRows(db)).toEqual(await expectedRows(db));
    expect(await sideRows(db)).toHaveLength(3);
    const queue = await listRequests(db, { limit: 10, approverGroups: ['sec'] });
    expect(queue.map((r) => r.id)).toEqual(['req-3', 'req-1']);
  });

  it('follows every write of a request: insert, the transition CTE, status and snapshot changes, delete', async () => {
    const db = await store.migrated();
    const first = request('req-a', ['approvers', 'sec']);
    const secondSubmitted = submitted('req-b', ['approvers'], 1);
    const second = value(secondSubmitted);
    await db.transaction(async (tx) => {
      if (!(await insertRequest(tx, first)).ok) throw new Error('insert');
      await recordTransition(tx, {
        events: secondSubmitted.ok ? secondSubmitted.events : [],
        audience: requestAudience(second),
        insertRequest: second,
      });
    });
    expect(await sideRows(db)).toEqual(await expectedRows(db));
    expect(await sideRows(db)).toHaveLength(3);

    // A new status (the usual save), then a snapshot naming other groups.
    const cancelled = { ...first, status: 'cancelled' as const, decidedAt: at(MINUTE), version: 2 };
    await db.transaction(async (tx) => {
      if (!(await saveRequest(tx, cancelled, 1)).ok) throw new Error('save');
    });
    expect(await sideRows(db)).toEqual(await expectedRows(db));
    const regrouped = { ...cancelled, policy: { ...cancelled.policy, approverGroups: ['ops'] }, version: 3 };
    await db.transaction(async (tx) => {
      if (!(await saveRequest(tx, regrouped, 2)).ok) throw new Error('save');
    });
    expect(await sideRows(db)).toEqual(await expectedRows(db));
    expect((await listRequests(db, { limit: 10, approverGroups: ['sec'] })).map((r) => r.id)).toEqual([]);
    expect(
      (await listRequests(db, { limit: 10, approverGroups: ['ops'], status: 'cancelled' })).map((r) => r.id),
    ).toEqual(['req-a']);
    expect(
      (await listRequests(db, { limit: 10, approverGroups: ['approvers'], status: 'pending' })).map(
        (r) => r.id,
      ),
    ).toEqual(['req-b']);

    // An operator deleting a request by hand takes it out of the queues too.
    await db.query("DELETE FROM access_requests WHERE id = 'req-b'");
    expect(await sideRows(db)).toEqual(await expectedRows(db));
    expect(await sideRows(db)).toHaveLength(1);
  });
});
