/**
 * The broker's policy engine: Cedar policies decide whether a request may be made, whether it is
 * granted without a human, how many approvers it needs, and who may approve, revoke or break
 * glass. The policies are data (`server/policy/*.cedar`, or text from config), loaded and
 * validated against `schema.cedarschema` by load.ts when the engine is created.
 *
 * Every answer carries the ids of the policies that decided it and their `@advice` text, which
 * the broker stores with the decision and shows to the requester and the approver.
 *
 * Evaluation errors fail closed: a policy that errors at runtime (Cedar then ignores it, which
 * for a `forbid` would mean allowing) turns the answer into the restrictive one.
 */
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { Cloud } from '../../lib/contract/denial';
import { highestRisk, type Risk } from '../../lib/risk';
import { normaliseResource } from '../../lib/contract/resource';
import { checkPolicySet, loadPolicyDir, type LoadedPolicy, type PolicySources } from './load';
import { namesOneResource } from './resource-scope';

/** A target as the policies see it. */
export interface PolicyTarget {
  /**
   * The config's target id, used as the Cedar entity id so a policy can name one target
   * (`resource == Target::"aws-prod"`); defaults to "<cloud>:<account>".
   */
  id?: string;
  cloud: Cloud;
  /** AWS account id, Azure subscription id or GCP project id. */
  account: string;
  /** "dev", "prod", … as configured; the default policies treat only "prod" as production. */
  environment: string;
  /** Group whose members may approve requests for this target; none means nobody can. */
  approverGroup?: string;
}

/** The facts of an existing request that approve/revoke decisions depend on. */
export interface PolicyRequest {
  requester: string;
  /** The requester's groups; only needed by policies that test `context.requester in Group`. */
  requesterGroups?: readonly string[];
  target: PolicyTarget;
  actions: readonly string[];
  durationMinutes: number;
  hasWildcard?: boolean;
  /**
   * The resource asked for (an ARN, an Azure resource id, a GCP resource name); null or absent
   * for the whole account. Policies see `context.scoped` (does it name one resource?) and, when
   * given, `context.resource`.
   */
  resource?: string | null;
  /** The groups a pending request was escalated to; policies see `context.escalatedTo` when any. */
  escalatedTo?: readonly string[];
}

export interface DecideRequestInput {
  user: string;
  groups: readonly string[];
  target: PolicyTarget;
  actions: readonly string[];
  durationMinutes: number;
  hasWildcard?: boolean;
  /**
   * The resource asked for (an ARN, an Azure resource id, a GCP resource name); null or absent
   * for the whole account. Policies see `context.scoped` (does it name one resource?) and, when
   * given, `context.resource`.
   */
  resource?: string | null;
}

export interface ApproveInput {
  approver: string;
  groups: readonly string[];
  request: PolicyRequest;
}

export interface RevokeInput {
  actor: string;
  groups: readonly string[];
  request: PolicyRequest;
}

export interface RequestDecision {
  decision: 'auto-approve' | 'needs-approval' | 'deny';
  /** Distinct approvers needed; meaningful for 'needs-approval' only (1 otherwise). */
  requiredApprovals: 1 | 2;
  /** Highest risk over the requested actions, as the policies saw it. */
  risk: Risk;
  /** Ids of the policies that determined the decision, in policy-file order. */
  policyIds: string[];
  /** Their `@advice`, in the same order (deduplicated), or one line saying no policy applied. */
  advice: string[];
}

export interface Permission {
  allowed: boolean;
  policyIds: string[];
  advice: string[];
}

export interface PolicyEngine {
  /** What happens to a new request: denied, granted at once, or waiting for N approvers. */
  decideRequest(input: DecideRequestInput): RequestDecision;
  /** May `approver` approve `request`? (The domain separately checks distinct approvers.) */
  canApprove(input: ApproveInput): Permission;
  /** May `actor` revoke the grant (or withdraw the request) `request`? */
  canRevoke(input: RevokeInput): Permission;
  /** May `user` take access to `target` immediately, without approval? */
  canBreakGlass(input: DecideRequestInput): Permission;
  /** Every loaded policy id with its advice, in file order (for `config check` and the UI). */
  readonly policies: ReadonlyArray<{ id: string; file: string; advice: string; quorum?: 1 | 2 }>;
  /**
   * Every group the policies name literally (`Group::"engineers"`), sorted. A group that config
   * does not define is most likely a typo that makes a policy silently never match, so
   * `config check` should warn about it.
   */
  readonly referencedGroups: readonly string[];
  /** Cedar validator warnings (they do not stop the broker), formatted like load errors. */
  readonly warnings: readonly string[];
}

// Preparsed sets live in the wasm module's thread-local cache under a name; each engine gets its
// own so that tests (and a config reload) never see another engine's policies.
let engineCount = 0;

export interface PolicyEngineOptions {
  /**
   * Also check every authorization request against the schema. Off by default: the policies are
   * validated at load and the engine builds requests from typed input, so per-call checking would
   * only catch engine bugs, at a measurable cost per call. Tests turn it on.
   */
  validateRequests?: boolean;
}

