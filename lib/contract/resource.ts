/**
 * The one resource a request names (an ARN, an Azure resource id, a GCP resource name), or null
 * for the whole account. What the field may hold, and how policies see it, is in docs/api.md
 * ("The resource of a request"): the text is trimmed; blank or a lone `*` (AWS's way of writing
 * "any resource") means none is named; text that reads as a policy rather than a name, or holds
 * control characters, is refused with a message naming `resource`. A wildcard inside a name
 * (`arn:aws:rds:us-east-1:111111111111:db:*`, as AWS writes some denials) is kept as the pattern
 * it is: such a request does not name one resource, and policies see it that way (`isScoped`).
 */
import * as z from 'zod/mini';
import { RESOURCE_MAX } from './constants';

/** IAM's wildcards (docs/api.md): `*` any run of characters, `?` any one. */
const WILDCARD = /[*?]/;
/** Nothing but wildcards: any resource at all. */
const ONLY_WILDCARDS = /^\*+$/;
/**
 * Control characters (C0, DEL, C1), line and paragraph separators, and the bidirectional
 * formatting characters, which can make a name display as another to the approver.
 */
// eslint-disable-next-line no-control-regex -- these are exactly the characters refused
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028-\u202E\u2066-\u2069]/;
/** A JSON object or array, or a JSON member (`"Resource": …`): a policy or a list, not a name. */
const JSON_LOOKING = /^[{[]|"[^"]*"\s*:/;
/** Only wildcards and separators (`*:*`, `* / *`): a pattern over everything, not a name. */
const PATTERN_ONLY = /^[*?/:.\s-]+$/;
/** An ARN: partition, service, region, account, then the resource part (`type/name`, `type:name`…). */
const ARN = /^arn:([^:]*):([^:]*):([^:]*):([^:]*):(.*)$/is;
/** Where an Azure resource id or a GCP resource name says its subscription or project. */
const ACCOUNT_SEGMENT = /^\/?(?:subscriptions|projects)\/([^/]*)/i;

const NAME_IT = 'name the resource the denial names, or leave resource null to ask for the whole account';

/** The resource as the contract keeps it: trimmed, and null when blank or a lone wildcard. */
export function normaliseResource(resource: string | null): string | null {
  if (resource === null) return null;
  const text = resource.trim();
  return text === '' || ONLY_WILDCARDS.test(text) ? null : text;
}

/** Why `resource` (already normalised) is not a resource name, or null when it is one. */
export function resourceProblem(resource: string): string | null {
  if (CONTROL.test(resource)) {
    return 'resource: must not contain control characters (line breaks, tabs…) or direction marks';
  }
  if (JSON_LOOKING.test(resource)) {
    return `resource: looks like a policy document or a list, not one resource name; ${NAME_IT}`;
  }
  if (PATTERN_ONLY.test(resource)) {
    return `resource: a pattern over every resource, not a resource name; ${NAME_IT}`;
  }
  const arn = ARN.exec(resource);
  if (/^arn:/i.test(resource) && !arn && WILDCARD.test(resource)) {
    return `resource: a wildcard in an ARN that names no resource; ${NAME_IT}`;
  }
  if (arn && arn.slice(1, 5).some((field) => WILDCARD.test(field))) {
    return `resource: a wildcard in the ARN's partition, service, region or account spans more than one service or account; ${NAME_IT}`;
  }
  if (arn && PATTERN_ONLY.test(arn[5]!)) {
    return `resource: a pattern over every resource of the service, not a resource name; ${NAME_IT}`;
  }
  const account = ACCOUNT_SEGMENT.exec(resource)?.[1];
  if (account !== undefined && WILDCARD.test(account)) {
    return `resource: a wildcard in the subscription or project spans more than one account; ${NAME_IT}`;
  }
  return null;
}

/** Whether a resource pattern stands for more than one resource: it holds an IAM wildcard. */
export function hasResourceWildcard(resource: string): boolean {
  return WILDCARD.test(resource);
}

/** `resource` of a new request: a name as above, or null for the whole account. */
export const RequestResource = z
  .nullable(z.string().check(z.maxLength(RESOURCE_MAX, `resource: at most ${RESOURCE_MAX} characters`)))
  .check(
    z.overwrite(normaliseResource),
    z.superRefine((resource, ctx) => {
      const problem = resource === null ? null : resourceProblem(resource);
      if (problem !== null) ctx.issues.push({ code: 'custom', input: resource, message: problem });
    }),
  );
