/**
 * The repository: domain records (`AccessRequest`, `Grant` from server/domain) in and out of SQL,
 * plus the audit and event rows a transition implies.
 *
 * How the broker uses it, per transition:
 *   load (getRequest/getGrant) → pure transition (server/domain) → in ONE transaction:
 *   saveRequest/saveGrant(tx, next, loaded.version) + recordTransition(tx, { events, audience }).
 * Saves are compare-and-set on `version`: when another writer got there first the save answers
 * `concurrent-update`, and the caller rolls back, reloads and re-applies the transition (which may
 * then legitimately refuse, e.g. `already-decided`). Expected outcomes (a lost race, a second grant
 * for one request, a duplicate id) are result values; only real faults throw.
 *
 * Round trip: a record written and read back is deep-equal to the one written (dates as `Date`
 * with millisecond precision, JSON fields, nulls). Reviews live in `approvals` (one row per
 * reviewer and kind, `position` keeping the domain's order; see migration 002).
 *
 * Identities are stored and matched exactly as given: the broker normalises user names where it
 * takes them from the token, so `requester`/`user` filters here are exact-match (and indexed).
 */
import type {
  AccessRequest,
  DomainEvent,
  Grant,
  GrantStatus,
  PolicyDecisionSnapshot,
  RequestDenial,
  RequestStatus,
  Review,
} from '../domain';
import { GRANT_STATUSES, REQUEST_STATUSES } from '../domain';
import type { AuditRow } from './audit';
import { auditRowsJson, chainAuditTx, insertAuditRowsSql } from './audit';
import type { Db, Tx } from './db';
import { json } from './db';

// ---------------------------------------------------------------------------------------------
// Results

export interface Stored<T> {
  readonly ok: true;
  readonly value: T;
}

/** The row changed since the caller loaded it: reload, re-apply the transition, save again. */
export interface ConcurrentUpdate {
  readonly ok: false;
  readonly code: 'concurrent-update';
  readonly message: string;
  readonly id: string;
  readonly expectedVersion: number;
  /** The version now stored (null when the row is gone). */
  readonly currentVersion: number | null;
}

export interface NotFound {
  readonly ok: false;
  readonly code: 'not-found';
  readonly message: string;
  readonly id: string;
}

/** The request already has a grant (UNIQUE(request_id)): however approvals race, one grant. */
export interface AlreadyGranted {
  readonly ok: false;
  readonly code: 'already-granted';
  readonly message: string;
  readonly requestId: string;
  /** The grant that exists for the request. */
  readonly grantId: string;
}

export interface DuplicateId {
  readonly ok: false;
  readonly code: 'duplicate-id';
  readonly message: string;
  readonly id: string;
}

export type InsertRequestResult = Stored<AccessRequest> | DuplicateId;
export type SaveRequestResult = Stored<AccessRequest> | ConcurrentUpdate | NotFound;
export type InsertGrantResult = Stored<Grant> | AlreadyGranted | DuplicateId;
export type SaveGrantResult = Stored<Grant> | ConcurrentUpdate | NotFound;

/** A row that cannot be a domain record (written by hand, or by a newer broker). */
export class CorruptRecordError extends Error {
  override name = 'CorruptRecordError';
}

function stored<T>(value: T): Stored<T> {
  return { ok: true, value };
}

// ---------------------------------------------------------------------------------------------
// Requests

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
}

interface ReviewRow {
  request_id: string;
  approver: string;
  decision: string;
  at: Date;
  comment: string | null;
}

const REQUEST_COLUMNS = `id, requester, target_cloud, target_account, target_environment, actions, resource,
  duration_minutes, justification, ticket, denial, status, decision, created_at, decided_at,
  pending_expires_at, linked_grant_id, grant_id, version`;

/** Parameters $2… in the order of REQUEST_COLUMNS after `id` ($1). */
function requestParams(r: AccessRequest): unknown[] {
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
  ];
}

