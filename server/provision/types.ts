/**
 * The one interface every cloud provisioner implements: the simulated clouds of `sim/` and the
 * real AWS, Azure and GCP APIs (server/clouds/*). The broker's worker and service call it; the
 * domain never does.
 *
 * `grant` and `revoke` must be idempotent, keyed on the grant id: after a crash the worker cannot
 * know whether its last call landed, so it simply calls again (`resume-provisioning`,
 * `resume-revoking` in server/domain/work.ts). Revoking something that is not there succeeds.
 */
import type { LandingView } from '../../lib/contract/api';
import type { Grant } from '../domain';

/** The user's identity in each cloud (AWS SourceIdentity, Azure object id, GCP member), from config or the IdP. */
export interface CloudIdentities {
  readonly aws?: string | undefined;
  readonly azure?: string | undefined;
  readonly gcp?: string | undefined;
}

/**
 * What the provisioner created, kept with the grant (`grants.provider_ref`) so that revocation
 * removes exactly that and nothing else, and landing finds it again. JSON-safe; never holds
 * secrets (AWS credentials stay in the provisioner's memory or are re-derived, never stored).
 */
export type ProviderRef = Readonly<Record<string, unknown>>;

/** What the request said beyond the grant itself: clouds record it with the grant. */
export interface GrantContext {
  readonly justification: string;
  readonly ticket: string | null;
}

/** What an encoded denial message (AWS EC2-style) says once the cloud decodes it. */
export interface DecodedDenial {
  readonly actions: readonly string[];
  readonly resource: string | null;
  /** The decoded document's own words, for the approver. */
  readonly summary: string;
}

/** One thing done under the grant, from the cloud's own log. */
export interface ActivityEntry {
  readonly at: string;
  /** The API call or operation (`ec2:StopInstances`, `Microsoft.Compute/virtualMachines/start/action`, `v1.compute.instances.start`). */
  readonly action: string;
  readonly resource: string | null;
  /** `success` or the error code the cloud logged. */
  readonly outcome: string;
}

/**
 * What approving would put in place, shown to the approver before they decide: the AWS session
 * policy, or the Azure/GCP role chosen and everything else that role carries.
 */
export interface GrantPreview {
  readonly summary: string;
  /** AWS: the inline session policy JSON. */
  readonly sessionPolicy?: unknown;
  /** Azure/GCP: the role that will be granted, and the scope. */
  readonly role?: { readonly id: string; readonly name: string; readonly scope: string };
  /** Permissions the role carries beyond those requested (what else the approver is granting). */
  readonly alsoGrants?: readonly string[];
  /** Caveats the approver should know (role chaining caps the AWS session at 1 h, …). */
  readonly notes?: readonly string[];
}

/**
 * Access in the cloud that Unblock made, as the cloud lists it (the reconciler's view,
 * server/reconcile/): found by the marker Unblock writes with it (a GCP condition title, an Azure
 * PIM request's justification, the sim entitlement's grant id).
 */
export interface HeldAccess {
  /** The cloud object, stable across listings (for logs and the audit trail). */
  readonly key: string;
  readonly target: { readonly cloud: Grant['target']['cloud']; readonly account: string };
  /**
   * The Unblock grants it was made or taken over for, by its marker, oldest first: it belongs to
   * the last one (an Azure assignment a newer grant took over names both).
   */
  readonly grantIds: readonly string[];
  /** What it gives whom, in words (`roles/compute.viewer to user:alice@… until …`). */
  readonly description: string;
  /** What `removeHeld` needs to find it again (JSON-safe). */
  readonly detail: ProviderRef;
}

export interface Provisioner {
  /** Short name for logs and errors ("sim", "aws"…). */
  readonly name: string;
  /** Put the grant in place until `grant.expiresAt`; returns what was created. Idempotent. */
  grant(grant: Grant, identities: CloudIdentities, context: GrantContext): Promise<ProviderRef>;
  /** Take the grant away; `ref` is what `grant` returned (null when it never returned). Idempotent. */
  revoke(grant: Grant, ref: ProviderRef | null, identities: CloudIdentities): Promise<void>;
  /** How the denied tab reaches an active grant; `destination` is the denied console URL, if known. */
  landing(
    grant: Grant,
    ref: ProviderRef | null,
    identities: CloudIdentities,
    destination: string | null,
  ): Promise<LandingView>;
  /** What approving would grant (for the approver); may consult the cloud's role catalogue. */
  preview?(
    target: Grant['target'],
    actions: readonly string[],
    resource: string | null,
  ): Promise<GrantPreview>;
  /** Decode an encoded denial (AWS `DecodeAuthorizationMessage`); null when this cloud has none. */
  decode?(target: Grant['target'], encodedMessage: string): Promise<DecodedDenial | null>;
  /** Periodic housekeeping for a target (AWS: drop revocation denies that can no longer match). */
  maintain?(target: Grant['target']): Promise<void>;
  /**
   * What the cloud holds on `target` that Unblock made (for the reconciler). Absent where the
   * cloud cannot list it (AWS: STS sessions are not listable; docs/operations.md).
   */
  inventory?(target: Grant['target']): Promise<readonly HeldAccess[]>;
  /** Remove one thing `inventory` listed (the reconciler found that no live grant owns it). Idempotent. */
  removeHeld?(held: HeldAccess): Promise<void>;
  /** What was done under the grant, from the cloud's audit log, over the grant's window. */
  activity?(
    grant: Grant,
    ref: ProviderRef | null,
    identities: CloudIdentities,
  ): Promise<readonly ActivityEntry[]>;
}

/**
 * A failure the cloud reported, in words for the requester and approver. `code` is the cloud's own
 * error code (`AccessDenied`, `RoleAssignmentExists`, `ABORTED`…) when it gave one; `advice` says
 * what an operator can do about it (`set targets[].gcp.customRoles: true`…), when the provisioner
 * knows, and is shown next to the message.
 *
 * `retryable` false means the failure is permanent: retrying cannot fix it by itself (the broker's
 * configuration, its rights in the cloud, no role holding the permission, a policy or validation
 * refusal). The worker then gives up on the grant at once: it is cleaned up and ends `failed` with
 * this message as its reason (server/domain/provisioning.ts), and the requester asks again once an
 * operator has fixed the cause. Anything else a provisioner throws (`retryable` true, or not a
 * ProvisionError: a network error, throttling, a 5xx) is retried with backoff, up to
 * `provisioning.maxAttempts` attempts.
 */
export class ProvisionError extends Error {
  override name = 'ProvisionError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code: string | null = null,
    readonly advice: string | null = null,
  ) {
    super(message);
  }

  /** Retrying cannot fix it: the grant fails at once. */
  get permanent(): boolean {
    return !this.retryable;
  }

  /** A failure retrying cannot fix, with what an operator can do about it. */
  static permanent(
    message: string,
    options: { readonly code?: string | null; readonly advice?: string | null } = {},
  ): ProvisionError {
    return new ProvisionError(message, false, options.code ?? null, options.advice ?? null);
  }
}

/**
 * What the worker reports to the domain for anything a provisioner threw: a `ProvisionError` as it
 * says, anything else (a bug, a network error outside the cloud clients) as worth retrying.
 */
export function attemptErrorOf(e: unknown): {
  readonly message: string;
  readonly permanent: boolean;
  readonly code: string | null;
  readonly advice: string | null;
} {
  if (e instanceof ProvisionError) {
    return { message: e.message, permanent: e.permanent, code: e.code, advice: e.advice };
  }
  return { message: e instanceof Error ? e.message : String(e), permanent: false, code: null, advice: null };
}
