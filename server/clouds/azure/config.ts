/**
 * Configuration of the Azure provisioner: the Entra tenant and app registration the broker signs
 * in as (client credentials), the ARM and login endpoints (configurable, so the fakes of
 * sim/clouds/azure stand in for them), and per subscription how grants are made.
 * Owned by the Azure provisioner; server/config/schema.ts embeds these schemas.
 */
import * as z from 'zod';

export const AzureCloudConfig = z.strictObject({
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  /** The app's client secret, or `env:NAME`. */
  clientSecret: z.string().min(1),
  endpoints: z
    .strictObject({
      /** Entra ID token endpoint host (`https://login.microsoftonline.com`). */
      login: z.url().optional(),
      /** Azure Resource Manager (`https://management.azure.com`). */
      arm: z.url().optional(),
      /** The portal (`https://portal.azure.com`), for landing. */
      portal: z.url().optional(),
    })
    .default({}),
  /**
   * The longest a new assignment may take to reach the portal (ms): the extension reloads the
   * denied tab while it is still denied, until then. Default: 10 minutes, ARM's documented cache.
   */
  propagationMs: z.number().int().min(0).max(600_000).optional(),
});
export type AzureCloudConfig = z.infer<typeof AzureCloudConfig>;

export const AzureTargetConfig = z.strictObject({
  /** `pim`: PIM schedule requests (AdminAssign/AdminRemove); `assignment`: plain role assignment deleted at expiry (tenants without PIM). */
  mode: z.enum(['pim', 'assignment']).default('pim'),
});
export type AzureTargetConfig = z.infer<typeof AzureTargetConfig>;
