/**
 * The background side of the banner's questions: the messages are validated and sender-checked
 * like the others, the catalogue (public/actions/*.json) answers `list-actions`, and the broker
 * answers `decode-denial` and `check-target` through the client (the token never leaves).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CLOUD_FACTS, CLOUDS, type Cloud } from '../../lib/clouds';
import { consoleService, resourceService } from '../../lib/actions/console-service';
import { createActionCatalog } from '../../lib/background/action-catalog';
import { createBannerQueries, ME_TTL_MS, type QueryBroker } from '../../lib/background/banner-queries';
import { handleMessage, type HandlerDeps } from '../../lib/background/handle-message';
import type { MeView } from '../../lib/contract/api';
import { createBrokerClient } from '../../lib/extension/broker-client';
import { BrokerError, notSignedIn } from '../../lib/extension/broker-error';
import { ActionsReply, DecodeReply, parseRuntimeMessage, TargetReply } from '../../lib/messaging/messages';
import { json } from './ext-broker-fixtures';

const readCatalog = (cloud: Cloud): Promise<unknown> =>
  Promise.resolve(
    JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'public', 'actions', `${cloud}.json`), 'utf8')),
  );

const sender = {
  id: 'ext',
  url: 'https://us-east-1.console.aws.amazon.com/ec2/home',
  frameId: 0,
  tab: { id: 3, url: 'https://us-east-1.console.aws.amazon.com/ec2/home' },
};

const me = (targets?: MeView['targets']): MeView => ({
  user: 'alice',
  displayName: null,
  groups: ['engineers'],
  approver: false,
  auditor: false,
  ...(targets ? { targets } : {}),
});
const TARGETS: MeView['targets'] = [
  { cloud: 'aws', account: '222222222222', environment: 'prod', name: 'production' },
  { cloud: 'azure', account: '11111111-1111-1111-1111-111111111111', environment: 'dev', name: 'azure-dev' },
];

function broker(over: Partial<QueryBroker> = {}): QueryBroker {
  return {
    baseUrl: 'http://127.0.0.1:8787',
    me: vi.fn(() => Promise.resolve(me(TARGETS))),
    decode: vi.fn(() => Promise.reject(new Error('not expected'))),
    ...over,
  };
}

describe('the new messages', () => {
  it('validates each field, the service name per cloud, and nothing extra', () => {
    expect(
      parseRuntimeMessage({ type: 'list-actions', cloud: 'azure', service: 'Microsoft.Compute' }).ok,
    ).toBe(true);
    expect(parseRuntimeMessage({ type: 'list-actions', cloud: 'aws', service: 'Microsoft.Compute' })).toEqual(
      {
        ok: false,
        error: 'service: not a service name',
      },
    );
    expect(parseRuntimeMessage({ type: 'list-actions', cloud: 'aws', service: 's3', extra: 1 }).ok).toBe(
      false,
    );
    expect(
      parseRuntimeMessage({
        type: 'decode-denial',
        target: { cloud: 'aws', account: '222222222222' },
        encodedMessage: '',
      }),
    ).toEqual({ ok: false, error: 'encodedMessage: required' });
    expect(
      parseRuntimeMessage({ type: 'check-target', target: { cloud: 'aws', account: 'x'.repeat(129) } }).ok,
    ).toBe(false);
    expect(parseRuntimeMessage({ type: 'check-target', target: { cloud: 'aws', account: '1' } }).ok).toBe(
      true,
    );
  });

  it('are refused from another extension or a page that is no console, before any question is asked', async () => {
    const queries = createBannerQueries({
      catalog: createActionCatalog(readCatalog),
      broker: () => Promise.resolve(broker()),
    });
    const spy = vi.spyOn(queries, 'decodeDenial');
    const deps: HandlerDeps = { runtimeId: 'ext', injectBanner: vi.fn(), saveDraft: vi.fn(), queries };
    const msg = {
      type: 'decode-denial',
      target: { cloud: 'aws', account: '222222222222' },
      encodedMessage: 'abc',
    };
    expect(await handleMessage(msg, { ...sender, id: 'other' }, deps)).toMatchObject({ ok: false });
    expect(
      await handleMessage(
        msg,
        { ...sender, url: 'https://evil.example/', tab: { id: 3, url: 'https://evil.example/' } },
        deps,
      ),
    ).toEqual({ ok: false, error: 'sender: not a console page' });
    expect(spy).not.toHaveBeenCalled();
    const listed = await handleMessage({ type: 'list-actions', cloud: 'aws', service: 's3' }, sender, deps);
    expect(ActionsReply.parse(listed)).toMatchObject({ ok: true });
    expect((listed as { actions: string[] }).actions).toContain('s3:GetObject');
  });
});

describe('the action catalogue', () => {
  it('has, per cloud, services whose actions all pass the grammar, including the ones the consoles deny', async () => {
    const catalog = createActionCatalog(readCatalog);
    for (const cloud of CLOUDS) {
      const file = (await readCatalog(cloud)) as { cloud: string; services: Record<string, string> };
      expect(file.cloud).toBe(cloud);
      for (const service of Object.keys(file.services)) {
        const actions = await catalog.actions(cloud, service);
        expect(actions.length, `${cloud} ${service}`).toBeGreaterThan(0);
        for (const a of actions) expect(CLOUD_FACTS[cloud].actionGrammar.test(a), a).toBe(true);
        // Listing every action of a service fits one reply.
        expect(ActionsReply.safeParse({ ok: true, actions }).success, `${cloud} ${service}`).toBe(true);
      }
    }
    expect(await catalog.actions('aws', 's3')).toEqual(
      expect.arrayContaining(['s3:GetObject', 's3:ListBucket']),
    );
    expect(await catalog.actions('aws', 'ec2')).toContain('ec2:StopInstances');
    expect(await catalog.actions('azure', 'microsoft.compute')).toContain(
      'Microsoft.Compute/virtualMachines/start/action',
    );
    expect(await catalog.actions('gcp', 'compute')).toContain('compute.instances.start');
    expect(await catalog.actions('gcp', 'storage')).toContain('storage.objects.get');
    expect(await catalog.actions('aws', 'no-such-service')).toEqual([]);
    expect(await catalog.actions('aws', '../etc')).toEqual([]);
  });

  it('treats a file that fails or does not match as empty, and tries it again next time', async () => {
    const load = vi
      .fn<(cloud: Cloud) => Promise<unknown>>()
      .mockRejectedValueOnce(new Error('missing'))
      .mockResolvedValueOnce({ cloud: 'gcp', source: 'x', services: { s3: 'GetObject' } })
      .mockResolvedValueOnce({ cloud: 'aws', source: 'x', services: { s3: 'GetObject Get*Object' } });
    const catalog = createActionCatalog(load);
    expect(await catalog.actions('aws', 's3')).toEqual([]);
    expect(await catalog.actions('aws', 's3')).toEqual([]);
    expect(await catalog.actions('aws', 's3')).toEqual(['s3:GetObject']);
    expect(await catalog.actions('aws', 's3')).toEqual(['s3:GetObject']);
    expect(load).toHaveBeenCalledTimes(3);
  });
});

describe('decode-denial', () => {
  const target = { cloud: 'aws' as const, account: '222222222222' };

  it('answers with what the broker decoded, and never with anything of the token', async () => {
    const arn = 'arn:aws:ec2:us-east-1:222222222222:instance/i-1';
    const fetch = vi.fn((_url: string, _init: RequestInit) =>
      Promise.resolve(
        json(200, {
          actions: [{ action: 'ec2:StopInstances', risk: 'write' }],
          resource: arn,
          summary: `alice was denied ec2:StopInstances on ${arn}`,
        }),
      ),
    );
    const client = createBrokerClient({
      baseUrl: 'http://127.0.0.1:8787',
      getToken: () => Promise.resolve('ubk_secret'),
      fetch: fetch as unknown as typeof globalThis.fetch,
    });
    const queries = createBannerQueries({
      catalog: createActionCatalog(readCatalog),
      broker: () => Promise.resolve(client),
    });
    const reply = await queries.decodeDenial(target, 'blob');
    expect(DecodeReply.parse(reply)).toEqual({
      ok: true,
      decoded: {
        actions: ['ec2:StopInstances'],
        resource: arn,
        summary: `alice was denied ec2:StopInstances on ${arn}`,
      },
    });
    expect(JSON.stringify(reply)).not.toContain('ubk_secret');
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('http://127.0.0.1:8787/api/v1/decode');
    expect(init.method).toBe('POST');
    expect(JSON.parse(init.body as string)).toEqual({ target, encodedMessage: 'blob' });
  });

  it.each([
    ['no broker', null, /^no broker is set up/],
    ['not signed in', notSignedIn(), /^sign in to Unblock/],
    [
      'an unknown account',
      new BrokerError('invalid_request', 'x', [{ path: 'target.account', message: 'x' }]),
      /^the broker does not manage this account$/,
    ],
    [
      'a message AWS refuses',
      new BrokerError('invalid_request', 'x', [
        {
          path: 'encodedMessage',
          message: 'encodedMessage: AWS could not decode the message: it is malformed or has expired',
        },
      ]),
      /^AWS could not decode the message: it is malformed or has expired$/,
    ],
    [
      'no answer',
      new BrokerError('unreachable', 'could not reach the broker (refused)'),
      /^The broker is unreachable/,
    ],
  ])('says why in one line: %s', async (_name, error, line) => {
    const queries = createBannerQueries({
      catalog: createActionCatalog(readCatalog),
      broker: () =>
        Promise.resolve(error === null ? null : broker({ decode: () => Promise.reject(error as Error) })),
    });
    const reply = await queries.decodeDenial(target, 'blob');
    expect(reply.ok).toBe(false);
    expect(DecodeReply.safeParse(reply).success).toBe(true);
    expect(!reply.ok && reply.error).toMatch(line);
  });
});

describe('check-target', () => {
  it('says managed (with the broker name, accounts case-insensitive), unmanaged, or unknown', async () => {
    let b: QueryBroker | null = broker();
    const queries = createBannerQueries({
      catalog: createActionCatalog(readCatalog),
      broker: () => Promise.resolve(b),
    });
    expect(await queries.checkTarget({ cloud: 'aws', account: '222222222222' })).toEqual({
      ok: true,
      target: { status: 'managed', name: 'production', environment: 'prod' },
    });
    expect(
      await queries.checkTarget({
        cloud: 'azure',
        account: '11111111-1111-1111-1111-111111111111'.toUpperCase(),
      }),
    ).toMatchObject({ target: { status: 'managed', name: 'azure-dev' } });
    expect(await queries.checkTarget({ cloud: 'gcp', account: '222222222222' })).toEqual({
      ok: true,
      target: { status: 'unmanaged' },
    });
    b = broker({ me: () => Promise.resolve(me()) });
    queries.forget();
    // A broker from before `targets`: nothing is said either way.
    expect(await queries.checkTarget({ cloud: 'aws', account: '333333333333' })).toEqual({
      ok: true,
      target: { status: 'unknown' },
    });
    b = broker({ me: () => Promise.reject(notSignedIn()) });
    queries.forget();
    expect(TargetReply.parse(await queries.checkTarget({ cloud: 'aws', account: '1' }))).toEqual({
      ok: true,
      target: { status: 'unknown' },
    });
    b = null;
    expect(await queries.checkTarget({ cloud: 'aws', account: '1' })).toEqual({
      ok: true,
      target: { status: 'unknown' },
    });
  });

  it('asks /me once for the cards of a page, again after a while or when forgotten', async () => {
    let t = 0;
    const meCall = vi.fn(() => Promise.resolve(me(TARGETS)));
    const b = broker({ me: meCall });
    const queries = createBannerQueries({
      catalog: createActionCatalog(readCatalog),
      broker: () => Promise.resolve(b),
      now: () => t,
    });
    await Promise.all([1, 2, 3].map(() => queries.checkTarget({ cloud: 'aws', account: '222222222222' })));
    expect(meCall).toHaveBeenCalledTimes(1);
    t += ME_TTL_MS + 1;
    await queries.checkTarget({ cloud: 'aws', account: '222222222222' });
    expect(meCall).toHaveBeenCalledTimes(2);
    queries.forget();
    await queries.checkTarget({ cloud: 'aws', account: '222222222222' });
    expect(meCall).toHaveBeenCalledTimes(3);
  });
});

describe('the service a page or resource is about', () => {
  it.each([
    ['aws', 'https://us-east-1.console.aws.amazon.com/s3/buckets/b?region=us-east-1', 's3'],
    ['aws', 'https://s3.console.aws.amazon.com/s3/home', 's3'],
    [
      'aws',
      'https://222222222222-abcd1234.us-east-1.console.aws.amazon.com/lambda/home#/functions',
      'lambda',
    ],
    ['aws', 'https://console.aws.amazon.com/dynamodbv2/home', 'dynamodb'],
    ['aws', 'https://console.aws.amazon.com/systems-manager/parameters', 'ssm'],
    ['aws', 'https://console.aws.amazon.com/console/home', null],
    ['aws', 'https://console.aws.amazon.com/constructor/home', null],
    [
      'azure',
      'https://portal.azure.com/#@t/resource/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/overview',
      'Microsoft.Compute',
    ],
    ['azure', 'https://portal.azure.com/#browse/Microsoft.Storage%2FStorageAccounts', 'Microsoft.Storage'],
    ['azure', 'https://portal.azure.com/#home', null],
    ['gcp', 'https://console.cloud.google.com/compute/instances?project=p', 'compute'],
    ['gcp', 'https://console.cloud.google.com/security/secret-manager?project=p', 'secretmanager'],
    ['gcp', 'https://console.cloud.google.com/kubernetes/list/overview', 'container'],
    ['gcp', 'https://console.cloud.google.com/home/dashboard', null],
    ['gcp', 'not a url', null],
  ] as const)('%s %s → %s', (cloud, url, service) => {
    expect(consoleService(cloud, url)).toBe(service);
  });

  it('reads the service from a resource', () => {
    expect(resourceService('aws', 'arn:aws:s3:::acme-prod-logs')).toBe('s3');
    expect(
      resourceService('azure', '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v'),
    ).toBe('Microsoft.KeyVault');
    expect(resourceService('gcp', '//storage.googleapis.com/projects/_/buckets/b')).toBe('storage');
    expect(resourceService('gcp', 'projects/acme-prod')).toBeNull();
    expect(resourceService('aws', null)).toBeNull();
  });
});
