/**
 * What a transition leaves besides the saved record: its audit rows (chained, see audit.ts) and
 * its events on the SSE stream (server/events), written in the transaction that saves the
 * transition's result.
 */
import type { AccessRequest, DomainEvent, Grant } from '../domain';
import type { AuditRow } from './audit';
import { auditRowsJson, chainAuditTx, insertAuditRowsSql } from './audit';
import type { Tx } from './db';
import { json } from './db';
import { REQUEST_COLUMNS, requestParams } from './requests';

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
  /** The audit row the event was recorded as: its seq and hash (the chain's head then). */
  readonly auditSeq: number;
  /** Absent in events stored before the hash was kept. */
  readonly auditHash?: string;
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
    auditHash: audit[i]!.hash,
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
                 $19, $20, $21, $22, $23::jsonb, $24)),`
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
