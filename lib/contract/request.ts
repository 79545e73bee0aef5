/**
 * A request for just-in-time access, as the extension drafts it and the broker will receive it.
 * Part of the shared API contract, so it is declared with `zod/mini` (small in bundles) and every
 * error message names the field it is about: the banner shows these messages to the user.
 */
import * as z from 'zod/mini';
import { Cloud, DenyKind, EXCERPT_MAX } from './denial';

/** Durations the UI offers; the contract accepts any whole number of minutes in range. */
export const DURATION_CHOICES = [15, 60, 240, 480] as const;
export const DEFAULT_DURATION_MINUTES = 60;
export const DURATION_MIN = 15;
export const DURATION_MAX = 720;
export const JUSTIFICATION_MAX = 500;
export const ACTION_MAX = 256;

/**
 * One grantable permission per cloud, wildcards excluded: a request names exactly what the page
 * said was missing, never a pattern that would quietly grant more.
 */
export const ACTION_GRAMMAR: Record<Cloud, RegExp> = {
  // service:Action, e.g. s3:GetObject, ec2:StartInstances
  aws: /^[a-z0-9][a-z0-9-]*:[A-Za-z0-9]+$/,
  // Provider.Namespace/type[/subtype...]/operation, e.g. Microsoft.Compute/virtualMachines/start/action
  azure: /^[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)+(?:\/[A-Za-z0-9_.-]+)+$/,
  // service.resource.verb, e.g. compute.instances.start, iam.serviceAccounts.actAs
  gcp: /^[a-z][a-z0-9]*(?:\.[A-Za-z0-9]+){2,}$/,
};

export const ACTION_EXAMPLE: Record<Cloud, string> = {
  aws: 's3:GetObject',
  azure: 'Microsoft.Compute/virtualMachines/start/action',
  gcp: 'compute.instances.start',
};

export const CLOUD_LABEL: Record<Cloud, string> = { aws: 'AWS', azure: 'Azure', gcp: 'Google Cloud' };

export function isValidAction(cloud: Cloud, action: string): boolean {
  return action.length <= ACTION_MAX && ACTION_GRAMMAR[cloud].test(action);
}

const boundedString = (field: string, max: number) =>
  z.string().check(z.maxLength(max, `${field}: at most ${max} characters`));

/**
 * An object that rejects fields it does not declare (a typo or a field from another version must
 * not be silently dropped), with messages that name the object and the unknown field. `field` is
 * the object's path in the request ("" for the top level), as zod reports issues relative to the
 * object that raises them.
 */
export function strictObject<Shape extends z.core.$ZodLooseShape>(field: string, shape: Shape) {
  const prefix = field ? `${field}.` : '';
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((k) => `${prefix}${k}`);
        return keys.length === 1
          ? `${keys[0]}: unknown field`
          : `${field || 'body'}: unknown fields ${keys.join(', ')}`;
      }
      if (issue.code === 'invalid_type') return `${field || 'body'}: must be an object`;
      return undefined;
    },
  });
}

export const RequestTarget = strictObject('target', {
  cloud: Cloud,
  /** AWS account id, Azure subscription id or GCP project id; null when neither page nor message said. */
  account: z.nullable(boundedString('target.account', 128)),
});
export type RequestTarget = z.infer<typeof RequestTarget>;

export const RequestDenial = strictObject('denial', {
  excerpt: boundedString('denial.excerpt', EXCERPT_MAX),
  denyKind: DenyKind,
  encodedMessage: z.nullable(boundedString('denial.encodedMessage', 16_384)),
});
export type RequestDenial = z.infer<typeof RequestDenial>;

/** Whole minutes of access, within the contract's bounds (a target may allow less). */
export const DurationMinutes = z
  .int('durationMinutes: must be a whole number of minutes')
  .check(
    z.gte(DURATION_MIN, `durationMinutes: at least ${DURATION_MIN} minutes`),
    z.lte(DURATION_MAX, `durationMinutes: at most ${DURATION_MAX} minutes`),
  );

/** Why the access is needed, shown to approvers and kept in the audit log. */
export const Justification = z
  .string('justification: required')
  .check(
    z.trim(),
    z.minLength(1, 'justification: required, say why you need this access'),
    z.maxLength(JUSTIFICATION_MAX, `justification: at most ${JUSTIFICATION_MAX} characters`),
  );

export const NewAccessRequest = strictObject('', {
  target: RequestTarget,
  actions: z
    .array(z.string().check(z.trim(), z.minLength(1, 'actions: an action cannot be empty')))
    .check(
      z.minLength(1, 'actions: name at least one permission to request'),
      z.maxLength(20, 'actions: at most 20 permissions per request'),
    ),
  resource: z.nullable(boundedString('resource', 2048)),
  durationMinutes: DurationMinutes,
  justification: Justification,
  ticket: z.optional(
    z
      .string()
      .check(z.trim(), z.minLength(1, 'ticket: empty'), z.maxLength(64, 'ticket: at most 64 characters')),
  ),
  denial: RequestDenial,
  pageUrl: z
    .url({ protocol: /^https$/, error: 'pageUrl: must be an https URL' })
    .check(z.maxLength(4096, 'pageUrl: at most 4096 characters')),
}).check(
  z.superRefine((req, ctx) => {
    req.actions.forEach((action, i) => {
      if (!isValidAction(req.target.cloud, action)) {
        ctx.issues.push({
          code: 'custom',
          input: action,
          path: ['actions', i],
          message: `actions: "${action.slice(0, 80)}" is not a valid ${CLOUD_LABEL[req.target.cloud]} permission (like ${ACTION_EXAMPLE[req.target.cloud]}, no wildcards)`,
        });
      }
    });
  }),
);
export type NewAccessRequest = z.infer<typeof NewAccessRequest>;

/**
 * The first issue as one line that names the field: our own messages already start with
 * "<field>: "; zod's built-in ones ("Invalid input") get the path put in front.
 */
export function firstIssueMessage(error: {
  issues: readonly { message: string; path: PropertyKey[] }[];
}): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  if (/^[\w.]+: /.test(issue.message)) return issue.message;
  const field = issue.path.map(String).join('.');
  return field ? `${field}: ${issue.message}` : issue.message;
}
