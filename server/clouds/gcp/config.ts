/**
 * Configuration of the GCP provisioner: the service account the broker acts as, the Google API
 * endpoints (configurable, so the fakes of sim/clouds/gcp stand in for them), and per project how
 * grants are made. Owned by the GCP provisioner; server/config/schema.ts embeds these schemas.
 */
import * as z from 'zod';

export const GcpCloudConfig = z.strictObject({
  /** The broker's service account: its email and PEM private key (or `env:NAME`). */
  serviceAccount: z.strictObject({ clientEmail: z.email(), privateKey: z.string().min(1) }),
  endpoints: z
    .strictObject({
      /** OAuth token endpoint (`https://oauth2.googleapis.com/token`). */
      token: z.url().optional(),
      /** Cloud Resource Manager (`https://cloudresourcemanager.googleapis.com`). */
      resourceManager: z.url().optional(),
      /** IAM (`https://iam.googleapis.com`). */
      iam: z.url().optional(),
      /** Cloud Logging (`https://logging.googleapis.com`). */
      logging: z.url().optional(),
      /** The console (`https://console.cloud.google.com`), for landing. */
      console: z.url().optional(),
    })
    .default({}),
  /**
   * The longest a new binding may take to apply (ms): the extension reloads the denied tab while
   * it is still denied, until then. Default: 7 minutes, what Google documents as the long case.
   */
  propagationMs: z.number().int().min(0).max(600_000).optional(),
});
export type GcpCloudConfig = z.infer<typeof GcpCloudConfig>;

export const GcpTargetConfig = z.strictObject({
  /** Grant a one-permission custom role (created once per permission) instead of the smallest predefined role. */
  customRoles: z.boolean().default(false),
});
export type GcpTargetConfig = z.infer<typeof GcpTargetConfig>;