function stringArray(value: unknown, what: string): readonly string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new CorruptRecordError(`${what} is not a list of strings`);
  }
  return value;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new CorruptRecordError(`${what} has unknown value ${JSON.stringify(value)}`);
  }
  return value as T;
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
    `SELECT request_id, approver, decision, at, comment FROM approvals
     WHERE request_id IN (SELECT jsonb_array_elements_text($1::jsonb))
     ORDER BY request_id, decision, position NULLS LAST, at, approver`,
    [json(ids)],
  );
  for (const row of rows) byRequest.get(row.request_id)?.push(row);
  return byRequest;
}

async function currentVersion(db: Db | Tx, table: 'access_requests' | 'grants', id: string) {
  const { rows } = await db.query<{ version: number }>(`SELECT version FROM ${table} WHERE id = $1`, [id]);
  return rows[0]?.version ?? null;
}

function checkVersions(kind: string, id: string, next: number, expectedVersion: number): void {
  // Every transition bumps the version; writing the expected one again would let a second writer
  // from the same snapshot pass the compare-and-set after the first.
  if (!(Number.isInteger(next) && next > expectedVersion)) {
    throw new TypeError(
      `save ${kind} ${id}: version ${next} must be greater than the expected ${expectedVersion} (save the transition's result)`,
    );
  }
}

export async function insertRequest(tx: Tx, request: AccessRequest): Promise<InsertRequestResult> {
  const { rows } = await tx.query(
    `INSERT INTO access_requests (${REQUEST_COLUMNS})
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11::jsonb, $12, $13::jsonb, $14, $15, $16,
             $17, $18, $19)
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
  readonly requester?: string;
  /** Requests any of these groups may review (an approver's queue). An empty list matches nothing. */
  readonly approverGroups?: readonly string[];
  /** Page size, 1–1000. */
  readonly limit: number;
  /** Only requests strictly after this one in the listing order (newest first). */
  readonly before?: RequestCursor;
}

export const MAX_LIST_LIMIT = 1000;

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new RangeError(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, got ${limit}`);
  }
}

