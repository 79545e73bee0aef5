/**
 * The running broker anchors its audit chain: it makes the signing key on first start (and says
 * where), signs the head on start and on shutdown (file and database), and publishes the head on
 * the event stream, in JSON webhooks and with the audit listing.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { afterEach, expect, it } from 'vitest';
import { AuditList } from '../../lib/contract/api';
import { loadSigningKey } from '../../server/audit/signing-key';
import { verifyAuditLog } from '../../server/audit/verify';
import { BrokerConfig } from '../../server/config/schema';
import { toEventView } from '../../server/events/sse';
import { appendAudit } from '../../server/store/audit';
import type { StoredEvent } from '../../server/store/events';
import { startSimulatedBroker, type SimulatedBroker } from '../../sim/broker';
import { PRODUCTION, body, testConfig } from './broker-fixtures';
import { forEachStore } from './pg-harness';

let running: SimulatedBroker | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

forEachStore('audit head publication', (fixture) => {
  it('signs the head on start and shutdown, and publishes it on events, webhooks and the audit listing', async () => {
    const db = await fixture.migrated();
    await appendAudit(db, { actor: 'operator', type: 'token.created', subject: 'alice' });
    const auditDir = join(mkdtempSync(join(tmpdir(), 'unblock-audit-')), 'audit');
    const config = BrokerConfig.parse({
      ...(await testConfig()),
      // Nobody listens there: the delivery stays queued, which is all this test reads.
      webhooks: [{ name: 'siem', kind: 'json', url: 'http://127.0.0.1:9/hook', secret: 'x'.repeat(32) }],
    });
    const logs: string[] = [];
    const start = () =>
      startSimulatedBroker({ db, config, port: 0, auditDir, log: (line) => logs.push(line) });
    running = await start();
    const keyFile = join(auditDir, 'signing-key.pem');
    expect(logs.join('\n')).toContain(
      `audit: no checkpoint signing key at ${keyFile}; generated one (key id`,
    );
    const signer = (await loadSigningKey(keyFile))!;
    const fileLines = () =>
      readFileSync(join(auditDir, 'checkpoints.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { seq: number; keyId: string });
    expect(fileLines()).toEqual([expect.objectContaining({ seq: 1, keyId: signer.keyId })]);

    const { token } = await running.createApiToken('alice', 3_600_000);
    const res = await fetch(`${running.url}/api/v1/requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        body({ target: { cloud: 'aws', account: PRODUCTION }, actions: ['ec2:StopInstances'] }),
      ),
    });
    expect(res.status).toBe(201);

    const { rows: audit } = await db.query<{ seq: number; hash: string }>(
      "SELECT seq, hash FROM audit_log WHERE type = 'request.submitted'",
    );
    const row = { seq: audit[0]!.seq, hash: audit[0]!.hash };
    const { rows: events } = await db.query<StoredEvent>(
      "SELECT id, at, type, audience, payload FROM events WHERE type = 'request.submitted'",
    );
    expect(toEventView(events[0]!)).toMatchObject({ type: 'request.submitted', audit: row });
    const { rows: deliveries } = await db.query<{ body: string }>('SELECT body FROM webhook_deliveries');
    expect(JSON.parse(deliveries[0]!.body)).toMatchObject({ type: 'request.submitted', audit: row });

    const { token: carol } = await running.createApiToken('carol', 3_600_000);
    const listed = await fetch(`${running.url}/api/v1/audit`, {
      headers: { authorization: `Bearer ${carol}` },
    });
    expect(z.parse(AuditList, await listed.json()).checkpoint).toMatchObject({ seq: 1, keyId: signer.keyId });

    await running.close();
    running = undefined;
    const { rows: head } = await db.query<{ seq: number }>('SELECT max(seq) AS seq FROM audit_log');
    expect(fileLines().map((c) => c.seq)).toEqual([1, head[0]!.seq]);
    const report = await verifyAuditLog(db, {
      publicKeys: [signer.publicKey],
      checkpointFiles: [join(auditDir, 'checkpoints.jsonl')],
    });
    expect(report).toMatchObject({ ok: true, checkpoints: { checked: 2, latest: { seq: head[0]!.seq } } });

    // The next start uses the key it finds.
    logs.length = 0;
    running = await start();
    expect(logs.join('\n')).not.toContain('generated');
  });
});
