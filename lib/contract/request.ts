/**
 * A request for just-in-time access, as the extension drafts it and the broker will receive it.
 * Part of the shared API contract, so it is declared with `zod/mini` (small in bundles) and every
 * error message names the field it is about: the banner shows these messages to the user.
 */
import * as z from 'zod/mini';
import { CLOUD_FACTS } from '../clouds';
import {
  ACCOUNT_MAX,
  ACTION_MAX,
  ACTIONS_PER_REQUEST_MAX,
  DURATION_MAX,
  DURATION_MIN,
  ENCODED_MESSAGE_MAX,
  EXCERPT_MAX,
  JUSTIFICATION_MAX,
  TICKET_MAX,
  URL_MAX,
} from './constants';
import { Cloud, DenyKind } from './denial';
import { RequestResource } from './resource';

/** One grantable permission of the cloud's grammar (lib/clouds.ts), no wildcards, bounded length. */
export function isValidAction(cloud: Cloud, action: string): boolean {
  return action.length <= ACTION_MAX && CLOUD_FACTS[cloud].actionGrammar.test(action);
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
  account: z.nullable(boundedString('target.account', ACCOUNT_MAX)),
});
export type RequestTarget = z.infer<typeof RequestTarget>;

export const RequestDenial = strictObject('denial', {
  excerpt: boundedString('denial.excerpt', EXCERPT_MAX),
  denyKind: DenyKind,
  encodedMessage: z.nullable(boundedString('denial.encodedMessage', ENCODED_MESSAGE_MAX)),
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
      z.maxLength(
        ACTIONS_PER_REQUEST_MAX,
        `actions: at most ${ACTIONS_PER_REQUEST_MAX} permissions per request`,
      ),
    ),
  /** Trimmed; null for the whole account; never policy-looking text (resource.ts). */
  resource: RequestResource,
  durationMinutes: DurationMinutes,
  justification: Justification,
  ticket: z.optional(
    z
      .string()
      .check(
        z.trim(),
        z.minLength(1, 'ticket: empty'),
        z.maxLength(TICKET_MAX, `ticket: at most ${TICKET_MAX} characters`),
      ),
  ),
  denial: RequestDenial,
  pageUrl: z
    .url({ protocol: /^https$/, error: 'pageUrl: must be an https URL' })
    .check(z.maxLength(URL_MAX, `pageUrl: at most ${URL_MAX} characters`)),
}).check(
  z.superRefine((req, ctx) => {
    req.actions.forEach((action, i) => {
      if (!isValidAction(req.target.cloud, action)) {
        ctx.issues.push({
          code: 'custom',
          input: action,
          path: ['actions', i],
          message: `actions: "${action.slice(0, 80)}" is not a valid ${CLOUD_FACTS[req.target.cloud].label} permission (like ${CLOUD_FACTS[req.target.cloud].actionExample}, no wildcards)`,
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
