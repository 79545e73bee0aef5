/**
 * What the GCP provisioner tests share (not a test file itself): the broker's service-account
 * key, a GCP fake with a provisioner on it (cloud time a FakeClock; the provisioner's backoff
 * sleeps advance it instead of waiting), grant builders, and raw calls to the fake the way a
 * Google client makes them.
 */
import { createPrivateKey } from 'node:crypto';
import { exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { expect } from 'vitest';
import { createGcpProvisioner } from '../../server/clouds/gcp';
import type { Grant } from '../../server/domain';
import { ProvisionError, type Provisioner } from '../../server/provision/types';
import { FakeClock } from '../../sim/clouds/clock';
import { startGcpFake, type FakeBinding, type GcpFake } from '../../sim/clouds/gcp/fake';
import { grantFixture } from './domain-fixtures';

export const NOW = new Date('2026-06-01T12:00:00.000Z');
export const HOUR = 3600_000;
export const BROKER = 'unblock-broker@acme-admin.iam.gserviceaccount.com';
export const ALICE = 'user:alice@example.com';
export const PROJECT = 'acme-dev';
export const CONTEXT = { justification: 'restart the stuck VM', ticket: null };

interface Keys {
  readonly privatePem: string;
  readonly publicPem: string;
  /** A key the fake does not know. */
  readonly strangerPrivatePem: string;
}
let keys: Promise<Keys> | null = null;

/** The broker's RSA key pair (made once per test file: RSA generation is slow). */
export function gcpKeys(): Promise<Keys> {
  keys ??= (async () => {
    const broker = await generateKeyPair('RS256', { extractable: true });
    const stranger = await generateKeyPair('RS256', { extractable: true });
    return {
      privatePem: await exportPKCS8(broker.privateKey),
      publicPem: await exportSPKI(broker.publicKey),
      strangerPrivatePem: await exportPKCS8(stranger.privateKey),
    };
  })();
  return keys;
}

const open: GcpFake[] = [];
/** Closes every fake `setupGcp` started (each test file's afterEach). */
export async function closeGcpFakes(): Promise<void> {
  await Promise.all(open.splice(0).map((f) => f.close()));
}

export function grantOf(over: Partial<Grant> = {}): Grant {
  return grantFixture({
    id: 'g-1',
    requestId: 'r-1',
    user: 'alice',
    target: { cloud: 'gcp', account: PROJECT, environment: 'dev' },
    actions: ['compute.instances.start'],
    resource: null,
    status: 'provisioning',
    startsAt: NOW,
    ...over,
  });
}

export interface GcpSetup {
  readonly clock: FakeClock;
  readonly fake: GcpFake;
  readonly provisioner: Provisioner;
  readonly sleeps: number[];
  /** Another broker process (a restart): same config, its own caches. */
  readonly restart: () => Provisioner;
}

export interface GcpSetupOptions {
  readonly bindings?: FakeBinding[];
  readonly permissions?: string[];
  readonly customRoles?: boolean;
  readonly privateKey?: string;
  readonly maxPageSize?: number;
}

/** A GCP fake with projects acme-dev and acme-prod, and the broker's provisioner on it. */
export async function setupGcp(options: GcpSetupOptions = {}): Promise<GcpSetup> {
  const { privatePem, publicPem } = await gcpKeys();
  const clock = new FakeClock();
  clock.freeze(NOW);
  const fake = await startGcpFake({
    clock,
    projects: [
      { projectId: PROJECT, ...(options.bindings ? { bindings: options.bindings } : {}) },
      'acme-prod',
    ],
    serviceAccounts: [
      {
        clientEmail: BROKER,
        publicKeyPem: publicPem,
        ...(options.permissions ? { permissions: options.permissions } : {}),
      },
    ],
    ...(options.maxPageSize ? { maxPageSize: options.maxPageSize } : {}),
  });
  open.push(fake);
  const sleeps: number[] = [];
  const make = () =>
    createGcpProvisioner(
      {
        serviceAccount: { clientEmail: BROKER, privateKey: options.privateKey ?? privatePem },
        endpoints: { ...fake.endpoints, console: 'https://console.cloud.google.com' },
      },
      (projectId) => (projectId === PROJECT ? { customRoles: options.customRoles ?? false } : undefined),
      {
        now: () => clock.now(),
        sleep: (ms) => {
          sleeps.push(ms);
          clock.advance(ms);
          return Promise.resolve();
        },
      },
    );
  return { clock, fake, provisioner: make(), sleeps, restart: make };
}

export const calls = (fake: GcpFake, pathEnd: string) =>
  fake.state.requests.filter((r) => r.path.endsWith(pathEnd));
export const bindingsOf = (fake: GcpFake) => fake.state.policy(PROJECT).bindings;

export async function rejection(promise: Promise<unknown>): Promise<ProvisionError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProvisionError);
  return error as ProvisionError;
}

/** An access token for the broker's service account, from the fake's token endpoint. */
export async function bearerToken(fake: GcpFake, clock: FakeClock): Promise<string> {
  const { privatePem } = await gcpKeys();
  const iat = Math.floor(clock.now().getTime() / 1000);
  const assertion = await new SignJWT({ scope: 'https://www.googleapis.com/auth/cloud-platform' })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(BROKER)
    .setAudience(fake.endpoints.token)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .sign(createPrivateKey(privatePem));
  const res = await fetch(fake.endpoints.token, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** One JSON call to the fake, as a Google client sends it; the answer's status and parsed body. */
export async function googleCall(
  url: string,
  bearer: string | null,
  method: 'GET' | 'POST',
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
