/**
 * What every part of the Azure provisioner works with: the ARM client (signed in with the broker's
 * Entra ID app), the clock and log, the portal, the per-subscription settings and the role
 * catalogue. Built once when the broker starts, so a missing secret stops it with the field named.
 */
import type { Grant } from '../../domain';
import { ProvisionError, type CloudIdentities } from '../../provision/types';
import { createArmClient, type ArmClient } from './arm';
import { createRoleCatalogue, DEFAULT_CATALOGUE_TTL_MS, type RoleCatalogue } from './catalogue';
import type { AzureCloudConfig, AzureTargetConfig } from './config';

export interface AzureProvisionerOptions {
  readonly now?: () => Date;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: (line: string) => void;
  /** How long the role definition catalogue is reused (default 6 h). */
  readonly catalogueTtlMs?: number;
}

export interface AzureContext {
  readonly arm: ArmClient;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: (line: string) => void;
  /** The portal's base URL without a trailing slash (`https://portal.azure.com`), for landing. */
  readonly portalBase: string;
  /** `clouds.azure.propagationMs`, when set: the longest a grant may take to propagate (landing.ts). */
  readonly propagationMs: number | undefined;
  readonly targetConfig: (subscriptionId: string) => AzureTargetConfig | undefined;
  readonly roleCatalogue: RoleCatalogue;
}

const ENV_PREFIX = 'env:';

function resolveSecret(value: string, field: string): string {
  if (!value.startsWith(ENV_PREFIX)) return value;
  const name = value.slice(ENV_PREFIX.length);
  const resolved = process.env[name];
  if (!resolved) {
    throw new Error(`${field}: the environment variable ${name} is not set`);
  }
  return resolved;
}

const trim = (url: string) => url.replace(/\/+$/, '');

export function createAzureContext(
  cloud: AzureCloudConfig,
  targetConfig: (subscriptionId: string) => AzureTargetConfig | undefined,
  options: AzureProvisionerOptions,
): AzureContext {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = options.log ?? (() => undefined);
  const arm = createArmClient({
    tenantId: resolveSecret(cloud.tenantId, 'clouds.azure.tenantId'),
    clientId: resolveSecret(cloud.clientId, 'clouds.azure.clientId'),
    clientSecret: resolveSecret(cloud.clientSecret, 'clouds.azure.clientSecret'),
    login: trim(cloud.endpoints.login ?? 'https://login.microsoftonline.com'),
    arm: trim(cloud.endpoints.arm ?? 'https://management.azure.com'),
    now,
    fetch: options.fetch ?? fetch,
    log,
  });
  return {
    arm,
    now,
    sleep,
    log,
    portalBase: trim(cloud.endpoints.portal ?? 'https://portal.azure.com'),
    propagationMs: cloud.propagationMs,
    targetConfig,
    roleCatalogue: createRoleCatalogue({
      arm,
      now,
      log,
      ttlMs: options.catalogueTtlMs ?? DEFAULT_CATALOGUE_TTL_MS,
    }),
  };
}

/** The subscription's settings (`targets[].azure`); a grant cannot be made without them. */
export function targetOf(ctx: AzureContext, subscriptionId: string): AzureTargetConfig {
  const config = ctx.targetConfig(subscriptionId);
  if (!config) {
    throw new ProvisionError(
      `subscription ${subscriptionId} has no Azure settings (targets[].azure in the broker's config)`,
      false,
    );
  }
  return config;
}

/** The grant's user as an Entra object id (`users[].identities.azure`). */
export function principalOf(grant: Grant, identities: CloudIdentities): string {
  if (!identities.azure) {
    throw new ProvisionError(
      `${grant.user} has no Azure object id in the broker's config (users[].identities.azure)`,
      false,
    );
  }
  return identities.azure;
}
