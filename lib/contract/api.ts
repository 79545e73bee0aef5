/**
 * The broker's HTTP API contract: request bodies the broker accepts and the views it returns.
 * Shared by the broker (validation, serialisation, the OpenAPI document in
 * `server/http/openapi.ts`), the extension and the CLI, so it is declared once with `zod/mini`.
 *
 * Bodies and query parameters live in `./api-input` (re-exported here). Views are plain objects
 * (clients ignore fields they do not know, so the broker can add fields without breaking older
 * extensions). Times are ISO 8601 date-time strings in UTC.
 */
import * as z from 'zod/mini';
import { RISKS } from './constants';
import { Cloud, DenyKind } from './denial';
import {
  EVENT_TYPES,
  EventType,
  GrantFailureCause,
  GrantStatus,
  PolicyOutcome,
  RequestStatus,
} from './status';
import { AuditCheckpointView, AuditHead } from './tokens';

export * from './api-input';

// ---------------------------------------------------------------------------------------------
// Views

/** An ISO 8601 date-time in UTC (`2026-01-31T12:00:00.000Z`), as `Date.prototype.toISOString` writes it. */
export const DateTime = z.iso.datetime();
const NullableDateTime = z.nullable(DateTime);

export const Risk = z.enum(RISKS);
export type Risk = z.infer<typeof Risk>;

export const TargetView = z.object({
  cloud: Cloud,
  /** AWS account id, Azure subscription id or GCP project id. */
  account: z.string(),
  /** The configured environment (`dev`, `prod`…). */
  environment: z.string(),
  /** The target's configured name, for people. */
  name: z.string(),
});
export type TargetView = z.infer<typeof TargetView>;

/** One permission with the risk level policies and approvers see for it. */
export const ActionView = z.object({ action: z.string(), risk: Risk });
export type ActionView = z.infer<typeof ActionView>;

export const DenialView = z.object({
  excerpt: z.string(),
  denyKind: DenyKind,
  encodedMessage: z.nullable(z.string()),
});
export type DenialView = z.infer<typeof DenialView>;

/** The policy decision stored with the request at submission. */
export const DecisionView = z.object({
  outcome: PolicyOutcome,
  /** Distinct approvers needed (meaningful for `needs-approval`). */
  requiredApprovals: z.int(),
  policyIds: z.array(z.string()),
  /** The matching policies' `@advice`, for requester and approver. */
  advice: z.array(z.string()),
  /** The groups whose members may decide (empty unless `needs-approval`). */
  approverGroups: z.array(z.string()),
  /**
   * The configured members of those groups other than the requester: who the requester is
   * waiting for. People known only to the identity provider are not listed (the group is).
   */
  approvers: z.array(z.string()),
});
export type DecisionView = z.infer<typeof DecisionView>;

export const ReviewView = z.object({
  approver: z.string(),
  at: DateTime,
  comment: z.nullable(z.string()),
});
export type ReviewView = z.infer<typeof ReviewView>;

export const AccessRequestView = z.object({
  id: z.string(),
  requester: z.string(),
  target: TargetView,
  actions: z.array(ActionView),
  resource: z.nullable(z.string()),
  durationMinutes: z.int(),
  justification: z.string(),
  ticket: z.nullable(z.string()),
  /** The denial the request came from (null for extensions and CLI requests). */
  denial: z.nullable(DenialView),
  status: RequestStatus,
  createdAt: DateTime,
  decidedAt: NullableDateTime,
  /** When the request expires if still pending. */
  pendingExpiresAt: DateTime,
  decision: DecisionView,
  approvals: z.array(ReviewView),
  /** Reviewers who said no, with their comments (a denial by one eligible reviewer decides). */
  denials: z.array(ReviewView),
  /** Set on extension requests: the grant whose `expiresAt` an approval moves. */
  linkedGrantId: z.nullable(z.string()),
  /** The grant this request produced or extended, once approved. */
  grantId: z.nullable(z.string()),
});
export type AccessRequestView = z.infer<typeof AccessRequestView>;

