/**
 * What the out-of-process clouds hold, as the control API's `GET /v1/state` reports it: GCP's
 * IAM bindings per project, Azure's role assignments (PIM schedule instances and plain
 * assignments) per principal, AWS's JIT roles (their inline policies, i.e. the revocation denies)
 * and role sessions, and the simulated entitlements. Each access unit says whether it is live now
 * on the clouds' clock, which is what an orphan count must look at.
 */
import type { BrokerConfig } from '../../../server/config/schema';
import type { DemoClouds } from '../demo';
import type { Entitlement, SimCloud } from '../entitlements';

export interface GcpBindingState {
  readonly project: string;
  readonly role: string;
  readonly members: readonly string[];
  readonly conditionTitle: string | null;
  readonly conditionExpression: string | null;
  /** No condition, or its `request.time < timestamp(...)` bound is still ahead on the clouds' clock. */
  readonly live: boolean;
}

export interface AzureAssignmentState {
  readonly kind: 'pim' | 'assignment';
  readonly name: string;
  readonly principalId: string;
  readonly roleDefinitionName: string;
  readonly roleName: string;
  readonly scope: string;
  readonly startsAt: string;
  readonly endsAt: string | null;
  readonly activatedAt: string;
  readonly removedAt: string | null;
  /** Started, not ended, not removed, on the clouds' clock. */
  readonly live: boolean;
}

export interface AwsSessionState {
  readonly account: string;
  readonly roleArn: string;
  readonly sessionName: string;
  readonly sourceIdentity: string | null;
  readonly accessKeyId: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Not expired, and still allowed its own session policy's first action (no revocation deny). */
  readonly live: boolean;
}

export interface CloudsState {
  /** The clouds' clock. */
  readonly now: string;
  readonly gcp: { readonly bindings: readonly GcpBindingState[] };
  readonly azure: { readonly assignments: readonly AzureAssignmentState[] };
  readonly aws: {
    readonly roles: readonly {
      readonly roleArn: string;
      readonly inlinePolicies: Readonly<Record<string, string>>;
    }[];
    readonly sessions: readonly AwsSessionState[];
  };
  readonly sim: { readonly entitlements: readonly Entitlement[] };
}

/** The expiry of an IAM Condition the broker writes (`request.time < timestamp("…")`), or null. */
export function conditionEnd(expression: string): Date | null {
  const m = /request\.time\s*<\s*timestamp\("([^"]+)"\)/.exec(expression);
  return m ? new Date(m[1]!) : null;
}

/** The first action and resource a session policy allows (the broker writes one statement). */
function firstAllowed(policy: string | null): { action: string; resource: string | undefined } | null {
  if (policy === null) return null;
  try {
    const doc = JSON.parse(policy) as {
      Statement?: { Effect?: string; Action?: string | string[]; Resource?: string | string[] }[];
    };
    const allow = doc.Statement?.find((s) => s.Effect === 'Allow');
    const action = [allow?.Action ?? []].flat()[0];
    if (!allow || !action) return null;
    const resource = [allow.Resource ?? []].flat()[0];
    return { action, resource: resource === '*' ? undefined : resource };
  } catch {
    return null;
  }
}

function gcpState(clouds: DemoClouds, config: BrokerConfig, now: Date): GcpBindingState[] {
  const projects = config.targets.filter((t) => t.cloud === 'gcp').map((t) => t.account);
  return projects.flatMap((project) =>
    clouds.gcp.state.policy(project).bindings.map((b) => {
      const end = b.condition ? conditionEnd(b.condition.expression) : null;
      return {
        project,
        role: b.role,
        members: [...b.members],
        conditionTitle: b.condition?.title ?? null,
        conditionExpression: b.condition?.expression ?? null,
        live: !b.condition || (end !== null && end > now),
      };
    }),
  );
}

function azureState(clouds: DemoClouds, config: BrokerConfig, now: Date): AzureAssignmentState[] {
  const principals = config.users.flatMap((u) => (u.identities.azure ? [u.identities.azure] : []));
  return principals.flatMap((principal) =>
    clouds.azure.state.assignmentsFor(principal).map((a) => ({
      kind: a.kind,
      name: a.name,
      principalId: a.principalId,
      roleDefinitionName: a.roleDefinitionName,
      roleName: a.roleName,
      scope: a.scope,
      startsAt: a.startsAt.toISOString(),
      endsAt: a.endsAt?.toISOString() ?? null,
      activatedAt: a.activatedAt.toISOString(),
      removedAt: a.removedAt?.toISOString() ?? null,
      live: clouds.azure.state.isActive(a, now),
    })),
  );
}

function awsState(clouds: DemoClouds, config: BrokerConfig, now: Date): CloudsState['aws'] {
  const identities = [...new Set(config.users.flatMap((u) => (u.identities.aws ? [u.identities.aws] : [])))];
  const roleArns = config.targets.flatMap((t) => (t.aws ? [t.aws.roleArn] : []));
  const sessions = identities.flatMap((identity) =>
    clouds.aws.state.sessionsFor(identity).map((s) => {
      const allowed = firstAllowed(s.policy);
      return {
        account: s.account,
        roleArn: s.roleArn,
        sessionName: s.sessionName,
        sourceIdentity: s.sourceIdentity,
        accessKeyId: s.accessKeyId,
        issuedAt: s.issuedAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
        tags: { ...s.tags },
        live:
          s.expiresAt > now &&
          allowed !== null &&
          clouds.aws.state.allows(s, allowed.action, allowed.resource, now),
      };
    }),
  );
  return {
    roles: roleArns.map((roleArn) => ({ roleArn, inlinePolicies: clouds.aws.state.rolePolicies(roleArn) })),
    sessions,
  };
}

export function cloudsState(clouds: DemoClouds, sim: SimCloud, config: BrokerConfig): CloudsState {
  const now = clouds.clock.now();
  return {
    now: now.toISOString(),
    gcp: { bindings: gcpState(clouds, config, now) },
    azure: { assignments: azureState(clouds, config, now) },
    aws: awsState(clouds, config, now),
    sim: { entitlements: sim.list() },
  };
}
