/**
 * The one interface every cloud provisioner implements: the simulated clouds of `sim/` now, the
 * real AWS, Azure and GCP APIs next. The broker's worker calls it; the domain never does.
 *
 * Both calls must be idempotent, keyed on the grant id: after a crash the worker cannot know
 * whether its last call landed, so it simply calls again (`resume-provisioning`,
 * `resume-revoking` in server/domain/work.ts). Revoking something that is not there succeeds.
 */
import type { Grant } from '../domain';

/** The user's identity in each cloud (AWS SourceIdentity, Azure object id, GCP member), from config or the IdP. */
export interface CloudIdentities {
  readonly aws?: string | undefined;
  readonly azure?: string | undefined;
  readonly gcp?: string | undefined;
}

/**
 * What the provisioner created, kept with the grant (`grants.provider_ref`) so that revocation
 * removes exactly that and nothing else. JSON-safe.
 */
export type ProviderRef = Readonly<Record<string, unknown>>;

export interface Provisioner {
  /** Short name for logs and errors ("sim", "aws"…). */
  readonly name: string;
  /** Put the grant in place until `grant.expiresAt`; returns what was created. */
  grant(grant: Grant, identities: CloudIdentities): Promise<ProviderRef>;
  /** Take the grant away; `ref` is what `grant` returned (null when it never returned). */
  revoke(grant: Grant, ref: ProviderRef | null, identities: CloudIdentities): Promise<void>;
}

/**
 * A failure the cloud reported, in words for the requester and approver. `retryable` false means
 * retrying will not help (the broker lacks permission, the target does not exist): the grant
 * still retries on the backoff schedule, because an operator may fix the cause, but the message
 * says so.
 */
export class ProvisionError extends Error {
  override name = 'ProvisionError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}
