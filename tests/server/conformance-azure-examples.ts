/**
 * Azure's published examples (tests/fixtures/conformance/azure/, sources in its README) and the
 * spec excerpt beside them, for tests/server/conformance-azure*.test.ts; and comparing a fake's
 * answer with an example by shape: the same keys with the same JSON
 * types, values free (ids, names and times differ).
 *
 * - Every key of the example must be in the answer, its value of the same type. A null in the
 *   example matches anything (the field is nullable); a null in the answer matches an example
 *   string, number or boolean (ARM sends null for an unset field), never an object or array.
 * - Objects at a `declared` path may carry only the keys the spec declares there (the answer can
 *   have declared keys the example leaves out, not invented ones).
 * - Objects at a `maps` path are dictionaries (`additionalProperties` in the spec): their keys are
 *   free, their values must have the example values' type.
 * - Arrays: an empty answer array matches (lists of 0..n); otherwise each example element is
 *   compared with the answer element of the same key where `keyedBy` names one for the path (the
 *   rules of a PIM policy, by `id`), else with the first element.
 *
 * Paths: '' for the root, `a.b` for object keys, `a[]` for the elements of an array.
 */

import { readFileSync } from 'node:fs';

export interface Example {
  readonly parameters: Record<string, unknown>;
  readonly responses: Record<string, { body?: unknown }>;
}
const FIXTURES = new URL('../fixtures/conformance/azure/', import.meta.url);
const load = <T>(file: string) => JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as T;
export const example = (name: string) => load<Example>(`${name}.json`);
export const SPEC = load<{
  declared: Record<string, Record<string, string[]>>;
  maps: Record<string, string[]>;
}>('spec-excerpt.json');

/** The spec's declared keys (and dictionaries) for a response type, as shape rules. */
export const rulesFor = (definition: string, keyedBy?: Record<string, string>): ShapeRules => ({
  declared: SPEC.declared[definition],
  maps: SPEC.maps[definition] ?? [],
  ...(keyedBy ? { keyedBy } : {}),
});

/**
 * The example's scope as a path: the PIM examples write a subscription as
 * `providers/Microsoft.Subscription/subscriptions/{id}`, the RBAC ones as `subscriptions/{id}`;
 * both are the scope `/subscriptions/{id}` (the body of each answer says so).
 */
export const scopeOf = (e: Example) =>
  `/${String(e.parameters.scope).replace(/^providers\/Microsoft\.Subscription\//, '')}`;
export const subscriptionIn = (scope: string) => /^\/subscriptions\/([^/]+)/.exec(scope)![1]!;

/** The PIM examples' request, scope and principal. */
export const PIM_PUT = example('PutRoleAssignmentScheduleRequest');
export const PIM_SCOPE = scopeOf(PIM_PUT);
export const PIM_PRINCIPAL = { objectId: 'a3bb8764-cb92-4276-9d2a-ca1e895e55ea', upn: 'user@my-tenant.com' };
/** The path (and api-version) of a PIM example's schedule request. */
export const requestPath = (e: Example) =>
  `${scopeOf(e)}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${String(e.parameters.roleAssignmentScheduleRequestName)}?api-version=${String(e.parameters['api-version'])}`;

export interface ShapeRules {
  readonly declared?: Readonly<Record<string, readonly string[]>>;
  readonly maps?: readonly string[];
  readonly keyedBy?: Readonly<Record<string, string>>;
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

/** Where the answer's shape differs from the example's, one line per difference; [] when it matches. */
export function shapeProblems(
  example: unknown,
  actual: unknown,
  rules: ShapeRules = {},
  path = '',
): string[] {
  const here = path === '' ? '(root)' : path;
  if (example === null) return [];
  if (actual === null) {
    return ['string', 'number', 'boolean'].includes(kind(example))
      ? []
      : [`${here}: null where the example has ${kind(example)}`];
  }
  if (kind(example) !== kind(actual))
    return [`${here}: ${kind(actual)} where the example has ${kind(example)}`];
  if (Array.isArray(example) && Array.isArray(actual)) return arrayProblems(example, actual, rules, path);
  if (kind(example) !== 'object') return [];
  const ex = example as Record<string, unknown>;
  const ac = actual as Record<string, unknown>;
  const problems: string[] = [];
  if (rules.maps?.includes(path)) {
    const types = new Set(Object.values(ex).map(kind));
    for (const [k, v] of Object.entries(ac)) {
      if (!types.has(kind(v)))
        problems.push(`${join(path, k)}: ${kind(v)} in a map of ${[...types].join('/')}`);
    }
    return problems;
  }
  for (const [k, v] of Object.entries(ex)) {
    if (!(k in ac)) problems.push(`${join(path, k)}: missing`);
    else problems.push(...shapeProblems(v, ac[k], rules, join(path, k)));
  }
  const declared = rules.declared?.[path];
  if (declared) {
    for (const k of Object.keys(ac)) {
      if (!declared.includes(k)) problems.push(`${join(path, k)}: not declared by the spec`);
    }
  }
  return problems;
}

function arrayProblems(example: unknown[], actual: unknown[], rules: ShapeRules, path: string): string[] {
  if (actual.length === 0) return [];
  const key = rules.keyedBy?.[path];
  const problems: string[] = [];
  for (const element of example) {
    let counterpart: unknown = actual[0];
    if (key) {
      const id = (element as Record<string, unknown>)[key];
      counterpart = actual.find((a) => (a as Record<string, unknown> | null)?.[key] === id);
      if (counterpart === undefined) {
        problems.push(`${path}[]: no element with ${key} ${String(id)}`);
        continue;
      }
    }
    problems.push(...shapeProblems(element, counterpart, rules, `${path}[]`));
  }
  return problems;
}
