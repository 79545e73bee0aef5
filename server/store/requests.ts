/**
 * Access requests in and out of SQL: the `AccessRequest` record of server/domain as a row of
 * `access_requests`, its reviews as rows of `approvals` (one row per reviewer and kind,
 * `position` keeping the domain's order; see migration 002).
 *
 * How the broker uses the stores, per transition:
 *   load (getRequest/getGrant) → pure transition (server/domain) → in ONE transaction:
 *   saveRequest/saveGrant(tx, next, loaded.version) + recordTransition(tx, { events, audience }).
 * Saves are compare-and-set on `version`: when another writer got there first the save answers
 * `concurrent-update`, and the caller rolls back, reloads and re-applies the transition (which may
 * then legitimately refuse, e.g. `already-decided`); see compare-and-set.ts.
 *
 * Round trip: a record written and read back is deep-equal to the one written (dates as `Date`
 * with millisecond precision, JSON fields, nulls).
 *
 * Identities are stored and matched exactly as given: the broker normalises user names where it
 * takes them from the token, so `requester` filters here are exact-match (and indexed).
 */
import type {
  AccessRequest,
  FollowUp,
  PolicyDecisionSnapshot,
  RequestDenial,
  RequestStatus,
  Review,
} from '../domain';
import { REQUEST_STATUSES, nextFollowUpAt } from '../domain';
import type { Db, Tx } from './db';
import { json } from './db';
import {
  type KeysetRange,
  QueryParams,
  eachOf,
  equalsOneOf,
  inPageOrder,
  pageIdsSql,
  pageRowsSql,
} from './keyset';
import type { ConcurrentUpdate, DuplicateId, NotFound, Stored } from './rows';
import { CorruptRecordError, checkLimit, checkVersions, missed, oneOf, stored, stringArray } from './rows';

export type InsertRequestResult = Stored<AccessRequest> | DuplicateId;
export type SaveRequestResult = Stored<AccessRequest> | ConcurrentUpdate | NotFound;

interface RequestRow {
  id: string;
  requester: string;
  target_cloud: string;
  target_account: string;
  target_environment: string;
  actions: unknown;
  resource: string | null;
  duration_minutes: number;
  justification: string;
  ticket: string | null;
  denial: unknown;
  status: string;
  decision: unknown;
  created_at: Date;
  decided_at: Date | null;
  pending_expires_at: Date;
  linked_grant_id: string | null;
  grant_id: string | null;
  version: number;
  follow_up: unknown;
}

interface ReviewRow {
  request_id: string;
  approver: string;
  decision: string;
  at: Date;
  comment: string | null;
}

export const REQUEST_COLUMNS = `id, requester, target_cloud, target_account, target_environment, actions, resource,
  duration_minutes, justification, ticket, denial, status, decision, created_at, decided_at,
  pending_expires_at, linked_grant_id, grant_id, version, follow_up, follow_up_at`;

/** Parameters $2… in the order of REQUEST_COLUMNS after `id` ($1). */
export function requestParams(r: AccessRequest): unknown[] {
  return [
    r.requester,
    r.target.cloud,
    r.target.account,
    r.target.environment,
    json(r.actions),
    r.resource,
    r.durationMinutes,
    r.justification,
    r.ticket,
    r.denial === null ? null : json(r.denial),
    r.status,
    json(r.policy),
    r.createdAt,
    r.decidedAt,
    r.expiresAt,
    r.linkedGrantId,
    r.grantId,
    r.version,
    r.followUp === null ? null : json(r.followUp),
    nextFollowUpAt(r),
  ];
}

/** The `follow_up` column back into the domain's value (its date was stored as an ISO string). */
function toFollowUp(value: unknown, id: string): FollowUp | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') throw new CorruptRecordError(`request ${id} follow_up is not an object`);
  const stored = value as Omit<FollowUp, 'escalatedAt'> & { escalatedAt: string | null };
  return { ...stored, escalatedAt: stored.escalatedAt === null ? null : new Date(stored.escalatedAt) };
}

