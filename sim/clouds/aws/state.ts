/**
 * The AWS fake's state, shared by its APIs: the roles of the configured accounts, the role
 * sessions STS issued, sign-in tokens and console sessions, the encoded authorization messages,
 * CloudTrail's events, the request log and injected faults. Plus the two questions every API
 * asks of it: who is calling (an issued session or a long-term key), and whether a session may do
 * an action now.
 */
import type { FakeClock } from '../clock';
import { parsePolicy, statementMatches, type PolicyDocument, type RequestContext } from './policy';
import type {
  AwsFakeOptions,
  AwsService,
  AwsSession,
  ConsoleSession,
  FakeCaller,
  FakeRequest,
  TrailEvent,
  TrustAction,
} from './types';
import { AwsError, iso, random } from './wire';

export interface Role {
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly roleId: string;
  readonly maxSessionSeconds: number;
  readonly kind: 'jit' | 'admin';
  trustedCaller: string | undefined;
  trustDenied: boolean;
  /** What the trust policy allows the trusted caller beyond assuming (tags, source identity). */
  trustActions: ReadonlySet<TrustAction>;
  readonly inline: Map<string, string>;
}

export interface Fault {
  remaining: number;
  readonly code: string;
  readonly service: AwsService | undefined;
  readonly action: string | undefined;
}

export interface SigninToken {
  readonly session: AwsSession;
  readonly issuedAt: number;
  readonly durationSeconds: number;
  used: boolean;
}

export interface ConsoleRecord {
  /** The console's own access key id (it may differ from the role session's). */
  readonly accessKeyId: string;
  readonly session: AwsSession;
  readonly expiresAt: Date;
  loggedOut: boolean;
}

/** Who signed a request: the principal, its account, and the role session when it is one. */
export interface Caller {
  readonly arn: string;
  readonly account: string;
  /** A session this fake issued, or null (keys the fake was given: `callers`, the default user). */
  readonly session: AwsSession | null;
  /** Temporary credentials (a role session): assuming a role from them is role chaining. */
  readonly temporary: boolean;
}

/** Everything the fake's APIs share; one per running fake. */
export interface AwsState {
  readonly clock: FakeClock;
  /** Region the STS and CloudTrail signatures must be scoped to. */
  readonly region: string;
  /** Long-term-key callers; null: any non-session key is the default broker user. */
  readonly callers: readonly FakeCaller[] | null;
  /** Managed policy documents by ARN. */
  readonly managed: Readonly<Record<string, string>>;
  readonly cloudTrailRateLimit: boolean;
  /** Bytes of compressed session policies and tags that make 100 % of `PackedPolicySize`. */
  readonly packedPolicyBudget: number;
  readonly roles: Map<string, Role>;
  /** Role sessions by access key id. */
  readonly sessions: Map<string, AwsSession>;
  readonly signinTokens: Map<string, SigninToken>;
  /** Console sessions by cookie value. */
  readonly consoles: Map<string, ConsoleRecord>;
  /** Console views handed out by `consoleSession`, so `allows` sees a later logout too. */
  readonly consoleViews: WeakMap<ConsoleSession, ConsoleRecord>;
  /** Encoded authorization messages (blob → JSON) for DecodeAuthorizationMessage. */
  readonly encoded: Map<string, string>;
  readonly events: TrailEvent[];
  readonly requests: FakeRequest[];
  readonly faults: Fault[];
  /** Times of recent LookupEvents calls per `<account>/<region>`, for its rate limit. */
  readonly trailCalls: Map<string, number[]>;
}

const DEFAULT_CALLER_ARN = 'arn:aws:iam::999999999999:user/unblock-broker';

/** Rough stand-ins for two AWS managed policies (enough for "the baseline lets you read"). */
const BUILTIN_MANAGED: Record<string, string> = {
  'arn:aws:iam::aws:policy/ReadOnlyAccess': JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['*:Describe*', '*:Get*', '*:List*'], Resource: '*' }],
  }),
  'arn:aws:iam::aws:policy/job-function/ViewOnlyAccess': JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['*:Describe*', '*:List*'], Resource: '*' }],
  }),
};

const ALL_TRUST_ACTIONS: readonly TrustAction[] = [
  'sts:AssumeRole',
  'sts:TagSession',
  'sts:SetSourceIdentity',
];

function addRole(
  roles: Map<string, Role>,
  arn: string,
  maxSessionSeconds: number,
  kind: Role['kind'],
  trusted?: string,
  trustActions: readonly TrustAction[] = ALL_TRUST_ACTIONS,
): void {
  const m = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(arn);
  if (!m) throw new Error(`accounts[].roleArn: not an IAM role ARN: ${arn}`);
  roles.set(arn, {
    arn,
    account: m[1]!,
    name: m[2]!,
    roleId: `AROA${random(17)}`,
    maxSessionSeconds,
    kind,
    trustedCaller: trusted,
    trustDenied: false,
    trustActions: new Set(trustActions),
    inline: new Map(),
  });
}

export function createAwsState(options: AwsFakeOptions): AwsState {
  const roles = new Map<string, Role>();
  for (const a of options.accounts) {
    addRole(roles, a.roleArn, a.maxSessionSeconds, 'jit', a.trustedCaller, a.trustActions);
    if (a.adminRoleArn) addRole(roles, a.adminRoleArn, 3600, 'admin', a.trustedCaller);
  }
  return {
    clock: options.clock,
    region: options.region ?? 'us-east-1',
    callers: options.callers ?? null,
    managed: { ...BUILTIN_MANAGED, ...options.managedPolicies },
    cloudTrailRateLimit: options.cloudTrailRateLimit ?? true,
    packedPolicyBudget: options.packedPolicyBudget ?? 1800,
    roles,
    sessions: new Map(),
    signinTokens: new Map(),
    consoles: new Map(),
    consoleViews: new WeakMap(),
    encoded: new Map(),
    events: [],
    requests: [],
    faults: [],
    trailCalls: new Map(),
  };
}

