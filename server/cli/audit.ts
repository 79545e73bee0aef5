/**
 * `unblock-server audit keygen|verify|export`: the checkpoint signing key, the check of the chain
 * against the signed checkpoints (server/audit/verify.ts), and the log as JSON Lines ending with
 * its signed head. What verification proves, and what it cannot, is in docs/operations.md.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { writeCheckpoint } from '../audit/checkpoints';
import {
  AuditKeyError,
  generateSigningKey,
  loadSigningKey,
  publicKeyFromPem,
  type AuditFiles,
} from '../audit/signing-key';
import { verifyAuditLog } from '../audit/verify';
import { loadConfig } from '../config/load';
import { optionsFromEnv } from '../main';
import { readAudit } from '../store/audit';
import { latestAuditCheckpoint } from '../store/audit-checkpoints';
import { auditFilesOf, UsageError, withStore, type Io } from './common';

async function configuredAuditFiles(io: Io) {
  const options = optionsFromEnv(io.env);
  const { config } = await loadConfig(options.configFile);
  return { options, files: auditFilesOf(options, config) };
}

export async function auditKeygen(io: Io): Promise<number> {
  const { files } = await configuredAuditFiles(io);
  if (!files) {
    throw new UsageError(
      'audit keygen: the store is in memory; set UNBLOCK_AUDIT_DIR (or audit.dir in the config) for the key',
    );
  }
  const signer = await generateSigningKey(files.keyFile);
  io.out(
    `audit signing key ${signer.keyId} written to ${files.keyFile} (keep it off the database host and out of its backups)\n` +
      `public key (also in ${files.keyFile}.pub; give it to auditors):\n${signer.publicKeyPem}`,
  );
  return 0;
}

/** The signing key's public half (from the key, or from `<key>.pub` where only that is kept). */
async function configuredPublicKey(files: AuditFiles | null): Promise<KeyObject | null> {
  if (!files) return null;
  const signer = await loadSigningKey(files.keyFile);
  if (signer) return signer.publicKey;
  try {
    return publicKeyFromPem(await readFile(`${files.keyFile}.pub`, 'utf8'), `${files.keyFile}.pub`);
  } catch (e) {
    if (e instanceof AuditKeyError) throw e;
    return null;
  }
}

export async function auditVerify(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'public-key': { type: 'string', multiple: true, default: [] },
      checkpoints: { type: 'string', multiple: true, default: [] },
    },
    strict: true,
  });
  const { options, files } = await configuredAuditFiles(io);
  const publicKeys: KeyObject[] = [];
  const own = await configuredPublicKey(files);
  if (own) publicKeys.push(own);
  for (const file of values['public-key']) {
    const pem = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new UsageError(`--public-key ${file}: cannot read the file (${e.code ?? e.message})`);
    });
    publicKeys.push(publicKeyFromPem(pem, file));
  }
  const checkpointFiles = [...(files ? [files.checkpointFile] : []), ...values.checkpoints];
  const report = await withStore(options, 'unblock-server audit verify', (db) =>
    verifyAuditLog(db, { publicKeys, checkpointFiles }),
  );
  for (const warning of report.warnings) io.err(`warning: ${warning}\n`);
  if (!report.ok) {
    io.err(
      report.problem === 'unverifiable'
        ? `audit log NOT VERIFIED: ${report.message}\n`
        : `audit log BROKEN at row ${report.seq} (${report.problem}): ${report.message}\n`,
    );
    return 1;
  }
  const { checked, latest } = report.checkpoints;
  const head = report.head;
  io.out(
    `audit log OK: ${report.count} entries, chain intact${head ? ` (head ${head.seq} ${head.hash})` : ''}` +
      (latest
        ? `; ${checked} signed checkpoint(s) agree, the latest at row ${latest.seq} signed ${latest.at}\n`
        : '; no signed checkpoint checked\n'),
  );
  if (latest && head && head.seq > latest.seq) {
    io.out(`  rows ${latest.seq + 1}–${head.seq} come after the latest checkpoint: not anchored yet\n`);
  }
  return 0;
}

export async function auditExport(io: Io): Promise<number> {
  const { options, files } = await configuredAuditFiles(io);
  await withStore(options, 'unblock-server audit export', async (db) => {
    let after = 0;
    let head: { seq: number; hash: string } | null = null;
    for (;;) {
      const rows = await readAudit(db, after, 1000);
      for (const row of rows) io.out(`${JSON.stringify(row)}\n`);
      const last = rows.at(-1);
      if (last) head = { seq: last.seq, hash: last.hash };
      if (rows.length < 1000) break;
      after = last!.seq;
    }
    // The last line: the head, signed now when the key is here, else the latest stored checkpoint.
    const signer = files ? await loadSigningKey(files.keyFile) : null;
    const signed =
      signer && files ? await writeCheckpoint(db, signer, files.checkpointFile, new Date()) : null;
    const checkpoint = signed ?? (await latestAuditCheckpoint(db));
    io.out(`${JSON.stringify({ head, checkpoint, publicKey: signer?.publicKeyPem ?? null })}\n`);
  });
  return 0;
}
