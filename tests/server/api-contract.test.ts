import { describe, expect, it } from 'vitest';
import { toJSONSchema } from 'zod/v4/core';
import {
  AccessRequestView,
  ApiError,
  CreateRequestBody,
  DecisionBody,
  ERROR_STATUS,
  EventView,
  ExtendBody,
  GrantView,
  ListRequestsQuery,
  RevokeBody,
  validationError,
} from '../../lib/contract/api';
import { NewAccessRequest } from '../../lib/contract/request';
import { GRANT_FAILURE_CAUSES, GRANT_STATUSES, REQUEST_STATUSES } from '../../lib/contract/status';
import * as domain from '../../server/domain/types';
import { AUTH_ENDPOINTS } from '../../server/auth/oauth';
import { buildOpenApiDocument, SCHEMAS, type JsonSchema } from '../../server/http/openapi';
import { errorCodes, ROUTES, type Route } from '../../server/http/routes';

const validBody = () => ({
  target: { cloud: 'aws', account: '111111111111' },
  actions: ['s3:GetObject'],
  resource: 'arn:aws:s3:::bucket/key',
  durationMinutes: 60,
  justification: 'debugging the nightly export',
  ticket: 'OPS-1',
  denial: { excerpt: 'AccessDenied', denyKind: 'implicit', encodedMessage: null },
  pageUrl: 'https://console.aws.amazon.com/s3/',
});

/** The 400 body the broker would answer for `value`, or null when it parses. */
function fieldsOf(schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, value: unknown) {
  const r = schema.safeParse(value);
  if (r.success) return null;
  return validationError(r.error as Parameters<typeof validationError>[0]).error.fields ?? [];
}

describe('request bodies', () => {
  it('CreateRequestBody is the extension draft, and a valid draft parses', () => {
    expect(CreateRequestBody).toBe(NewAccessRequest);
    expect(CreateRequestBody.safeParse(validBody()).success).toBe(true);
  });

  it.each([
    ['top level', { ...validBody(), requester: 'mallory' }, 'requester'],
    [
      'target',
      { ...validBody(), target: { cloud: 'aws', account: '1', environment: 'prod' } },
      'target.environment',
    ],
    ['denial', { ...validBody(), denial: { ...validBody().denial, extra: 1 } }, 'denial.extra'],
  ])('rejects an unknown field at the %s level, naming its path', (_level, body, path) => {
    const fields = fieldsOf(CreateRequestBody, body);
    expect(fields).toContainEqual({ path, message: `${path}: unknown field` });
  });

  it('names every unknown field when there are several', () => {
    const fields = fieldsOf(CreateRequestBody, { ...validBody(), a: 1, b: 2 });
    expect(fields?.map((f) => f.path)).toEqual(expect.arrayContaining(['a', 'b']));
  });

  it.each([
    ['aws', '*', 1],
    ['aws', 's3:*', 1],
    ['aws', 's3:Get*', 0],
    ['gcp', 'compute.instances.*', 0],
    ['azure', 'Microsoft.Compute/*', 1],
    ['aws', 'not an action', 0],
  ] as const)('rejects %s action %j naming actions.N', (cloud, action, index) => {
    const valid = {
      aws: 's3:GetObject',
      gcp: 'compute.instances.start',
      azure: 'Microsoft.Compute/virtualMachines/start/action',
    }[cloud];
    const actions = index === 0 ? [action, valid] : [valid, action];
    const fields = fieldsOf(CreateRequestBody, { ...validBody(), target: { cloud, account: null }, actions });
    expect(fields).toHaveLength(1);
    expect(fields?.[0]?.path).toBe(`actions.${index}`);
    expect(fields?.[0]?.message).toMatch(/^actions: .*no wildcards/);
  });

  it('prefixes built-in zod messages with the field path', () => {
    const fields = fieldsOf(CreateRequestBody, { ...validBody(), target: { cloud: 'ibm', account: null } });
    expect(fields?.[0]?.path).toBe('target.cloud');
    expect(fields?.[0]?.message).toMatch(/^target\.cloud: /);
  });

  it('DecisionBody: optional comment up to 1000 characters, nothing else', () => {
    expect(DecisionBody.safeParse({}).success).toBe(true);
    expect(DecisionBody.safeParse({ comment: 'ok' }).success).toBe(true);
    expect(fieldsOf(DecisionBody, { comment: 'x'.repeat(1001) })).toEqual([
      { path: 'comment', message: 'comment: at most 1000 characters' },
    ]);
    expect(fieldsOf(DecisionBody, { comment: 'ok', approver: 'bob' })).toEqual([
      { path: 'approver', message: 'approver: unknown field' },
    ]);
    expect(fieldsOf(DecisionBody, 'approve')?.[0]?.message).toBe('body: must be an object');
  });

  it('ExtendBody: duration and justification with the request bounds', () => {
    expect(ExtendBody.safeParse({ durationMinutes: 60, justification: 'more time' }).success).toBe(true);
    const fields = fieldsOf(ExtendBody, { durationMinutes: 5, justification: ' ' });
    expect(fields?.map((f) => f.path)).toEqual(['durationMinutes', 'justification']);
    expect(fields?.[0]?.message).toBe('durationMinutes: at least 15 minutes');
    expect(fieldsOf(ExtendBody, { durationMinutes: 60, justification: 'x', grantId: 'g' })?.[0]?.path).toBe(
      'grantId',
    );
  });

  it('RevokeBody: optional reason, nothing else', () => {
    expect(RevokeBody.safeParse({}).success).toBe(true);
    expect(RevokeBody.safeParse({ reason: 'done early' }).success).toBe(true);
    expect(fieldsOf(RevokeBody, { reason: 'x', user: 'alice' })?.[0]?.path).toBe('user');
  });

  it('query schemas reject unknown parameters and unknown statuses', () => {
    expect(ListRequestsQuery.safeParse({ status: 'pending', mine: 'true' }).success).toBe(true);
    expect(fieldsOf(ListRequestsQuery, { status: 'nope' })?.[0]?.path).toBe('status');
    expect(fieldsOf(ListRequestsQuery, { requester: 'bob' })?.[0]?.path).toBe('requester');
  });

  it('markup- and SQL-looking strings are accepted as data (stored and returned inert)', () => {
    const body = { ...validBody(), justification: `<script>alert(1)</script>'; DROP TABLE requests; --` };
    const r = CreateRequestBody.safeParse(body);
    expect(r.success && r.data.justification).toBe(body.justification);
  });
});

