/**
 * The failure a new user hits first, through the broker's HTTP API on the demo configuration (the
 * real GCP provisioner against the GCP fake, whose catalogue has no predefined role holding
 * `container.clusters.get`): the auto-approved grant ends `failed` at once with the reason and the
 * operator's advice, approvers list it, a JSON webhook receives it, and the approver's preview of
 * the same request on production says it cannot be granted before anyone approves it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { GrantList, GrantView, PreviewView } from '../../lib/contract/api';
import { demoConfig } from '../../server/config/demo';
import { BrokerConfig } from '../../server/config/schema';
import { startSimulatedBroker } from '../../sim/broker';
import { startDemoClouds } from '../../sim/clouds/demo';
import { body } from './broker-fixtures';
import { forEachStore } from './pg-harness';

const SECRET = 'a-test-secret-of-32-characters!!';
const PERMISSION = 'container.clusters.get';
const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A JSON webhook receiver; its deliveries' bodies, parsed. */
async function receiver(): Promise<{
  url: string;
  events: { type: string; details: Record<string, unknown> }[];
}> {
  const events: { type: string; details: Record<string, unknown> }[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      events.push(JSON.parse(text) as (typeof events)[number]);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, events };
}

const clustersGet = (project: string) =>
  body({
    target: { cloud: 'gcp', account: project },
    actions: [PERMISSION],
    justification: 'read the cluster config',
    denial: {
      excerpt: `Required "${PERMISSION}" permission(s) for "projects/${project}/locations/us-central1/clusters/c1".`,
      denyKind: 'gcp-iam',
      encodedMessage: null,
    },
    pageUrl: `https://console.cloud.google.com/kubernetes/list?project=${project}`,
  });

forEachStore('grant failures over the API', (fixture) => {
  it('a GCP permission no predefined role holds: failed at once, with the reason and the advice, for all who see it', async () => {
    const hook = await receiver();
    const clouds = await startDemoClouds(await demoConfig());
    running.push(clouds);
    const config = BrokerConfig.parse({
      ...clouds.config,
      webhooks: [{ name: 'siem', kind: 'json', url: hook.url, secret: SECRET }],
    });
    const broker = await startSimulatedBroker({
      db: await fixture.migrated(),
      config,
      port: 0,
      sweepMs: 50,
      log: () => undefined,
    });
    running.push(broker);
    const tokens = Object.fromEntries(
      await Promise.all(
        ['alice', 'bob'].map(async (u) => [u, (await broker.createApiToken(u, 3_600_000)).token] as const),
      ),
    );
    const api = async (who: string, method: string, path: string, payload?: unknown) => {
      const res = await fetch(`${broker.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
      });
      return { status: res.status, json: (await res.json()) as unknown };
    };

    const created = await api('alice', 'POST', '/api/v1/requests', clustersGet('acme-dev'));
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const { grantId } = created.json as { grantId: string };
    const seen = new Set<string>();
    const failed = await until(async () => {
      const g = GrantView.parse((await api('alice', 'GET', `/api/v1/grants/${grantId}`)).json);
      seen.add(g.status);
      return g.status === 'failed' ? g : undefined;
    }, 'the grant to fail');
    // Never "retrying": the old broker kept it `provision-failed`, retrying until it expired.
    expect(seen.has('provision-failed')).toBe(false);
    expect(failed).toMatchObject({
      maxAttempts: 8,
      failure: {
        cause: 'permanent',
        reason: `no predefined role grantable on projects/acme-dev contains ${PERMISSION}`,
        advice: expect.stringMatching(/^set targets\[\]\.gcp\.customRoles: true/) as unknown,
        attempts: 1,
      },
    });
    expect(clouds.gcp.state.allows('user:alice@acme-corp.dev', 'acme-dev', PERMISSION)).toBe(false);

    // Bob approves on this target: his listing of failed grants has it, with the reason.
    const listed = GrantList.parse((await api('bob', 'GET', '/api/v1/grants?status=failed')).json);
    expect(listed.items.map((g) => [g.id, g.failure?.reason])).toEqual([[grantId, failed.failure!.reason]]);

    // The webhook heard every step, the failure with its reason and advice.
    const delivered = await until(
      () => Promise.resolve(hook.events.find((e) => e.type === 'grant.failed')),
      'the grant.failed webhook',
    );
    expect(delivered.details).toMatchObject({ cause: 'permanent', reason: failed.failure!.reason });
    expect(hook.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['grant.provision-failed', 'grant.revoking', 'grant.failed']),
    );

    // The same on production waits for an approver, whose preview says it cannot be granted.
    const pending = await api('alice', 'POST', '/api/v1/requests', clustersGet('acme-prod'));
    expect((pending.json as { status: string }).status).toBe('pending');
    const preview = await api(
      'bob',
      'GET',
      `/api/v1/requests/${(pending.json as { id: string }).id}/preview`,
    );
    expect(preview.status, JSON.stringify(preview.json)).toBe(200);
    expect(PreviewView.parse(preview.json)).toMatchObject({
      provisioner: 'gcp',
      summary: `Cannot be granted as the broker is configured: no predefined role grantable on projects/acme-prod contains ${PERMISSION}`,
      notes: [expect.stringMatching(/^What an operator can do: set targets\[\]\.gcp\.customRoles: true/)],
    });
  }, 60_000);
});