function toRequest(row: RequestRow, reviews: readonly ReviewRow[]): AccessRequest {
  if (row.decision === null || typeof row.decision !== 'object') {
    throw new CorruptRecordError(`request ${row.id} has no policy decision snapshot`);
  }
  const review = (r: ReviewRow): Review => ({ approver: r.approver, at: r.at, comment: r.comment });
  return {
    id: row.id,
    requester: row.requester,
    target: {
      cloud: row.target_cloud as AccessRequest['target']['cloud'],
      account: row.target_account,
      environment: row.target_environment,
    },
    actions: stringArray(row.actions, `request ${row.id} actions`),
    resource: row.resource,
    durationMinutes: row.duration_minutes,
    justification: row.justification,
    ticket: row.ticket,
    denial: (row.denial ?? null) as RequestDenial | null,
    status: oneOf<RequestStatus>(row.status, REQUEST_STATUSES, `request ${row.id} status`),
    createdAt: row.created_at,
    decidedAt: row.decided_at,
    expiresAt: row.pending_expires_at,
    approvals: reviews.filter((r) => r.decision === 'approve').map(review),
    denials: reviews.filter((r) => r.decision === 'deny').map(review),
    linkedGrantId: row.linked_grant_id,
    grantId: row.grant_id,
    policy: row.decision as PolicyDecisionSnapshot,
    followUp: toFollowUp(row.follow_up, row.id),
    version: row.version,
  };
}

/** Adds the reviews not stored yet (reviews are append-only in the domain). */
async function insertReviews(tx: Tx, request: AccessRequest): Promise<void> {
  const rows = [
    ...request.approvals.map((r, position) => ({ ...r, decision: 'approve', position })),
    ...request.denials.map((r, position) => ({ ...r, decision: 'deny', position })),
  ].map((r) => ({
    approver: r.approver,
    decision: r.decision,
    at: r.at.toISOString(),
    comment: r.comment,
    position: r.position,
  }));
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO approvals (request_id, approver, decision, at, comment, position)
     SELECT $1, r.approver, r.decision, r.at, r.comment, r.position
     FROM jsonb_to_recordset($2::jsonb)
       AS r(approver text, decision text, at timestamptz, comment text, position integer)
     ON CONFLICT (request_id, approver, decision) DO NOTHING`,
    [request.id, json(rows)],
  );
}

async function reviewsOf(db: Db | Tx, ids: readonly string[]): Promise<Map<string, ReviewRow[]>> {
  const byRequest = new Map<string, ReviewRow[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return byRequest;
  const { rows } = await db.query<ReviewRow>(
    // One parameter per id: the planner then knows how many ids it looks up (with a JSON list or
    // an array it guesses ten, and on a small table filters every row against all of them).
    `SELECT request_id, approver, decision, at, comment FROM approvals
     WHERE request_id IN (${ids.map((_, n) => `$${n + 1}`).join(', ')})
     ORDER BY request_id, decision, position NULLS LAST, at, approver`,
    ids,
  );
  for (const row of rows) byRequest.get(row.request_id)?.push(row);
  return byRequest;
}

export async function insertRequest(tx: Tx, request: AccessRequest): Promise<InsertRequestResult> {
  const { rows } = await tx.query(
    `INSERT INTO access_requests (${REQUEST_COLUMNS})
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11::jsonb, $12, $13::jsonb, $14, $15, $16,
             $17, $18, $19, $20::jsonb, $21)
     ON CONFLICT (id) DO NOTHING
     RETURNING id`,
    [request.id, ...requestParams(request)],
  );
  if (rows.length === 0) {
    return {
      ok: false,
      code: 'duplicate-id',
      message: `a request ${request.id} already exists`,
      id: request.id,
    };
  }
  await insertReviews(tx, request);
  return stored(request);
}

export async function getRequest(db: Db | Tx, id: string): Promise<AccessRequest | null> {
  const { rows } = await db.query<RequestRow>(
    `SELECT ${REQUEST_COLUMNS} FROM access_requests WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return null;
  const reviews = await reviewsOf(db, [id]);
  return toRequest(row, reviews.get(id) ?? []);
}

/** Where the next page starts: pass the last request of a page. */
export interface RequestCursor {
  readonly createdAt: Date;
  readonly id: string;
}

export interface ListRequestsOptions {
  readonly status?: RequestStatus | readonly RequestStatus[];
  /** The requests this user filed. */
  readonly requester?: string;
  /** Requests any of these groups may review (an approver's queue). An empty list matches nothing. */
  readonly approverGroups?: readonly string[];
  /** The requests `user` filed or any of `approverGroups` reviews (their own plus their queue). */
  readonly visibleTo?: { readonly user: string; readonly approverGroups: readonly string[] };
  /** Page size, 1–1000. */
  readonly limit: number;
  /** Only requests strictly after this one in the listing order (newest first). */
  readonly before?: RequestCursor;
}