/**
 * Loads, validates and preparses a policy set. Throws `PolicyLoadError` naming the file, the
 * policy id and the position of every problem; nothing is half-loaded.
 */
export function createPolicyEngine(
  sources: PolicySources = loadPolicyDir(),
  options: PolicyEngineOptions = {},
): PolicyEngine {
  const checked = checkPolicySet(sources);
  engineCount += 1;
  const setId = `unblock-policies-${engineCount}`;
  const schemaName = options.validateRequests ? `unblock-schema-${engineCount}` : undefined;
  for (const answer of [
    schemaName ? cedar.preparseSchema(schemaName, checked.schema.text) : ({ type: 'success' } as const),
    cedar.preparsePolicySet(setId, { staticPolicies: checked.texts }),
  ]) {
    // Both inputs were just parsed and validated; a failure here is a Cedar bug, not user input.
    if (answer.type === 'failure')
      throw new Error(`Cedar preparse failed: ${answer.errors[0]?.message ?? '?'}`);
  }

  return new Engine(setId, schemaName, checked.byId, checked.referencedGroups, checked.warnings);
}

// ---------------------------------------------------------------------------------------------

type CedarAction = 'request' | 'autoApprove' | 'quorum' | 'approve' | 'revoke' | 'breakGlass';

/** One Cedar request minus the action: built once per decision, reused for each action asked. */
interface Facts {
  risk: Risk;
  principal: cedar.EntityUid;
  resource: cedar.EntityUid;
  context: cedar.Context;
  entities: cedar.EntityJson[];
}

const user = (id: string) => ({ type: 'User', id });
const group = (id: string) => ({ type: 'Group', id });

interface Answer {
  allowed: boolean;
  /** Matching policy ids: the permits when allowed, the forbids (if any) when denied. */
  reasons: string[];
  /** Policies that failed to evaluate, as "id: message". */
  errors: string[];
}

/** Default advice when no policy matched (Cedar denies by default and names no policy). */
const NO_POLICY: Readonly<Record<CedarAction, string>> = {
  request: 'No policy allows you to request access to this target. Ask an administrator which group can.',
  autoApprove: 'No policy grants this request automatically.',
  quorum: 'One approver from the target’s approver group is needed.',
  approve: 'You are not in the approver group for this target.',
  revoke: 'Only the requester, an approver for this target or an administrator can revoke this access.',
  breakGlass: 'You are not allowed to use break-glass access.',
};

/** How many distinct request decisions the engine remembers. */
const DECISION_CACHE_SIZE = 10_000;

class Engine implements PolicyEngine {
  readonly policies: PolicyEngine['policies'];

  constructor(
    private readonly setId: string,
    private readonly schemaName: string | undefined,
    private readonly byId: ReadonlyMap<string, LoadedPolicy>,
    readonly referencedGroups: readonly string[],
    readonly warnings: readonly string[],
  ) {
    this.policies = [...byId.values()].map(({ id, file, advice, quorum }) => ({
      id,
      file,
      advice,
      ...(quorum ? { quorum } : {}),
    }));
  }

  /**
   * Decisions depend only on their input and the (immutable) policy set, and the same people ask
   * for the same actions again and again: remember recent answers. Bounded; oldest forgotten first.
   */
  private readonly decided = new Map<string, RequestDecision>();

  decideRequest(input: DecideRequestInput): RequestDecision {
    const key = JSON.stringify([
      input.user,
      [...input.groups].sort(),
      input.target,
      [...input.actions].sort(),
      input.durationMinutes,
      input.hasWildcard ?? null,
      input.resource ?? null,
    ]);
    const known = this.decided.get(key);
    if (known) return structuredClone(known);
    const decision = this.decide(input);
    if (this.decided.size >= DECISION_CACHE_SIZE) this.decided.delete(this.decided.keys().next().value!);
    this.decided.set(key, decision);
    return structuredClone(decision);
  }

  private decide(input: DecideRequestInput): RequestDecision {
    const facts = this.facts(input.user, input.groups, {
      ...input,
      requester: input.user,
      requesterGroups: input.groups,
    });
    const { risk } = facts;
    const request = this.ask('request', facts);
    if (!request.allowed)
      return { decision: 'deny', requiredApprovals: 1, risk, ...this.explain('request', [request]) };

    const auto = this.ask('autoApprove', facts);
    if (auto.allowed) {
      return {
        decision: 'auto-approve',
        requiredApprovals: 1,
        risk,
        ...this.explain('autoApprove', [request, auto]),
      };
    }

    const quorum = this.ask('quorum', facts);
    // The largest @quorum among matching permits; an evaluation error means we cannot tell
    // whether the stricter policy applied, so assume it did.
    let required: 1 | 2 = quorum.errors.length > 0 ? 2 : 1;
    if (quorum.allowed) for (const id of quorum.reasons) if (this.byId.get(id)?.quorum === 2) required = 2;
    // autoApprove's reasons are listed only when a forbid (or an error) kept it from applying.
    const parts =
      auto.reasons.length > 0 || auto.errors.length > 0 ? [request, auto, quorum] : [request, quorum];
    return {
      decision: 'needs-approval',
      requiredApprovals: required,
      risk,
      ...this.explain('quorum', parts),
    };
  }

