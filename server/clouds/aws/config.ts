/**
 * Configuration of the AWS provisioner: where the AWS APIs are (every base URL configurable, so
 * the fakes of sim/clouds/aws stand in for them) and, per target account, the JIT role to assume.
 * Owned by the AWS provisioner; server/config/schema.ts embeds these schemas.
 */
import * as z from 'zod';

/** `env:NAME` reads the value from the environment at start (keeps secrets out of config files). */
const secret = z.string().min(1);

export const AwsCloudConfig = z.strictObject({
  region: z.string().default('us-east-1'),
  /** The broker's own credentials (the principal allowed to assume each account's JIT role). */
  credentials: z.strictObject({
    accessKeyId: secret,
    secretAccessKey: secret,
    sessionToken: secret.optional(),
  }),
  endpoints: z
    .strictObject({
      sts: z.url().optional(),
      iam: z.url().optional(),
      cloudTrail: z.url().optional(),
      /** The federation endpoint (`https://signin.aws.amazon.com/federation`). */
      signin: z.url().optional(),
      /**
       * Where browsers are sent for the `Action=login` step, when it differs from where the broker
       * calls `getSigninToken` (the demo: the fake on loopback for the broker, the simulated
       * `https://signin.aws.amazon.com/federation` for the browser). Default: `signin`.
       */
      signinPublic: z.url().optional(),
      /** The console base, for login `Destination` checks (`https://console.aws.amazon.com`). */
      console: z.url().optional(),
    })
    .default({}),
  /** `Issuer` of federation login URLs: where AWS sends the user when the console session ends (the broker's UI). */
  issuer: z.url().optional(),
  /** The inline policy on each JIT role that holds early revocations (denies). */
  revocationPolicyName: z
    .string()
    .regex(/^[\w+=,.@-]{1,128}$/, 'an IAM policy name')
    .default('unblock-revocations'),
});
export type AwsCloudConfig = z.infer<typeof AwsCloudConfig>;

export const AwsTargetConfig = z.strictObject({
  /** The JIT role in the target account the broker assumes for each grant. */
  roleArn: z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'an IAM role ARN'),
  /** Managed policies attached to every session as `PolicyArns` (a baseline like ViewOnlyAccess). */
  baselinePolicyArns: z.array(z.string().startsWith('arn:')).max(10).default([]),
  /**
   * The regions work happens in, whose CloudTrail event history activity reads (with the
   * partition's global-events region, us-east-1 for the commercial one). Default: every region
   * enabled by default in the partition (those launched before 20 March 2019).
   */
  regions: z
    .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region (eu-west-1)'))
    .min(1)
    .optional(),
  /** The role's MaxSessionDuration in seconds (AssumeRole refuses longer sessions). */
  maxSessionSeconds: z.number().int().min(3600).max(43200).default(3600),
  /**
   * A role in the same account the broker assumes to edit the JIT role's revocation policy, decode
   * authorization messages and read CloudTrail: IAM and CloudTrail only act on their own account.
   * Without it, IAM calls use the broker's own credentials (a broker living in the target account)
   * and decoding/CloudTrail use a JIT-role session whose session policy allows only those two calls.
   */
  adminRoleArn: z
    .string()
    .regex(/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'an IAM role ARN')
    .optional(),
});
export type AwsTargetConfig = z.infer<typeof AwsTargetConfig>;