/**
 * Why the broker gave up provisioning a grant (set once it stopped trying; the grant then ends
 * `failed`). `reason` and `advice` are for people: the requester's banner, popup and side panel,
 * and the approvers' queue. The broker removes credentials from them before storing them.
 */
export const GrantFailureView = z.object({
  /** `permanent` (retrying cannot help), `attempts-exhausted` or `expired` (time ran out while retrying). */
  cause: GrantFailureCause,
  /** What went wrong, in the provisioner's words. */
  reason: z.string(),
  /** What an operator can do about it. */
  advice: z.string(),
  /** The cloud's own error code, if it gave one. */
  code: z.nullable(z.string()),
  /** Provisioning attempts made. */
  attempts: z.int(),
  at: DateTime,
});
export type GrantFailureView = z.infer<typeof GrantFailureView>;

export const GrantView = z.object({
  id: z.string(),
  requestId: z.string(),
  user: z.string(),
  target: TargetView,
  actions: z.array(ActionView),
  resource: z.nullable(z.string()),
  status: GrantStatus,
  startsAt: DateTime,
  expiresAt: DateTime,
  /** The last provisioning or revoking failure, while retrying. */
  lastError: z.nullable(z.string()),
  /** When the next retry is due (`provision-failed` / `revoke-failed`). */
  nextAttemptAt: NullableDateTime,
  /** Failed attempts in the current phase. */
  attempts: z.int(),
  /**
   * The most provisioning attempts the broker makes before it gives up (`provisioning.maxAttempts`),
   * so a client can say "attempt 2 of 8". Optional: brokers before this field omit it.
   */
  maxAttempts: z.optional(z.int()),
  /** Set once the broker gave up provisioning (status `revoking` while it cleans up, then `failed`). */
  failure: z.optional(z.nullable(GrantFailureView)),
  endedAt: NullableDateTime,
});
export type GrantView = z.infer<typeof GrantView>;

/**
 * How the denied tab reaches an active grant (what a provisioner's `landing` returns, and the API
 * passes on unchanged):
 * - `url`: open this one-time URL in that tab (AWS federation sign-in whose `Destination` is the
 *   denied page). Given to the requester once; never stored.
 * - `reload`: reload the tab now, showing `message`; `url` is the page to reload (the denied page,
 *   with e.g. GCP's `authuser` kept). The grant may take a while to show on the cloud's console
 *   (its propagation): typically `expectedMs`, at most `maxMs` after it became active, as the
 *   vendor documents it (docs/cloud-mechanics.md §2.5, §3.5). While the denial comes back on the
 *   reloaded page the extension says so and reloads again with back-off; past `maxMs` it shows
 *   `advice` (what to do then). `maxMs` 0: the grant applies at once, nothing to watch.
 */
export const LandingView = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('url'), url: z.string(), expiresAt: DateTime }),
  z.object({
    kind: z.literal('reload'),
    url: z.nullable(z.string()),
    expectedMs: z.int().check(z.gte(0)),
    maxMs: z.int().check(z.gte(0)),
    message: z.string(),
    advice: z.string(),
  }),
]);
export type LandingView = z.infer<typeof LandingView>;

/** What an encoded denial says, decoded by the cloud. */
export const DecodedView = z.object({
  actions: z.array(ActionView),
  resource: z.nullable(z.string()),
  summary: z.string(),
});
export type DecodedView = z.infer<typeof DecodedView>;

/** What approving a request would put in place, for the approver. */
export const PreviewView = z.object({
  /** Which provisioner would act (`sim`, `aws`, `azure`, `gcp`). */
  provisioner: z.string(),
  summary: z.string(),
  sessionPolicy: z.optional(z.unknown()),
  role: z.optional(z.object({ id: z.string(), name: z.string(), scope: z.string() })),
  alsoGrants: z.optional(z.array(z.string())),
  notes: z.optional(z.array(z.string())),
});
export type PreviewView = z.infer<typeof PreviewView>;

/** One thing done under a grant, from the cloud's own audit log. */
export const ActivityEntryView = z.object({
  at: DateTime,
  action: z.string(),
  resource: z.nullable(z.string()),
  outcome: z.string(),
});
export type ActivityEntryView = z.infer<typeof ActivityEntryView>;
export const ActivityList = z.object({ items: z.array(ActivityEntryView) });
export type ActivityList = z.infer<typeof ActivityList>;

