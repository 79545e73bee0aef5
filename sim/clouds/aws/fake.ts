/**
 * A wire-level fake of the AWS APIs the broker's AWS provisioner calls, so the provisioner runs
 * its real SDK clients against it: STS (Query/XML), IAM (Query/XML), CloudTrail (JSON 1.1) and
 * the federation sign-in endpoint. Each is its own loopback server (127.0.0.1, port 0) because
 * the SDKs address services by base URL. Time is the shared `FakeClock`, so tests expire
 * sessions and sign-in tokens without waiting.
 *
 * It validates what AWS validates (docs cloud-mechanics.md §1, §4.1), with AWS's error codes and
 * shapes, and keeps the state the simulated consoles need: which console cookie belongs to which
 * role session, and whether that session may do an action now (session policy, managed policy
 * ARNs, the role's inline deny policies, expiry).
 *
 * For the consoles (small on purpose):
 *   state.consoleSession(cookieValue)           → who the console cookie is, or null
 *   state.allows(session, action, resource?, now?) → whether that session may do it
 *   state.recordCall(session, action, resource?, now?) → the same, logged to CloudTrail
 *   state.encodeDenial({...})                  → an EC2-style encoded authorization message
 *
 * What it does not do: verify SigV4 signatures (only their header shape and credential scope),
 * evaluate the role's own permission policies (the role is treated as allowing everything, so a
 * session's rights are its session policy ∪ its `PolicyArns`), model IAM's propagation delay.
 * Managed policies it does not know (see `managedPolicies`) attach but allow nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeClock } from '../clock';
import {
  parsePolicy,
  policySize,
  statementMatches,
  type PolicyDocument,
  type RequestContext,
} from './policy';

/** The console session cookie the `login` redirect sets (the consoles read it back). */
export const AWS_CONSOLE_COOKIE = 'aws-sim-console-session';

/** A principal that may call the fake with long-term keys (the broker, by default). */
export interface FakeCaller {
  readonly accessKeyId: string;
  /** `arn:aws:iam::<acct>:user/<name>` or, for a broker running on role credentials, an assumed-role ARN. */
  readonly arn: string;
}

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
  /** Enforce CloudTrail's 2 requests/s (on the fake clock). Default true. */
  readonly cloudTrailRateLimit?: boolean;
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
}

/** What a console cookie stands for. */
export interface ConsoleSession {
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

interface Role {
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly roleId: string;
  readonly maxSessionSeconds: number;
  readonly kind: 'jit' | 'admin';
  trustedCaller: string | undefined;
  trustDenied: boolean;
  readonly inline: Map<string, string>;
}

interface Fault {
  remaining: number;
  readonly code: string;
  readonly service: AwsService | undefined;
  readonly action: string | undefined;
}

interface SigninToken {
  readonly session: AwsSession;
  readonly issuedAt: number;
  readonly durationSeconds: number;
  used: boolean;
}

interface ConsoleRecord {
  readonly session: AwsSession;
  readonly expiresAt: Date;
  loggedOut: boolean;
}

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
  /** `allows`, logged to CloudTrail as the session's call (with `AccessDenied` when refused). */
  recordCall(
    session: AwsSession | ConsoleSession,
    action: string,
    resource?: string | null,
    now?: Date,
  ): boolean;
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

const DEFAULT_CALLER_ARN = 'arn:aws:iam::999999999999:user/unblock-broker';
const NAME_RE = /^[\w+=,.@-]{2,64}$/;
const SIGNIN_TOKEN_TTL_MS = 15 * 60_000;

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

class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
  }
}

/** Status AWS answers a code with, for injected faults. */
function faultStatus(code: string): number {
  if (code === 'AccessDenied' || code === 'AccessDeniedException') return 403;
  if (code === 'ServiceUnavailable') return 503;
  if (code === 'InternalFailure' || code === 'InternalError') return 500;
  return 400;
}

