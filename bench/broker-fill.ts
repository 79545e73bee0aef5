/**
 * Bulk-loads a broker store with a large organisation's history, by direct SQL (generate_series,
 * thousands of rows per statement), not through the API: the list benchmark (broker-lists.ts)
 * needs a million rows in minutes, and the list-plan tests (tests/server/store-list-plans.test.ts)
 * need the same shape of data at test size.
 *
 * Item i, on the demo configuration's targets (server/config/demo.ts), is two requests and a grant:
 * - a pending production request (AWS 222222222222, waiting for `approvers`): the approvers'
 *   queue, as in the measurements that reported the lists' growth;
 * - a decided request with its grant (ended at expiry; one in fifty revoked, one in a thousand
 *   still active): three in four a read on one of the three dev targets that policy approved at
 *   once, one in four a production write that dave approved (with his review row).
 * A tenth of the items are alice's; the rest spread over 997 other users. Items follow each other
 * every 30 s (a million items span most of a year), in millisecond times as the broker writes them, so a
 * store grows by adding the next items: `fillStore(db, 0, 1000)`, then `fillStore(db, 1000, 10_000)`.
 * Every request's approver groups are `["approvers"]`.
 */
import type { Db } from '../server/store/db';

export const FILL_START = new Date('2025-01-01T00:00:00.000Z');
/** Time between two items; the pending request of an item is half of it after the decided one. */
const STEP_MS = 30_000;
/** Rows per INSERT statement. */
const CHUNK = 20_000;

/** The targets of decided requests: item i's is `DECIDED_TARGETS[i % 4]`. */
const DECIDED_TARGETS = [
  { cloud: 'aws', account: '111111111111', environment: 'dev' },
  { cloud: 'azure', account: '11111111-1111-1111-1111-111111111111', environment: 'dev' },
  { cloud: 'gcp', account: 'acme-dev', environment: 'dev' },
  { cloud: 'aws', account: '222222222222', environment: 'prod' },
];
/** Decided items with i % 4 = 3 are production writes that needed an approver. */
const APPROVED_WRITE = 'i % 4 = 3';

const snapshot = (decision: 'needs-approval' | 'auto-approve') =>
  JSON.stringify({
    decision,
    requiredApprovals: decision === 'needs-approval' ? 1 : 0,
    policyIds: [decision === 'needs-approval' ? 'prod-needs-approval' : 'dev-reads'],
    advice: [],
    approverGroups: ['approvers'],
  });
const DENIAL = JSON.stringify({
  excerpt: 'not authorized to perform: ec2:StopInstances',
  denyKind: 'implicit',
  encodedMessage: null,
});

const REQUEST_COLUMNS = `id, requester, target_cloud, target_account, target_environment, actions, resource,
  duration_minutes, justification, ticket, denial, status, decision, created_at, decided_at,
  pending_expires_at, linked_grant_id, grant_id, version`;

/** The id of item i's pending request, decided request or grant (zero-padded: ids sort as numbers). */
export const fillId = (kind: 'pending' | 'decided' | 'grant', i: number): string =>
  `${kind === 'grant' ? 'grt' : 'req'}_fill-${kind[0]}${String(i).padStart(8, '0')}`;

/** SQL expressions over the series variable `i` (bigint), shared by the statements below. */
function itemSql() {
  const at = (offsetMs: number) =>
    `(timestamptz '${FILL_START.toISOString()}' + (i * ${STEP_MS} + ${offsetMs}) * interval '1 millisecond')`;
  const id = (prefix: string) => `'${prefix}' || lpad(i::text, 8, '0')`;
  const target = (field: 'cloud' | 'account' | 'environment') =>
    `(ARRAY[${DECIDED_TARGETS.map((t) => `'${t[field]}'`).join(', ')}])[(i % 4) + 1]`;
  const decidedAt = at(0);
  return {
    requester: `CASE WHEN i % 10 = 0 THEN 'alice' ELSE 'user-' || (i % 997) END`,
    pendingAt: at(STEP_MS / 2),
    decidedAt,
    pendingId: id('req_fill-p'),
    decidedId: id('req_fill-d'),
    grantId: id('grt_fill-g'),
    target,
    actions: `CASE WHEN ${APPROVED_WRITE} THEN '["ec2:StopInstances"]' ELSE '["s3:GetObject"]' END::jsonb`,
    decision: `CASE WHEN ${APPROVED_WRITE} THEN '${snapshot('needs-approval')}' ELSE '${snapshot('auto-approve')}' END::jsonb`,
    // dave approves a minute after the request; the grant starts then.
    startsAt: `${decidedAt} + CASE WHEN ${APPROVED_WRITE} THEN interval '1 minute' ELSE interval '0' END`,
    grantStatus: `CASE WHEN i % 1000 = 1 THEN 'active' WHEN i % 50 = 0 THEN 'revoked' ELSE 'ended' END`,
  };
}

