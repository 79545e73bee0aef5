/**
 * The database's copy of the audit chain's signed checkpoints (server/audit/ signs them, and also
 * appends each to a file outside the database) and the public keys they were signed with. Both
 * tables are append-only (migration 005). Nothing here is trusted by verification on its own:
 * a checkpoint counts only when its signature checks out against a key held outside the database.
 */
import type { AuditCheckpointView, AuditHead } from '../../lib/contract/tokens';
import type { Db, Tx } from './db';

export type AuditCheckpoint = AuditCheckpointView;

/** The last row of the chain (seq and hash); null for an empty log. */
export async function readAuditHead(db: Db | Tx): Promise<AuditHead | null> {
  const { rows } = await db.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
  );
  return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : null;
}

/** The last `count` rows of the chain, oldest first (a transition's own rows, read in its transaction). */
export async function readLatestAuditHeads(tx: Tx, count: number): Promise<AuditHead[]> {
  const { rows } = await tx.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT $1',
    [count],
  );
  return rows.map((r) => ({ seq: Number(r.seq), hash: r.hash })).reverse();
}

/** Stores a checkpoint; one signed by the same key at the same seq already stored is kept. */
export async function insertAuditCheckpoint(db: Db | Tx, c: AuditCheckpoint): Promise<void> {
  await db.query(
    `INSERT INTO audit_checkpoints (key_id, seq, hash, at, signature) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (key_id, seq) DO NOTHING`,
    [c.keyId, c.seq, c.hash, new Date(c.at), c.signature],
  );
}

interface CheckpointRow {
  key_id: string;
  seq: number;
  hash: string;
  at: Date;
  signature: string;
}

const fromRow = (r: CheckpointRow): AuditCheckpoint => ({
  seq: Number(r.seq),
  hash: r.hash,
  at: r.at.toISOString(),
  keyId: r.key_id,
  signature: r.signature,
});

/** Every stored checkpoint, by seq. */
export async function listAuditCheckpoints(db: Db | Tx): Promise<AuditCheckpoint[]> {
  const { rows } = await db.query<CheckpointRow>(
    'SELECT key_id, seq, hash, at, signature FROM audit_checkpoints ORDER BY seq, key_id',
  );
  return rows.map(fromRow);
}

/** The checkpoint with the highest seq (the latest signed head); null before the first. */
export async function latestAuditCheckpoint(db: Db | Tx): Promise<AuditCheckpoint | null> {
  const { rows } = await db.query<CheckpointRow>(
    'SELECT key_id, seq, hash, at, signature FROM audit_checkpoints ORDER BY seq DESC, at DESC LIMIT 1',
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Publishes a signing key's public half (PEM), once per key. */
export async function registerAuditSigningKey(
  db: Db | Tx,
  keyId: string,
  publicKeyPem: string,
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO audit_signing_keys (key_id, public_key, first_used_at) VALUES ($1, $2, $3)
     ON CONFLICT (key_id) DO NOTHING`,
    [keyId, publicKeyPem, now],
  );
}
