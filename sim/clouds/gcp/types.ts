/**
 * The GCP fake's public shapes: its options (projects, service accounts), IAM policies and
 * bindings as it stores and returns them, audit-log input, the request log, and the state handle
 * tests and the simulated consoles read.
 */
import type { FakeClock } from '../clock';
import type { FakeRole } from './catalogue';

export interface FakeCondition {
  readonly title?: string;
  readonly description?: string;
  readonly expression: string;
}

export interface FakeBinding {
  readonly role: string;
  readonly members: readonly string[];
  readonly condition?: FakeCondition;
}

export interface FakePolicy {
  readonly version: number;
  readonly etag: string;
  readonly bindings: readonly FakeBinding[];
  readonly auditConfigs?: readonly unknown[];
}

export interface FakeProject {
  readonly projectId: string;
  /** The policy the project starts with (conditional bindings allowed: it is stored as version 3). */
  readonly bindings?: readonly FakeBinding[];
  readonly auditConfigs?: readonly unknown[];
}

export interface FakeServiceAccount {
  readonly clientEmail: string;
  /** SPKI PEM of the account's key: the token endpoint verifies assertions with it. */
  readonly publicKeyPem: string;
  /**
   * What the account may do on every project (the broker's custom role, in effect). Absent: every
   * permission. Present: only these; anything else answers 403 PERMISSION_DENIED.
   */
  readonly permissions?: readonly string[];
}

/** One audit-log record to add (a console action, or a test's seed). */
export interface FakeAuditEvent {
  readonly principalEmail: string;
  readonly methodName: string;
  readonly serviceName?: string;
  readonly resourceName?: string;
  readonly permission?: string;
  /** google.rpc.Code; 0 (default) = success, 7 = PERMISSION_DENIED. */
  readonly statusCode?: number;
  /** Default: now on the fake clock. */
  readonly timestamp?: Date;
  /** `activity` (writes, default) or `data_access` (reads). */
  readonly log?: 'activity' | 'data_access';
}

export interface FakeRequest {
  readonly method: string;
  /** Path without the service prefix (`/v1/projects/p:setIamPolicy`), or `/token`. */
  readonly path: string;
  readonly service: 'token' | 'crm' | 'iam' | 'logging' | 'unknown';
  readonly status: number;
  /** The request's body (JSON, or the token form's fields). */
  readonly body: unknown;
  /** What the fake answered (JSON). */
  readonly response: unknown;
}

export interface GcpFakeState {
  /**
   * Whether `member` (`user:alice@example.com`) holds `permission` on `projectId` at `now`
   * (default: the fake clock): some binding lists the member, its role (predefined or the
   * project's custom role) includes the permission, and its condition, if any, is true then.
   * `resource` is the full resource name, for `resource.name.startsWith` conditions.
   */
  allows(member: string, projectId: string, permission: string, now?: Date, resource?: string): boolean;
  /** The project's current policy, conditions included (a copy); throws for an unknown project. */
  policy(projectId: string): FakePolicy;
  /** Replace the project's bindings (a new etag, as if someone edited the policy). */
  setBindings(projectId: string, bindings: readonly FakeBinding[]): void;
  /** The project's custom roles (a copy). */
  customRoles(projectId: string): FakeRole[];
  /** Record an audit-log entry for `projectId`. */
  addLogEntry(projectId: string, event: FakeAuditEvent): void;
  /** Answer the next `count` setIamPolicy calls with 409 ABORTED, as if someone wrote concurrently. */
  injectConcurrentChange(count?: number): void;
  /** Answer the next `count` entries:list calls with 429 RESOURCE_EXHAUSTED. */
  injectRateLimit(count?: number): void;
  /** Invalidate every access token issued so far (a key rotation, a revoked session): the next call is 401. */
  revokeTokens(): void;
  /** Change what a service account may do (null: everything). */
  setPermissions(clientEmail: string, permissions: readonly string[] | null): void;
  /** Every request served, in order. */
  readonly requests: readonly FakeRequest[];
  /** Access tokens issued so far. */
  readonly tokensIssued: number;
}

export interface GcpFake {
  readonly endpoints: {
    readonly token: string;
    readonly resourceManager: string;
    readonly iam: string;
    readonly logging: string;
  };
  readonly state: GcpFakeState;
  close(): Promise<void>;
}

export interface GcpFakeOptions {
  readonly clock: FakeClock;
  readonly projects: readonly (FakeProject | string)[];
  readonly serviceAccounts: readonly FakeServiceAccount[];
  /** The largest page any list answers (Google's is 1,000); lower it to exercise paging. */
  readonly maxPageSize?: number;
}