export const roleByName = (state: AwsState, account: string, name: string) =>
  [...state.roles.values()].find((r) => r.account === account && r.name === name);

/** Whether the caller's session is on a role of the `admin` kind (it may do anything in IAM/STS). */
export const isAdminSession = (state: AwsState, caller: Caller) =>
  caller.session !== null && state.roles.get(caller.session.roleArn)?.kind === 'admin';

export function logRequest(
  state: AwsState,
  service: AwsService,
  action: string,
  params: Record<string, unknown>,
  akid: string | null,
): void {
  state.requests.push({ service, action, params, accessKeyId: akid, at: state.clock.now() });
}

/** The first injected fault matching this call, used up by one. */
export function takeFault(state: AwsState, service: AwsService, action: string): Fault | undefined {
  const f = state.faults.find(
    (x) => x.remaining > 0 && (!x.service || x.service === service) && (!x.action || x.action === action),
  );
  if (f) f.remaining -= 1;
  return f;
}

/** The caller behind an access key id: a session the fake issued, or a long-term-key principal. */
export function resolveCaller(state: AwsState, akid: string, token: string | undefined): Caller {
  const session = state.sessions.get(akid);
  if (session) {
    // Temporary credentials need their session token, and stop working at expiry.
    if (token !== session.sessionToken) {
      throw new AwsError(
        403,
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
      );
    }
    if (state.clock.now() >= session.expiresAt) {
      throw new AwsError(400, 'ExpiredToken', 'The security token included in the request is expired');
    }
    return { arn: session.arn, account: session.account, session, temporary: true };
  }
  const declared = state.callers?.find((c) => c.accessKeyId === akid);
  const invalid = () =>
    new AwsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
  if (declared) {
    // Role credentials the broker runs on: they need their session token like any session.
    if (declared.sessionToken !== undefined && token !== declared.sessionToken) throw invalid();
    return {
      arn: declared.arn,
      account: declared.arn.split(':')[4]!,
      session: null,
      temporary: declared.sessionToken !== undefined,
    };
  }
  // Without `callers`, any long-term key is the default broker user; `ASIA…` keys are temporary,
  // and one the fake neither issued nor was given is unknown.
  if (state.callers || akid.startsWith('ASIA')) throw invalid();
  return {
    arn: DEFAULT_CALLER_ARN,
    account: DEFAULT_CALLER_ARN.split(':')[4]!,
    session: null,
    temporary: false,
  };
}

/**
 * IAM's global condition keys of a request made with a role session, at `now`. A federated
 * console session is that role session signed in to the console: its requests carry the same
 * `aws:SourceIdentity`, `aws:userid` and `aws:TokenIssueTime` (the role session's issue time, not
 * the sign-in's), which is why a deny on them (the console's "Revoke active sessions") ends the
 * console sessions made from those credentials too (docs/cloud-mechanics.md §1.3, §1.5). The
 * console's own access key id changes nothing here.
 */
const requestContext = (s: AwsSession, now: Date): RequestContext => ({
  'aws:SourceIdentity': s.sourceIdentity ?? undefined,
  'aws:userid': `${s.roleId}:${s.sessionName}`,
  'aws:TokenIssueTime': iso(s.issuedAt),
  'aws:CurrentTime': iso(now),
  'aws:PrincipalArn': s.roleArn,
});

function parseStored(text: string): PolicyDocument | null {
  try {
    return parsePolicy(text);
  } catch {
    return null;
  }
}

const consoleFor = (state: AwsState, view: ConsoleSession): ConsoleRecord =>
  state.consoleViews.get(view) ?? {
    accessKeyId: view.accessKeyId,
    session: view.session,
    expiresAt: view.expiresAt,
    loggedOut: view.expired,
  };

const anyStatement = (
  docs: readonly (PolicyDocument | null)[],
  effect: 'Allow' | 'Deny',
  action: string,
  resource: string,
  context: RequestContext,
) =>
  docs.some((d) =>
    d?.statements.some((s) => s.effect === effect && statementMatches(s, action, resource, context)),
  );

/**
 * Whether the session may do `action` on `resource` at `now`: not expired, no inline deny of the
 * role matches, and its session policy or one of its managed policies allows it.
 */
export function allows(
  state: AwsState,
  target: AwsSession | ConsoleSession,
  action: string,
  resource: string | null = null,
  now: Date = state.clock.now(),
): boolean {
  const console = 'session' in target ? consoleFor(state, target) : null;
  const session = 'session' in target ? target.session : target;
  if (console ? console.loggedOut || now >= console.expiresAt : now >= session.expiresAt) return false;
  const role = state.roles.get(session.roleArn);
  if (!role) return false;
  const res = resource ?? '*';
  // API call or console page: the same condition keys (see requestContext).
  const context = requestContext(session, now);
  // An explicit deny in the role's own policies wins over every allow.
  const inline = [...role.inline.values()].map(parseStored);
  if (anyStatement(inline, 'Deny', action, res, context)) return false;
  // No session policy and no PolicyArns: the session has the role's own rights (all, here).
  if (session.policy === null && session.policyArns.length === 0) return true;
  // Otherwise its rights are the intersection with what the session policies allow.
  const granting = [session.policy, ...session.policyArns.map((arn) => state.managed[arn] ?? null)];
  const docs = granting.flatMap((t) => (t === null ? [] : [parseStored(t)])).filter((d) => d !== null);
  if (anyStatement(docs, 'Deny', action, res, context)) return false;
  return anyStatement(docs, 'Allow', action, res, context);
}
