/**
 * The OpenAPI 3.1 document served at `/api/v1/openapi.json`, generated from the zod contract
 * (`lib/contract/api.ts`) and the route table (`routes.ts`). Nothing here is written by hand that
 * the contract already says: schemas come from `toJSONSchema`, operations from `ROUTES`.
 *
 * Every schema a route uses must be named in `SCHEMAS` (it becomes
 * `#/components/schemas/<name>`, and schemas nested in it are referenced by that name too);
 * building the document throws if a route uses one that is not, so the document cannot silently
 * inline an anonymous copy.
 */
import * as z from 'zod/mini';
import { toJSONSchema } from 'zod/v4/core';
import * as api from '../../lib/contract/api';
import { RequestDenial, RequestTarget } from '../../lib/contract/request';
import * as tokens from '../../lib/contract/tokens';
import type { JsonSchema } from './json-schema';
import { AUTH_PATHS } from './openapi-auth';
import { errorCodes, pathParams, ROUTES, type Route } from './routes';

/** The named schemas of the document, in the order they appear under `components.schemas`. */
export const SCHEMAS = {
  CreateRequestBody: api.CreateRequestBody,
  RequestTarget,
  RequestDenial,
  DecisionBody: api.DecisionBody,
  ExtendBody: api.ExtendBody,
  RevokeBody: api.RevokeBody,
  LandingBody: api.LandingBody,
  DecodeBody: api.DecodeBody,
  AccessRequestView: api.AccessRequestView,
  AccessRequestList: api.AccessRequestList,
  TargetView: api.TargetView,
  ActionView: api.ActionView,
  DenialView: api.DenialView,
  DecisionView: api.DecisionView,
  ReviewView: api.ReviewView,
  GrantView: api.GrantView,
  GrantList: api.GrantList,
  EventView: api.EventView,
  AuditEntryView: api.AuditEntryView,
  AuditList: api.AuditList,
  AuditHead: tokens.AuditHead,
  AuditCheckpointView: tokens.AuditCheckpointView,
  ApiTokenView: tokens.ApiTokenView,
  ApiTokenList: tokens.ApiTokenList,
  LandingView: api.LandingView,
  DecodedView: api.DecodedView,
  PreviewView: api.PreviewView,
  ActivityEntryView: api.ActivityEntryView,
  ActivityList: api.ActivityList,
  MeView: api.MeView,
  Health: api.Health,
  ApiError: api.ApiError,
  FieldError: api.FieldError,
} as const satisfies Record<string, z.ZodMiniType>;

export type { JsonSchema };

const SCHEMA_REF = '#/components/schemas/';
const ref = (name: string): JsonSchema => ({ $ref: `${SCHEMA_REF}${name}` });

const ERROR_DESCRIPTION: Record<api.ErrorCode, string> = {
  invalid_request:
    'Invalid body or query: `error.fields` names every invalid field (unknown fields included)',
  unauthorized: 'Missing, expired or invalid access token',
  forbidden: 'The caller may not do this (policy, group, or not their request)',
  not_found: 'No such request, grant or token (or not visible to the caller)',
  method_not_allowed: 'The path exists but not with this method; `Allow` lists the methods it takes',
  conflict: 'The request or grant is not in a state that allows this',
  payload_too_large: 'Body over 64 kB',
  unsupported_media_type:
    'Body is not `application/json` in UTF-8 (no charset, or `charset=utf-8`), or the Content-Type is malformed',
  rate_limited: 'Too many requests from this user; retry after `Retry-After` seconds',
  internal: 'Unexpected error (details are logged, never returned)',
};

/** `components.schemas`: each named schema, with schemas nested in it replaced by references. */
function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(SCHEMAS)) registry.add(schema, { id });
  const { schemas } = toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `${SCHEMA_REF}${id}`,
  });
  const out: Record<string, JsonSchema> = {};
  for (const id of Object.keys(SCHEMAS)) {
    const schema = schemas[id];
    if (!schema) throw new Error(`OpenAPI: no JSON Schema generated for ${id}`);
    // `$id`/`$schema` per component would make every nested `$ref` resolve against the
    // component's own URI; the document's dialect is JSON Schema 2020-12 already.
    const { $id: _id, $schema: _schema, ...rest } = schema as JsonSchema;
    out[id] = rest;
  }
  return out;
}

