/**
 * The GCP fake against Google's own API descriptions (tests/fixtures/conformance/gcp, vendored
 * excerpts of the discovery documents): every call the provisioner makes is a published method
 * (its `httpMethod` and `path`), its body fits the request schema, and the fake's answers carry
 * only fields the response schema declares, each of the declared JSON type; the fake accepts
 * every field of each request schema; and its errors take Google's shape
 * `{"error":{"code","message","status","details"}}` (docs/cloud-mechanics.md §3.7). So the fake
 * cannot drift from Google's wire format unnoticed.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { GcpFake } from '../../sim/clouds/gcp/fake';
import {
  loadDiscovery,
  methodFor,
  methodsOf,
  pathPattern,
  problemsOf,
  type DiscoveryDocument,
  type DiscoveryMethod,
} from './discovery-schema';
import {
  ALICE,
  bearerToken,
  closeGcpFakes,
  CONTEXT,
  googleCall,
  grantOf,
  NOW,
  PROJECT,
  setupGcp,
} from './gcp-fixtures';

afterEach(closeGcpFakes);

const DIR = 'tests/fixtures/conformance/gcp';
const DOCS: Readonly<Record<'crm' | 'iam' | 'logging', DiscoveryDocument>> = {
  crm: loadDiscovery(`${DIR}/cloudresourcemanager-v1.json`),
  iam: loadDiscovery(`${DIR}/iam-v1.json`),
  logging: loadDiscovery(`${DIR}/logging-v2.json`),
};
const RPC_CODES = JSON.parse(readFileSync(`${DIR}/google-rpc-code.json`, 'utf8')) as {
  name: string;
  http: number;
}[];

type Service = keyof typeof DOCS;
const isService = (s: string): s is Service => s in DOCS;

/** The problems of a Google error body answered with `httpStatus`. */
function errorShapeProblems(httpStatus: number, body: unknown): string[] {
  const problems: string[] = [];
  const envelope = body as { error?: Record<string, unknown> } | null;
  const keys = Object.keys(envelope ?? {});
  if (keys.length !== 1 || keys[0] !== 'error')
    problems.push(`body keys ${keys.join(',')}, not just "error"`);
  const error = envelope?.error ?? {};
  for (const key of Object.keys(error)) {
    if (!['code', 'message', 'status', 'details'].includes(key))
      problems.push(`error.${key}: not in Google's shape`);
  }
  if (error.code !== httpStatus)
    problems.push(`error.code ${String(error.code)} is not the HTTP status ${httpStatus}`);
  if (typeof error.message !== 'string' || error.message === '') problems.push('error.message missing');
  const code = RPC_CODES.find((c) => c.name === error.status);
  if (!code) problems.push(`error.status ${String(error.status)} is not a google.rpc.Code`);
  else if (code.http !== httpStatus)
    problems.push(`${code.name} maps to HTTP ${code.http}, answered ${httpStatus}`);
  if (error.details !== undefined) {
    if (!Array.isArray(error.details)) problems.push('error.details is not an array');
    else
      for (const detail of error.details as Record<string, unknown>[]) {
        if (
          typeof detail?.['@type'] !== 'string' ||
          !detail['@type'].startsWith('type.googleapis.com/google.')
        ) {
          problems.push(`a detail without a google @type: ${JSON.stringify(detail)}`);
        }
        if (detail?.['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo') {
          const extra = Object.keys(detail).filter(
            (k) => !['@type', 'reason', 'domain', 'metadata'].includes(k),
          );
          const metadata = Object.values((detail.metadata ?? {}) as Record<string, unknown>);
          if (extra.length > 0 || metadata.some((v) => typeof v !== 'string')) {
            problems.push(`ErrorInfo fields: ${JSON.stringify(detail)}`);
          }
        }
      }
  }
  return problems;
}

/** Every way the fake's log of requests departs from the vendored documents. */
function conformanceProblems(fake: GcpFake): { problems: string[]; methods: Set<string> } {
  const problems: string[] = [];
  const methods = new Set<string>();
  for (const r of fake.state.requests) {
    if (r.service === 'token') continue; // OAuth, not a discovery API
    const where = `${r.method} ${r.service}${r.path} (${r.status})`;
    const doc = isService(r.service) ? DOCS[r.service] : undefined;
    const method = doc && methodFor(doc, r.method, r.path);
    if (!doc || !method) {
      problems.push(`${where}: no such method in the vendored discovery documents`);
      continue;
    }
    methods.add(method.id);
    if (method.request)
      problems.push(...problemsOf(r.body, method.request.$ref, doc).map((p) => `${where} request: ${p}`));
    else if (r.body !== null) problems.push(`${where}: a body for a method that takes none`);
    if (r.status >= 200 && r.status < 300) {
      if (method.response)
        problems.push(
          ...problemsOf(r.response, method.response.$ref, doc).map((p) => `${where} response: ${p}`),
        );
    } else {
      problems.push(...errorShapeProblems(r.status, r.response).map((p) => `${where} error: ${p}`));
    }
  }
  return { problems, methods };
}

const ALL_METHODS = Object.values(DOCS).flatMap((doc) => methodsOf(doc).map((m) => m.id));

describe('the provisioner’s calls, as Google describes them', () => {
  it('grant, preview, custom roles, conflicts, revoke and activity use published methods and shapes only', async () => {
    const predefined = await setupGcp({ maxPageSize: 7 });
    const grant = grantOf();
    await predefined.provisioner.preview!(
      { cloud: 'gcp', account: PROJECT, environment: 'dev' },
      ['storage.objects.get'],
      null,
    );
    predefined.fake.state.injectConcurrentChange(1);
    await predefined.provisioner.grant(grant, { gcp: ALICE }, CONTEXT);
    await predefined.provisioner
      .grant(grantOf({ id: 'g-2', actions: ['storage.buckets.get'] }), { gcp: ALICE }, CONTEXT)
      .catch(() => null);
    for (let i = 0; i < 9; i += 1) {
      predefined.fake.state.addLogEntry(PROJECT, {
        principalEmail: 'alice@example.com',
        methodName: 'v1.compute.instances.start',
        resourceName: `projects/acme-dev/zones/us-central1-a/instances/vm-${i}`,
        permission: 'compute.instances.start',
        timestamp: new Date(NOW.getTime() + (i + 1) * 1000),
        ...(i === 0 ? { statusCode: 7, log: 'data_access' as const } : {}),
      });
    }
    predefined.fake.state.injectRateLimit(1);
    await predefined.provisioner.activity!(grant, null, { gcp: ALICE });
    await predefined.provisioner.revoke(grant, null, { gcp: ALICE });

    const custom = await setupGcp({ customRoles: true });
    await custom.provisioner.grant(grant, { gcp: ALICE }, CONTEXT);
    await custom.restart().grant(grantOf({ id: 'g-3' }), { gcp: ALICE }, CONTEXT);

    const checked = [predefined.fake, custom.fake].map(conformanceProblems);
    expect(checked.flatMap((c) => c.problems)).toEqual([]);
    // Every vendored method was exercised: the excerpt is exactly what the provisioner calls.
    expect(new Set(checked.flatMap((c) => [...c.methods]))).toEqual(new Set(ALL_METHODS));
    // The checks have teeth: errors were among the answers checked.
    expect(predefined.fake.state.requests.map((r) => r.status)).toEqual(expect.arrayContaining([409, 429]));
    expect(custom.fake.state.requests.map((r) => r.status)).toContain(409);
  });
});

/** A request body for each method, using every field of its request schema. */
async function samples(
  fake: GcpFake,
  bearer: string,
): Promise<Record<string, { url: string; body: unknown }>> {
  const firstPage = await googleCall(`${fake.endpoints.iam}/v1/roles:queryGrantableRoles`, bearer, 'POST', {
    fullResourceName: `//cloudresourcemanager.googleapis.com/projects/${PROJECT}`,
    pageSize: 2,
  });
  fake.state.addLogEntry(PROJECT, {
    principalEmail: 'alice@example.com',
    methodName: 'v1.compute.instances.start',
  });
  fake.state.addLogEntry(PROJECT, {
    principalEmail: 'alice@example.com',
    methodName: 'v1.compute.instances.stop',
  });
  const firstEntries = await googleCall(`${fake.endpoints.logging}/v2/entries:list`, bearer, 'POST', {
    resourceNames: [`projects/${PROJECT}`],
    pageSize: 1,
  });
  const crm = (method: string) => `${fake.endpoints.resourceManager}/v1/projects/${PROJECT}:${method}`;
  return {
    'cloudresourcemanager.projects.getIamPolicy': {
      url: crm('getIamPolicy'),
      body: { options: { requestedPolicyVersion: 3 } },
    },
    'cloudresourcemanager.projects.setIamPolicy': {
      url: crm('setIamPolicy'),
      body: {
        policy: {
          version: 3,
          etag: fake.state.policy(PROJECT).etag,
          bindings: [
            {
              role: 'roles/compute.viewer',
              members: [ALICE],
              condition: {
                title: 't',
                description: 'd',
                expression: 'request.time < timestamp("2026-06-02T00:00:00Z")',
                location: 'conformance',
              },
            },
          ],
          auditConfigs: [
            {
              service: 'allServices',
              auditLogConfigs: [{ logType: 'DATA_READ', exemptedMembers: ['user:bob@example.com'] }],
            },
          ],
        },
        updateMask: 'bindings,etag,auditConfigs',
      },
    },
    'iam.roles.queryGrantableRoles': {
      url: `${fake.endpoints.iam}/v1/roles:queryGrantableRoles`,
      body: {
        fullResourceName: `//cloudresourcemanager.googleapis.com/projects/${PROJECT}`,
        view: 'FULL',
        pageSize: 2,
        pageToken: firstPage.body.nextPageToken,
      },
    },
    'iam.projects.roles.create': {
      url: `${fake.endpoints.iam}/v1/projects/${PROJECT}/roles`,
      body: {
        roleId: 'conformance_role',
        role: {
          title: 'T',
          description: 'D',
          includedPermissions: ['compute.instances.get'],
          stage: 'GA',
          deleted: false,
        },
      },
    },
    'logging.entries.list': {
      url: `${fake.endpoints.logging}/v2/entries:list`,
      body: {
        resourceNames: [`projects/${PROJECT}`],
        projectIds: [PROJECT],
        filter: 'protoPayload.authenticationInfo.principalEmail="alice@example.com"',
        orderBy: 'timestamp desc',
        pageSize: 1,
        pageToken: firstEntries.body.nextPageToken,
      },
    },
  };
}

describe('the fake serves each published method', () => {
  const entries = Object.entries(DOCS).flatMap(([service, doc]) =>
    methodsOf(doc).map((m) => [service as Service, m] as const),
  );

  it.each(entries.map(([service, m]) => [m.id, service, m] as const))(
    '%s: the published method and path, every request field accepted, only declared fields answered',
    async (id: string, service: Service, method: DiscoveryMethod) => {
      const { clock, fake } = await setupGcp();
      const bearer = await bearerToken(fake, clock);
      const sample = (await samples(fake, bearer))[id]!;
      const doc = DOCS[service];
      const requestSchema = doc.schemas[method.request!.$ref]!;
      expect(Object.keys(sample.body as object).sort()).toEqual(
        Object.keys(requestSchema.properties ?? {}).sort(),
      );
      expect(problemsOf(sample.body, method.request!.$ref, doc)).toEqual([]);
      const path = new URL(sample.url).pathname.replace(/^\/[^/]+/, '');
      expect(path).toMatch(pathPattern(method));

      const answer = await googleCall(sample.url, bearer, method.httpMethod as 'GET' | 'POST', sample.body);
      expect(answer.body).not.toHaveProperty('error');
      expect(answer.status).toBe(200);
      expect(problemsOf(answer.body, method.response!.$ref, doc)).toEqual([]);
    },
  );
});

describe('the fake’s errors take Google’s shape', () => {
  it('401, 403, 404, 400, 409 and 429 answers are {error:{code,message,status,details}}', async () => {
    const { clock, fake, provisioner } = await setupGcp();
    const bearer = await bearerToken(fake, clock);
    const iam = `${fake.endpoints.iam}/v1/roles:queryGrantableRoles`;
    const crm = (project: string, method: string) =>
      `${fake.endpoints.resourceManager}/v1/projects/${project}:${method}`;
    const answers = [
      await googleCall(crm(PROJECT, 'getIamPolicy'), null, 'POST', {}),
      await googleCall(crm('no-such-project', 'getIamPolicy'), bearer, 'POST', {}),
      await googleCall(`${fake.endpoints.iam}/v1/nothing/here`, bearer, 'GET'),
      await googleCall(iam, bearer, 'POST', {}),
      await googleCall(crm(PROJECT, 'setIamPolicy'), bearer, 'POST', {
        policy: { bindings: [{ role: 'roles/storage.legacyObjectReader', members: [ALICE] }] },
      }),
      await googleCall(crm(PROJECT, 'setIamPolicy'), bearer, 'POST', {
        policy: { etag: 'AAAAAAAAAAA=', bindings: [] },
      }),
    ];
    fake.state.injectRateLimit(1);
    answers.push(
      await googleCall(`${fake.endpoints.logging}/v2/entries:list`, bearer, 'POST', {
        resourceNames: [`projects/${PROJECT}`],
      }),
    );
    fake.state.setPermissions('unblock-broker@acme-admin.iam.gserviceaccount.com', ['iam.roles.list']);
    answers.push(await googleCall(crm(PROJECT, 'getIamPolicy'), bearer, 'POST', {}));
    await provisioner.grant(grantOf(), { gcp: ALICE }, CONTEXT).catch(() => null);

    expect(answers.map((a) => a.status)).toEqual([401, 403, 404, 400, 400, 409, 429, 403]);
    expect(answers.flatMap((a) => errorShapeProblems(a.status, a.body))).toEqual([]);
    // The error shape check refuses what Google would not send.
    expect(errorShapeProblems(400, { error: { code: 400, message: 'x', status: 'NOT_FOUND' } })).not.toEqual(
      [],
    );
    expect(
      errorShapeProblems(403, {
        error: { code: 403, message: 'x', status: 'PERMISSION_DENIED', reason: 'r' },
      }),
    ).not.toEqual([]);
  });
});