  canApprove({ approver, groups, request }: ApproveInput): Permission {
    return this.permission('approve', this.facts(approver, groups, request));
  }

  canRevoke({ actor, groups, request }: RevokeInput): Permission {
    return this.permission('revoke', this.facts(actor, groups, request));
  }

  canBreakGlass(input: DecideRequestInput): Permission {
    const facts = this.facts(input.user, input.groups, {
      ...input,
      requester: input.user,
      requesterGroups: input.groups,
    });
    return this.permission('breakGlass', facts);
  }

  private permission(action: CedarAction, facts: Facts): Permission {
    const answer = this.ask(action, facts);
    return { allowed: answer.allowed, ...this.explain(action, [answer]) };
  }

  private facts(principal: string, principalGroups: readonly string[], r: PolicyRequest): Facts {
    if (!Number.isSafeInteger(r.durationMinutes) || r.durationMinutes < 0) {
      throw new RangeError(`durationMinutes must be a whole number of minutes, got ${r.durationMinutes}`);
    }
    const requesterGroups = r.requesterGroups ?? (r.requester === principal ? principalGroups : []);
    const risk = riskOf(r);
    // Trust but verify: the caller's flag, or any action that is or contains "*".
    const hasWildcard = r.hasWildcard === true || r.actions.some((a) => a.includes('*'));
    // Computed from the resource, never taken from the caller (resource-scope.ts).
    const scoped = namesOneResource(r.target, r.resource);
    const resourceName = normaliseResource(r.resource ?? null);
    const resource = { type: 'Target', id: r.target.id ?? `${r.target.cloud}:${r.target.account}` };
    // Group entities are not listed: membership is the users' `parents`, and the wasm boundary
    // costs ~10 µs per extra JSON object, which adds up over three calls per decision.
    const entities: cedar.EntityJson[] = [
      { uid: user(principal), attrs: { name: principal }, parents: principalGroups.map(group) },
      {
        uid: resource,
        attrs: {
          cloud: r.target.cloud,
          account: r.target.account,
          environment: r.target.environment,
          ...(r.target.approverGroup ? { approverGroup: { __entity: group(r.target.approverGroup) } } : {}),
        },
        parents: [],
      },
    ];
    if (r.requester !== principal) {
      entities.push({
        uid: user(r.requester),
        attrs: { name: r.requester },
        parents: requesterGroups.map(group),
      });
    }
    return {
      risk,
      principal: user(principal),
      resource,
      entities,
      context: {
        risk,
        durationMinutes: r.durationMinutes,
        actionCount: r.actions.length,
        hasWildcard,
        scoped,
        ...(resourceName !== null ? { resource: resourceName } : {}),
        requester: { __entity: user(r.requester) },
        ...(r.escalatedTo?.length ? { escalatedTo: r.escalatedTo.map((g) => ({ __entity: group(g) })) } : {}),
      },
    };
  }

  private ask(action: CedarAction, f: Facts): Answer {
    const answer = cedar.statefulIsAuthorized({
      principal: f.principal,
      action: { type: 'Action', id: action },
      resource: f.resource,
      context: f.context,
      entities: f.entities,
      preparsedPolicySetId: this.setId,
      ...(this.schemaName ? { preparsedSchemaName: this.schemaName, validateRequest: true } : {}),
    });
    if (answer.type === 'failure') {
      // Malformed input (e.g. an entity that does not match the schema): a caller bug, never a
      // reason to allow anything.
      throw new Error(
        `Cedar could not evaluate ${action}: ${answer.errors.map((e) => e.message).join('; ')}`,
      );
    }
    const { decision, diagnostics } = answer.response;
    const errors = diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`);
    return { allowed: decision === 'allow' && errors.length === 0, reasons: diagnostics.reason, errors };
  }

  /**
   * Policy ids (in the order the questions were asked, then file order) and their advice; a
   * default line when the last question matched no policy.
   */
  private explain(last: CedarAction, answers: readonly Answer[]): { policyIds: string[]; advice: string[] } {
    const rank = (id: string) => this.byId.get(id)?.order ?? 0;
    const ids = [...new Set(answers.flatMap((a) => [...a.reasons].sort((x, y) => rank(x) - rank(y))))];
    const advice = [...new Set(ids.map((id) => this.byId.get(id)?.advice ?? '').filter(Boolean))];
    const lastAnswer = answers[answers.length - 1];
    if (lastAnswer && lastAnswer.reasons.length === 0 && lastAnswer.errors.length === 0)
      advice.push(NO_POLICY[last]);
    for (const a of answers)
      for (const e of a.errors) advice.push(`Policy error, treated as a refusal: ${e}`);
    return { policyIds: ids, advice };
  }
}

/**
 * Unknown risk (no actions named) is treated as the highest: the domain should reject such a
 * request first, but if one reaches policy it must not look like a harmless read.
 */
function riskOf(r: Pick<PolicyRequest, 'target' | 'actions'>): Risk {
  return highestRisk(r.target.cloud, r.actions) ?? 'admin';
}
