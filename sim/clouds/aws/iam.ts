/**
 * IAM (Query/XML, API 2010-05-08), the part the broker uses: a role's inline policies
 * (Put/Get/Delete/ListRolePolicies), where it writes the deny that revokes a grant's sessions.
 */
import { parsePolicy, policySize } from './policy';
import type { QueryService } from './query-protocol';
import { allows, isAdminSession, roleByName, type AwsState, type Caller, type Role } from './state';
import { AwsError, xmlEscape } from './wire';

/** IAM's quota on the total size of a role's inline policies (whitespace not counted). */
const INLINE_POLICIES_MAX_CHARS = 10_240;

/** IAM's model: `roleNameType` 1–64 and `policyNameType` 1–128 characters of `[\w+=,.@-]`. */
const ROLE_NAME_RE = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME_RE = /^[\w+=,.@-]{1,128}$/;
/** `policyDocumentType`: 1–131,072 characters of tab, line feed, carriage return, U+0020–U+00FF. */
const POLICY_DOCUMENT_RE = /^[\t\n\r\u0020-\u00FF]{1,131072}$/;

/** IAM's wording for a parameter that breaks its model's constraints. */
function checkParameter(value: string | null, member: string, re: RegExp, rule: string): void {
  if (value !== null && re.test(value)) return;
  throw new AwsError(
    400,
    'ValidationError',
    `1 validation error detected: Value '${value ?? 'null'}' at '${member}' failed to satisfy constraint: ${rule}`,
  );
}

/** RoleName and PolicyName of every call, and PutRolePolicy's document, checked as IAM does. */
function checkParameters(action: string, p: URLSearchParams): void {
  checkParameter(
    p.get('RoleName'),
    'roleName',
    ROLE_NAME_RE,
    'Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and 64',
  );
  if (action === 'ListRolePolicies') return;
  checkParameter(
    p.get('PolicyName'),
    'policyName',
    POLICY_NAME_RE,
    'Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and 128',
  );
  if (action !== 'PutRolePolicy') return;
  checkParameter(
    p.get('PolicyDocument'),
    'policyDocument',
    POLICY_DOCUMENT_RE,
    'Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+ and have length between 1 and 131072',
  );
}

function iamRole(state: AwsState, p: URLSearchParams, caller: Caller, action: string): Role {
  const name = p.get('RoleName') ?? '';
  const role = roleByName(state, caller.account, name);
  // IAM is per account: a principal edits roles of its own account, and a JIT session only
  // when its session policy allows it.
  const permitted =
    caller.session === null ||
    isAdminSession(state, caller) ||
    (role !== undefined && allows(state, caller.session, `iam:${action}`, role.arn));
  if (!permitted) {
    throw new AwsError(
      403,
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: iam:${action} on resource: role ${name}`,
    );
  }
  if (!role) throw new AwsError(404, 'NoSuchEntity', `The role with name ${name} cannot be found.`);
  return role;
}

function putRolePolicy(role: Role, policyName: string, doc: string): string {
  try {
    parsePolicy(doc);
  } catch (e) {
    throw new AwsError(400, 'MalformedPolicyDocument', (e as Error).message);
  }
  const others = [...role.inline]
    .filter(([n]) => n !== policyName)
    .reduce((n, [, d]) => n + policySize(d), 0);
  if (others + policySize(doc) > INLINE_POLICIES_MAX_CHARS) {
    throw new AwsError(
      409,
      'LimitExceeded',
      `Maximum policy size of ${INLINE_POLICIES_MAX_CHARS} bytes exceeded for role ${role.name}`,
    );
  }
  role.inline.set(policyName, doc);
  return '';
}

function handle(state: AwsState, action: string, p: URLSearchParams, caller: Caller): string | null {
  if (['PutRolePolicy', 'GetRolePolicy', 'DeleteRolePolicy', 'ListRolePolicies'].includes(action)) {
    checkParameters(action, p);
  }
  const policyName = p.get('PolicyName') ?? '';
  const missing = (role: Role) =>
    new AwsError(
      404,
      'NoSuchEntity',
      `The role policy with name ${policyName} cannot be found for role ${role.name}.`,
    );
  switch (action) {
    case 'PutRolePolicy':
      return putRolePolicy(iamRole(state, p, caller, action), policyName, p.get('PolicyDocument') ?? '');
    case 'GetRolePolicy': {
      const role = iamRole(state, p, caller, action);
      const doc = role.inline.get(policyName);
      if (doc === undefined) throw missing(role);
      // IAM returns the document URL-encoded (RFC 3986); the SDK hands it over as is.
      return `<RoleName>${xmlEscape(role.name)}</RoleName><PolicyName>${xmlEscape(policyName)}</PolicyName><PolicyDocument>${encodeURIComponent(doc)}</PolicyDocument>`;
    }
    case 'DeleteRolePolicy': {
      const role = iamRole(state, p, caller, action);
      if (!role.inline.delete(policyName)) throw missing(role);
      return '';
    }
    case 'ListRolePolicies': {
      const role = iamRole(state, p, caller, action);
      const names = [...role.inline.keys()].sort().map((n) => `<member>${xmlEscape(n)}</member>`);
      return `<PolicyNames>${names.join('')}</PolicyNames><IsTruncated>false</IsTruncated>`;
    }
    default:
      return null;
  }
}

/** IAM's actions, for `queryListener`. IAM is global: signatures are scoped to us-east-1. */
export function iamApi(state: AwsState): QueryService {
  return {
    service: 'iam',
    ns: 'https://iam.amazonaws.com/doc/2010-05-08/',
    version: '2010-05-08',
    scopeRegion: 'us-east-1',
    handle: (action, p, caller) => handle(state, action, p, caller),
  };
}
