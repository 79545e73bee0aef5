/**
 * The broker's configuration file (YAML or JSON): who the users are, which groups they are in,
 * their identities in each cloud, and the targets (AWS accounts, Azure subscriptions, GCP projects)
 * they can ask for. Validated as a whole before the broker starts, with every problem named by
 * its path in the file.
 */
import * as z from 'zod';
import { CLOUDS } from '../../lib/clouds';
import { EVENT_TYPES } from '../../lib/contract/status';
import { AwsCloudConfig, AwsTargetConfig } from '../clouds/aws/config';
import { AzureCloudConfig, AzureTargetConfig } from '../clouds/azure/config';
import { GcpCloudConfig, GcpTargetConfig } from '../clouds/gcp/config';
import { DEFAULT_PROVISION_ATTEMPTS } from '../domain/lifecycle';
import { targetKey } from './targets';

/** Grants one worker provisions or revokes at once: a few cloud calls in flight on a 2-core box. */
export const DEFAULT_WORKER_CONCURRENCY = 4;

const NAME = /^[a-z][a-z0-9._-]{0,63}$/;

/** Each cloud's own form of an account id: AWS 12 digits, Azure a subscription GUID, GCP a project id. */
export const ACCOUNT_FORMAT = {
  aws: /^\d{12}$/,
  azure: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  gcp: /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
} as const;

export const UserConfig = z.strictObject({
  name: z.string().regex(NAME, 'lower-case letters, digits, . _ - (starting with a letter)'),
  displayName: z.string().min(1).max(128).optional(),
  email: z.email().optional(),
  groups: z.array(z.string().regex(NAME)).default([]),
  /** scrypt hash (`scrypt$N$r$p$salt$hash`, see server/identity) for local sign-in; absent = IdP only. */
  passwordHash: z.string().startsWith('scrypt$').optional(),
  /** The user's identity in each cloud: AWS SourceIdentity, Azure object id, GCP member. */
  identities: z
    .strictObject({
      aws: z.string().min(2).max(64).optional(),
      azure: z.string().regex(ACCOUNT_FORMAT.azure, 'an Entra object id (GUID)').optional(),
      gcp: z
        .string()
        .regex(/^(user|serviceAccount|group):[^\s@]+@[^\s@]+$/, 'a member like user:alice@example.com')
        .optional(),
    })
    .default({}),
});
export type UserConfig = z.infer<typeof UserConfig>;

export const GroupConfig = z.strictObject({
  name: z.string().regex(NAME),
  description: z.string().max(256).optional(),
});

/**
 * Reminders and escalation of requests on one target that wait for a decision
 * (server/domain/follow-up.ts, docs/operations.md): remind the approver group after
 * `remindAfterMinutes`, again every `remindEveryMinutes` (default: the same), at most
 * `maxReminders` times; after `escalateAfterMinutes` the groups in `escalateTo` may decide it too.
 * Times count from submission; a step that would fall after the request's expiry
 * (`pendingTtlHours`) does not happen.
 */
export const FollowUpConfig = z.strictObject({
  remindAfterMinutes: z
    .number()
    .int()
    .min(1)
    .max(14 * 24 * 60)
    .default(60),
  remindEveryMinutes: z
    .number()
    .int()
    .min(1)
    .max(14 * 24 * 60)
    .optional(),
  maxReminders: z.number().int().min(0).max(50).default(3),
  escalateAfterMinutes: z
    .number()
    .int()
    .min(1)
    .max(14 * 24 * 60)
    .optional(),
  escalateTo: z.array(z.string().regex(NAME)).default([]),
});
export type FollowUpConfig = z.infer<typeof FollowUpConfig>;

