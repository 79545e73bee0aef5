/**
 * Cloud Resource Manager's project IAM policy (docs/cloud-mechanics.md §3.3): getIamPolicy at a
 * requested version, setIamPolicy with etag concurrency control and IAM's validation of bindings
 * and conditions, and testIamPermissions.
 */
import { createHash } from 'node:crypto';
import { BASIC_ROLE_NAMES } from './catalogue';
import { CelError, parseCondition } from './cel';
import { grantableOnProject } from './grantable';
import { authorize, project, type GcpState } from './state';
import type { FakeBinding, FakePolicy } from './types';
import { clone, GoogleHttpError, invalid, newEtag, notFound, permissionDenied } from './wire';

/** Google's exact words for a concurrent policy change (docs/cloud-mechanics.md §3.3). */
export const ABORTED_MESSAGE =
  'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.';
/** IAM's limit on principals across one policy's bindings. */
const MAX_PRINCIPALS = 1500;
/** IAM's limit on conditional bindings of one role for one member. */
const MAX_CONDITION_VARIANTS = 20;
const DOMAIN = 'cloudresourcemanager.googleapis.com';

const hasCondition = (b: FakeBinding) => b.condition !== undefined;

/** IAM's refusal of a role the resource's policy cannot bind (docs/cloud-mechanics.md §3.2). */
export const notSupported = (role: string) => invalid(`Role ${role} is not supported for this resource.`);

/** What getIamPolicy answers at `requested` version (docs/cloud-mechanics.md §3.3). */
export function policyView(state: GcpState, projectId: string, requested: number): FakePolicy {
  const stored = project(state, projectId);
  const conditional = stored.bindings.some(hasCondition);
  const base = {
    etag: stored.etag,
    ...(stored.auditConfigs ? { auditConfigs: clone(stored.auditConfigs) } : {}),
  };
  if (!conditional) return { version: 1, ...base, bindings: clone(stored.bindings) };
  if (requested >= 3) return { version: 3, ...base, bindings: clone(stored.bindings) };
  // A v1 reader cannot represent conditions: Google strips them and renames the role so that
  // writing the result back fails instead of silently widening the grant.
  return {
    version: 1,
    ...base,
    bindings: stored.bindings.map((b) => {
      if (!b.condition) return clone(b);
      const hash = createHash('sha256').update(JSON.stringify(b.condition)).digest('hex').slice(0, 20);
      return { role: `${b.role}_withcond_${hash}`, members: [...b.members] };
    }),
  };
}

/** Members IAM accepts: `type:id` principals, or `allUsers` / `allAuthenticatedUsers`. */
function checkMembers(i: number, members: readonly unknown[]): void {
  for (const m of members) {
    if (typeof m !== 'string') throw invalid(`Invalid member in bindings[${i}].`);
    if (!/^(user|serviceAccount|group|domain|principal|principalSet):.+$/.test(m) && !m.startsWith('all')) {
      throw invalid(`Invalid member: ${m}`);
    }
  }
}

/** IAM's rules for a conditional binding; counts its role/member variants in `variants`. */
function checkCondition(version: number, b: FakeBinding, variants: Map<string, number>): void {
  // Conditions need policy version 3.
  if (version !== 3) {
    throw invalid(
      'Invalid policy: conditions are only supported in policy version 3; set the policy version to 3.',
    );
  }
  if (BASIC_ROLE_NAMES.has(b.role)) {
    throw invalid(`Invalid policy: conditions are not supported on the basic role ${b.role}.`);
  }
  if (b.members.some((m) => m === 'allUsers' || m === 'allAuthenticatedUsers')) {
    throw invalid('Invalid policy: conditions are not supported for allUsers or allAuthenticatedUsers.');
  }
  if (typeof b.condition!.expression !== 'string')
    throw invalid('Invalid policy: a condition needs an expression.');
  // IAM refuses an expression it cannot compile when the policy is written.
  try {
    parseCondition(b.condition!.expression);
  } catch (e) {
    if (e instanceof CelError) throw invalid(`Condition expression is invalid: ${e.message}`);
    throw e;
  }
  for (const m of b.members) {
    const key = `${b.role}\n${m}`;
    const n = (variants.get(key) ?? 0) + 1;
    if (n > MAX_CONDITION_VARIANTS) {
      throw invalid(
        `Invalid policy: more than ${MAX_CONDITION_VARIANTS} conditional bindings of ${b.role} for ${m}.`,
      );
    }
    variants.set(key, n);
  }
}

