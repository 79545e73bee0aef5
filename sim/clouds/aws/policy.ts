/**
 * The small part of IAM policy evaluation the AWS fake needs: parse and validate a policy
 * document the way IAM and STS reject them (`MalformedPolicyDocument`), and decide whether a
 * request matches a statement (action and resource wildcards, the condition operators the broker
 * and its revocation policy use). Not a general IAM engine: `NotAction`, `NotResource`,
 * principals and policy variables are refused rather than half-evaluated.
 */

export type Effect = 'Allow' | 'Deny';

export interface Statement {
  readonly sid: string | undefined;
  readonly effect: Effect;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** operator → key → values; every key of every operator must match (values are ORed). */
  readonly conditions: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly statements: readonly Statement[];
}

/** The request context keys the fake knows (IAM's global condition keys of a role session). */
export interface RequestContext {
  readonly 'aws:SourceIdentity'?: string | undefined;
  /** `<RoleId>:<RoleSessionName>` for a role session. */
  readonly 'aws:userid'?: string | undefined;
  readonly 'aws:TokenIssueTime'?: string | undefined;
  readonly 'aws:CurrentTime'?: string | undefined;
  readonly 'aws:PrincipalArn'?: string | undefined;
}

const OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringLike',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
]);

export class PolicyError extends Error {}

const list = (value: unknown, field: string): string[] => {
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  if (items.length === 0 || !items.every((v) => typeof v === 'string' && v.length > 0)) {
    throw new PolicyError(`${field} must be a string or a non-empty list of strings`);
  }
  return items as string[];
};

/** Parses a policy as IAM would accept it; throws `PolicyError` with IAM-like words otherwise. */
export function parsePolicy(text: string): PolicyDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PolicyError('The policy is not in the valid JSON format.');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PolicyError('The policy is not in the valid JSON format.');
  }
  const doc = raw as Record<string, unknown>;
  if (doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17') {
    throw new PolicyError('The policy must contain a valid version string');
  }
  const rawStatements = Array.isArray(doc.Statement) ? (doc.Statement as unknown[]) : [doc.Statement];
  if (doc.Statement === undefined || rawStatements.length === 0) {
    throw new PolicyError('Syntax errors in policy: Statement is required.');
  }
  const statements = rawStatements.map((s): Statement => {
    if (typeof s !== 'object' || s === null) throw new PolicyError('Syntax errors in policy.');
    const st = s as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') {
      throw new PolicyError('Syntax errors in policy: Effect must be Allow or Deny.');
    }
    if ('NotAction' in st || 'NotResource' in st || 'Principal' in st || 'NotPrincipal' in st) {
      throw new PolicyError('The fake does not evaluate NotAction, NotResource or principals.');
    }
    const conditions: Record<string, Record<string, string[]>> = {};
    if (st.Condition !== undefined) {
      if (typeof st.Condition !== 'object' || st.Condition === null) {
        throw new PolicyError('Syntax errors in policy: Condition must be an object.');
      }
      for (const [op, block] of Object.entries(st.Condition as Record<string, unknown>)) {
        if (!OPERATORS.has(op)) throw new PolicyError(`Invalid Condition type : ${op}.`);
        if (typeof block !== 'object' || block === null) {
          throw new PolicyError(`Syntax errors in policy: ${op} must be an object.`);
        }
        conditions[op] = Object.fromEntries(
          Object.entries(block as Record<string, unknown>).map(([k, v]) => [k, list(v, `${op}.${k}`)]),
        );
      }
    }
    return {
      sid: typeof st.Sid === 'string' ? st.Sid : undefined,
      effect: st.Effect,
      actions: list(st.Action, 'Action'),
      resources: list(st.Resource, 'Resource'),
      conditions,
    };
  });
  return { statements };
}

/** IAM's `*` / `?` wildcards; actions compare case-insensitively, resources case-sensitively. */
export function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    ignoreCase ? 'si' : 's',
  );
  return re.test(value);
}

function conditionMatches(
  op: string,
  key: string,
  values: readonly string[],
  context: RequestContext,
): boolean {
  const actual = context[key as keyof RequestContext];
  // A missing key never satisfies a positive operator (IAM's rule without `IfExists`).
  if (actual === undefined) return op === 'StringNotEquals';
  switch (op) {
    case 'StringEquals':
      return values.includes(actual);
    case 'StringNotEquals':
      return !values.includes(actual);
    case 'StringLike':
      return values.some((v) => wildcard(v, actual, false));
    default: {
      const a = Date.parse(actual);
      return values.some((v) => {
        const b = Date.parse(v);
        if (op === 'DateLessThan') return a < b;
        if (op === 'DateLessThanEquals') return a <= b;
        if (op === 'DateGreaterThan') return a > b;
        return a >= b;
      });
    }
  }
}

/** Whether `statement` applies to this action on this resource in this context (ignoring its effect). */
export function statementMatches(
  statement: Statement,
  action: string,
  resource: string,
  context: RequestContext,
): boolean {
  return (
    statement.actions.some((a) => wildcard(a, action, true)) &&
    statement.resources.some((r) => wildcard(r, resource, false)) &&
    Object.entries(statement.conditions).every(([op, block]) =>
      Object.entries(block).every(([key, values]) => conditionMatches(op, key, values, context)),
    )
  );
}

/** Characters that count towards IAM's size limits (whitespace does not). */
export const policySize = (text: string): number => text.replace(/\s/g, '').length;