function schemaName(schema: z.ZodMiniType, where: string): string {
  for (const [name, s] of Object.entries(SCHEMAS)) if (s === schema) return name;
  throw new Error(`OpenAPI: ${where} uses a schema that is not named in SCHEMAS`);
}

function queryParameters(route: Route): JsonSchema[] {
  if (!route.query) return [];
  const shape = route.query.def.shape as Record<string, z.ZodMiniType>;
  return Object.entries(shape).map(([name, schema]) => {
    const { $schema: _schema, ...json } = toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
    return {
      name,
      in: 'query',
      required: !(schema instanceof z.ZodMiniOptional),
      schema: json,
    };
  });
}

function operation(route: Route): JsonSchema {
  const where = `${route.method.toUpperCase()} ${route.path}`;
  const parameters: JsonSchema[] = [
    ...pathParams(route.path).map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })),
    ...queryParameters(route),
  ];
  if (route.operationId === 'streamEvents') {
    parameters.push({
      name: 'Last-Event-ID',
      in: 'header',
      required: false,
      description: 'Replay the events after this one (sent by EventSource on reconnect)',
      schema: { type: 'string' },
    });
  }

  const responses: Record<string, JsonSchema> = {};
  for (const [status, res] of Object.entries(route.responses)) {
    const contentType = res.contentType ?? 'application/json';
    let schema: JsonSchema;
    if (contentType === 'text/event-stream') {
      // OpenAPI 3.1 cannot type the events of a stream; the extension names the `data:` schema.
      schema = {
        type: 'string',
        ...(res.schema ? { 'x-event-data': ref(schemaName(res.schema, where)) } : {}),
      };
    } else {
      schema = res.schema ? ref(schemaName(res.schema, where)) : { type: 'object' };
    }
    responses[status] = { description: res.description, content: { [contentType]: { schema } } };
  }
  for (const code of errorCodes(route)) {
    const status = String(api.ERROR_STATUS[code]);
    const existing = responses[status];
    const description = ERROR_DESCRIPTION[code];
    responses[status] = {
      description: existing ? `${String(existing.description)}; or: ${description}` : description,
      content: { 'application/json': { schema: ref('ApiError') } },
    };
  }

  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref(schemaName(route.body, where)) } },
          },
        }
      : {}),
    responses,
    security: route.auth ? [{ bearer: [] }] : [],
  };
}

export interface OpenApiOptions {
  /** The broker's version, as `info.version`. */
  version?: string;
  /** Public base URL (e.g. `https://unblock.example.com`), as the document's only server. */
  serverUrl?: string;
}

/** Builds the document (pure; the server builds it once at start and serves the JSON). */
export function buildOpenApiDocument(options: OpenApiOptions = {}): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const routes: readonly Route[] = ROUTES;
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    if (item[route.method]) throw new Error(`OpenAPI: ${route.method} ${route.path} declared twice`);
    item[route.method] = operation(route);
  }
  for (const [path, item] of Object.entries(AUTH_PATHS)) {
    if (paths[path]) throw new Error(`OpenAPI: ${path} is both an API route and an auth endpoint`);
    paths[path] = item;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Unblock broker API',
      version: options.version ?? '0.1.0',
      description:
        'Just-in-time cloud access: requests decided by Cedar policy, approvals, time-bound grants, live events and a tamper-evident audit log. Generated from the zod contract in lib/contract/api.ts.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: [
      { name: 'meta', description: 'Health and this document' },
      { name: 'requests', description: 'Access requests and their decisions' },
      { name: 'grants', description: 'Time-bound grants' },
      { name: 'events', description: 'Live updates (Server-Sent Events)' },
      { name: 'audit', description: 'The hash-chained audit log' },
      { name: 'tokens', description: 'API tokens: listing and revocation' },
      {
        name: 'auth',
        description: 'Sign-in: the OAuth 2.0 authorization server (code + PKCE, refresh, revocation)',
      },
    ],
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An OAuth 2.0 access token from the broker (authorization code + PKCE), or an API token from `unblock-server token create`',
        },
      },
    },
  };
}