describe('views and errors', () => {
  const at = '2026-01-31T12:00:00.000Z';
  const target = { cloud: 'aws', account: '111111111111', environment: 'dev', name: 'sandbox' };

  it('AccessRequestView accepts a full view with ISO times and rejects Date objects', () => {
    const view = {
      id: 'req_1',
      requester: 'alice',
      target,
      actions: [{ action: 's3:GetObject', risk: 'read' }],
      resource: null,
      durationMinutes: 60,
      justification: 'why',
      ticket: null,
      denial: { excerpt: 'AccessDenied', denyKind: 'implicit', encodedMessage: null },
      status: 'pending',
      createdAt: at,
      decidedAt: null,
      pendingExpiresAt: at,
      decision: {
        outcome: 'needs-approval',
        requiredApprovals: 1,
        policyIds: ['approve'],
        advice: ['Ask'],
        approverGroups: ['approvers'],
        approvers: ['bob'],
      },
      approvals: [{ approver: 'bob', at, comment: null }],
      denials: [],
      linkedGrantId: null,
      grantId: null,
    };
    expect(AccessRequestView.safeParse(view).success).toBe(true);
    expect(AccessRequestView.safeParse({ ...view, createdAt: new Date(at) }).success).toBe(false);
    expect(AccessRequestView.safeParse({ ...view, actions: [{ action: 'x', risk: 'huge' }] }).success).toBe(
      false,
    );
  });

  it('GrantView, EventView and ApiError parse their documented shapes', () => {
    const grant = {
      id: 'gr_1',
      requestId: 'req_1',
      user: 'alice',
      target,
      actions: [{ action: 's3:GetObject', risk: 'read' }],
      resource: null,
      status: 'revoke-failed',
      startsAt: at,
      expiresAt: at,
      lastError: 'throttled',
      nextAttemptAt: at,
      attempts: 2,
      endedAt: null,
    };
    expect(GrantView.safeParse(grant).success).toBe(true);
    const failure = {
      cause: 'permanent',
      reason: 'no grantable predefined role contains container.clusters.get',
      advice: 'set targets[].gcp.customRoles: true',
      code: null,
      attempts: 1,
      at,
    };
    expect(GrantView.safeParse({ ...grant, status: 'failed', maxAttempts: 8, failure }).success).toBe(true);
    expect(GrantView.safeParse({ ...grant, failure: { ...failure, cause: 'gave-up' } }).success).toBe(false);
    expect(EventView.safeParse({ id: '1', type: 'grant.failed', at, grantId: 'gr_1' }).success).toBe(true);
    expect(EventView.safeParse({ id: '1', type: 'grant.active', at, grantId: 'gr_1' }).success).toBe(true);
    expect(EventView.safeParse({ id: '1', type: 'grant.exploded', at }).success).toBe(false);
    const r = CreateRequestBody.safeParse({ ...validBody(), extra: true });
    expect(r.success).toBe(false);
    const error = validationError(r.error as Parameters<typeof validationError>[0]);
    expect(ApiError.safeParse(error).success).toBe(true);
    expect(error.error).toMatchObject({ code: 'invalid_request', message: 'extra: unknown field' });
  });

  it('the contract and the domain share one list of statuses', () => {
    expect(domain.REQUEST_STATUSES).toBe(REQUEST_STATUSES);
    expect(domain.GRANT_STATUSES).toBe(GRANT_STATUSES);
  });
});

