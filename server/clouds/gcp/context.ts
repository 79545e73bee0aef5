/**
 * What every part of the GCP provisioner works with: the Google client (signed in as the broker's
 * service account), the API endpoints, the clock and log, the per-project settings, the roles
 * grantable per resource, and the per-project write queue. Built once when the broker starts, so
 * an unusable key stops it with the field named.
 */
import type { Grant } from '../../domain';
import { createKeyedSerial, type KeyedSerial } from '../../provision/keyed-serial';
import { ProvisionError, type CloudIdentities } from '../../provision/types';
import type { GcpCloudConfig, GcpTargetConfig } from './config';
import { createGoogleClient, loadPrivateKey, type GoogleClient } from './google';
import { createGrantableRoles, type GrantableRoles } from './grantable';

export const GCP_DEFAULT_ENDPOINTS = {
  token: 'https://oauth2.googleapis.com/token',
  resourceManager: 'https://cloudresourcemanager.googleapis.com',
  iam: 'https://iam.googleapis.com',
  logging: 'https://logging.googleapis.com',
  console: 'https://console.cloud.google.com',
} as const;

export interface GcpProvisionerOptions {
  /** The broker's clock (JWT `iat`, token expiry). */
  readonly now?: () => Date;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where retries and other notable events are reported (the broker's log). */
  readonly log?: (line: string) => void;
}

/** The API bases (no trailing slash) and the console, with the config's overrides applied. */
export interface GcpEndpoints {
  readonly token: string;
  readonly resourceManager: string;
  readonly iam: string;
  readonly logging: string;
  readonly console: URL;
}

export interface GcpContext {
  readonly google: GoogleClient;
  readonly endpoints: GcpEndpoints;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: (line: string) => void;
  /** `clouds.gcp.propagationMs`, when set: the longest a grant may take to propagate (landing.ts). */
  readonly propagationMs: number | undefined;
  readonly targetConfig: (projectId: string) => GcpTargetConfig | undefined;
  /** The roles each resource's policy may bind (`roles:queryGrantableRoles`), cached per resource. */
  readonly grantableRoles: GrantableRoles;
  /** Custom roles known to exist (created now or found already there), by full name. */
  readonly customRolesReady: Set<string>;
  /** Writes to one project's policy go one at a time: each would otherwise abort the other's etag. */
  readonly serialPerProject: KeyedSerial;
}

const trim = (url: string) => url.replace(/\/+$/, '');

export function createGcpContext(
  cloud: GcpCloudConfig,
  targetConfig: (projectId: string) => GcpTargetConfig | undefined,
  options: GcpProvisionerOptions,
): GcpContext {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const log = options.log ?? (() => undefined);
  const endpoints: GcpEndpoints = {
    token: cloud.endpoints.token ?? GCP_DEFAULT_ENDPOINTS.token,
    resourceManager: trim(cloud.endpoints.resourceManager ?? GCP_DEFAULT_ENDPOINTS.resourceManager),
    iam: trim(cloud.endpoints.iam ?? GCP_DEFAULT_ENDPOINTS.iam),
    logging: trim(cloud.endpoints.logging ?? GCP_DEFAULT_ENDPOINTS.logging),
    console: new URL(cloud.endpoints.console ?? GCP_DEFAULT_ENDPOINTS.console),
  };
  const google = createGoogleClient({
    clientEmail: cloud.serviceAccount.clientEmail,
    key: loadPrivateKey(cloud.serviceAccount.privateKey),
    tokenUrl: endpoints.token,
    now,
    fetch: options.fetch ?? fetch,
    sleep,
    log,
  });
  return {
    google,
    endpoints,
    now,
    sleep,
    log,
    propagationMs: cloud.propagationMs,
    targetConfig,
    grantableRoles: createGrantableRoles({ google, iam: endpoints.iam, now }),
    customRolesReady: new Set<string>(),
    serialPerProject: createKeyedSerial(),
  };
}

/** The grant's user as an IAM member (`users[].identities.gcp`, e.g. `user:alice@example.com`). */
export function memberOf(grant: Grant, identities: CloudIdentities): string {
  const member = identities.gcp;
  if (!member) {
    throw new ProvisionError(
      `${grant.user} has no GCP identity in the broker's config (users[].identities.gcp, e.g. user:alice@example.com)`,
      false,
    );
  }
  return member;
}