/** Newest first (created_at, then id, descending). */
export async function listRequests(db: Db | Tx, options: ListRequestsOptions): Promise<AccessRequest[]> {
  checkLimit(options.limit);
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => `$${params.push(value)}`;
  if (options.status !== undefined) {
    const statuses = typeof options.status === 'string' ? [options.status] : options.status;
    where.push(`status IN (SELECT jsonb_array_elements_text(${param(json(statuses))}::jsonb))`);
  }
  if (options.requester !== undefined) where.push(`requester = ${param(options.requester)}`);
  if (options.approverGroups !== undefined) {
    where.push(
      `EXISTS (SELECT 1 FROM jsonb_array_elements_text(decision -> 'approverGroups') AS g(name)
               WHERE g.name IN (SELECT jsonb_array_elements_text(${param(json(options.approverGroups))}::jsonb)))`,
    );
  }
  if (options.before !== undefined) {
    where.push(
      `(created_at, id) < (${param(options.before.createdAt)}::timestamptz, ${param(options.before.id)})`,
    );
  }
  const { rows } = await db.query<RequestRow>(
    `SELECT ${REQUEST_COLUMNS} FROM access_requests
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at DESC, id DESC
     LIMIT ${param(options.limit)}`,
    params,
  );
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
         pending_expires_at = $16, linked_grant_id = $17, grant_id = $18, version = $19
     WHERE id = $1 AND version = $20
     RETURNING id`,
    [request.id, ...requestParams(request), expectedVersion],
  );
  if (rows.length === 0) return missed(tx, 'access_requests', 'request', request.id, expectedVersion);
  await insertReviews(tx, request);
  return stored(request);
}

async function missed(
  tx: Tx,
  table: 'access_requests' | 'grants',
  kind: string,
  id: string,
  expectedVersion: number,
): Promise<ConcurrentUpdate | NotFound> {
  const current = await currentVersion(tx, table, id);
  if (current === null) return { ok: false, code: 'not-found', message: `no ${kind} ${id}`, id };
  return {
    ok: false,
    code: 'concurrent-update',
    message: `${kind} ${id} changed since it was read (version ${current}, expected ${expectedVersion}); reload and try again`,
    id,
    expectedVersion,
    currentVersion: current,
  };
}

// ---------------------------------------------------------------------------------------------
// Grants

interface GrantRow {
  id: string;
  request_id: string;
  user_id: string;
  target_cloud: string;
  target_account: string;
  target_environment: string;
  actions: unknown;
  resource: string | null;
  status: string;
  starts_at: Date;
  expires_at: Date;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date | null;
  extended_by: unknown;
  revoke_reason: string | null;
  revoked_by: string | null;
  ended_at: Date | null;
  version: number;
}

const GRANT_COLUMNS = `id, request_id, user_id, target_cloud, target_account, target_environment, actions,
  resource, status, starts_at, expires_at, attempts, last_error, next_attempt_at, extended_by,
  revoke_reason, revoked_by, ended_at, version`;

/** Parameters $2… in the order of GRANT_COLUMNS after `id` ($1). */
function grantParams(g: Grant): unknown[] {
  return [
    g.requestId,
    g.user,
    g.target.cloud,
    g.target.account,
    g.target.environment,
    json(g.actions),
    g.resource,
    g.status,
    g.startsAt,
    g.expiresAt,
    g.attempts,
    g.lastError,
    g.nextAttemptAt,
    json(g.extendedBy),
    g.revokeReason,
    g.revokedBy,
    g.endedAt,
    g.version,
  ];
}

function toGrant(row: GrantRow): Grant {
  return {
    id: row.id,
    requestId: row.request_id,
    user: row.user_id,
    target: {
      cloud: row.target_cloud as Grant['target']['cloud'],
      account: row.target_account,
      environment: row.target_environment,
    },
    actions: stringArray(row.actions, `grant ${row.id} actions`),
    resource: row.resource,
    status: oneOf<GrantStatus>(row.status, GRANT_STATUSES, `grant ${row.id} status`),
    startsAt: row.starts_at,
    expiresAt: row.expires_at,
    attempts: row.attempts,
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    extendedBy: stringArray(row.extended_by, `grant ${row.id} extendedBy`),
    revokeReason:
      row.revoke_reason === null
        ? null
        : oneOf(row.revoke_reason, ['expired', 'revoked'] as const, `grant ${row.id} revoke_reason`),
    revokedBy: row.revoked_by,
    endedAt: row.ended_at,
    version: row.version,
  };
}

/**
 * Stores a new grant. A second grant for the same request answers `already-granted` (with the
 * existing grant's id), also when two approvals race: the loser waits for the winner's commit and
 * then sees its row, never a raw unique-violation error (which would abort the transaction).
 */
export async function insertGrant(tx: Tx, grant: Grant): Promise<InsertGrantResult> {
  const { rows } = await tx.query(
    `INSERT INTO grants (${GRANT_COLUMNS})
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16, $17, $18,
             $19)
     ON CONFLICT DO NOTHING
     RETURNING id`,
    [grant.id, ...grantParams(grant)],
  );
  if (rows.length === 1) return stored(grant);
  const existing = await tx.query<{ id: string }>('SELECT id FROM grants WHERE request_id = $1', [
    grant.requestId,
  ]);
  const grantId = existing.rows[0]?.id;
  if (grantId !== undefined) {
    return {
      ok: false,
      code: 'already-granted',
      message: `request ${grant.requestId} was already granted as ${grantId}`,
      requestId: grant.requestId,
      grantId,
    };
  }
  return { ok: false, code: 'duplicate-id', message: `a grant ${grant.id} already exists`, id: grant.id };
}

export async function getGrant(db: Db | Tx, id: string): Promise<Grant | null> {
  const { rows } = await db.query<GrantRow>(`SELECT ${GRANT_COLUMNS} FROM grants WHERE id = $1`, [id]);
  const row = rows[0];
  return row ? toGrant(row) : null;
}

export interface ListGrantsOptions {
  readonly user?: string;
  /** Only grants on this target (the merge check: same user, target and resource). */
  readonly target?: { readonly cloud: string; readonly account: string };
  /** Only grants on exactly this resource (null: grants on no particular resource). */
  readonly resource?: string | null;
  readonly status?: GrantStatus | readonly GrantStatus[];
  /** 1–1000; default 1000. */
  readonly limit?: number;
}

/** Newest first (starts_at, then id, descending). */
export async function listGrants(db: Db | Tx, options: ListGrantsOptions = {}): Promise<Grant[]> {
  const limit = options.limit ?? MAX_LIST_LIMIT;
  checkLimit(limit);
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => `$${params.push(value)}`;
  if (options.user !== undefined) where.push(`user_id = ${param(options.user)}`);
  if (options.target !== undefined) {
    where.push(
      `target_cloud = ${param(options.target.cloud)} AND target_account = ${param(options.target.account)}`,
    );
  }
  if (options.resource !== undefined)
    where.push(`resource IS NOT DISTINCT FROM ${param(options.resource)}::text`);
  if (options.status !== undefined) {
    const statuses = typeof options.status === 'string' ? [options.status] : options.status;
    where.push(`status IN (SELECT jsonb_array_elements_text(${param(json(statuses))}::jsonb))`);
  }
  const { rows } = await db.query<GrantRow>(
    `SELECT ${GRANT_COLUMNS} FROM grants
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY starts_at DESC, id DESC
     LIMIT ${param(limit)}`,
    params,
  );
  return rows.map(toGrant);
}

/**
 * Compare-and-set like `saveRequest`. Leaves the sweeper's columns (lease, provider_ref) alone;
 * the sweeper bumps `version` on its own writes, so a save from a snapshot older than a claim
 * answers `concurrent-update` instead of overwriting it.
 */
export async function saveGrant(tx: Tx, grant: Grant, expectedVersion: number): Promise<SaveGrantResult> {
  checkVersions('grant', grant.id, grant.version, expectedVersion);
  const { rows } = await tx.query(
    `UPDATE grants
     SET request_id = $2, user_id = $3, target_cloud = $4, target_account = $5, target_environment = $6,
         actions = $7::jsonb, resource = $8, status = $9, starts_at = $10, expires_at = $11,
         attempts = $12, last_error = $13, next_attempt_at = $14, extended_by = $15::jsonb,
         revoke_reason = $16, revoked_by = $17, ended_at = $18, version = $19, updated_at = now()
     WHERE id = $1 AND version = $20
     RETURNING id`,
    [grant.id, ...grantParams(grant), expectedVersion],
  );
  if (rows.length === 0) return missed(tx, 'grants', 'grant', grant.id, expectedVersion);
  return stored(grant);
}

// ---------------------------------------------------------------------------------------------
// Audit and events

/** Who may see an event on the SSE stream: these users, and members of these groups. */
export interface EventAudience {
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

/** The requester and the request's approver groups. */
export function requestAudience(request: AccessRequest): EventAudience {
  return { users: [request.requester], groups: [...request.policy.approverGroups] };
}

/** The grant's user, plus the approver groups of the request behind it when given. */
export function grantAudience(grant: Grant, request?: AccessRequest): EventAudience {
  return { users: [grant.user], groups: request ? [...request.policy.approverGroups] : [] };
}

export interface TransitionRecord {
  readonly events: readonly DomainEvent[];
  /** Who may see the events on the SSE stream (see requestAudience/grantAudience). */
  readonly audience: EventAudience;
  /**
   * The authenticated caller who triggered the transition, when it is not the events' own actor
   * (e.g. alice submitting a request the policy auto-approves): kept as `details.caller`.
   */
  readonly actor?: string;
  /**
   * A new request to insert in the same statement as the audit and event rows (one round trip
   * for a submission that needs no grant). Its reviews must be empty.
   */
  readonly insertRequest?: AccessRequest;
}

export interface RecordedTransition {
  readonly audit: readonly AuditRow[];
  /** SSE event ids, in the order of `events`. */
  readonly eventIds: readonly number[];
}

/** The SSE payload of one domain event (JSON: dates as ISO strings). */
export interface EventPayload {
  readonly type: string;
  readonly requestId: string | null;
  readonly grantId: string | null;
  readonly actor: string;
  readonly at: string;
  readonly details: Readonly<Record<string, unknown>>;
  /** The audit row the event was recorded as. */
  readonly auditSeq: number;
}

/**
 * Appends a transition's domain events to the audit log and the event stream. Call with the
 * transaction that saves the transition's result, so a state change is never stored without its
 * audit row (nor an event published for a change that rolled back).
 */
export async function recordTransition(tx: Tx, record: TransitionRecord): Promise<RecordedTransition> {
  if (record.events.length === 0) return { audit: [], eventIds: [] };
  const audit = await chainAuditTx(
    tx,
    record.events.map((event) => {
      const details: Record<string, unknown> = {
        ...event.details,
        requestId: event.requestId,
        grantId: event.grantId,
      };
      if (record.actor !== undefined && record.actor !== event.actor) details.caller = record.actor;
      return {
        actor: event.actor,
        type: event.type,
        subject: event.grantId ?? event.requestId,
        details,
        at: event.at,
      };
    }),
  );
  const payloads: EventPayload[] = record.events.map((event, i) => ({
    type: event.type,
    requestId: event.requestId,
    grantId: event.grantId,
    actor: event.actor,
    at: event.at.toISOString(),
    details: audit[i]!.details,
    auditSeq: audit[i]!.seq,
  }));
  // One statement writes the audit rows and the events, in order, and wakes every broker's event
  // hub (server/events/hub.ts) at COMMIT; a rollback sends nothing. Hubs read `events WHERE id >
  // last seen`, which is gap-free only because ids follow commit order: chainAuditTx above took
  // pg_advisory_xact_lock (released only after this commit is visible; on PGlite the single
  // connection serialises transactions anyway) before this INSERT drew its ids, and the sequence
  // hands out ids one at a time (CACHE 1), so any writer drawing a larger id waited for this commit.
  // Keep the INSERT after the lock: an id drawn outside it could commit after a larger one.
  const request = record.insertRequest;
  if (request && (request.approvals.length > 0 || request.denials.length > 0)) {
    throw new Error('recordTransition: insertRequest takes a request without reviews');
  }
  const requestCte = request
    ? `req AS (INSERT INTO access_requests (${REQUEST_COLUMNS})
         VALUES ($4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14::jsonb, $15, $16::jsonb, $17, $18,
                 $19, $20, $21, $22)),`
    : '';
  const { rows } = await tx.query<{ id: number; seq: number }>(
    `WITH ${requestCte} audit AS (${insertAuditRowsSql(3)}),
     inserted AS (
       INSERT INTO events (at, audience, type, payload)
       SELECT e.at, $1::jsonb, e.type, e.payload
       FROM jsonb_to_recordset($2::jsonb) AS e(n integer, at timestamptz, type text, payload jsonb)
       ORDER BY e.n
       RETURNING id, (payload ->> 'auditSeq')::bigint AS seq
     )
     SELECT id, seq, pg_notify('unblock_events', id::text) FROM inserted ORDER BY id`,
    [
      json(record.audience),
      json(payloads.map((payload, n) => ({ n, at: payload.at, type: payload.type, payload }))),
      auditRowsJson(audit),
      ...(request ? [request.id, ...requestParams(request)] : []),
    ],
  );
  const idBySeq = new Map(rows.map((r) => [Number(r.seq), Number(r.id)]));
  return { audit, eventIds: audit.map((row) => idBySeq.get(row.seq)!) };
}
