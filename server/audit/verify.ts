/**
 * `unblock-server audit verify`: the hash chain (server/store/audit.ts), held against every signed
 * checkpoint found in the checkpoint files and in the database whose signature checks out against
 * a trusted public key (the signing key's, or keys the auditor names). A chain shorter than a
 * checkpoint says is a truncation; a checkpoint whose hash differs from the recomputed chain at
 * its seq is a rewrite. A checkpoint whose signature does not check out under a trusted key is a
 * forgery (someone wrote it without the key). Checkpoints signed by keys not trusted here cannot
 * be checked and are reported as such; when there are checkpoints but none can be checked, the
 * log is not called intact (a removed or swapped key must not turn verification off silently).
 */
import type { KeyObject } from 'node:crypto';
import { verifyAudit, type AuditAnchor, type AuditVerification } from '../store/audit';
import { listAuditCheckpoints, type AuditCheckpoint } from '../store/audit-checkpoints';
import type { Db } from '../store/db';
import { readCheckpointFile } from './checkpoints';
import { checkpointSignatureValid, keyIdOf } from './signing-key';

export type AuditReport = {
  /** Warnings for the operator (files missing, checkpoints that could not be checked). */
  readonly warnings: readonly string[];
  /** How many signed checkpoints were checked (distinct rows), and the latest of them. */
  readonly checkpoints: { readonly checked: number; readonly latest: AuditCheckpoint | null };
} & (
  | AuditVerification
  | {
      readonly ok: false;
      readonly seq: number;
      readonly problem: 'forged-checkpoint' | 'unverifiable';
      readonly message: string;
    }
);

interface Sourced {
  readonly checkpoint: AuditCheckpoint;
  readonly source: string;
}

export async function verifyAuditLog(
  db: Db,
  options: { readonly publicKeys: readonly KeyObject[]; readonly checkpointFiles: readonly string[] },
): Promise<AuditReport> {
  const warnings: string[] = [];
  const sourced: Sourced[] = [];
  for (const file of options.checkpointFiles) {
    const contents = await readCheckpointFile(file);
    if (contents.missing) warnings.push(`no checkpoint file at ${file}`);
    for (const line of contents.unreadable)
      warnings.push(`${file} line ${line} is not a checkpoint; ignored`);
    for (const c of contents.checkpoints) sourced.push({ checkpoint: c, source: `${file} line ${c.line}` });
  }
  for (const c of await listAuditCheckpoints(db)) sourced.push({ checkpoint: c, source: 'the database' });

  const trusted = new Map(options.publicKeys.map((k) => [keyIdOf(k), k]));
  if (trusted.size === 0) {
    warnings.push(
      'no public key to check checkpoints with (no signing key, no --public-key): truncation and rewrites cannot be detected',
    );
  }
  const anchors: AuditAnchor[] = [];
  const untrusted = new Set<string>();
  let latest: AuditCheckpoint | null = null;
  for (const { checkpoint: c, source } of sourced) {
    const key = trusted.get(c.keyId);
    if (!key) {
      untrusted.add(c.keyId);
      continue;
    }
    if (!checkpointSignatureValid(c, key)) {
      return {
        ok: false,
        seq: c.seq,
        problem: 'forged-checkpoint',
        message: `the checkpoint for row ${c.seq} in ${source} is not signed by key ${c.keyId}: someone wrote it without the key`,
        warnings,
        checkpoints: { checked: new Set(anchors.map((a) => a.seq)).size, latest },
      };
    }
    anchors.push({ seq: c.seq, hash: c.hash, source: `the checkpoint signed at ${c.at} (${source})` });
    if (!latest || c.seq > latest.seq) latest = c;
  }
  if (untrusted.size > 0) {
    warnings.push(
      `checkpoints signed by ${[...untrusted].join(', ')} were not checked: no such public key here (give it with --public-key)`,
    );
  }
  const checked = new Set(anchors.map((a) => a.seq)).size;
  if (anchors.length === 0 && sourced.length > 0) {
    return {
      ok: false,
      seq: 0,
      problem: 'unverifiable',
      message:
        `${sourced.length} checkpoint(s) were found but none is signed by a key held here ` +
        `(signed by ${[...untrusted].join(', ')}): give its public key with --public-key`,
      warnings,
      checkpoints: { checked, latest },
    };
  }
  if (trusted.size > 0 && anchors.length === 0) {
    warnings.push('no signed checkpoint found: truncation and rewrites cannot be detected yet');
  }
  const chain = await verifyAudit(db, { anchors });
  return { ...chain, warnings, checkpoints: { checked, latest } };
}