export const TargetConfig = z.strictObject({
  id: z.string().regex(NAME),
  cloud: z.enum(CLOUDS),
  /** AWS account id, Azure subscription id or GCP project id. */
  account: z.string(),
  name: z.string().min(1).max(128),
  environment: z.string().regex(NAME),
  /** Group whose members may approve requests on this target. */
  approverGroup: z.string().regex(NAME),
  /** Reminders and escalation while a request waits; none when absent. */
  followUp: FollowUpConfig.optional(),
  maxDurationMinutes: z
    .number()
    .int()
    .min(15)
    .max(7 * 24 * 60)
    .default(480),
  /** Which provisioner grants access: the simulated clouds, or the cloud's own API (`clouds.<cloud>`). */
  provisioner: z.enum(['sim', 'cloud']).default('sim'),
  /** Per-cloud settings for `provisioner: cloud` (the one matching `cloud`). */
  aws: AwsTargetConfig.optional(),
  azure: AzureTargetConfig.optional(),
  gcp: GcpTargetConfig.optional(),
});
export type TargetConfig = z.infer<typeof TargetConfig>;

/** An OAuth client of the broker (the extension, the CLI): public clients, so PKCE is mandatory. */
export const OAuthClientConfig = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ -'),
  name: z.string().min(1).max(128),
  /**
   * Exact redirect URIs the client may use. `http://127.0.0.1/…` and `http://localhost/…` match on
   * any port (RFC 8252 §7.3, the CLI's loopback listener).
   */
  redirectUris: z.array(z.string().min(1).max(512)).min(1),
});
export type OAuthClientConfig = z.infer<typeof OAuthClientConfig>;

/** Sign-in delegated to an external OpenID Connect provider (Entra ID, Okta, Google, Keycloak…). */
export const OidcConfig = z.strictObject({
  issuer: z.url(),
  clientId: z.string().min(1),
  /** The client secret, or `env:NAME` to read it from the environment (keeps secrets out of files). */
  clientSecret: z.string().min(1).optional(),
  scopes: z.string().default('openid profile email'),
  /** Claim whose value becomes the broker user name (lower-cased). */
  usernameClaim: z.string().default('preferred_username'),
  /** Claim holding the user's groups (an array of names). */
  groupsClaim: z.string().default('groups'),
  /** Claims carrying the user's cloud identities, when the IdP provides them. */
  identityClaims: z
    .strictObject({ aws: z.string().optional(), azure: z.string().optional(), gcp: z.string().optional() })
    .default({}),
});
export type OidcConfig = z.infer<typeof OidcConfig>;

/**
 * API tokens are for automation, and one that never expires is one nobody rotates: each has a
 * lifetime of at most `maxTtlDays` (checked at creation and again on every use, so lowering the
 * setting also cuts tokens created before), and none is without expiry unless the operator says so.
 */
export const ApiTokensConfig = z.strictObject({
  maxTtlDays: z
    .number()
    .int()
    .min(1)
    .max(10 * 366)
    .default(90),
  /** `token create --ttl never`: a token with no expiry. Off unless set here. */
  allowNoExpiry: z.boolean().default(false),
});
export type ApiTokensConfig = z.infer<typeof ApiTokensConfig>;

export const AuthConfig = z.strictObject({
  /** Local accounts (users with `passwordHash`) may sign in on the broker's own login page. */
  local: z.boolean().default(true),
  oidc: OidcConfig.optional(),
  accessTokenTtlMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  refreshTokenTtlHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24 * 30),
  /** Extra OAuth clients; the extension and the CLI are always registered (see server/auth). */
  clients: z.array(OAuthClientConfig).default([]),
  /** API tokens (`unblock-server token create`): how long they may live. */
  apiTokens: ApiTokensConfig.default(ApiTokensConfig.parse({})),
});
export type AuthConfig = z.infer<typeof AuthConfig>;

export const WebhookConfig = z.strictObject({
  name: z.string().regex(NAME),
  /** `slack`: Slack-compatible incoming-webhook message; `json`: the event as JSON, HMAC-signed. */
  kind: z.enum(['slack', 'json']),
  url: z.url(),
  /** HMAC-SHA256 key for `json` webhooks (or `env:NAME`); required for them. */
  secret: z.string().min(16).optional(),
  /** Only these event types (default: every type). */
  events: z.array(z.enum(EVENT_TYPES)).optional(),
});
export type WebhookConfig = z.infer<typeof WebhookConfig>;

