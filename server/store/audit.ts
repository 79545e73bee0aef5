/**
 * The tamper-evident audit log. Each row's `hash` is sha256(prev_hash + canonical JSON of the
 * entry), so editing, deleting or reordering any row breaks the chain from that row on, and
 * `verifyAudit` names the first row where it breaks. A trigger (migration 001) makes the table
 * append-only for everyone who does not own it.
 *
 * Appends take a transaction-scoped advisory lock, read the head, and insert seq = head + 1: with
 * several replicas writing, two appends must never both chain onto the same head (a fork).
 *
 * Limits, by construction: removing rows from the END of the log leaves a valid, shorter chain,
 * and the hash is unkeyed, so whoever edits a row and recomputes every later hash leaves a valid
 * chain too. Anchors held outside the table catch both (`verifyAudit(db, { anchors })`): the
 * signed checkpoints of server/audit/, or a seq/hash exported earlier.
 */
import { createHash } from 'node:crypto';
import type { Db, Tx } from './db';
import { json } from './db';

export const AUDIT_LOCK_KEY = 0x756e626c0002;
/** prev_hash of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  actor: string;
  type: string;
  subject?: string | null;
  details?: Record<string, unknown>;
  /** Defaults to now; millisecond precision (what a JS Date holds), so the hash survives a round trip. */
  at?: Date;
}

