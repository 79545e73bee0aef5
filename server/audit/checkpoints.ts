/**
 * Signed checkpoints of the audit chain: the head's seq and hash, the time, and an Ed25519
 * signature by a key the database does not hold (signing-key.ts). Each is stored twice, in an
 * append-only JSON Lines file outside the database and in `audit_checkpoints`, so that deleting
 * rows from the end of the log, or rewriting rows and recomputing the hashes after them, shows up
 * in `unblock-server audit verify` (verify.ts) as long as either copy survives.
 *
 * The broker signs the head on start, whenever it moved since the last checkpoint (at most every
 * `audit.checkpointIntervalSeconds`), and on shutdown. What this does and does not prove is in
 * docs/operations.md.
 */
import { open, readFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod/mini';
import { AuditCheckpointView } from '../../lib/contract/tokens';
import {
  insertAuditCheckpoint,
  readAuditHead,
  registerAuditSigningKey,
  type AuditCheckpoint,
} from '../store/audit-checkpoints';
import type { Db } from '../store/db';
import type { AuditSigner } from './signing-key';

/** Signs the chain's current head and stores the checkpoint in the file and the database; null for an empty log. */
export async function writeCheckpoint(
  db: Db,
  signer: AuditSigner,
  file: string,
  now: Date,
): Promise<AuditCheckpoint | null> {
  const head = await readAuditHead(db);
  if (!head) return null;
  const at = now.toISOString();
  const checkpoint: AuditCheckpoint = {
    ...head,
    at,
    keyId: signer.keyId,
    signature: signer.sign({ ...head, at }),
  };
  // The file first: it is the copy a database rewrite cannot reach.
  await appendCheckpointLine(file, checkpoint);
  await registerAuditSigningKey(db, signer.keyId, signer.publicKeyPem, now);
  await insertAuditCheckpoint(db, checkpoint);
  return checkpoint;
}

async function appendCheckpointLine(file: string, checkpoint: AuditCheckpoint): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const handle = await open(file, 'a', 0o600);
  try {
    await handle.write(`${JSON.stringify(checkpoint)}\n`);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

export interface CheckpointFileContents {
  /** The checkpoints, each with its line number (for messages). */
  readonly checkpoints: readonly (AuditCheckpoint & { readonly line: number })[];
  /** Lines that are not checkpoints (a torn last write, or an edit), by line number. */
  readonly unreadable: readonly number[];
  readonly missing: boolean;
}

/** The checkpoints in a checkpoint file; `missing` when there is no such file. */
export async function readCheckpointFile(file: string): Promise<CheckpointFileContents> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return { checkpoints: [], unreadable: [], missing: true };
    throw e;
  }
  const checkpoints: (AuditCheckpoint & { line: number })[] = [];
  const unreadable: number[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      unreadable.push(i + 1);
      return;
    }
    const checked = z.safeParse(AuditCheckpointView, parsed);
    if (checked.success) checkpoints.push({ ...checked.data, line: i + 1 });
    else unreadable.push(i + 1);
  });
  return { checkpoints, unreadable, missing: false };
}

export interface Checkpointer {
  /** Signs the head now if it moved since the last checkpoint. */
  checkpoint(): Promise<AuditCheckpoint | null>;
  /** Stops the timer and signs the head a last time. */
  stop(): Promise<void>;
}

/**
 * Signs the head on start, then every `intervalMs` when it moved, and once more on `stop`.
 * Failures are logged, never thrown: the broker keeps serving, and the log says why the
 * checkpoints stopped.
 */
export async function startCheckpointer(deps: {
  db: Db;
  signer: AuditSigner;
  file: string;
  intervalMs: number;
  now: () => Date;
  log: (line: string) => void;
}): Promise<Checkpointer> {
  const { db, signer, file, now, log } = deps;
  let lastSeq: number | null = null;
  let running: Promise<AuditCheckpoint | null> = Promise.resolve(null);
  const checkpoint = (): Promise<AuditCheckpoint | null> => {
    running = running.then(async () => {
      try {
        const head = await readAuditHead(db);
        if (!head || head.seq === lastSeq) return null;
        const written = await writeCheckpoint(db, signer, file, now());
        if (written) lastSeq = written.seq;
        return written;
      } catch (e) {
        log(`audit: cannot write a checkpoint to ${file}: ${e instanceof Error ? e.message : String(e)}`);
        return null;
      }
    });
    return running;
  };
  await checkpoint();
  const timer = setInterval(() => void checkpoint(), deps.intervalMs);
  timer.unref();
  return {
    checkpoint,
    async stop() {
      clearInterval(timer);
      const last = await checkpoint();
      if (last) log(`audit: checkpoint at row ${last.seq} (${last.hash}) signed by key ${last.keyId}`);
    },
  };
}