// The event names are declared once, with the statuses; re-exported for API users.
export { EVENT_TYPES, EventType };

/** One Server-Sent Event's `data` (its `id` is also the SSE `id`, for `Last-Event-ID`). */
export const EventView = z.object({
  id: z.string(),
  type: EventType,
  at: DateTime,
  requestId: z.optional(z.string()),
  grantId: z.optional(z.string()),
  /** The audit row the event was recorded as: the chain's head then (docs/operations.md). */
  audit: z.optional(AuditHead),
});
export type EventView = z.infer<typeof EventView>;

/** One row of the hash-chained audit log. */
export const AuditEntryView = z.object({
  seq: z.int(),
  at: DateTime,
  actor: z.string(),
  type: z.string(),
  subject: z.nullable(z.string()),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEntryView = z.infer<typeof AuditEntryView>;

/** A page of a list; pass `nextCursor` back as `?cursor=` for the next page (null: no more). */
const listOf = <T extends z.ZodMiniType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.nullable(z.string()) });

export const AccessRequestList = listOf(AccessRequestView);
export type AccessRequestList = z.infer<typeof AccessRequestList>;
export const GrantList = listOf(GrantView);
export type GrantList = z.infer<typeof GrantList>;
export const AuditList = z.object({
  items: z.array(AuditEntryView),
  nextCursor: z.nullable(z.string()),
  /** The latest signed checkpoint of the chain; null before the first (docs/operations.md). */
  checkpoint: z.optional(z.nullable(AuditCheckpointView)),
});
export type AuditList = z.infer<typeof AuditList>;

/** GET /api/v1/me: who the token belongs to, and what the UI should offer them. */
export const MeView = z.object({
  user: z.string(),
  displayName: z.nullable(z.string()),
  groups: z.array(z.string()),
  /** Reviews requests on at least one target (the sidebar's queue). */
  approver: z.boolean(),
  /** Reads the audit log. */
  auditor: z.boolean(),
  /**
   * The targets this broker manages, so the extension can say before filing that a request would
   * be refused. Optional: brokers before this field omit it.
   */
  targets: z.optional(z.array(TargetView)),
});
export type MeView = z.infer<typeof MeView>;

export const Health = z.object({ status: z.literal('ok') });
export type Health = z.infer<typeof Health>;

// ---------------------------------------------------------------------------------------------
// Errors

/** Every error code the API returns, with its HTTP status. */
export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

export const FieldError = z.object({
  /** Dotted path of the field (`actions.0`, `denial.excerpt`); empty for the body itself. */
  path: z.string(),
  message: z.string(),
});
export type FieldError = z.infer<typeof FieldError>;

export const ApiError = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    /** One line for people; never a stack trace. */
    message: z.string(),
    /** For `invalid_request`: every invalid field. */
    fields: z.optional(z.array(FieldError)),
    /** For refusals a policy decided: the matching policies' advice, for people. */
    advice: z.optional(z.array(z.string())),
  }),
});
export type ApiError = z.infer<typeof ApiError>;

interface IssueLike {
  readonly code?: string;
  readonly message: string;
  readonly path: readonly PropertyKey[];
  readonly keys?: readonly string[];
}

/**
 * The issues of a failed parse as field errors: one per field, unknown fields each named with
 * their full path (zod reports them together on the enclosing object).
 */
export function fieldErrors(issues: readonly IssueLike[]): FieldError[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      return issue.keys.map((key) => {
        const full = [...path, key].join('.');
        return { path: full, message: `${full}: unknown field` };
      });
    }
    const joined = path.join('.');
    const named = /^[\w.]+: /.test(issue.message) || !joined;
    return [{ path: joined, message: named ? issue.message : `${joined}: ${issue.message}` }];
  });
}

/** The 400 body for a failed parse; `message` is the first field's message. */
export function validationError(error: { issues: readonly IssueLike[] }): ApiError {
  const fields = fieldErrors(error.issues);
  return {
    error: { code: 'invalid_request', message: fields[0]?.message ?? 'invalid request', fields },
  };
}