/** Follows a local `#/…` JSON pointer; undefined when it does not resolve. */
function resolvePointer(doc: unknown, pointer: string): unknown {
  if (!pointer.startsWith('#/')) return undefined;
  return pointer
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      doc,
    );
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

/** Replaces every `$ref` by the schema it names (the contract has no cycles). */
function deref(doc: unknown, node: unknown): unknown {
  if (Array.isArray(node)) return node.map((n) => deref(doc, n));
  if (node && typeof node === 'object') {
    const obj = node as Record<string, unknown>;
    if (typeof obj.$ref === 'string') return deref(doc, resolvePointer(doc, obj.$ref));
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, deref(doc, v)]));
  }
  return node;
}

describe('OpenAPI document', () => {
  const doc = buildOpenApiDocument({ version: '1.2.3' });
  const paths = doc.paths as Record<string, Record<string, JsonSchema>>;
  const routes: readonly Route[] = ROUTES;

  it('is OpenAPI 3.1 with info, paths and a bearer security scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ version: '1.2.3' });
    expect(resolvePointer(doc, '#/info/title')).toBeTypeOf('string');
    expect(resolvePointer(doc, '#/components/securitySchemes/bearer')).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('has unique operation ids', () => {
    const ids = routes.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('covers the routes the broker issue names', () => {
    const have = routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(have).toEqual(
      expect.arrayContaining([
        'GET /healthz',
        'GET /api/v1/openapi.json',
        'POST /api/v1/requests',
        'GET /api/v1/requests',
        'GET /api/v1/requests/{id}',
        'POST /api/v1/requests/{id}/approve',
        'POST /api/v1/requests/{id}/deny',
        'POST /api/v1/requests/{id}/cancel',
        'GET /api/v1/grants',
        'POST /api/v1/grants/{id}/extend',
        'POST /api/v1/grants/{id}/revoke',
        'GET /api/v1/events',
        'GET /api/v1/audit',
      ]),
    );
  });

  it.each(routes.map((r) => [r.operationId, r] as const))(
    'documents %s exactly as the route table says',
    (_id, route) => {
      const op = paths[route.path]?.[route.method];
      expect(op).toBeDefined();
      expect(op?.operationId).toBe(route.operationId);
      expect(op?.security).toEqual(route.auth ? [{ bearer: [] }] : []);
      const statuses = Object.keys(op?.responses as object);
      for (const s of Object.keys(route.responses)) expect(statuses).toContain(s);
      for (const code of errorCodes(route)) expect(statuses).toContain(String(ERROR_STATUS[code]));
      const pathParams = ((op?.parameters ?? []) as JsonSchema[])
        .filter((p) => p.in === 'path')
        .map((p) => p.name);
      expect(pathParams).toEqual([...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
      if (route.body) {
        const bodyRef = resolvePointer(op, '#/requestBody/content/application~1json/schema/$ref') as string;
        const name = Object.entries(SCHEMAS).find(([, s]) => s === route.body)?.[0];
        expect(bodyRef).toBe(`#/components/schemas/${name}`);
      } else {
        expect(op?.requestBody).toBeUndefined();
      }
    },
  );

  it('has no operation the route table and the sign-in endpoints do not declare', () => {
    const documented = Object.entries(paths).flatMap(([p, item]) =>
      Object.keys(item).map((m) => `${m} ${p}`),
    );
    const auth = [...AUTH_ENDPOINTS].map(([p, m]) => `${m.toLowerCase()} ${p}`);
    expect(documented.sort()).toEqual([...routes.map((r) => `${r.method} ${r.path}`), ...auth].sort());
  });

  it('documents every sign-in endpoint the authorization server serves, with unique operation ids', () => {
    for (const [path, method] of AUTH_ENDPOINTS) {
      const op = paths[path]?.[method.toLowerCase()];
      expect(op, `${method} ${path}`).toMatchObject({ tags: ['auth'] });
    }
    const ids = Object.values(paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('resolves every $ref within components', () => {
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) {
      expect(r, r).toMatch(/^#\/components\/schemas\/\w+$/);
      expect(resolvePointer(doc, r), r).toBeTypeOf('object');
    }
  });

  it('request bodies are the JSON Schema of the contract itself (strict at every level)', () => {
    for (const route of routes.filter((r) => r.body)) {
      const schema = deref(
        doc,
        resolvePointer(paths[route.path]?.[route.method], '#/requestBody/content/application~1json/schema'),
      );
      const { $schema: _, ...expected } = toJSONSchema(route.body as NonNullable<Route['body']>, {
        target: 'draft-2020-12',
        io: 'input',
      });
      expect(schema, route.operationId).toEqual(expected);
    }
    const create = deref(doc, resolvePointer(doc, '#/components/schemas/CreateRequestBody')) as JsonSchema;
    expect(create.additionalProperties).toBe(false);
    expect(resolvePointer(create, '#/properties/target/additionalProperties')).toBe(false);
    expect(resolvePointer(create, '#/properties/denial/additionalProperties')).toBe(false);
    expect(create.required).toEqual(
      expect.arrayContaining(['target', 'actions', 'durationMinutes', 'justification', 'denial', 'pageUrl']),
    );
  });

  it('documents times as date-time strings and statuses as the contract enums', () => {
    const view = deref(doc, resolvePointer(doc, '#/components/schemas/AccessRequestView')) as JsonSchema;
    expect(resolvePointer(view, '#/properties/createdAt')).toMatchObject({
      type: 'string',
      format: 'date-time',
    });
    expect(resolvePointer(view, '#/properties/status/enum')).toEqual([...REQUEST_STATUSES]);
    const grant = deref(doc, resolvePointer(doc, '#/components/schemas/GrantView')) as JsonSchema;
    expect(resolvePointer(grant, '#/properties/status/enum')).toEqual([...GRANT_STATUSES]);
  });

  it('documents why a grant failed: the cause, the reason, the advice', () => {
    const grant = deref(doc, resolvePointer(doc, '#/components/schemas/GrantView')) as JsonSchema;
    // Nullable: one branch of anyOf is the object.
    const failure = deref(doc, resolvePointer(grant, '#/properties/failure')) as { anyOf?: JsonSchema[] };
    const shape = (failure.anyOf ?? [failure as JsonSchema]).find((b) => b.properties !== undefined);
    expect(resolvePointer(shape, '#/properties/cause/enum')).toEqual([...GRANT_FAILURE_CAUSES]);
    expect(shape?.required).toEqual(
      expect.arrayContaining(['cause', 'reason', 'advice', 'code', 'attempts', 'at']),
    );
    expect(resolvePointer(grant, '#/properties/maxAttempts/type')).toBe('integer');
  });

  it('documents the event stream as text/event-stream', () => {
    const events = paths['/api/v1/events']?.get;
    expect(Object.keys(resolvePointer(events, '#/responses/200/content') as object)).toEqual([
      'text/event-stream',
    ]);
    expect(resolvePointer(events, '#/responses/200/content/text~1event-stream/schema/x-event-data')).toEqual({
      $ref: '#/components/schemas/EventView',
    });
  });
});
