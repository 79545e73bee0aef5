/**
 * Every route of the broker's HTTP API, once: the HTTP server registers exactly these (by
 * `operationId`) and `openapi.ts` documents exactly these, so the two cannot drift.
 *
 * Paths use OpenAPI templates (`/api/v1/requests/{id}`). Bodies, queries and responses are the
 * zod schemas of the shared contract (`lib/contract/api.ts`); the server validates with the same
 * objects the document is generated from.
 */
import type * as z from 'zod/mini';
import {
  AccessRequestList,
  AccessRequestView,
  ActivityList,
  AuditList,
  CreateRequestBody,
  DecodeBody,
  DecodedView,
  LandingBody,
  LandingView,
  MeView,
  PreviewView,
  DecisionBody,
  ExtendBody,
  GrantList,
  GrantView,
  Health,
  ListAuditQuery,
  ListGrantsQuery,
  ListRequestsQuery,
  ERROR_STATUS,
  EventView,
  RevokeBody,
  type ErrorCode,
} from '../../lib/contract/api';
import { ApiTokenList, ApiTokenView, ListTokensQuery } from '../../lib/contract/tokens';

export const API_PREFIX = '/api/v1';

export type HttpMethod = 'get' | 'post' | 'delete';

export interface RouteResponse {
  description: string;
  /**
   * The JSON body; for `text/event-stream`, the JSON in each event's `data:`. Absent when the body
   * is not described by the contract (this document itself).
   */
  schema?: z.ZodMiniType;
  /** Defaults to `application/json`. */
  contentType?: string;
}

export interface Route {
  /** Stable name of the handler; unique. */
  operationId: string;
  method: HttpMethod;
  /** OpenAPI path template. */
  path: string;
  summary: string;
  tag: 'meta' | 'requests' | 'grants' | 'events' | 'audit' | 'tokens';
  /** Needs `Authorization: Bearer <access token>`. */
  auth: boolean;
  query?: z.ZodMiniObject;
  body?: z.ZodMiniType;
  /** Success responses by status. */
  responses: Readonly<Record<number, RouteResponse>>;
  /** Error codes beyond those implied by auth, body and path parameters (see `errorCodes`). */
  errors?: readonly ErrorCode[];
}

const json = (description: string, schema: z.ZodMiniType): RouteResponse => ({ description, schema });

