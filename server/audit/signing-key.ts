/**
 * The key that signs audit checkpoints: Ed25519 (node:crypto), kept in a PEM file outside the
 * database, so that whoever can rewrite the database cannot also sign a checkpoint that agrees
 * with the rewrite. Its public half is written beside it (`<key file>.pub`) and published in the
 * database for auditors; `keyId` names it in every checkpoint.
 *
 * Where the files live: `UNBLOCK_AUDIT_KEY_FILE` / `audit.signingKeyFile` for the key, and
 * `UNBLOCK_AUDIT_DIR` / `audit.dir` for the checkpoint file (and the key, by default); with
 * neither, a directory beside the embedded store (`<UNBLOCK_DATA_DIR>-audit`). See
 * docs/operations.md.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { signedCheckpointText, type AuditCheckpointView } from '../../lib/contract/tokens';
import type { AuditConfig } from '../config/schema';

/** A key file that cannot be used (not Ed25519, unreadable, already there for keygen). */
export class AuditKeyError extends Error {
  override name = 'AuditKeyError';
}

export interface AuditSigner {
  readonly keyId: string;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  /** base64 Ed25519 signature of the checkpoint's signed text. */
  sign(checkpoint: { seq: number; hash: string; at: string }): string;
}

/** Where the audit files are; null when checkpoints are off (an in-memory store with no setting). */
export interface AuditFiles {
  readonly keyFile: string;
  readonly checkpointFile: string;
}

export const CHECKPOINT_FILE_NAME = 'checkpoints.jsonl';
export const KEY_FILE_NAME = 'signing-key.pem';

/**
 * The audit files for a broker or CLI: explicit settings first (environment, then config), else
 * beside the embedded store's directory. An in-memory store (or a store handed over by a test)
 * with no setting has none: there is nothing durable to anchor.
 */
export function resolveAuditFiles(settings: {
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  readonly auditDir?: string;
  readonly auditKeyFile?: string;
  readonly config: AuditConfig;
}): AuditFiles | null {
  const keyFile = settings.auditKeyFile ?? settings.config.signingKeyFile;
  let dir = settings.auditDir ?? settings.config.dir;
  if (dir === undefined && keyFile !== undefined) dir = path.dirname(keyFile);
  if (dir === undefined) {
    const dataDir = settings.dataDir;
    const durable = settings.databaseUrl !== undefined || (dataDir !== undefined && dataDir !== 'memory');
    if (!durable) return null;
    // Beside the store, never inside it: PGlite's directory is the database itself.
    const base = dataDir && dataDir !== 'memory' ? dataDir : './.unblock';
    dir = `${base.replace(/[\\/]+$/, '')}-audit`;
  }
  return {
    keyFile: keyFile ?? path.join(dir, KEY_FILE_NAME),
    checkpointFile: path.join(dir, CHECKPOINT_FILE_NAME),
  };
}

/** The first 16 hex digits of the sha256 of the public key's SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

function signerFrom(privateKey: KeyObject): AuditSigner {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new AuditKeyError(
      `the audit signing key is ${privateKey.asymmetricKeyType ?? 'unknown'}, not Ed25519`,
    );
  }
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: keyIdOf(publicKey),
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (c) => sign(null, Buffer.from(signedCheckpointText(c)), privateKey).toString('base64'),
  };
}

/** The signer in `file`; null when there is no such file. */
export async function loadSigningKey(file: string): Promise<AuditSigner | null> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AuditKeyError(`cannot read the audit signing key ${file}: ${(e as Error).message}`);
  }
  try {
    return signerFrom(createPrivateKey(pem));
  } catch (e) {
    if (e instanceof AuditKeyError) throw new AuditKeyError(`${file}: ${e.message}`);
    throw new AuditKeyError(`${file} is not a PEM private key: ${(e as Error).message}`);
  }
}

/**
 * Creates a new key in `file` (mode 0600; its directory 0700 when created) and its public half in
 * `<file>.pub`. Never overwrites: a replaced key would orphan every checkpoint signed before.
 */
export async function generateSigningKey(file: string): Promise<AuditSigner> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const signer = signerFrom(privateKey);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), {
      mode: 0o600,
      flag: 'wx',
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new AuditKeyError(`${file} already exists; refusing to replace an audit signing key`);
    }
    throw e;
  }
  await writeFile(`${file}.pub`, signer.publicKeyPem, { mode: 0o644 });
  return signer;
}

/** A public key from PEM text: an SPKI public key, or a private key whose public half is meant. */
export function publicKeyFromPem(pem: string, source: string): KeyObject {
  try {
    const key = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType ?? 'unknown'} key`);
    return key;
  } catch (e) {
    throw new AuditKeyError(`${source} is not an Ed25519 key: ${(e as Error).message}`);
  }
}

/** Whether `checkpoint.signature` is `publicKey`'s signature of its seq, hash and time. */
export function checkpointSignatureValid(checkpoint: AuditCheckpointView, publicKey: KeyObject): boolean {
  try {
    return verify(
      null,
      Buffer.from(signedCheckpointText(checkpoint)),
      publicKey,
      Buffer.from(checkpoint.signature, 'base64'),
    );
  } catch {
    return false;
  }
}
