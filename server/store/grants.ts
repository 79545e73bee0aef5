/**
 * Grants in and out of SQL: the `Grant` record of server/domain as a row of `grants`, saved with
 * compare-and-set on `version` like requests (requests.ts explains the flow).
 *
 * The row also holds two things the domain record does not: the worker's lease (sweeper.ts) and
 * `provider_ref`, what the provisioner created for the grant (getProviderRef here; it is written
 * only under the worker's lease, provider-refs.ts).
 * Identities are stored and matched exactly as given, so `user` filters are exact-match.
 */
import type { Grant, GrantFailure, GrantStatus } from '../domain';
import { GRANT_FAILURE_CAUSES, GRANT_STATUSES } from '../domain';
import type { ProviderRef } from '../provision/types';
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
import type { AlreadyGranted, ConcurrentUpdate, DuplicateId, NotFound, Stored } from './rows';
import { MAX_LIST_LIMIT, checkLimit, checkVersions, missed, oneOf, stored, stringArray } from './rows';

export type InsertGrantResult = Stored<Grant> | AlreadyGranted | DuplicateId;
export type SaveGrantResult = Stored<Grant> | ConcurrentUpdate | NotFound;

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
  failure: unknown;
  ended_at: Date | null;
  version: number;
}

const GRANT_COLUMNS = `id, request_id, user_id, target_cloud, target_account, target_environment, actions,
  resource, status, starts_at, expires_at, attempts, last_error, next_attempt_at, extended_by,
  revoke_reason, revoked_by, ended_at, version, failure`;

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
    g.failure === null ? null : json({ ...g.failure, at: g.failure.at.toISOString() }),
  ];
}

/** The `failure` column (jsonb) as the domain's record; a row that does not fit is an error. */
function toFailure(raw: unknown, grantId: string): GrantFailure | null {
  if (raw === null || raw === undefined) return null;
  const f = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Record<string, unknown>;
  const text = (key: string): string => {
    const v = f[key];
    if (typeof v !== 'string') throw new Error(`grant ${grantId} failure.${key} is not text`);
    return v;
  };
  const at = new Date(text('at'));
  if (Number.isNaN(at.getTime()) || typeof f.attempts !== 'number') {
    throw new Error(`grant ${grantId} failure is malformed`);
  }
  return {
    cause: oneOf(text('cause'), GRANT_FAILURE_CAUSES, `grant ${grantId} failure.cause`),
    reason: text('reason'),
    advice: text('advice'),
    code: typeof f.code === 'string' ? f.code : null,
    attempts: f.attempts,
    at,
  };
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
        : oneOf(
            row.revoke_reason,
            ['expired', 'revoked', 'failed'] as const,
            `grant ${row.id} revoke_reason`,
          ),
    revokedBy: row.revoked_by,
    failure: toFailure(row.failure, row.id),
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
             $19, $20::jsonb)
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

/** Where the next page starts: pass the last grant of a page. */
export interface GrantCursor {
  readonly startsAt: Date;
  readonly id: string;
}

export interface ListGrantsOptions {
  readonly user?: string;
  /** Only grants on this target (the merge check: same user, target and resource). */
  readonly target?: { readonly cloud: string; readonly account: string };
  /** Only grants on exactly this resource (null: grants on no particular resource). */
  readonly resource?: string | null;
  readonly status?: GrantStatus | readonly GrantStatus[];
  /**
   * The grants `user` holds or that are on one of `targets` (what an approver of those targets
   * sees). Accounts compare case-insensitively, as the broker's target lookups do
   * (server/config/targets.ts).
   */
  readonly visibleTo?: {
    readonly user: string;
    readonly targets: ReadonlyArray<{ readonly cloud: string; readonly account: string }>;
  };
  /** 1–1000; default 1000. */
  readonly limit?: number;
  /** Only grants strictly after this one in the listing order (newest first). */
  readonly before?: GrantCursor;
}

const GRANTS = { from: 'grants', id: 'id', at: 'starts_at' } as const;

function listedRanges(options: ListGrantsOptions, params: QueryParams): KeysetRange[] {
  const where: string[] = [];
  if (options.user !== undefined) where.push(`user_id = ${params.add(options.user)}`);
  if (options.target !== undefined) {
    where.push(
      `target_cloud = ${params.add(options.target.cloud)}`,
      `target_account = ${params.add(options.target.account)}`,
    );
  }
  if (options.resource !== undefined) {
    where.push(`resource IS NOT DISTINCT FROM ${params.add(options.resource)}::text`);
  }
  if (options.visibleTo === undefined) return [{ ...GRANTS, where }];
  const { user, targets } = options.visibleTo;
  const keys = new Map(targets.map((t) => [`${t.cloud}:${t.account.toLowerCase()}`, t]));
  return [
    { ...GRANTS, where: [...where, `user_id = ${params.add(user)}`] },
    ...[...keys.values()].map((t) => ({
      ...GRANTS,
      where: [
        ...where,
        `target_cloud = ${params.add(t.cloud)}`,
        `lower(target_account) = ${params.add(t.account.toLowerCase())}`,
      ],
    })),
  ];
}

/**
 * Newest first (starts_at, then id, descending). One page costs O(limit) whatever the table's
 * size: each filter reads an index range of migration 007 (keyset.ts).
 */
export async function listGrants(db: Db | Tx, options: ListGrantsOptions = {}): Promise<Grant[]> {
  const limit = options.limit ?? MAX_LIST_LIMIT;
  checkLimit(limit);
  const params = new QueryParams();
  const ranges = listedRanges(options, params);
  const statuses = equalsOneOf('status', options.status, params);
  const before = options.before && { at: options.before.startsAt, id: options.before.id };
  const page = pageIdsSql(eachOf(ranges, statuses), before, limit, params);
  if (page === null) return [];
  const { rows: unordered } = await db.query<GrantRow & { position: number }>(
    pageRowsSql('grants', GRANT_COLUMNS, page),
    params.params,
  );
  const rows = inPageOrder(unordered);
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
         revoke_reason = $16, revoked_by = $17, ended_at = $18, version = $19, failure = $20::jsonb,
         updated_at = now()
     WHERE id = $1 AND version = $21
     RETURNING id`,
    [grant.id, ...grantParams(grant), expectedVersion],
  );
  if (rows.length === 0) return missed(tx, 'grants', 'grant', grant.id, expectedVersion);
  return stored(grant);
}

/** What the provisioner created for a grant (null before its first successful call). */
export async function getProviderRef(db: Db | Tx, grantId: string): Promise<ProviderRef | null> {
  const { rows } = await db.query<{ provider_ref: ProviderRef | null }>(
    'SELECT provider_ref FROM grants WHERE id = $1',
    [grantId],
  );
  return rows[0]?.provider_ref ?? null;
}
