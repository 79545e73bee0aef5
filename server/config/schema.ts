/**
 * The broker's configuration file (YAML or JSON): who the users are, which groups they are in,
 * their identities in each cloud, and the targets (AWS accounts, Azure subscriptions, GCP projects)
 * they can ask for. Validated as a whole before the broker starts, with every problem named by
 * its path in the file.
 */
import * as z from 'zod';
import { CLOUDS } from '../../lib/contract/denial';

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

export const TargetConfig = z.strictObject({
  id: z.string().regex(NAME),
  cloud: z.enum(CLOUDS),
  /** AWS account id, Azure subscription id or GCP project id. */
  account: z.string(),
  name: z.string().min(1).max(128),
  environment: z.string().regex(NAME),
  /** Group whose members may approve requests on this target. */
  approverGroup: z.string().regex(NAME),
  maxDurationMinutes: z
    .number()
    .int()
    .min(15)
    .max(7 * 24 * 60)
    .default(480),
  /** Which provisioner grants access: the simulated clouds, or the real cloud API (next milestone). */
  provisioner: z.enum(['sim', 'cloud']).default('sim'),
});
export type TargetConfig = z.infer<typeof TargetConfig>;

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
      const key = `${t.cloud}:${t.account.toLowerCase()}`;
      if (accounts.has(key))
        ctx.addIssue({
          code: 'custom',
          path: ['targets', i, 'account'],
          message: `${key} is configured twice`,
        });
      accounts.add(key);
      if (!groups.has(t.approverGroup))
        ctx.addIssue({
          code: 'custom',
          path: ['targets', i, 'approverGroup'],
          message: `unknown group "${t.approverGroup}"`,
        });
    });
  });
export type BrokerConfig = z.infer<typeof BrokerConfig>;
