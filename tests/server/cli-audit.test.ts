/**
 * `unblock-server audit keygen|verify|export` end to end: commands that append to the log sign the
 * new head; `audit verify` names truncation (the last row, every row) with the row's seq; the
 * export ends with the signed head.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cliStore, tamper } from './cli-harness';
import { forEachStore } from './pg-harness';

forEachStore('unblock-server audit', (fixture) => {
  it('keygen, signed heads, and verify naming truncation; export ends with the signed head', async () => {
    const cli = await cliStore(fixture);
    // No key yet and nothing signed: the chain is checked, and the operator told what is not.
    const fresh = await cli.run(['audit', 'verify']);
    expect(fresh.code, fresh.err).toBe(0);
    expect(fresh.out).toBe('audit log OK: 0 entries, chain intact; no signed checkpoint checked\n');
    expect(fresh.err).toContain('truncation and rewrites cannot be detected');

    const keygen = await cli.run(['audit', 'keygen']);
    expect(keygen.code, keygen.err).toBe(0);
    const keyFile = join(cli.auditDir, 'signing-key.pem');
    expect(keygen.out).toMatch(new RegExp(`^audit signing key [0-9a-f]{16} written to ${keyFile}`));
    expect(keygen.out).toContain(readFileSync(`${keyFile}.pub`, 'utf8'));
    expect(keygen.out).not.toContain('PRIVATE KEY');
    const twice = await cli.run(['audit', 'keygen']);
    expect(twice.code).toBe(1);
    expect(twice.err).toMatch(/already exists; refusing to replace/);

    for (const user of ['alice', 'bob', 'carol']) {
      const r = await cli.run(['token', 'create', '--user', user]);
      expect(r.code, r.err).toBe(0);
    }
    const good = await cli.run(['audit', 'verify']);
    expect(good.code, good.err).toBe(0);
    expect(good.err).toBe('');
    expect(good.out).toMatch(
      /^audit log OK: 3 entries, chain intact \(head 3 [0-9a-f]{64}\); 3 signed checkpoint\(s\) agree, the latest at row 3 signed /,
    );

    const exported = await cli.run(['audit', 'export']);
    expect(exported.code, exported.err).toBe(0);
    const lines = exported.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.slice(0, -1).map((l) => l.seq)).toEqual([1, 2, 3]);
    const signedHead = lines.at(-1) as {
      head: unknown;
      checkpoint: Record<string, unknown>;
      publicKey: string;
    };
    expect(signedHead.head).toEqual({ seq: 3, hash: lines[2]!.hash });
    expect(signedHead.checkpoint).toMatchObject({ seq: 3, hash: lines[2]!.hash });
    expect(typeof signedHead.checkpoint.signature).toBe('string');
    expect(signedHead.publicKey).toBe(readFileSync(`${keyFile}.pub`, 'utf8'));

    await cli.withDb((db) => tamper(db, 'audit_log', 'DELETE FROM audit_log WHERE seq = 3'));
    const lastRow = await cli.run(['audit', 'verify']);
    expect(lastRow.code).toBe(1);
    expect(lastRow.err).toMatch(
      /^audit log BROKEN at row 3 \(truncated\): the log ends at row 2, but the checkpoint signed at \S+ \(.*checkpoints\.jsonl line \d\) says row 3 existed/,
    );

    await cli.withDb((db) => tamper(db, 'audit_log', 'DELETE FROM audit_log'));
    const everyRow = await cli.run(['audit', 'verify']);
    expect(everyRow.code).toBe(1);
    expect(everyRow.err).toMatch(
      /^audit log BROKEN at row 1 \(truncated\): the log is empty, but the checkpoint signed at \S+ \(.*\) says row 3 existed: the log was truncated \(rows 1–3, at least, were deleted\)\n$/,
    );
  }, 300_000);
});