async function inChunks(
  db: Db,
  [start, end]: readonly [number, number],
  statement: (first: number, last: number) => string,
): Promise<void> {
  for (let first = start; first < end; first += CHUNK) {
    await db.exec(statement(first, Math.min(end, first + CHUNK) - 1));
  }
}

/** Adds items `start` to `end - 1` (see the file comment) to a migrated store. */
export async function fillStore(db: Db, start: number, end: number): Promise<void> {
  const s = itemSql();
  const items = [start, end] as const;
  await inChunks(
    db,
    items,
    (first, last) => `INSERT INTO access_requests (${REQUEST_COLUMNS})
      SELECT ${s.pendingId}, ${s.requester}, 'aws', '222222222222', 'prod', '["ec2:StopInstances"]',
        NULL, 60, 'bulk-loaded: stop the batch host', NULL, '${DENIAL}', 'pending',
        '${snapshot('needs-approval')}', ${s.pendingAt}, NULL, ${s.pendingAt} + interval '1 day', NULL, NULL, 1
      FROM generate_series(${first}::bigint, ${last}::bigint) AS i`,
  );
  // A decided request, its grant and its review reference each other (grant_id, request_id): one
  // statement inserts them all, since foreign keys are checked at the end of the statement.
  await inChunks(
    db,
    items,
    (first, last) => `WITH series AS (
        SELECT i, ${s.grantStatus} AS status FROM generate_series(${first}::bigint, ${last}::bigint) AS i),
      granted AS (INSERT INTO grants (id, request_id, user_id, target_cloud, target_account,
          target_environment, actions, resource, status, starts_at, expires_at, attempts, last_error,
          next_attempt_at, extended_by, revoke_reason, revoked_by, ended_at, version)
        SELECT ${s.grantId}, ${s.decidedId}, ${s.requester}, ${s.target('cloud')}, ${s.target('account')},
          ${s.target('environment')}, ${s.actions}, NULL, status, ${s.startsAt},
          ${s.startsAt} + interval '1 hour', 0, NULL, NULL, '[]',
          CASE status WHEN 'active' THEN NULL WHEN 'revoked' THEN 'revoked' ELSE 'expired' END,
          CASE status WHEN 'revoked' THEN 'bob' END,
          CASE WHEN status = 'active' THEN NULL ELSE ${s.startsAt} + interval '1 hour' END, 4
        FROM series),
      reviewed AS (INSERT INTO approvals (request_id, approver, decision, at, comment, position)
        SELECT ${s.decidedId}, 'dave', 'approve', ${s.startsAt}, NULL, 0 FROM series WHERE ${APPROVED_WRITE})
      INSERT INTO access_requests (${REQUEST_COLUMNS})
      SELECT ${s.decidedId}, ${s.requester}, ${s.target('cloud')}, ${s.target('account')},
        ${s.target('environment')}, ${s.actions}, NULL, 60, 'bulk-loaded', NULL, NULL, 'approved',
        ${s.decision}, ${s.decidedAt}, ${s.startsAt}, ${s.decidedAt} + interval '1 day', NULL, ${s.grantId},
        CASE WHEN ${APPROVED_WRITE} THEN 3 ELSE 2 END
      FROM series`,
  );
}
