/**
 * The AWS fake's public shapes: its options, what STS issues (role sessions) and the federation
 * sign-in makes of them (console sessions), the request log and CloudTrail events, and the state
 * handle tests and the simulated consoles read.
 */
import type { FakeClock } from '../clock';

/**
 * A principal that may call the fake with keys the fake did not issue: an IAM user's long-term
 * keys (the broker, by default), or a role session the broker runs on (ECS, Lambda, EC2, EKS).
 */
export interface FakeCaller {
  readonly accessKeyId: string;
  /** `arn:aws:iam::<acct>:user/<name>`, or `arn:aws:sts::<acct>:assumed-role/<role>/<session>` for role credentials. */
  readonly arn: string;
  /**
   * Set for role credentials (temporary: every request must carry this token). Every AssumeRole
   * such a caller makes is role chaining (docs/cloud-mechanics.md §1.1).
   */
  readonly sessionToken?: string;
}

/** The STS actions a role's trust policy can allow its trusted principal (docs/cloud-mechanics.md §1.1). */
export type TrustAction = 'sts:AssumeRole' | 'sts:TagSession' | 'sts:SetSourceIdentity';

export interface FakeAccountOptions {
  readonly account: string;
  /** The JIT role the broker assumes for grants. */
  readonly roleArn: string;
  /** The role's MaxSessionDuration (3,600–43,200). */
  readonly maxSessionSeconds: number;
  /** The only principal ARN the role's trust policy lets assume it; any known caller when absent. */
  readonly trustedCaller?: string;
  /** A role the broker assumes to edit the JIT role's inline policies and decode messages. */
  readonly adminRoleArn?: string;
  /** What the JIT role's trust policy allows the trusted caller; default all three. */
  readonly trustActions?: readonly TrustAction[];
}

export interface AwsFakeOptions {
  readonly clock: FakeClock;
  readonly accounts: readonly FakeAccountOptions[];
  /** Region the STS and CloudTrail signatures must be scoped to (IAM is always us-east-1). */
  readonly region?: string;
  /**
   * Callers with long-term keys. Default: any access key id that is not a session's is the IAM
   * user `arn:aws:iam::999999999999:user/unblock-broker` (the doc's tooling account).
   */
  readonly callers?: readonly FakeCaller[];
  /** Managed policy documents by ARN, for `PolicyArns`. ReadOnlyAccess/ViewOnlyAccess are approximated. */
  readonly managedPolicies?: Readonly<Record<string, string>>;
  /** Where the console lives (informational: `login` redirects to whatever `Destination` says). */
  readonly consoleUrl?: string;
  /** Enforce CloudTrail's 2 requests/s per account and region (on the fake clock). Default true. */
  readonly cloudTrailRateLimit?: boolean;
  /**
   * The packed-size allowance of AssumeRole's session policy, policy ARNs and tags, in bytes of
   * their compressed form (`PackedPolicySize` is its percentage). Default 1,800: the STS model's
   * AssumeRole example (a short policy and three tags) then packs to 8 %, the `PackedPolicySize`
   * of the example's answer. Tests lower it to reach `PackedPolicyTooLarge`.
   */
  readonly packedPolicyBudget?: number;
}

/** A role session STS issued. Credentials included: the fake is the cloud, it holds them. */
export interface AwsSession {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly account: string;
  readonly roleArn: string;
  readonly roleId: string;
  readonly sessionName: string;
  readonly sourceIdentity: string | null;
  /** The assumed-role ARN (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`). */
  readonly arn: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  /** The inline session policy as sent (null when none). */
  readonly policy: string | null;
  readonly policyArns: readonly string[];
  /** The principal that called AssumeRole. */
  readonly callerArn: string;
  /** Issued to a caller on role credentials (role chaining, capped at one hour). */
  readonly chained: boolean;
  /** AssumeRole carried `DurationSeconds` (with `chained`, federation sign-in then fails). */
  readonly durationRequested: boolean;
  /** Session tags, as sent. */
  readonly tags: Readonly<Record<string, string>>;
}

/** What a console cookie stands for. */
export interface ConsoleSession {
  /** The console's own access key id: it may differ from the role session's (docs/cloud-mechanics.md §1.3). */
  readonly accessKeyId: string;
  readonly account: string;
  readonly sourceIdentity: string | null;
  readonly sessionName: string;
  /** The console session has ended (its `SessionDuration` is over, or it was logged out). */
  readonly expired: boolean;
  readonly expiresAt: Date;
  /** The role session behind it (for `allows`). */
  readonly session: AwsSession;
}