const OWN = (user: string, params: QueryParams): KeysetRange => ({
  from: 'access_requests',
  id: 'id',
  at: 'created_at',
  where: [`requester = ${params.add(user)}`],
});

/** One range per group in request_approver_groups (migration 007), kept by trigger. */
const QUEUES = (groups: readonly string[], params: QueryParams): KeysetRange[] =>
  [...new Set(groups)].map((group) => ({
    from: 'request_approver_groups',
    id: 'request_id',
    at: 'created_at',
    where: [`approver_group = ${params.add(group)}`],
  }));

function listedRanges(options: ListRequestsOptions, params: QueryParams): KeysetRange[] {
  const filters = [options.requester, options.approverGroups, options.visibleTo].filter(
    (f) => f !== undefined,
  );
  if (filters.length > 1) {
    throw new TypeError('listRequests: pass one of requester, approverGroups and visibleTo');
  }
  if (options.requester !== undefined) return [OWN(options.requester, params)];
  if (options.approverGroups !== undefined) return QUEUES(options.approverGroups, params);
  if (options.visibleTo !== undefined) {
    return [OWN(options.visibleTo.user, params), ...QUEUES(options.visibleTo.approverGroups, params)];
  }
  return [{ from: 'access_requests', id: 'id', at: 'created_at', where: [] }];
}

/**
 * Newest first (created_at, then id, descending). One page costs O(limit) whatever the table's
 * size: each filter reads an index range of migration 007 (keyset.ts).
 */
export async function listRequests(db: Db | Tx, options: ListRequestsOptions): Promise<AccessRequest[]> {
  checkLimit(options.limit);
  const params = new QueryParams();
  const ranges = listedRanges(options, params);
  const statuses = equalsOneOf('status', options.status, params);
  const before = options.before && { at: options.before.createdAt, id: options.before.id };
  const page = pageIdsSql(eachOf(ranges, statuses), before, options.limit, params);
  if (page === null) return [];
  const { rows: unordered } = await db.query<RequestRow & { position: number }>(
    pageRowsSql('access_requests', REQUEST_COLUMNS, page),
    params.params,
  );
  const rows = inPageOrder(unordered);
  const reviews = await reviewsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toRequest(r, reviews.get(r.id) ?? []));
}

/**
 * Writes `request` (the result of a transition) if the stored row is still at `expectedVersion`
 * (the version the transition started from). Call inside the transaction that also records the
 * transition's events; on `concurrent-update` roll that transaction back and retry from a reload.
 */
export async function saveRequest(
  tx: Tx,
  request: AccessRequest,
  expectedVersion: number,
): Promise<SaveRequestResult> {
  checkVersions('request', request.id, request.version, expectedVersion);
  const { rows } = await tx.query(
    `UPDATE access_requests
     SET requester = $2, target_cloud = $3, target_account = $4, target_environment = $5,
         actions = $6::jsonb, resource = $7, duration_minutes = $8, justification = $9, ticket = $10,
         denial = $11::jsonb, status = $12, decision = $13::jsonb, created_at = $14, decided_at = $15,
         pending_expires_at = $16, linked_grant_id = $17, grant_id = $18, version = $19,
         follow_up = $20::jsonb, follow_up_at = $21
     WHERE id = $1 AND version = $22
     RETURNING id`,
    [request.id, ...requestParams(request), expectedVersion],
  );
  if (rows.length === 0) return missed(tx, 'access_requests', 'request', request.id, expectedVersion);
  await insertReviews(tx, request);
  return stored(request);
}

/**
 * Ids of pending requests nobody answered by `at` (the worker expires them), the longest
 * overdue first, at most `limit`.
 */
export async function listOverduePendingRequestIds(db: Db | Tx, at: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM access_requests WHERE status = 'pending' AND pending_expires_at <= $1
     ORDER BY pending_expires_at LIMIT $2`,
    [at, limit],
  );
  return rows.map((r) => r.id);
}

/**
 * Ids of pending requests whose next reminder or escalation is due by `at` (the worker follows
 * them up: server/domain/follow-up.ts), the longest due first, at most `limit`. Served by
 * migration 009's partial index.
 */
export async function listDueFollowUpRequestIds(db: Db | Tx, at: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM access_requests
     WHERE status = 'pending' AND follow_up_at IS NOT NULL AND follow_up_at <= $1
     ORDER BY follow_up_at LIMIT $2`,
    [at, limit],
  );
  return rows.map((r) => r.id);
}