/**
 * Signed checkpoints of the audit chain (server/audit/): where the signing key and the checkpoint
 * file live (outside the database, see docs/operations.md) and how often the head is signed.
 * `UNBLOCK_AUDIT_DIR` and `UNBLOCK_AUDIT_KEY_FILE` override the paths on one host.
 */
export const AuditConfig = z.strictObject({
  /** The checkpoint file's directory (and the key's, unless `signingKeyFile`). Default: beside the store. */
  dir: z.string().min(1).optional(),
  /** The Ed25519 private key (PEM); e.g. a mounted secret. Default: `<dir>/signing-key.pem`. */
  signingKeyFile: z.string().min(1).optional(),
  /** A new checkpoint when the head moved, at most this often; also one on start and on shutdown. */
  checkpointIntervalSeconds: z.number().int().min(5).max(86_400).default(60),
});
export type AuditConfig = z.infer<typeof AuditConfig>;

export const BrokerConfig = z
  .strictObject({
    /** Free text shown on start, e.g. "acme production broker". */
    name: z.string().max(128).default('Unblock broker'),
    /** Pending requests with no decision expire after this many hours. */
    pendingTtlHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 14)
      .default(24),
    groups: z.array(GroupConfig).default([]),
    users: z.array(UserConfig).min(1),
    targets: z.array(TargetConfig).min(1),
    auth: AuthConfig.default(AuthConfig.parse({})),
    webhooks: z.array(WebhookConfig).default([]),
    /** Per-user API rate limit (token bucket): sustained requests per minute, and the burst allowed. */
    rateLimit: z
      .strictObject({
        perMinute: z.number().int().min(1).max(1_000_000).default(600),
        burst: z.number().int().min(1).max(100_000).default(120),
      })
      .default({ perMinute: 600, burst: 120 }),
    /**
     * Provisioning attempts (the first included) before the broker gives up on a grant whose cloud
     * keeps failing with errors worth retrying (throttling, 5xx, no answer); retries back off 5 s,
     * 10 s, 20 s… up to 5 min, so the default 8 ends about 10 minutes after the first try. Errors
     * the provisioner calls permanent end the grant at once, whatever this says.
     */
    provisioning: z
      .strictObject({
        maxAttempts: z.number().int().min(1).max(100).default(DEFAULT_PROVISION_ATTEMPTS),
        /**
         * Grants the worker works on at once (cloud calls in flight per replica). Small and fixed,
         * so a slow or failing cloud holds a few leases and connections, never the request path.
         */
        concurrency: z.number().int().min(1).max(64).default(DEFAULT_WORKER_CONCURRENCY),
      })
      .default({ maxAttempts: DEFAULT_PROVISION_ATTEMPTS, concurrency: DEFAULT_WORKER_CONCURRENCY }),
    /**
     * The reconciler (server/reconcile/): every `intervalSeconds` one replica compares what each
     * cloud holds that Unblock made with what active grants own, removes what nothing owns and
     * has the worker re-apply what an active grant lacks. `graceSeconds`: access of a grant that
     * ended, or of an active grant provisioned, less than this long ago is left alone (a worker
     * may be at it). `intervalSeconds: 0` turns the periodic run off (`unblock-server reconcile`
     * still runs it once).
     */
    reconcile: z
      .strictObject({
        intervalSeconds: z.number().int().min(0).max(86_400).default(300),
        graceSeconds: z.number().int().min(0).max(86_400).default(120),
      })
      .default({ intervalSeconds: 300, graceSeconds: 120 }),
    /** How the broker reaches each cloud's API, for targets with `provisioner: cloud`. */
    clouds: z
      .strictObject({
        aws: AwsCloudConfig.optional(),
        azure: AzureCloudConfig.optional(),
        gcp: GcpCloudConfig.optional(),
      })
      .default({}),
    /** Members of these groups read the audit log. */
    auditorGroups: z.array(z.string().regex(NAME)).default(['auditors']),
    audit: AuditConfig.default(AuditConfig.parse({})),
  })
  .superRefine((cfg, ctx) => {
    const groups = new Set(cfg.groups.map((g) => g.name));
    const unique = (items: { name?: string; id?: string }[], key: 'name' | 'id', path: string) => {
      const seen = new Set<string>();
      items.forEach((item, i) => {
        const value = item[key] ?? '';
        if (seen.has(value))
          ctx.addIssue({ code: 'custom', path: [path, i, key], message: `duplicate ${key} "${value}"` });
        seen.add(value);
      });
    };
    unique(cfg.groups, 'name', 'groups');
    unique(cfg.users, 'name', 'users');
    unique(cfg.targets, 'id', 'targets');
    unique(cfg.webhooks, 'name', 'webhooks');
    cfg.webhooks.forEach((w, i) => {
      if (w.kind === 'json' && !w.secret)
        ctx.addIssue({
          code: 'custom',
          path: ['webhooks', i, 'secret'],
          message: 'a json webhook needs a secret (16+ characters, or env:NAME) to sign its deliveries',
        });
    });
    if (!cfg.auth.local && !cfg.auth.oidc)
      ctx.addIssue({
        code: 'custom',
        path: ['auth'],
        message: 'no way to sign in: enable auth.local or configure auth.oidc',
      });
    cfg.users.forEach((u, i) =>
      u.groups.forEach((g, j) => {
        if (!groups.has(g))
          ctx.addIssue({ code: 'custom', path: ['users', i, 'groups', j], message: `unknown group "${g}"` });
      }),
    );
    const accounts = new Set<string>();
    cfg.targets.forEach((t, i) => {
      if (!ACCOUNT_FORMAT[t.cloud].test(t.account))
        ctx.addIssue({
          code: 'custom',
          path: ['targets', i, 'account'],
          message: `"${t.account}" is not a valid ${t.cloud} account id`,
        });
      const key = targetKey(t);
      if (accounts.has(key))
        ctx.addIssue({
          code: 'custom',
          path: ['targets', i, 'account'],
          message: `${key} is configured twice`,
        });
      accounts.add(key);
      if (t.provisioner === 'cloud') {
        if (!cfg.clouds[t.cloud])
          ctx.addIssue({
            code: 'custom',
            path: ['targets', i, 'provisioner'],
            message: `provisioner "cloud" needs clouds.${t.cloud} (how the broker reaches ${t.cloud})`,
          });
        if (t.cloud === 'aws' && !t.aws)
          ctx.addIssue({
            code: 'custom',
            path: ['targets', i, 'aws'],
            message: 'an AWS target with provisioner "cloud" needs aws.roleArn (the JIT role to assume)',
          });
      }
      if (!groups.has(t.approverGroup))
        ctx.addIssue({
          code: 'custom',
          path: ['targets', i, 'approverGroup'],
          message: `unknown group "${t.approverGroup}"`,
        });
      if (t.followUp) checkFollowUp(t.followUp, ['targets', i, 'followUp'], groups, t.approverGroup, ctx);
    });
  });
export type BrokerConfig = z.infer<typeof BrokerConfig>;

/** A target's `followUp`: escalation names defined groups, and its time and its groups come together. */
function checkFollowUp(
  f: FollowUpConfig,
  path: (string | number)[],
  groups: ReadonlySet<string>,
  approverGroup: string,
  ctx: z.RefinementCtx,
): void {
  const issue = (field: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path: [...path, ...field], message });
  f.escalateTo.forEach((g, j) => {
    if (!groups.has(g)) issue(['escalateTo', j], `unknown group "${g}" (define it under groups)`);
    else if (g === approverGroup)
      issue(['escalateTo', j], `"${g}" is the target's approverGroup already; escalate to another group`);
  });
  if (f.escalateAfterMinutes !== undefined && f.escalateTo.length === 0)
    issue(['escalateTo'], 'escalateAfterMinutes needs escalateTo: the groups to escalate to');
  if (f.escalateTo.length > 0 && f.escalateAfterMinutes === undefined)
    issue(['escalateAfterMinutes'], 'escalateTo needs escalateAfterMinutes: when to escalate');
}