/** One request the fake received, for assertions. Form fields or JSON body, as sent. */
export interface FakeRequest {
  readonly service: AwsService;
  readonly action: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly accessKeyId: string | null;
  readonly at: Date;
}

/** One CloudTrail event as LookupEvents returns it. */
export interface TrailEvent {
  readonly eventId: string;
  /** The account whose trail holds it (LookupEvents only returns the caller's account's events). */
  readonly account: string;
  /** The region whose event history holds it (LookupEvents searches one region). */
  readonly region: string;
  readonly eventName: string;
  readonly eventSource: string;
  readonly eventTime: Date;
  /** The session name for role sessions, the user name for IAM users. */
  readonly username: string;
  readonly accessKeyId: string | null;
  readonly readOnly: boolean;
  readonly resources: readonly { readonly type: string; readonly name: string }[];
  readonly errorCode: string | null;
  readonly userIdentityArn: string;
  readonly sourceIdentity: string | null;
}

export type AwsService = 'sts' | 'iam' | 'cloudtrail' | 'signin';

export interface AwsFakeState {
  /** Every request received, oldest first. */
  readonly requests: readonly FakeRequest[];
  /** Requests of one service (and action). */
  requestsFor(service: AwsService, action?: string): FakeRequest[];
  /** Role sessions issued to this source identity, oldest first. */
  sessionsFor(sourceIdentity: string): AwsSession[];
  /** The role session these credentials belong to. */
  session(accessKeyId: string): AwsSession | undefined;
  /** Who a console cookie (`AWS_CONSOLE_COOKIE`) stands for; null when unknown. */
  consoleSession(cookieValue: string): ConsoleSession | null;
  /**
   * Whether the session may do `action` (`ec2:StopInstances`) on `resource` (an ARN; `*` when
   * omitted) at `now` (the fake clock by default): not expired, no inline deny of the role
   * matches (`aws:SourceIdentity`, `aws:userid`, `aws:TokenIssueTime`), and its session policy
   * or one of its managed policies allows it.
   */
  allows(session: AwsSession | ConsoleSession, action: string, resource?: string | null, now?: Date): boolean;
  /**
   * `allows`, logged to CloudTrail as the session's call (with `AccessDenied` when refused), in
   * `region`: by default the resource ARN's region, us-east-1 for global services (IAM, STS's
   * global endpoint, sign-in), else the fake's region.
   */
  recordCall(
    session: AwsSession | ConsoleSession,
    action: string,
    resource?: string | null,
    now?: Date,
    region?: string,
  ): boolean;
  /**
   * Copies a recorded event into another region's history under the same event id: for testing
   * that a reader of several regions counts an event once.
   */
  copyEventToRegion(eventId: string, region: string): void;
  /** The events recorded so far, oldest first. */
  readonly events: readonly TrailEvent[];
  /** An encoded authorization message for this denial, as EC2 returns one (decode via STS). */
  encodeDenial(denial: {
    account: string;
    principalArn: string;
    action: string;
    resource: string;
    explicitDeny?: boolean;
  }): string;
  /** The role's inline policies by name (documents as stored). */
  rolePolicies(roleArn: string): Record<string, string>;
  /** Make the next `count` matching calls fail with this AWS error code. */
  failNext(count: number, code: string, match?: { service?: AwsService; action?: string }): void;
  /** Make the role's trust policy refuse (true) or accept (false) every caller. */
  denyAssumeRole(roleArn: string, denied?: boolean): void;
  /** What the role's trust policy allows its trusted caller (`sts:TagSession`, `sts:SetSourceIdentity`…). */
  setTrustActions(roleArn: string, actions: readonly TrustAction[]): void;
}

export interface AwsFake {
  /** Base URLs as `clouds.aws.endpoints` takes them (`signin` is the federation endpoint; `/oauth` is beside it). */
  readonly endpoints: {
    readonly sts: string;
    readonly iam: string;
    readonly cloudTrail: string;
    readonly signin: string;
  };
  readonly state: AwsFakeState;
  close(): Promise<void>;
}