/** The bindings as IAM would store them, or IAM's INVALID_ARGUMENT. */
function validateBindings(
  state: GcpState,
  projectId: string,
  version: number,
  bindings: readonly FakeBinding[],
): FakeBinding[] {
  const out: FakeBinding[] = [];
  let principals = 0;
  const variants = new Map<string, number>();
  for (const [i, b] of bindings.entries()) {
    if (typeof b?.role !== 'string' || !Array.isArray(b.members)) {
      throw invalid(`Invalid policy: bindings[${i}] needs a role and members.`);
    }
    if (b.role.includes('_withcond_')) {
      throw invalid(
        `Invalid policy: role ${b.role} is a placeholder for a conditional binding read at policy version 1; read the policy with requestedPolicyVersion 3.`,
      );
    }
    // A role the project's policy cannot hold (unknown, another project's custom role, or one
    // grantable only on other resource types) gets Google's words (docs/cloud-mechanics.md §3.2).
    if (!grantableOnProject(state, projectId, b.role)) throw notSupported(b.role);
    const members: unknown[] = b.members;
    if (members.length === 0) continue; // Google drops empty bindings.
    checkMembers(i, members);
    if (b.condition !== undefined) checkCondition(version, b, variants);
    principals += b.members.length;
    out.push({
      role: b.role,
      members: members as string[],
      ...(b.condition
        ? {
            condition: {
              expression: b.condition.expression,
              ...(b.condition.title !== undefined ? { title: b.condition.title } : {}),
              ...(b.condition.description !== undefined ? { description: b.condition.description } : {}),
            },
          }
        : {}),
    });
  }
  if (principals > MAX_PRINCIPALS) throw invalid(`Invalid policy: more than ${MAX_PRINCIPALS} principals.`);
  return out;
}

function getIamPolicy(state: GcpState, projectId: string, input: Record<string, unknown>, email: string) {
  const resource = `projects/${projectId}`;
  authorize(state, email, 'resourcemanager.projects.getIamPolicy', resource, DOMAIN);
  if (!state.policies.has(projectId))
    throw permissionDenied('resourcemanager.projects.getIamPolicy', resource, DOMAIN);
  const requested = Number(
    (input.options as { requestedPolicyVersion?: number } | undefined)?.requestedPolicyVersion ?? 0,
  );
  if (![0, 1, 3].includes(requested)) throw invalid(`Invalid requestedPolicyVersion: ${requested}`);
  return policyView(state, projectId, requested);
}

function testIamPermissions(
  state: GcpState,
  projectId: string,
  input: Record<string, unknown>,
  email: string,
) {
  if (!state.policies.has(projectId))
    throw permissionDenied('resourcemanager.projects.get', `projects/${projectId}`, DOMAIN);
  const asked = Array.isArray(input.permissions) ? (input.permissions as string[]) : [];
  // What the caller holds: the account's configured permissions (all, when unrestricted).
  const granted = state.accounts.get(email)?.permissions;
  const held = asked.filter((p) => !granted || granted.has(p));
  return held.length > 0 ? { permissions: held } : {};
}

function setIamPolicy(state: GcpState, projectId: string, input: Record<string, unknown>, email: string) {
  const resource = `projects/${projectId}`;
  authorize(state, email, 'resourcemanager.projects.setIamPolicy', resource, DOMAIN);
  if (!state.policies.has(projectId))
    throw permissionDenied('resourcemanager.projects.setIamPolicy', resource, DOMAIN);
  const policy = input.policy as {
    version?: number;
    etag?: string;
    bindings?: FakeBinding[];
    auditConfigs?: unknown[];
  };
  if (typeof policy !== 'object' || policy === null)
    throw invalid('Invalid JSON payload: policy is required.');
  const stored = project(state, projectId);
  if (state.abortsToInject > 0) {
    state.abortsToInject -= 1;
    stored.etag = newEtag(); // what a concurrent writer would have done
    throw new GoogleHttpError(409, 'ABORTED', ABORTED_MESSAGE);
  }
  // No etag = blind overwrite, as Google allows (and docs/cloud-mechanics.md §3.3 warns against).
  if (policy.etag !== undefined && policy.etag !== stored.etag) {
    throw new GoogleHttpError(409, 'ABORTED', ABORTED_MESSAGE);
  }
  const version = Number(policy.version ?? 1);
  if (![1, 3].includes(version)) throw invalid(`Invalid policy version: ${version}`);
  stored.bindings = validateBindings(state, projectId, version, policy.bindings ?? []);
  // `updateMask` decides whether auditConfigs are written too (bindings and etag always are).
  const mask = typeof input.updateMask === 'string' ? input.updateMask.split(',').map((s) => s.trim()) : null;
  if ((mask === null || mask.includes('auditConfigs')) && policy.auditConfigs !== undefined) {
    stored.auditConfigs = clone(policy.auditConfigs);
  }
  stored.etag = newEtag();
  return policyView(state, projectId, 3);
}

/** `POST /v1|v3/projects/{p}:getIamPolicy | :setIamPolicy | :testIamPermissions`. */
export function resourceManager(
  state: GcpState,
  method: string,
  path: string,
  body: unknown,
  email: string,
): unknown {
  const m = /^\/v[13]\/projects\/([^/:]+):(getIamPolicy|setIamPolicy|testIamPermissions)$/.exec(path);
  if (!m || method !== 'POST') throw notFound();
  const projectId = decodeURIComponent(m[1]!);
  const input = (body ?? {}) as Record<string, unknown>;
  if (m[2] === 'getIamPolicy') return getIamPolicy(state, projectId, input, email);
  if (m[2] === 'testIamPermissions') return testIamPermissions(state, projectId, input, email);
  return setIamPolicy(state, projectId, input, email);
}
