/**
 * What the operator CLI's commands share (server/cli.ts dispatches to them): the output streams,
 * usage errors, opening the broker's store for one command, and the audit files.
 */
import { loadSigningKey, resolveAuditFiles, type AuditFiles } from '../audit/signing-key';
import type { BrokerConfig } from '../config/schema';
import type { BrokerOptions } from '../main';
import { writeCheckpoint } from '../audit/checkpoints';
import type { Db } from '../store/db';
import { openLockedStore } from '../store/open';
import { describeUrl } from '../store/postgres';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the operator asks the broker to stop (SIGINT/SIGTERM). */
  stopSignal: () => Promise<string>;
}

/** Bad usage: printed with the usage text, exit status 2. */
export class UsageError extends Error {}

/** Opens the store the broker would use (locking an embedded one), runs `fn`, closes it. */
export async function withStore<T>(
  options: BrokerOptions,
  purpose: string,
  fn: (db: Db) => Promise<T>,
): Promise<T> {
  const store = await openLockedStore(
    {
      dataDir: options.dataDir ?? './.unblock',
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    },
    purpose,
  );
  try {
    return await fn(store.db);
  } finally {
    await store.close();
  }
}

export function storeName(options: BrokerOptions): string {
  return options.databaseUrl
    ? `PostgreSQL ${describeUrl(options.databaseUrl)}`
    : `PGlite in ${options.dataDir}`;
}

/** `30m`, `1h`, `7d` → milliseconds; `never` (allowed only when the config says so). */
export function parseTtl(text: string): number | 'never' {
  if (text.trim() === 'never') return 'never';
  const m = /^(\d{1,6})(m|h|d)$/.exec(text.trim());
  if (!m) throw new UsageError(`--ttl: "${text}" is not a duration like 30m, 1h or 7d (or never)`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}

/** The audit key and checkpoint file the broker with these options uses; null for an in-memory store. */
export function auditFilesOf(options: BrokerOptions, config: BrokerConfig): AuditFiles | null {
  return resolveAuditFiles({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.auditDir ? { auditDir: options.auditDir } : {}),
    ...(options.auditKeyFile ? { auditKeyFile: options.auditKeyFile } : {}),
    config: config.audit,
  });
}

/**
 * After a command appended to the audit log: signs the new head when the signing key is there
 * (a command never creates the key; `start` and `audit keygen` do).
 */
export async function checkpointAfterWrite(db: Db, files: AuditFiles | null): Promise<void> {
  if (!files) return;
  const signer = await loadSigningKey(files.keyFile);
  if (signer) await writeCheckpoint(db, signer, files.checkpointFile, new Date());
}