const xmlEscape = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const random = (n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567') =>
  Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1024 * 1024) throw new AwsError(413, 'RequestEntityTooLarge', 'Request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

export async function startAwsFake(options: AwsFakeOptions): Promise<AwsFake> {
  const { clock } = options;
  const region = options.region ?? 'us-east-1';
  const callers = options.callers ?? null;
  const managed = { ...BUILTIN_MANAGED, ...options.managedPolicies };
  const rateLimit = options.cloudTrailRateLimit ?? true;

  const roles = new Map<string, Role>();
  const addRole = (arn: string, maxSessionSeconds: number, kind: Role['kind'], trusted?: string) => {
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
      inline: new Map(),
    });
  };
  for (const a of options.accounts) {
    addRole(a.roleArn, a.maxSessionSeconds, 'jit', a.trustedCaller);
    if (a.adminRoleArn) addRole(a.adminRoleArn, 3600, 'admin', a.trustedCaller);
  }
  const roleByName = (account: string, name: string) =>
    [...roles.values()].find((r) => r.account === account && r.name === name);

  const sessions = new Map<string, AwsSession>();
  const signinTokens = new Map<string, SigninToken>();
  const consoles = new Map<string, ConsoleRecord>();
  const encoded = new Map<string, string>();
  const events: TrailEvent[] = [];
  const requests: FakeRequest[] = [];
  const faults: Fault[] = [];
  const trailCalls: number[] = [];

  const log = (service: AwsService, action: string, params: Record<string, unknown>, akid: string | null) =>
    requests.push({ service, action, params, accessKeyId: akid, at: clock.now() });

  const takeFault = (service: AwsService, action: string): Fault | undefined => {
    const f = faults.find(
      (x) => x.remaining > 0 && (!x.service || x.service === service) && (!x.action || x.action === action),
    );
    if (f) f.remaining -= 1;
    return f;
  };

  /** The caller behind an access key id: a session the fake issued, or a long-term-key principal. */
  function resolveCaller(
    akid: string,
    token: string | undefined,
  ): { arn: string; account: string; session: AwsSession | null } {
    const session = sessions.get(akid);
    if (session) {
      if (token !== session.sessionToken) {
        throw new AwsError(
          403,
          'InvalidClientTokenId',
          'The security token included in the request is invalid.',
        );
      }
      if (clock.now() >= session.expiresAt) {
        throw new AwsError(400, 'ExpiredToken', 'The security token included in the request is expired');
      }
      return { arn: session.arn, account: session.account, session };
    }
    const caller = callers ? callers.find((c) => c.accessKeyId === akid) : { arn: DEFAULT_CALLER_ARN };
    if (!caller || akid.startsWith('ASIA')) {
      throw new AwsError(
        403,
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
      );
    }
    return { arn: caller.arn, account: caller.arn.split(':')[4]!, session: null };
  }

  /** Checks the SigV4 `authorization` header's shape and scope; returns the access key id. */
  function checkSignature(req: http.IncomingMessage, service: string, scopeRegion: string): string {
    const auth = req.headers.authorization ?? '';
    const m =
      /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{16,128})\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$/.exec(
        auth,
      );
    if (!m || !req.headers['x-amz-date']) {
      throw new AwsError(
        400,
        'IncompleteSignature',
        `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters and an X-Amz-Date header. Authorization=${auth.split(' ')[0] ?? ''}`,
      );
    }
    if (m[3] !== scopeRegion) {
      throw new AwsError(
        403,
        'SignatureDoesNotMatch',
        `Credential should be scoped to a valid region, not '${m[3]}'. `,
      );
    }
    if (m[4] !== service) {
      throw new AwsError(
        403,
        'SignatureDoesNotMatch',
        `Credential should be scoped to correct service: '${service}'. `,
      );
    }
    return m[1]!;
  }

  const sessionContext = (s: AwsSession, now: Date): RequestContext => ({
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

  function allows(
    target: AwsSession | ConsoleSession,
    action: string,
    resource: string | null = null,
    now: Date = clock.now(),
  ): boolean {
    const console = 'session' in target ? consoleFor(target) : null;
    const session = 'session' in target ? target.session : target;
    if (console ? console.loggedOut || now >= console.expiresAt : now >= session.expiresAt) return false;
    const role = roles.get(session.roleArn);
    if (!role) return false;
    const res = resource ?? '*';
    const context = sessionContext(session, now);
    for (const text of role.inline.values()) {
      const doc = parseStored(text);
      if (doc?.statements.some((s) => s.effect === 'Deny' && statementMatches(s, action, res, context))) {
        return false;
      }
    }
    const granting = [session.policy, ...session.policyArns.map((arn) => managed[arn] ?? null)];
    const docs = granting.flatMap((t) => (t === null ? [] : [parseStored(t)])).filter((d) => d !== null);
    // No session policy and no PolicyArns: the session has the role's own rights (all, here).
    if (session.policy === null && session.policyArns.length === 0) return true;
    if (
      docs.some((d) =>
        d.statements.some((s) => s.effect === 'Deny' && statementMatches(s, action, res, context)),
      )
    ) {
      return false;
    }
    return docs.some((d) =>
      d.statements.some((s) => s.effect === 'Allow' && statementMatches(s, action, res, context)),
    );
  }

  // Console views handed out by `consoleSession`, so `allows` sees a later logout too.
  const views = new WeakMap<ConsoleSession, ConsoleRecord>();
  const consoleFor = (view: ConsoleSession): ConsoleRecord =>
    views.get(view) ?? { session: view.session, expiresAt: view.expiresAt, loggedOut: view.expired };

  function recordCall(
    target: AwsSession | ConsoleSession,
    action: string,
    resource: string | null = null,
    now: Date = clock.now(),
  ): boolean {
    const allowed = allows(target, action, resource, now);
    const session = 'session' in target ? target.session : target;
    const [service = 'aws', name = action] = action.split(':');
    events.push({
      eventId: randomUUID(),
      eventName: name,
      eventSource: `${service}.amazonaws.com`,
      eventTime: now,
      username: session.sessionName,
      accessKeyId: session.accessKeyId,
      readOnly: /^(Get|List|Describe)/.test(name),
      resources: resource ? [{ type: `AWS::${service.toUpperCase()}::Resource`, name: resource }] : [],
      errorCode: allowed ? null : 'AccessDenied',
      userIdentityArn: session.arn,
      sourceIdentity: session.sourceIdentity,
    });
    return allowed;
  }

  // ---------------------------------------------------------------- STS

  function assumeRole(p: URLSearchParams, caller: ReturnType<typeof resolveCaller>): string {
    const roleArn = p.get('RoleArn') ?? '';
    const sessionName = p.get('RoleSessionName') ?? '';
    const role = roles.get(roleArn);
    const denied = () =>
      new AwsError(
        403,
        'AccessDenied',
        `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    if (!roleArn)
      throw new AwsError(400, 'MissingParameter', 'The request must contain the parameter RoleArn');
    if (!NAME_RE.test(sessionName)) {
      throw new AwsError(
        400,
        'ValidationError',
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64`,
      );
    }
    if (
      !role ||
      role.trustDenied ||
      (role.trustedCaller !== undefined && role.trustedCaller !== caller.arn)
    ) {
      throw denied();
    }
    const sourceIdentity = p.get('SourceIdentity');
    if (sourceIdentity !== null && (!NAME_RE.test(sourceIdentity) || /^aws:/i.test(sourceIdentity))) {
      throw new AwsError(
        400,
        'ValidationError',
        `1 validation error detected: Value '${sourceIdentity}' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*, have length between 2 and 64 and not begin with aws:`,
      );
    }
    // SourceIdentity survives role chaining and cannot be changed by it.
    if (
      caller.session?.sourceIdentity &&
      sourceIdentity !== null &&
      sourceIdentity !== caller.session.sourceIdentity
    ) {
      throw new AwsError(403, 'AccessDenied', 'SourceIdentity cannot be changed once set on a session.');
    }
    const duration = p.has('DurationSeconds') ? Number(p.get('DurationSeconds')) : 3600;
    if (!Number.isInteger(duration) || duration < 900) {
      throw new AwsError(
        400,
        'ValidationError',
        `1 validation error detected: Value '${p.get('DurationSeconds')}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
      );
    }
    const chained = caller.session !== null || caller.arn.includes(':assumed-role/');
    if (chained && duration > 3600) {
      throw new AwsError(
        400,
        'ValidationError',
        'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
      );
    }
    if (duration > role.maxSessionSeconds) {
      throw new AwsError(
        400,
        'ValidationError',
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      );
    }
    const policy = p.get('Policy');
    if (policy !== null) {
      if (policy.length > 2048) {
        throw new AwsError(
          400,
          'ValidationError',
          "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048",
        );
      }
      try {
        parsePolicy(policy);
      } catch (e) {
        throw new AwsError(400, 'MalformedPolicyDocument', (e as Error).message);
      }
    }
    const policyArns = [...p.keys()]
      .filter((k) => /^PolicyArns\.member\.\d+\.arn$/.test(k))
      .map((k) => p.get(k)!);
    if (policyArns.length > 10) {
      throw new AwsError(
        400,
        'ValidationError',
        "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10",
      );
    }
    if ([...p.keys()].filter((k) => /^Tags\.member\.\d+\.Key$/.test(k)).length > 50) {
      throw new AwsError(400, 'ValidationError', 'Tags: at most 50 session tags');
    }
    // An approximation of the packed size (AWS compresses; plain text over 2,048 already failed).
    const packed = Math.ceil(
      (100 * (policySize(policy ?? '') + policyArns.reduce((n, a) => n + a.length, 0))) / 4096,
    );
    if (packed > 100) {
      throw new AwsError(400, 'PackedPolicyTooLarge', `Packed policy consumes ${packed}% of allotted space`);
    }
    const now = clock.now();
    const issuedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const session: AwsSession = {
      accessKeyId: `ASIA${random(16)}`,
      secretAccessKey: random(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'),
      sessionToken: `FwoGZX${random(120, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`,
      account: role.account,
      roleArn,
      roleId: role.roleId,
      sessionName,
      sourceIdentity: sourceIdentity ?? caller.session?.sourceIdentity ?? null,
      arn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`,
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + duration * 1000),
      policy,
      policyArns,
      callerArn: caller.arn,
    };
    sessions.set(session.accessKeyId, session);
    return (
      `<SourceIdentity>${xmlEscape(session.sourceIdentity ?? '')}</SourceIdentity>` +
      `<AssumedRoleUser><Arn>${xmlEscape(session.arn)}</Arn><AssumedRoleId>${role.roleId}:${xmlEscape(sessionName)}</AssumedRoleId></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${xmlEscape(session.secretAccessKey)}</SecretAccessKey>` +
      `<SessionToken>${session.sessionToken}</SessionToken><Expiration>${session.expiresAt.toISOString()}</Expiration></Credentials>` +
      `<PackedPolicySize>${packed}</PackedPolicySize>`
    );
  }

  function decodeMessage(p: URLSearchParams, caller: ReturnType<typeof resolveCaller>): string {
    const blob = p.get('EncodedMessage') ?? '';
    const decoded = /\s/.test(blob) ? undefined : encoded.get(blob);
    if (decoded === undefined) {
      throw new AwsError(400, 'InvalidAuthorizationMessageException', 'Invalid authorization message');
    }
    const account = (
      JSON.parse(decoded) as { context: { principal: { arn: string } } }
    ).context.principal.arn.split(':')[4];
    const permitted =
      caller.account === account &&
      (caller.session === null ||
        roles.get(caller.session.roleArn)?.kind === 'admin' ||
        allows(caller.session, 'sts:DecodeAuthorizationMessage'));
    if (!permitted) {
      throw new AwsError(
        403,
        'AccessDenied',
        `User: ${caller.arn} is not authorized to perform: sts:DecodeAuthorizationMessage`,
      );
    }
    return `<DecodedMessage>${xmlEscape(decoded)}</DecodedMessage>`;
  }

  const queryResponse = (ns: string, action: string, result: string) =>
    `<${action}Response xmlns="${ns}"><${action}Result>${result}</${action}Result>` +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;

  const queryError = (ns: string, e: AwsError) =>
    `<ErrorResponse xmlns="${ns}"><Error><Type>${e.type}</Type><Code>${e.code}</Code>` +
    `<Message>${xmlEscape(e.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;

  /** A Query-protocol service (STS, IAM): form in, XML out. */
  function queryService(
    service: 'sts' | 'iam',
    ns: string,
    version: string,
    scopeRegion: () => string,
    handle: (action: string, p: URLSearchParams, caller: ReturnType<typeof resolveCaller>) => string | null,
  ): http.RequestListener {
    return (req, res) => {
      void (async () => {
        try {
          const body = await readBody(req);
          const p = new URLSearchParams(body);
          const action = p.get('Action') ?? '';
          let akid: string | null = null;
          try {
            akid = checkSignature(req, service, scopeRegion());
          } finally {
            log(service, action, Object.fromEntries(p), akid);
          }
          if (req.method !== 'POST') throw new AwsError(405, 'InvalidAction', 'Use POST');
          const fault = takeFault(service, action);
          if (fault) throw new AwsError(faultStatus(fault.code), fault.code, `Injected ${fault.code}`);
          const tokenHeader = req.headers['x-amz-security-token'];
          const caller = resolveCaller(akid, typeof tokenHeader === 'string' ? tokenHeader : undefined);
          if (p.get('Version') !== version) {
            throw new AwsError(
              400,
              'InvalidAction',
              `Could not find operation ${action} for version ${p.get('Version')}`,
            );
          }
          const result = handle(action, p, caller);
          if (result === null) {
            throw new AwsError(
              400,
              'InvalidAction',
              `Could not find operation ${action} for version ${version}`,
            );
          }
          res.writeHead(200, { 'content-type': 'text/xml' });
          res.end(queryResponse(ns, action, result));
        } catch (e) {
          const err = e instanceof AwsError ? e : new AwsError(500, 'InternalFailure', (e as Error).message);
          res.writeHead(err.status, { 'content-type': 'text/xml' });
          res.end(queryError(ns, err));
        }
      })();
    };
  }

  const sts = await listen(
    queryService(
      'sts',
      'https://sts.amazonaws.com/doc/2011-06-15/',
      '2011-06-15',
      () => region,
      (action, p, caller) => {
        if (action === 'AssumeRole') return assumeRole(p, caller);
        if (action === 'DecodeAuthorizationMessage') return decodeMessage(p, caller);
        if (action === 'GetCallerIdentity') {
          const userId = caller.session
            ? `${caller.session.roleId}:${caller.session.sessionName}`
            : 'AIDAEXAMPLEBROKER0001';
          return `<Arn>${xmlEscape(caller.arn)}</Arn><UserId>${xmlEscape(userId)}</UserId><Account>${caller.account}</Account>`;
        }
        return null;
      },
    ),
  );

  // ---------------------------------------------------------------- IAM

  function iamRole(p: URLSearchParams, caller: ReturnType<typeof resolveCaller>, action: string): Role {
    const name = p.get('RoleName') ?? '';
    const role = roleByName(caller.account, name);
    // IAM is per account: a principal edits roles of its own account, and a JIT session only
    // when its session policy allows it.
    const permitted =
      caller.session === null ||
      roles.get(caller.session.roleArn)?.kind === 'admin' ||
      (role !== undefined && allows(caller.session, `iam:${action}`, role.arn));
    if (!permitted) {
      throw new AwsError(
        403,
        'AccessDenied',
        `User: ${caller.arn} is not authorized to perform: iam:${action} on resource: role ${name}`,
      );
    }
    if (!role) throw new AwsError(404, 'NoSuchEntity', `The role with name ${name} cannot be found.`);
    return role;
  }

  const iam = await listen(
    queryService(
      'iam',
      'https://iam.amazonaws.com/doc/2010-05-08/',
      '2010-05-08',
      () => 'us-east-1',
      (action, p, caller) => {
        const policyName = p.get('PolicyName') ?? '';
        const missing = (role: Role) =>
          new AwsError(
            404,
            'NoSuchEntity',
            `The role policy with name ${policyName} cannot be found for role ${role.name}.`,
          );
        switch (action) {
          case 'PutRolePolicy': {
            const role = iamRole(p, caller, action);
            if (!/^[\w+=,.@-]{1,128}$/.test(policyName)) {
              throw new AwsError(400, 'ValidationError', `The specified value for policyName is invalid.`);
            }
            const doc = p.get('PolicyDocument') ?? '';
            try {
              parsePolicy(doc);
            } catch (e) {
              throw new AwsError(400, 'MalformedPolicyDocument', (e as Error).message);
            }
            const others = [...role.inline]
              .filter(([n]) => n !== policyName)
              .reduce((n, [, d]) => n + policySize(d), 0);
            if (others + policySize(doc) > 10_240) {
              throw new AwsError(
                409,
                'LimitExceeded',
                `Maximum policy size of 10240 bytes exceeded for role ${role.name}`,
              );
            }
            role.inline.set(policyName, doc);
            return '';
          }
          case 'GetRolePolicy': {
            const role = iamRole(p, caller, action);
            const doc = role.inline.get(policyName);
            if (doc === undefined) throw missing(role);
            // IAM returns the document URL-encoded (RFC 3986); the SDK hands it over as is.
            return `<RoleName>${xmlEscape(role.name)}</RoleName><PolicyName>${xmlEscape(policyName)}</PolicyName><PolicyDocument>${encodeURIComponent(doc)}</PolicyDocument>`;
          }
          case 'DeleteRolePolicy': {
            const role = iamRole(p, caller, action);
            if (!role.inline.delete(policyName)) throw missing(role);
            return '';
          }
          case 'ListRolePolicies': {
            const role = iamRole(p, caller, action);
            const names = [...role.inline.keys()].sort().map((n) => `<member>${xmlEscape(n)}</member>`);
            return `<PolicyNames>${names.join('')}</PolicyNames><IsTruncated>false</IsTruncated>`;
          }
          default:
            return null;
        }
      },
    ),
  );

  // ---------------------------------------------------------------- CloudTrail

  const ATTRIBUTES: Record<string, (e: TrailEvent) => string[]> = {
    EventId: (e) => [e.eventId],
    EventName: (e) => [e.eventName],
    ReadOnly: (e) => [String(e.readOnly)],
    Username: (e) => [e.username],
    ResourceType: (e) => e.resources.map((r) => r.type),
    ResourceName: (e) => e.resources.map((r) => r.name),
    EventSource: (e) => [e.eventSource],
    AccessKeyId: (e) => (e.accessKeyId ? [e.accessKeyId] : []),
  };

  const trailJson = (e: TrailEvent) => ({
    EventId: e.eventId,
    EventName: e.eventName,
    ReadOnly: String(e.readOnly),
    AccessKeyId: e.accessKeyId ?? undefined,
    EventTime: e.eventTime.getTime() / 1000,
    EventSource: e.eventSource,
    Username: e.username,
    Resources: e.resources.map((r) => ({ ResourceType: r.type, ResourceName: r.name })),
    CloudTrailEvent: JSON.stringify({
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        arn: e.userIdentityArn,
        accessKeyId: e.accessKeyId,
        sessionContext: { sourceIdentity: e.sourceIdentity ?? undefined },
      },
      eventTime: iso(e.eventTime),
      eventSource: e.eventSource,
      eventName: e.eventName,
      awsRegion: region,
      errorCode: e.errorCode ?? undefined,
      requestParameters: null,
      eventID: e.eventId,
    }),
  });

  function lookupEvents(body: Record<string, unknown>): unknown {
    const attrs = Array.isArray(body.LookupAttributes) ? (body.LookupAttributes as unknown[]) : [];
    if (attrs.length > 1) {
      throw new AwsError(
        400,
        'InvalidLookupAttributesException',
        'You cannot specify more than one lookup attribute.',
      );
    }
    const attr = attrs[0] as { AttributeKey?: string; AttributeValue?: string } | undefined;
    const pick = attr ? ATTRIBUTES[attr.AttributeKey ?? ''] : undefined;
    if (attr && (!pick || !attr.AttributeValue)) {
      throw new AwsError(400, 'InvalidLookupAttributesException', 'The lookup attribute is not valid.');
    }
    const max = body.MaxResults === undefined ? 50 : Number(body.MaxResults);
    if (!Number.isInteger(max) || max < 1 || max > 50) {
      throw new AwsError(400, 'InvalidMaxResultsException', 'MaxResults must be between 1 and 50.');
    }
    const start = typeof body.StartTime === 'number' ? body.StartTime * 1000 : -Infinity;
    const end = typeof body.EndTime === 'number' ? body.EndTime * 1000 : Infinity;
    if (start > end) throw new AwsError(400, 'InvalidTimeRangeException', 'StartTime is after EndTime.');
    let offset = 0;
    if (body.NextToken !== undefined) {
      const m = /^page-(\d+)$/.exec(
        Buffer.from(typeof body.NextToken === 'string' ? body.NextToken : '', 'base64url').toString(),
      );
      if (!m) throw new AwsError(400, 'InvalidNextTokenException', 'Invalid NextToken.');
      offset = Number(m[1]);
    }
    // Newest first, as CloudTrail returns them.
    const matching = events
      .filter((e) => e.eventTime.getTime() >= start && e.eventTime.getTime() <= end)
      .filter((e) => !attr || pick!(e).includes(attr.AttributeValue!))
      .sort((a, b) => b.eventTime.getTime() - a.eventTime.getTime());
    const page = matching.slice(offset, offset + max);
    const next =
      offset + max < matching.length ? Buffer.from(`page-${offset + max}`).toString('base64url') : undefined;
    return { Events: page.map(trailJson), NextToken: next };
  }

  const cloudTrail = await listen((req, res) => {
    void (async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.split('.').pop() ?? '';
      try {
        const text = await readBody(req);
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text || '{}') as Record<string, unknown>;
        } catch {
          throw new AwsError(400, 'SerializationException', 'Body is not JSON');
        }
        let akid: string | null = null;
        try {
          akid = checkSignature(req, 'cloudtrail', region);
        } finally {
          log('cloudtrail', action, body, akid);
        }
        const fault = takeFault('cloudtrail', action);
        if (fault) throw new AwsError(faultStatus(fault.code), fault.code, `Injected ${fault.code}`);
        const tokenHeader = req.headers['x-amz-security-token'];
        resolveCaller(akid, typeof tokenHeader === 'string' ? tokenHeader : undefined);
        if (!/^(com\.amazonaws\.cloudtrail\.v20131101\.)?CloudTrail_20131101\.LookupEvents$/.test(target)) {
          throw new AwsError(400, 'UnknownOperationException', `Unknown operation ${target}`);
        }
        // LookupEvents allows 2 requests per second per account and region (fake-clock time).
        const now = clock.now().getTime();
        while (trailCalls.length > 0 && trailCalls[0]! <= now - 1000) trailCalls.shift();
        if (rateLimit && trailCalls.length >= 2)
          throw new AwsError(400, 'ThrottlingException', 'Rate exceeded');
        trailCalls.push(now);
        const result = lookupEvents(body);
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(result));
      } catch (e) {
        const err = e instanceof AwsError ? e : new AwsError(500, 'InternalFailure', (e as Error).message);
        res.writeHead(err.status, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-errortype': err.code,
        });
        res.end(JSON.stringify({ __type: err.code, message: err.message }));
      }
    })();
  });

  // ---------------------------------------------------------------- sign-in

  const signin = await listen((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://signin');
      const text = (status: number, body: string) => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(body);
      };
      try {
        const form = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
        const action = form.get('Action') ?? '';
        log(
          'signin',
          action,
          Object.fromEntries([...form].filter(([k]) => k !== 'Session' && k !== 'SigninToken')),
          null,
        );
        const fault = takeFault('signin', action);
        if (fault) return text(faultStatus(fault.code), fault.code);
        if (url.pathname === '/federation' && action === 'getSigninToken') {
          let creds: { sessionId?: unknown; sessionKey?: unknown; sessionToken?: unknown };
          try {
            creds = JSON.parse(form.get('Session') ?? '') as typeof creds;
          } catch {
            return text(400, 'Session is not JSON');
          }
          const session = typeof creds.sessionId === 'string' ? sessions.get(creds.sessionId) : undefined;
          if (
            !session ||
            creds.sessionKey !== session.secretAccessKey ||
            creds.sessionToken !== session.sessionToken ||
            clock.now() >= session.expiresAt
          ) {
            return text(400, 'Invalid or expired session credentials');
          }
          const duration = form.has('SessionDuration')
            ? Number(form.get('SessionDuration'))
            : Math.floor((session.expiresAt.getTime() - clock.now().getTime()) / 1000);
          if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) {
            return text(400, 'SessionDuration must be between 900 and 43200 seconds');
          }
          const token = random(64, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
          signinTokens.set(token, {
            session,
            issuedAt: clock.now().getTime(),
            durationSeconds: duration,
            used: false,
          });
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ SigninToken: token }));
        }
        if (url.pathname === '/federation' && action === 'login') {
          const token = signinTokens.get(form.get('SigninToken') ?? '');
          const destination = form.get('Destination') ?? '';
          if (!token || token.used || clock.now().getTime() - token.issuedAt > SIGNIN_TOKEN_TTL_MS) {
            return text(400, 'The sign-in token is invalid, expired or already used');
          }
          if (!/^https?:\/\//.test(destination)) return text(400, 'Destination is required');
          token.used = true;
          const cookie = random(48, 'abcdefghijklmnopqrstuvwxyz0123456789');
          consoles.set(cookie, {
            session: token.session,
            expiresAt: new Date(clock.now().getTime() + token.durationSeconds * 1000),
            loggedOut: false,
          });
          res.writeHead(302, {
            location: destination,
            'set-cookie': `${AWS_CONSOLE_COOKIE}=${cookie}; Path=/; Secure; HttpOnly; SameSite=Lax`,
          });
          return res.end();
        }
        if (url.pathname === '/oauth' && action === 'logout') {
          const cookie = /(?:^|;\s*)aws-sim-console-session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
          const record = cookie ? consoles.get(cookie) : undefined;
          if (record) record.loggedOut = true;
          const redirect = form.get('redirect_uri');
          res.writeHead(redirect && /^https?:\/\//.test(redirect) ? 302 : 200, {
            ...(redirect && /^https?:\/\//.test(redirect) ? { location: redirect } : {}),
            'set-cookie': `${AWS_CONSOLE_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax`,
          });
          return res.end();
        }
        text(404, 'Not found');
      } catch (e) {
        text(500, (e as Error).message);
      }
    })();
  });

  const state: AwsFakeState = {
    requests,
    requestsFor: (service, action) =>
      requests.filter((r) => r.service === service && (action === undefined || r.action === action)),
    sessionsFor: (sourceIdentity) =>
      [...sessions.values()].filter((s) => s.sourceIdentity === sourceIdentity),
    session: (akid) => sessions.get(akid),
    consoleSession(cookieValue) {
      const c = consoles.get(cookieValue);
      if (!c) return null;
      const view: ConsoleSession = {
        account: c.session.account,
        sourceIdentity: c.session.sourceIdentity,
        sessionName: c.session.sessionName,
        expired: c.loggedOut || clock.now() >= c.expiresAt,
        expiresAt: c.expiresAt,
        session: c.session,
      };
      views.set(view, c);
      return view;
    },
    allows,
    recordCall,
    encodeDenial(d) {
      const message = JSON.stringify({
        allowed: false,
        explicitDeny: d.explicitDeny ?? false,
        matchedStatements: {
          items: d.explicitDeny ? [{ statementId: 'Deny', effect: 'DENY' }] : [],
        },
        failures: { items: [] },
        context: {
          principal: { id: `AROAEXAMPLE:${d.principalArn.split('/').pop()}`, arn: d.principalArn },
          action: d.action,
          resource: d.resource,
          conditions: { items: [{ key: 'aws:Region', values: { items: [{ value: region }] } }] },
        },
      });
      // Same account check as decoding: the principal ARN names the account.
      if (d.principalArn.split(':')[4] !== d.account)
        throw new Error('encodeDenial: principalArn is not in account');
      const blob = random(300, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
      encoded.set(blob, message);
      return blob;
    },
    rolePolicies: (roleArn) => Object.fromEntries(roles.get(roleArn)?.inline ?? []),
    failNext(count, code, match = {}) {
      faults.push({ remaining: count, code, service: match.service, action: match.action });
    },
    denyAssumeRole(roleArn, denied = true) {
      const role = roles.get(roleArn);
      if (!role) throw new Error(`denyAssumeRole: no role ${roleArn}`);
      role.trustDenied = denied;
    },
  };

  const servers = [sts, iam, cloudTrail, signin];
  return {
    endpoints: { sts: sts.url, iam: iam.url, cloudTrail: cloudTrail.url, signin: `${signin.url}/federation` },
    state,
    close: () =>
      Promise.all(
        servers.map(
          ({ server }) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      ).then(() => undefined),
  };
}
