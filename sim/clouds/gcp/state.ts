/**
 * The GCP fake's state, shared by its APIs: each project's IAM policy, custom roles and audit
 * log, the service accounts (their keys and what they may do), issued access tokens, injected
 * faults and the request log. Plus the two checks several APIs make: what a member may do on a
 * project (its bindings), and what the calling service account may do (its permissions).
 */
import { importSPKI, type CryptoKey } from 'jose';
import type { FakeClock } from '../clock';
import { PREDEFINED_ROLES, type FakeRole } from './catalogue';
import { evaluateCondition, parseCondition } from './cel';
import type { FakeBinding, FakeRequest, GcpFakeOptions } from './types';
import { clone, newEtag, permissionDenied } from './wire';

export interface StoredPolicy {
  etag: string;
  bindings: FakeBinding[];
  auditConfigs?: unknown[];
}

export interface ServiceAccount {
  readonly key: CryptoKey;
  /** What it may do on every project; null: everything. */
  permissions: ReadonlySet<string> | null;
}

/** Everything the fake's APIs share; one per running fake. */
export interface GcpState {
  readonly clock: FakeClock;
  /** The largest page any list answers. */
  readonly maxPageSize: number;
  readonly policies: Map<string, StoredPolicy>;
  /** Custom roles by project, then by role id. */
  readonly customRoles: Map<string, Map<string, FakeRole>>;
  /** Audit-log entries by project. */
  readonly logs: Map<string, Record<string, unknown>[]>;
  /** Times of recent entries:list calls by project, for the read quota. */
  readonly loggingCalls: Map<string, number[]>;
  readonly accounts: Map<string, ServiceAccount>;
  /** Access tokens: who they are for and when they expire (ms). */
  readonly tokens: Map<string, { email: string; expiresAt: number }>;
  readonly requests: FakeRequest[];
  tokensIssued: number;
  /** setIamPolicy calls still to answer with ABORTED. */
  abortsToInject: number;
  /** entries:list calls still to answer with RESOURCE_EXHAUSTED. */
  rateLimitsToInject: number;
}

export async function createGcpState(options: GcpFakeOptions): Promise<GcpState> {
  const state: GcpState = {
    clock: options.clock,
    maxPageSize: options.maxPageSize ?? 1000,
    policies: new Map(),
    customRoles: new Map(),
    logs: new Map(),
    loggingCalls: new Map(),
    accounts: new Map(),
    tokens: new Map(),
    requests: [],
    tokensIssued: 0,
    abortsToInject: 0,
    rateLimitsToInject: 0,
  };
  for (const p of options.projects) {
    const project = typeof p === 'string' ? { projectId: p } : p;
    state.policies.set(project.projectId, {
      etag: newEtag(),
      bindings: clone([...(project.bindings ?? [])]),
      ...(project.auditConfigs ? { auditConfigs: clone([...project.auditConfigs]) } : {}),
    });
    state.customRoles.set(project.projectId, new Map());
    state.logs.set(project.projectId, []);
  }
  for (const sa of options.serviceAccounts) {
    state.accounts.set(sa.clientEmail, {
      key: await importSPKI(sa.publicKeyPem, 'RS256'),
      permissions: sa.permissions ? new Set(sa.permissions) : null,
    });
  }
  return state;
}

/** The project's stored policy; throws for a project the fake does not have. */
export function project(state: GcpState, projectId: string): StoredPolicy {
  const policy = state.policies.get(projectId);
  if (!policy) throw new Error(`the GCP fake has no project ${projectId}`);
  return policy;
}

/** A predefined role, or a custom role of this project (another project's custom roles do not apply). */
export function roleByName(state: GcpState, projectId: string, name: string): FakeRole | undefined {
  const custom = /^projects\/([^/]+)\/roles\/([^/]+)$/.exec(name);
  if (custom) return custom[1] === projectId ? state.customRoles.get(projectId)?.get(custom[2]!) : undefined;
  return PREDEFINED_ROLES.find((r) => r.name === name);
}

/**
 * Whether `member` holds `permission` on `projectId` at `now`: some binding lists the member, its
 * role includes the permission, and its condition, if any, is true then.
 */
export function allows(
  state: GcpState,
  member: string,
  projectId: string,
  permission: string,
  now = state.clock.now(),
  resource?: string,
): boolean {
  const policy = state.policies.get(projectId);
  if (!policy) return false;
  return policy.bindings.some((b) => {
    if (!b.members.includes(member)) return false;
    if (!roleByName(state, projectId, b.role)?.includedPermissions.includes(permission)) return false;
    return !b.condition || evaluateCondition(parseCondition(b.condition.expression), now, resource);
  });
}

/** The calling service account must hold `permission` (when its permissions are restricted). */
export function authorize(
  state: GcpState,
  email: string,
  permission: string,
  resource: string,
  domain: string,
): void {
  const granted = state.accounts.get(email)?.permissions;
  if (granted && !granted.has(permission)) throw permissionDenied(permission, resource, domain);
}