export interface AuditRow {
  seq: number;
  at: Date;
  actor: string;
  type: string;
  subject: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units, as RFC 8785), no whitespace.
 * `undefined` members are dropped and non-finite numbers refused, like JSON itself.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not representable in JSON`);
    return JSON.stringify(value);
  }
  if (typeof value === 'bigint') throw new TypeError('canonicalJson: bigint is not representable in JSON');
  if (Array.isArray(value)) {
    return `[${value.map((v: unknown) => (v === undefined || typeof v === 'function' ? 'null' : canonicalJson(v))).join(',')}]`;
  }
  if (typeof value === 'object') {
    const withToJson = value as { toJSON?: () => unknown };
    if (typeof withToJson.toJSON === 'function') return canonicalJson(withToJson.toJSON());
    const obj = value as Record<string, unknown>;
    const members = Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function')
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
    return `{${members.join(',')}}`;
  }
  throw new TypeError(`canonicalJson: ${typeof value} is not representable in JSON`);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What is hashed: every column except seq (ordering is protected by the chain itself) and the hashes. */
function entryHash(
  prevHash: string,
  e: { at: Date; actor: string; type: string; subject: string | null; details: unknown },
): string {
  return sha256(
    prevHash +
      canonicalJson({
        at: e.at.toISOString(),
        actor: e.actor,
        type: e.type,
        subject: e.subject,
        details: e.details,
      }),
  );
}

/** Append inside the caller's transaction, so a state change and its audit row commit together. */
export async function appendAuditTx(tx: Tx, entry: AuditEntry): Promise<AuditRow> {
  const [row] = await appendAuditBatchTx(tx, [entry]);
  return row!;
}

/**
 * The next rows of the chain for `entries`, in order, ready to insert: one lock and one read of
 * the chain's head however many rows. The caller inserts them in the same transaction (see
 * `insertAuditRowsSql`), which keeps the lock until it commits.
 */
export async function chainAuditTx(tx: Tx, entries: readonly AuditEntry[]): Promise<AuditRow[]> {
  if (entries.length === 0) return [];
  // Taken before the head is read, in its own statement: a statement's snapshot is taken when it
  // starts, so reading the head in the same statement as waiting for the lock could see a stale
  // head. An exclusive transaction (PGlite's single connection) has no concurrent writer to wait for.
  if (!tx.exclusive) await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK_KEY]);
  const head = await tx.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
  );
  let seq = head.rows[0]?.seq ?? 0;
  let prevHash = head.rows[0]?.hash ?? GENESIS_HASH;
  return entries.map((entry) => {
    const at = entry.at ?? new Date();
    // Round-trip details through canonical JSON first so what is hashed is exactly what jsonb will
    // hand back (undefined members dropped, Dates as strings).
    const details = JSON.parse(canonicalJson(entry.details ?? {})) as Record<string, unknown>;
    const content = { at, actor: entry.actor, type: entry.type, subject: entry.subject ?? null, details };
    const hash = entryHash(prevHash, content);
    seq += 1;
    const row: AuditRow = { seq, ...content, prev_hash: prevHash, hash };
    prevHash = hash;
    return row;
  });
}

/**
 * An INSERT of chained rows whose JSON (see `auditRowsJson`) is parameter `$n`; usable on its own
 * or as a data-modifying CTE next to other writes of the same transition.
 */
export const insertAuditRowsSql = (n: number) =>
  `INSERT INTO audit_log (seq, at, actor, type, subject, details, prev_hash, hash)
   SELECT r.seq, r.at, r.actor, r.type, r.subject, r.details, r.prev_hash, r.hash
   FROM jsonb_to_recordset($${n}::jsonb)
     AS r(seq bigint, at timestamptz, actor text, type text, subject text, details jsonb, prev_hash text, hash text)`;

export const auditRowsJson = (rows: readonly AuditRow[]) =>
  json(rows.map((r) => ({ ...r, at: r.at.toISOString() })));

/** Append several rows, in order, inside the caller's transaction. */
export async function appendAuditBatchTx(tx: Tx, entries: readonly AuditEntry[]): Promise<AuditRow[]> {
  const rows = await chainAuditTx(tx, entries);
  if (rows.length > 0) await tx.query(insertAuditRowsSql(1), [auditRowsJson(rows)]);
  return rows;
}

/** One audit row as the API and `audit export` show it (the contract's AuditEntryView). */
export interface AuditEntryJson {
  seq: number;
  at: string;
  actor: string;
  type: string;
  subject: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** Up to `limit` rows after sequence number `after`, in chain order. */
export async function readAudit(db: Db | Tx, after: number, limit: number): Promise<AuditEntryJson[]> {
  const { rows } = await db.query<AuditRow>(
    'SELECT seq, at, actor, type, subject, details, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2',
    [after, limit],
  );
  return rows.map((r) => ({
    seq: r.seq,
    at: r.at.toISOString(),
    actor: r.actor,
    type: r.type,
    subject: r.subject,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
}

export function appendAudit(db: Db, entry: AuditEntry): Promise<AuditRow> {
  return db.transaction((tx) => appendAuditTx(tx, entry));
}

export type AuditProblem = 'edited' | 'deleted' | 'reordered' | 'inserted' | 'truncated' | 'rewritten';

/** A position the chain must still have: a signed checkpoint, or a head exported earlier. */
export interface AuditAnchor {
  readonly seq: number;
  readonly hash: string;
  /** Where the anchor comes from, for the message ("the signed checkpoint of … in …"). */
  readonly source: string;
}

export type AuditVerification =
  | { ok: true; count: number; head: { seq: number; hash: string } | null }
  | { ok: false; seq: number; problem: AuditProblem; message: string };

/**
 * Walk the chain in seq order and report the first row where it breaks:
 * - edited: the row's content (or stored hash) no longer matches its hash;
 * - deleted: a seq is missing, or the row chains onto a hash no remaining row has;
 * - reordered: the row chains onto a row that now comes later (rows swapped or renumbered);
 * - inserted: the row chains onto an earlier row than its predecessor (a row was slipped in);
 * then hold the intact chain against the anchors (`anchors`, and `head`), lowest seq first:
 * - truncated: the log ends before an anchor's row;
 * - rewritten: the row at an anchor's seq has another hash (rows up to it were edited and the
 *   later hashes recomputed, which the chain alone cannot show).
 */
export async function verifyAudit(
  db: Db | Tx,
  options: { head?: { seq: number; hash: string }; anchors?: readonly AuditAnchor[] } = {},
): Promise<AuditVerification> {
  const { rows } = await db.query<AuditRow>(
    'SELECT seq, at, actor, type, subject, details, prev_hash, hash FROM audit_log ORDER BY seq',
  );
  const broken = walkChain(rows);
  if (broken) return broken;
  const anchors = [
    ...(options.anchors ?? []),
    ...(options.head ? [{ ...options.head, source: 'the anchored head' }] : []),
  ].sort((a, b) => a.seq - b.seq);
  const unmet = checkAnchors(rows, anchors);
  if (unmet) return unmet;
  const last = rows.at(-1);
  return { ok: true, count: rows.length, head: last ? { seq: last.seq, hash: last.hash } : null };
}

type Broken = Extract<AuditVerification, { ok: false }>;

function walkChain(rows: readonly AuditRow[]): Broken | null {
  const position = new Map(rows.map((r, i) => [r.hash, i]));
  let expectedPrev = GENESIS_HASH;
  for (const [i, row] of rows.entries()) {
    const expectedSeq = i === 0 ? 1 : rows[i - 1]!.seq + 1;
    if (row.seq !== expectedSeq && row.seq > expectedSeq && row.prev_hash !== expectedPrev) {
      return {
        ok: false,
        seq: expectedSeq,
        problem: 'deleted',
        message: `audit row ${expectedSeq} is missing (row ${row.seq} follows ${expectedSeq - 1 || 'the start'})`,
      };
    }
    if (entryHash(row.prev_hash, row) !== row.hash) {
      return { ok: false, seq: row.seq, problem: 'edited', message: `audit row ${row.seq} was edited` };
    }
    if (row.prev_hash !== expectedPrev) {
      const predecessor = position.get(row.prev_hash);
      if (predecessor === undefined) {
        return {
          ok: false,
          seq: row.seq,
          problem: 'deleted',
          message: `the row before audit row ${row.seq} was deleted`,
        };
      }
      if (predecessor > i) {
        return {
          ok: false,
          seq: row.seq,
          problem: 'reordered',
          message: `audit row ${row.seq} is out of order (it follows row ${rows[predecessor]!.seq})`,
        };
      }
      return {
        ok: false,
        seq: row.seq,
        problem: predecessor === i ? 'edited' : 'inserted',
        message: `audit row ${row.seq} does not follow row ${rows[i - 1]?.seq ?? 'start'}: a row was inserted or renumbered`,
      };
    }
    if (row.seq !== expectedSeq) {
      // Chain intact but numbering is not: a row was renumbered.
      return { ok: false, seq: row.seq, problem: 'edited', message: `audit row ${row.seq} was renumbered` };
    }
    expectedPrev = row.hash;
  }
  return null;
}

/**
 * The anchors an intact chain `rows` (seq 1…n in order) does not meet: the lowest rewritten one
 * first (the earliest damage), else truncation, named at the first missing row and measured by the
 * highest anchor beyond the end.
 */
function checkAnchors(rows: readonly AuditRow[], anchors: readonly AuditAnchor[]): Broken | null {
  const end = rows.length;
  let lastMet = 0;
  for (const anchor of anchors) {
    const row = rows[anchor.seq - 1];
    if (!row) continue;
    if (row.hash !== anchor.hash) {
      return {
        ok: false,
        seq: anchor.seq,
        problem: 'rewritten',
        message:
          `audit row ${anchor.seq} no longer has the hash ${anchor.source} recorded: the chain was rewritten ` +
          `(rows ${lastMet + 1}–${anchor.seq} edited and the later hashes recomputed)`,
      };
    }
    lastMet = anchor.seq;
  }
  const highest = Math.max(end, ...anchors.map((a) => a.seq));
  // The first source naming the highest row (callers list the file copy before the database's).
  const beyond = anchors.find((a) => a.seq === highest && a.seq > end);
  if (!beyond) return null;
  return {
    ok: false,
    seq: end + 1,
    problem: 'truncated',
    message:
      `${end === 0 ? 'the log is empty' : `the log ends at row ${end}`}, but ${beyond.source} says ` +
      `row ${beyond.seq} existed: the log was truncated (rows ${end + 1}–${beyond.seq}, at least, were deleted)`,
  };
}
