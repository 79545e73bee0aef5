/**
 * The demo configuration on the real provisioners against the clouds' fakes, through the broker's
 * API: each cloud grants, the fake then allows exactly the granted action, the landing works
 * (AWS: the one-time console sign-in sets a session that may act; Azure/GCP: reload), and
 * revocation takes the access away again — inside Azure's 5-minute floor only once it has passed.
 */
import { afterEach, expect, it } from 'vitest';
import { GrantView, LandingView } from '../../lib/contract/api';
import { demoConfig } from '../../server/config/demo';
import { startSimulatedBroker as startBroker, type SimulatedBroker as RunningBroker } from '../../sim/broker';
import type { Db } from '../../server/store/db';
import { AWS_CONSOLE_COOKIE } from '../../sim/clouds/aws/fake';
import { startDemoClouds, type DemoClouds } from '../../sim/clouds/demo';
import { body } from './broker-fixtures';
import { forEachStore } from './pg-harness';

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

interface Demo {
  broker: RunningBroker;
  clouds: DemoClouds;
  api(method: string, path: string, payload?: unknown): Promise<{ status: number; json: unknown }>;
  activeGrant(requestBody: ReturnType<typeof body>): Promise<GrantView>;
}

async function startDemo(db: Db): Promise<Demo> {
  const clouds = await startDemoClouds(await demoConfig());
  running.push(clouds);
  const broker = await startBroker({ db, demoClouds: clouds, port: 0, sweepMs: 50, log: () => undefined });
  running.push(broker);
  const { token } = await broker.createApiToken('alice', 3_600_000);
  const api = async (method: string, path: string, payload?: unknown) => {
    const res = await fetch(`${broker.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    return { status: res.status, json: (await res.json()) as unknown };
  };
  return {
    broker,
    clouds,
    api,
    async activeGrant(requestBody) {
      const created = await api('POST', '/api/v1/requests', requestBody);
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      const { grantId } = created.json as { grantId: string };
      return until(async () => {
        const g = GrantView.parse((await api('GET', `/api/v1/grants/${grantId}`)).json);
        if (g.status === 'provision-failed') throw new Error(`provisioning failed: ${g.lastError}`);
        return g.status === 'active' ? g : undefined;
      }, 'the grant to become active');
    },
  };
}

const revokedAndGone = async (demo: Demo, grantId: string) => {
  expect((await demo.api('POST', `/api/v1/grants/${grantId}/revoke`, {})).status).toBe(202);
  return until(async () => {
    const g = GrantView.parse((await demo.api('GET', `/api/v1/grants/${grantId}`)).json);
    return g.status === 'revoked' ? g : undefined;
  }, 'the revocation');
};

forEachStore('demo clouds', (fixture) => {
  it('AWS: AssumeRole grant, one-time console sign-in back to the denied page, early revoke', async () => {
    const demo = await startDemo(await fixture.migrated());
    const grant = await demo.activeGrant(body({ actions: ['s3:GetObject'] }));
    const destination = 'https://us-east-1.console.aws.amazon.com/s3/buckets/exports?region=us-east-1';
    const landing = LandingView.parse(
      (await demo.api('POST', `/api/v1/grants/${grant.id}/landing`, { destination })).json,
    );
    if (landing.kind !== 'url') throw new Error('AWS lands through a sign-in URL');
    const login = await fetch(landing.url, { redirect: 'manual' });
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe(destination);
    const cookie = /aws-sim-console-session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
    expect(cookie, `${AWS_CONSOLE_COOKIE} cookie`).toBeDefined();
    const session = demo.clouds.aws.state.consoleSession(decodeURIComponent(cookie!))!;
    expect(session).toMatchObject({ account: '111111111111', sourceIdentity: 'alice' });
    expect(demo.clouds.aws.state.allows(session, 's3:GetObject', 'arn:aws:s3:::exports/x')).toBe(true);
    expect(demo.clouds.aws.state.allows(session, 's3:DeleteObject', 'arn:aws:s3:::exports/x')).toBe(false);
    // The sign-in URL is single-use.
    expect((await fetch(landing.url, { redirect: 'manual' })).status).not.toBe(302);

    await revokedAndGone(demo, grant.id);
    expect(demo.clouds.aws.state.allows(session, 's3:GetObject', 'arn:aws:s3:::exports/x')).toBe(false);
  });

  it('Azure: PIM assignment of the smallest role, reload landing, revoke after the 5-minute floor', async () => {
    const demo = await startDemo(await fixture.migrated());
    const alice = '3f2b9c1e-7d4a-4e8b-9a61-5c0d2e8f7b14';
    const sub = '11111111-1111-1111-1111-111111111111';
    const action = 'Microsoft.Compute/virtualMachines/read';
    expect(demo.clouds.azure.state.allows(alice, sub, action)).toBe(false);
    const grant = await demo.activeGrant(
      body({ target: { cloud: 'azure', account: sub }, actions: [action] }),
    );
    expect(demo.clouds.azure.state.allows(alice, sub, action)).toBe(true);
    expect(demo.clouds.azure.state.allows(alice, sub, 'Microsoft.Compute/virtualMachines/delete')).toBe(
      false,
    );
    const landing = LandingView.parse(
      (await demo.api('POST', `/api/v1/grants/${grant.id}/landing`, {})).json,
    );
    expect(landing).toMatchObject({ kind: 'reload' });

    // Inside the floor the revoke is retried, visibly; once it has passed, the access goes.
    expect((await demo.api('POST', `/api/v1/grants/${grant.id}/revoke`, {})).status).toBe(202);
    await until(async () => {
      const g = GrantView.parse((await demo.api('GET', `/api/v1/grants/${grant.id}`)).json);
      return g.status === 'revoke-failed' ? g : undefined;
    }, 'the refused early removal');
    expect(demo.clouds.azure.state.allows(alice, sub, action)).toBe(true);
    demo.clouds.clock.advance(6 * 60_000);
    await demo.broker.db.query('UPDATE grants SET next_attempt_at = now() WHERE id = $1', [grant.id]);
    await until(async () => {
      const g = GrantView.parse((await demo.api('GET', `/api/v1/grants/${grant.id}`)).json);
      return g.status === 'revoked' ? g : undefined;
    }, 'the removal after the floor');
    expect(demo.clouds.azure.state.allows(alice, sub, action)).toBe(false);
  });

  it('GCP: conditional binding of the smallest role, reload landing, revoke removes exactly it', async () => {
    const demo = await startDemo(await fixture.migrated());
    const member = 'user:alice@acme-corp.dev';
    const grant = await demo.activeGrant(
      body({ target: { cloud: 'gcp', account: 'acme-dev' }, actions: ['compute.instances.list'] }),
    );
    expect(demo.clouds.gcp.state.allows(member, 'acme-dev', 'compute.instances.list')).toBe(true);
    expect(demo.clouds.gcp.state.allows(member, 'acme-dev', 'compute.instances.delete')).toBe(false);
    const landing = LandingView.parse(
      (
        await demo.api('POST', `/api/v1/grants/${grant.id}/landing`, {
          destination: 'https://console.cloud.google.com/compute/instances?project=acme-dev&authuser=1',
        })
      ).json,
    );
    expect(landing).toMatchObject({ kind: 'reload' });
    if (landing.kind === 'reload') expect(landing.url).toMatch(/authuser=1/);
    // The condition is the backstop: on the fake clock past expiry the binding allows nothing.
    demo.clouds.clock.advance(61 * 60_000);
    expect(demo.clouds.gcp.state.allows(member, 'acme-dev', 'compute.instances.list')).toBe(false);
    demo.clouds.clock.advance(-61 * 60_000);
    await revokedAndGone(demo, grant.id);
    expect(demo.clouds.gcp.state.allows(member, 'acme-dev', 'compute.instances.list')).toBe(false);
    expect(JSON.stringify(demo.clouds.gcp.state.policy('acme-dev'))).not.toMatch(grant.id);
  });
});
