/**
 * Webhooks wired into the running broker: a decision made through the API reaches a signed JSON
 * webhook and a Slack webhook, and a webhook that is down does not slow the decision.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { BrokerConfig } from '../../server/config/schema';
import { startSimulatedBroker as startBroker, type SimulatedBroker as RunningBroker } from '../../sim/broker';
import { verifySignature } from '../../server/webhooks';
import { PRODUCTION, body, testConfig } from './broker-fixtures';
import { forEachStore } from './pg-harness';

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
}

const SECRET = 'a-test-secret-of-32-characters!!';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function receiver(status: () => number): Promise<{ url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: text });
      res.writeHead(status()).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, deliveries };
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

forEachStore('broker webhooks', (fixture) => {
  it('sends a decision to a signed JSON webhook and a Slack webhook; a failing one blocks nothing', async () => {
    const json = await receiver(() => 200);
    const slack = await receiver(() => 200);
    const down = await receiver(() => 503);
    const config = BrokerConfig.parse({
      ...(await testConfig()),
      webhooks: [
        { name: 'siem', kind: 'json', url: json.url, secret: SECRET },
        { name: 'chat', kind: 'slack', url: slack.url, events: ['request.submitted'] },
        { name: 'broken', kind: 'json', url: down.url, secret: SECRET },
      ],
    });
    const broker: RunningBroker = await startBroker({
      db: await fixture.migrated(),
      config,
      port: 0,
      sweepMs: 100,
      log: () => undefined,
    });
    open.push(broker);
    const { token } = await broker.createApiToken('alice', 3_600_000);
    const res = await fetch(`${broker.url}/api/v1/requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        body({
          target: { cloud: 'aws', account: PRODUCTION },
          actions: ['ec2:StopInstances'],
          justification: 'stop the runaway host <!channel>',
        }),
      ),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };

    const signed = await until(
      () => json.deliveries.find((d) => d.headers['x-unblock-event'] === 'request.submitted'),
      'the JSON webhook',
    );
    expect(
      verifySignature(
        SECRET,
        String(signed.headers['x-unblock-timestamp']),
        signed.body,
        String(signed.headers['x-unblock-signature']),
        new Date(),
      ),
    ).toBe(true);
    expect(JSON.parse(signed.body)).toMatchObject({
      type: 'request.submitted',
      requestId: id,
      actor: 'alice',
    });

    const message = await until(() => slack.deliveries[0], 'the Slack webhook');
    const text = (JSON.parse(message.body) as { text: string }).text;
    expect(text).toMatch(/alice/);
    expect(text).toMatch(/ec2:StopInstances/);
    expect(JSON.stringify(JSON.parse(message.body))).not.toMatch(/<!channel>/);

    // The broken endpoint was tried and is being retried; the request was decided regardless.
    await until(() => down.deliveries[0], 'an attempt at the failing webhook');
    // The outbox records the attempt after the endpoint has answered: wait for that write.
    const row = await until(async () => {
      const { rows } = await broker.db.query<{ attempts: number; delivered_at: Date | null }>(
        "SELECT attempts, delivered_at FROM webhook_deliveries WHERE webhook = 'broken' ORDER BY id LIMIT 1",
      );
      return rows[0] && rows[0].attempts >= 1 ? rows[0] : undefined;
    }, 'the failed attempt recorded in the outbox');
    expect(row.delivered_at).toBeNull();
  });
});