export const ROUTES = [
  {
    operationId: 'getHealth',
    method: 'get',
    path: '/healthz',
    summary: 'Liveness and store reachability',
    tag: 'meta',
    auth: false,
    responses: { 200: json('The broker is up and its store answers', Health) },
  },
  {
    operationId: 'getOpenApi',
    method: 'get',
    path: `${API_PREFIX}/openapi.json`,
    summary: 'This OpenAPI 3.1 document',
    tag: 'meta',
    auth: false,
    responses: {
      200: {
        description: 'The OpenAPI document, generated from the zod contract',
        contentType: 'application/json',
      },
    },
  },
  {
    operationId: 'getMe',
    method: 'get',
    path: `${API_PREFIX}/me`,
    summary: 'The caller: user name, groups, and whether they approve or audit',
    tag: 'meta',
    auth: true,
    responses: { 200: json('The caller', MeView) },
  },
  {
    operationId: 'createRequest',
    method: 'post',
    path: `${API_PREFIX}/requests`,
    summary: 'Submit an access request; policy decides at once (auto-approve, needs approval, deny)',
    tag: 'requests',
    auth: true,
    body: CreateRequestBody,
    responses: { 201: json('The request as stored, with the policy decision', AccessRequestView) },
    errors: ['forbidden'],
  },
  {
    operationId: 'listRequests',
    method: 'get',
    path: `${API_PREFIX}/requests`,
    summary: "Requests the caller may see: their own, and approvers' queue",
    tag: 'requests',
    auth: true,
    query: ListRequestsQuery,
    responses: { 200: json('A page of requests, newest first', AccessRequestList) },
  },
  {
    operationId: 'getRequest',
    method: 'get',
    path: `${API_PREFIX}/requests/{id}`,
    summary: 'One request',
    tag: 'requests',
    auth: true,
    responses: { 200: json('The request', AccessRequestView) },
    errors: ['forbidden'],
  },
  {
    operationId: 'approveRequest',
    method: 'post',
    path: `${API_PREFIX}/requests/{id}/approve`,
    summary: 'Approve a pending request (approver group; never your own request)',
    tag: 'requests',
    auth: true,
    body: DecisionBody,
    responses: {
      200: json('The request after the approval (approved once enough approvers agreed)', AccessRequestView),
    },
    errors: ['forbidden', 'conflict'],
  },
  {
    operationId: 'denyRequest',
    method: 'post',
    path: `${API_PREFIX}/requests/{id}/deny`,
    summary: 'Deny a pending request',
    tag: 'requests',
    auth: true,
    body: DecisionBody,
    responses: { 200: json('The denied request', AccessRequestView) },
    errors: ['forbidden', 'conflict'],
  },
  {
    operationId: 'cancelRequest',
    method: 'post',
    path: `${API_PREFIX}/requests/{id}/cancel`,
    summary: 'Withdraw your own pending request',
    tag: 'requests',
    auth: true,
    body: DecisionBody,
    responses: { 200: json('The cancelled request', AccessRequestView) },
    errors: ['forbidden', 'conflict'],
  },
  {
    operationId: 'listGrants',
    method: 'get',
    path: `${API_PREFIX}/grants`,
    summary: 'Grants the caller may see',
    tag: 'grants',
    auth: true,
    query: ListGrantsQuery,
    responses: { 200: json('A page of grants, newest first', GrantList) },
  },
  {
    operationId: 'getGrant',
    method: 'get',
    path: `${API_PREFIX}/grants/{id}`,
    summary: 'One grant',
    tag: 'grants',
    auth: true,
    responses: { 200: json('The grant', GrantView) },
    errors: ['forbidden'],
  },
  {
    operationId: 'extendGrant',
    method: 'post',
    path: `${API_PREFIX}/grants/{id}/extend`,
    summary: 'Ask for more time: a linked request decided by policy; approval moves expiresAt',
    tag: 'grants',
    auth: true,
    body: ExtendBody,
    responses: { 201: json('The linked extension request', AccessRequestView) },
    errors: ['forbidden', 'conflict'],
  },
  {
    operationId: 'revokeGrant',
    method: 'post',
    path: `${API_PREFIX}/grants/{id}/revoke`,
    summary: 'Revoke early (the requester, an approver or an admin)',
    tag: 'grants',
    auth: true,
    body: RevokeBody,
    responses: { 202: json('The grant, now revoking (revocation completes asynchronously)', GrantView) },
    errors: ['forbidden', 'conflict'],
  },
  {
    operationId: 'landGrant',
    method: 'post',
    path: `${API_PREFIX}/grants/{id}/landing`,
    summary:
      'How the denied tab reaches this active grant: a one-time console sign-in URL (AWS) or a reload after propagation (Azure, GCP). The grant holder only.',
    tag: 'grants',
    auth: true,
    body: LandingBody,
    responses: { 200: json('The landing instruction (AWS sign-in URLs are single-use)', LandingView) },
    errors: ['forbidden', 'conflict'],
  },
  {
    operationId: 'listGrantActivity',
    method: 'get',
    path: `${API_PREFIX}/grants/{id}/activity`,
    summary: "What was done under the grant, from the cloud's own audit log",
    tag: 'grants',
    auth: true,
    responses: { 200: json('Activity over the grant window, oldest first', ActivityList) },
    errors: ['forbidden'],
  },
  {
    operationId: 'previewRequest',
    method: 'get',
    path: `${API_PREFIX}/requests/{id}/preview`,
    summary:
      'What approving would grant: the AWS session policy, or the Azure/GCP role and what else it carries',
    tag: 'requests',
    auth: true,
    responses: { 200: json('The preview', PreviewView) },
    errors: ['forbidden'],
  },
  {
    operationId: 'decodeDenial',
    method: 'post',
    path: `${API_PREFIX}/decode`,
    summary:
      'Have the cloud decode an encoded denial (AWS DecodeAuthorizationMessage) into actions and resource',
    tag: 'requests',
    auth: true,
    body: DecodeBody,
    responses: { 200: json('The decoded denial', DecodedView) },
    errors: ['forbidden'],
  },
  {
    operationId: 'streamEvents',
    method: 'get',
    path: `${API_PREFIX}/events`,
    summary: 'Server-Sent Events about requests and grants the caller may see',
    tag: 'events',
    auth: true,
    responses: {
      200: {
        description:
          'An event stream; each event has `id:` (send it back as `Last-Event-ID` to replay missed ones), `event:` (the type) and `data:` (an EventView as JSON). An `event: resync` without an id (data `{"reason": "replay-truncated" | "unknown-last-event-id"}`) means some events could not be replayed: reload the lists. A `: keep-alive` comment comes every 15 s.',
        contentType: 'text/event-stream',
        schema: EventView,
      },
    },
  },
  {
    operationId: 'listAudit',
    method: 'get',
    path: `${API_PREFIX}/audit`,
    summary: 'The hash-chained audit log (auditors)',
    tag: 'audit',
    auth: true,
    query: ListAuditQuery,
    responses: {
      200: json('A page of audit entries in sequence order, with the latest signed checkpoint', AuditList),
    },
    errors: ['forbidden'],
  },
  {
    operationId: 'listApiTokens',
    method: 'get',
    path: `${API_PREFIX}/tokens`,
    summary: "The caller's API tokens (never the secrets); admins: `user=NAME` or `all=true`",
    tag: 'tokens',
    auth: true,
    query: ListTokensQuery,
    responses: { 200: json('A page of API tokens, newest first', ApiTokenList) },
    errors: ['forbidden'],
  },
  {
    operationId: 'revokeApiToken',
    method: 'delete',
    path: `${API_PREFIX}/tokens/{id}`,
    summary: 'Revoke an API token at once, on every broker replica (its owner, or an admin); audited',
    tag: 'tokens',
    auth: true,
    responses: { 200: json('The token, revoked (revoking it again changes nothing)', ApiTokenView) },
  },
] as const satisfies readonly Route[];

export type OperationId = (typeof ROUTES)[number]['operationId'];

/** Names of the `{…}` parameters in a path template. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

/** Every error a route can answer with, in status order. */
export function errorCodes(route: Route): ErrorCode[] {
  const codes = new Set<ErrorCode>(route.errors ?? []);
  if (route.body) {
    const bodyErrors: ErrorCode[] = ['invalid_request', 'payload_too_large', 'unsupported_media_type'];
    bodyErrors.forEach((c) => codes.add(c));
  }
  if (route.query) codes.add('invalid_request');
  if (route.auth) {
    codes.add('unauthorized');
    codes.add('rate_limited');
  }
  if (pathParams(route.path).length > 0) codes.add('not_found');
  codes.add('internal');
  return [...codes].sort((a, b) => ERROR_STATUS[a] - ERROR_STATUS[b]);
}
