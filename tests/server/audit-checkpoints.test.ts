/**
 * Signed checkpoints of the audit chain (server/audit/): truncation (the last row, the last ten,
 * every row) and rewrites (a row edited and every later hash recomputed) pass the chain check on
 * its own, and are caught against the checkpoints, from the file outside the database or from
 * the database's copy; a valid log still verifies; forged checkpoints are named; the signing key
 * is never in the database.
 */
import { createHash, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { writeCheckpoint } from '../../server/audit/checkpoints';
import { generateSigningKey, type AuditSigner } from '../../server/audit/signing-key';
import { verifyAuditLog } from '../../server/audit/verify';
import { appendAudit, canonicalJson, verifyAudit } from '../../server/store/audit';
import type { Db } from '../../server/store/db';
import { forEachStore } from './pg-harness';

async function seed(db: Db, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) {
    await appendAudit(db, {
      actor: i % 2 ? 'alice' : 'bob',
      type: 'grant.active',
      subject: `grt-${i}`,
      details: { i },
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    });
  }
}

/** Tamper as a database superuser would: with the append-only triggers switched off. */
async function tamper(db: Db, table: string, sql: string): Promise<void> {
  await db.exec(
    `ALTER TABLE ${table} DISABLE TRIGGER USER; ${sql}; ALTER TABLE ${table} ENABLE TRIGGER USER;`,
  );
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Edits row `seq`'s details and recomputes its hash and every later one: the chain stays valid. */
async function rewrite(db: Db, seq: number, details: Record<string, unknown>): Promise<void> {
  await tamper(
    db,
    'audit_log',
    `UPDATE audit_log SET details = '${JSON.stringify(details)}' WHERE seq = ${seq}`,
  );
  const { rows } = await db.query<{
    seq: number;
    at: Date;
    actor: string;
    type: string;
    subject: string | null;
    details: unknown;
    prev_hash: string;
  }>('SELECT seq, at, actor, type, subject, details, prev_hash FROM audit_log WHERE seq >= $1 ORDER BY seq', [
    seq,
  ]);
  let prev = rows[0]!.prev_hash;
  for (const r of rows) {
    const hash = sha256(
      prev +
        canonicalJson({
          at: r.at.toISOString(),
          actor: r.actor,
          type: r.type,
          subject: r.subject,
          details: r.details,
        }),
    );
    await tamper(
      db,
      'audit_log',
      `UPDATE audit_log SET prev_hash = '${prev}', hash = '${hash}' WHERE seq = ${r.seq}`,
    );
    prev = hash;
  }
}

forEachStore('audit checkpoints', (store) => {
  async function setup(): Promise<{
    db: Db;
    signer: AuditSigner;
    file: string;
    verify: () => ReturnType<typeof verifyAuditLog>;
  }> {
    const db = await store.migrated();
    const dir = mkdtempSync(join(tmpdir(), 'unblock-audit-'));
    const signer = await generateSigningKey(join(dir, 'signing-key.pem'));
    const file = join(dir, 'checkpoints.jsonl');
    return {
      db,
      signer,
      file,
      verify: () => verifyAuditLog(db, { publicKeys: [signer.publicKey], checkpointFiles: [file] }),
    };
  }

  it('a valid log verifies against its checkpoints, rows after the last one included', async () => {
    const { db, signer, file, verify } = await setup();
    await seed(db, 1, 5);
    await writeCheckpoint(db, signer, file, new Date());
    await seed(db, 6, 12);
    await writeCheckpoint(db, signer, file, new Date());
    await seed(db, 13, 14);
    const report = await verify();
    expect(report).toMatchObject({ ok: true, count: 14, warnings: [] });
    expect(report.checkpoints).toMatchObject({ checked: 2, latest: { seq: 12 } });
  });

  it('detects deleting the last row, the last ten rows and every row', async () => {
    const { db, signer, file, verify } = await setup();
    await seed(db, 1, 12);
    await writeCheckpoint(db, signer, file, new Date());

    await tamper(db, 'audit_log', 'DELETE FROM audit_log WHERE seq = 12');
    // The chain alone is a valid, shorter chain: the finding.
    expect(await verifyAudit(db)).toMatchObject({ ok: true, count: 11 });
    const last = await verify();
    expect(last).toMatchObject({ ok: false, seq: 12, problem: 'truncated' });
    expect(!last.ok && last.message).toMatch(
      /the log ends at row 11, but the checkpoint signed at .* says row 12 existed/,
    );

    await tamper(db, 'audit_log', 'DELETE FROM audit_log WHERE seq > 2');
    expect(await verifyAudit(db)).toMatchObject({ ok: true, count: 2 });
    const ten = await verify();
    expect(ten).toMatchObject({ ok: false, seq: 3, problem: 'truncated' });
    expect(!ten.ok && ten.message).toMatch(
      /the log ends at row 2, .* says row 12 existed: .*rows 3–12, at least, were deleted/,
    );

    await tamper(db, 'audit_log', 'DELETE FROM audit_log');
    expect(await verifyAudit(db)).toEqual({ ok: true, count: 0, head: null });
    const all = await verify();
    expect(all).toMatchObject({ ok: false, seq: 1, problem: 'truncated' });
    expect(!all.ok && all.message).toMatch(/^the log is empty, but .* says row 12 existed/);
  });

  it('detects truncation from either copy: the file when the database copy is gone, and the reverse', async () => {
    const { db, signer, file, verify } = await setup();
    await seed(db, 1, 4);
    await writeCheckpoint(db, signer, file, new Date());
    await tamper(db, 'audit_log', 'DELETE FROM audit_log WHERE seq = 4');
    await tamper(db, 'audit_checkpoints', 'DELETE FROM audit_checkpoints');
    const fromFile = await verify();
    expect(fromFile).toMatchObject({ ok: false, seq: 4, problem: 'truncated' });
    expect(!fromFile.ok && fromFile.message).toContain(`${file} line 1`);

    const { db: db2, signer: signer2, file: file2 } = await setup();
    await seed(db2, 1, 4);
    await writeCheckpoint(db2, signer2, file2, new Date());
    await tamper(db2, 'audit_log', 'DELETE FROM audit_log WHERE seq = 4');
    rmSync(file2);
    const fromDb = await verifyAuditLog(db2, { publicKeys: [signer2.publicKey], checkpointFiles: [file2] });
    expect(fromDb).toMatchObject({ ok: false, seq: 4, problem: 'truncated' });
    expect(!fromDb.ok && fromDb.message).toContain('(the database)');
    expect(fromDb.warnings).toEqual([`no checkpoint file at ${file2}`]);
  });

  it('detects a row edited with every later hash recomputed, naming the checkpointed row', async () => {
    const { db, signer, file, verify } = await setup();
    await seed(db, 1, 4);
    await writeCheckpoint(db, signer, file, new Date());
    await seed(db, 5, 9);
    await writeCheckpoint(db, signer, file, new Date());
    await seed(db, 10, 10);
    await rewrite(db, 6, { i: 6, approvedBy: 'mallory' });
    // The plain sha256 chain is valid again after the recomputation: the finding.
    expect(await verifyAudit(db)).toMatchObject({ ok: true, count: 10 });
    const report = await verify();
    expect(report).toMatchObject({ ok: false, seq: 9, problem: 'rewritten' });
    expect(!report.ok && report.message).toMatch(
      /audit row 9 no longer has the hash the checkpoint signed at .* recorded: the chain was rewritten \(rows 5–9/,
    );
  });

  it('names a forged checkpoint, and does not trust checkpoints signed by another key', async () => {
    const { db, signer, file, verify } = await setup();
    await seed(db, 1, 3);
    await writeCheckpoint(db, signer, file, new Date());
    // Someone with the database but not the key "re-anchors" a shorter log.
    await db.query(
      'INSERT INTO audit_checkpoints (key_id, seq, hash, at, signature) VALUES ($1, 2, $2, now(), $3)',
      [signer.keyId, 'f'.repeat(64), Buffer.alloc(64).toString('base64')],
    );
    expect(await verify()).toMatchObject({ ok: false, seq: 2, problem: 'forged-checkpoint' });

    // Checkpoints from a key nobody trusts here: reported, and alone they do not pass for verified.
    const { db: db2 } = await setup();
    await seed(db2, 1, 3);
    const strangerDir = mkdtempSync(join(tmpdir(), 'unblock-other-'));
    const stranger = await generateSigningKey(join(strangerDir, 'k.pem'));
    await writeCheckpoint(db2, stranger, join(strangerDir, 'checkpoints.jsonl'), new Date());
    const unchecked = await verifyAuditLog(db2, { publicKeys: [signer.publicKey], checkpointFiles: [] });
    expect(unchecked).toMatchObject({ ok: false, problem: 'unverifiable' });
    expect(unchecked.warnings.join('\n')).toContain(stranger.keyId);
  });

  it('keeps the signing key out of the database, and publishes its public half there', async () => {
    const { db, signer, file } = await setup();
    await seed(db, 1, 2);
    await writeCheckpoint(db, signer, file, new Date());
    const keyFile = join(file, '..', 'signing-key.pem');
    const pem = readFileSync(keyFile, 'utf8');
    const privateJwk = createPrivateKey(pem).export({ format: 'jwk' });
    const secrets = [
      pem.replace(/-----[A-Z ]+-----|\s/g, ''), // the PKCS#8 body, base64
      privateJwk.d!, // the Ed25519 seed, base64url
      Buffer.from(privateJwk.d!, 'base64url').toString('base64'),
      Buffer.from(privateJwk.d!, 'base64url').toString('hex'),
    ];
    const { rows: tables } = await db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    let dump = '';
    for (const { table_name } of tables) {
      const { rows } = await db.query(`SELECT * FROM "${table_name}"`);
      dump += JSON.stringify(rows);
    }
    expect(dump).toContain(signer.keyId); // the dump does reach the checkpoint tables
    for (const secret of secrets) expect(dump).not.toContain(secret);
    const { rows: published } = await db.query<{ public_key: string }>(
      'SELECT public_key FROM audit_signing_keys WHERE key_id = $1',
      [signer.keyId],
    );
    expect(published).toEqual([{ public_key: signer.publicKeyPem }]);
  });
});
