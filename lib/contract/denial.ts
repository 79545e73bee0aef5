/**
 * The shape of one parsed access denial. This is part of the single API contract shared by
 * the extension, the CLI and the broker (a request carries the denial it came from), so it is
 * declared once, here, with `zod/mini` to keep extension bundles small.
 */
import * as z from 'zod/mini';
import { CLOUDS } from '../clouds';
import { DENY_KINDS } from '../deny-kinds';

// The lists live with their tables (lib/clouds.ts, lib/deny-kinds.ts); the contract builds its
// zod enums from them.
export const Cloud = z.enum(CLOUDS);
export type Cloud = z.infer<typeof Cloud>;

/**
 * Why the cloud said no. Only some kinds can be fixed by granting access: see `grantCanHelp`
 * (lib/deny-kinds.ts) and docs/denial-formats.md §6.
 */
export const DenyKind = z.enum(DENY_KINDS);
export type DenyKind = z.infer<typeof DenyKind>;

export const DENIAL_SOURCES = ['console', 'api', 'cli', 'sdk', 'terraform', 'cloudformation'] as const;
export const DenialSource = z.enum(DENIAL_SOURCES);
export type DenialSource = z.infer<typeof DenialSource>;

export const Confidence = z.enum(['high', 'medium', 'low']);
export type Confidence = z.infer<typeof Confidence>;

export const Denial = z.object({
  cloud: Cloud,
  /** Missing permissions, normalised (`s3:GetObject`, `Microsoft.Compute/virtualMachines/start/action`, `compute.instances.start`). May be empty (bare S3 "Access Denied", EC2 encoded-only). */
  actions: z.array(z.string()),
  /** ARN, Azure scope or GCP resource name the denial names; null when the text does not say. */
  resource: z.nullable(z.string()),
  /** The denied identity as the text names it (ARN, UPN / object id, email); null when not named. */
  principal: z.nullable(z.string()),
  /** AWS account id, Azure subscription id, or GCP project id; null when the text does not say. */
  account: z.nullable(z.string()),
  denyKind: DenyKind,
  /** False where a grant cannot help (explicit denies, Azure Policy, OAuth scopes, VPC-SC, org policy). */
  requestable: z.boolean(),
  /**
   * A short, human explanation of why a grant would not help; null when requestable, unless the
   * text itself raises a caution (GCP "or it may not exist": docs/denial-formats.md §4.3).
   */
  reason: z.nullable(z.string()),
  /** The part of the text the denial was read from, whitespace-collapsed, at most EXCERPT_MAX chars. */
  excerpt: z.string(),
  /** Where the text came from, when its wrapper says (CLI, SDK, Terraform, CloudFormation, console). */
  source: z.nullable(DenialSource),
  /** AWS `Encoded authorization failure message` blob (whitespace removed), for DecodeAuthorizationMessage. */
  encodedMessage: z.nullable(z.string()),
  /** The API operation named by a wrapper (`StartInstances`, `GetObject`), a hint when no action is named. */
  operation: z.nullable(z.string()),
  /** Policy ARN / Azure policy assignment named as the blocker, when the text names one. */
  policyId: z.nullable(z.string()),
  confidence: Confidence,
  /**
   * Set when `actions` are not named by the text but derived from the API operation it names
   * (`operation error EC2: RunInstances`, `when calling the ListObjectsV2 operation` →
   * `ec2:RunInstances`, `s3:ListBucket`; docs/denial-formats.md §2.6). A best guess: confidence is
   * low, and the operation may need further permissions the message does not reveal.
   */
  derivedFrom: z.optional(z.literal('operation')),
});
export type Denial = z.infer<typeof Denial>;

/** What the caller already knows about the page or session; fills what the message lacks. */
export const ParseHints = z.object({
  cloud: z.optional(Cloud),
  account: z.optional(z.string()),
  principal: z.optional(z.string()),
  region: z.optional(z.string()),
  source: z.optional(DenialSource),
});
export type ParseHints = z.infer<typeof ParseHints>;

/** Output of `unblock explain --json`. */
export const ExplainResult = z.object({
  isDenial: z.boolean(),
  denials: z.array(Denial),
});
export type ExplainResult = z.infer<typeof ExplainResult>;
