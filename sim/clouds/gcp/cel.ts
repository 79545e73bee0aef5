/**
 * The slice of IAM Conditions (CEL) the GCP fake understands: time bounds and resource-name
 * prefixes joined by `&&`, `||`, `!` and parentheses, which is what time-bound grants use
 * (`request.time < timestamp("2026-11-25T20:00:00Z")`, optionally
 * `&& resource.name.startsWith("projects/_/buckets/b")`). Anything else is refused when the policy
 * is written, as IAM refuses what it cannot compile, so evaluation never meets an unknown form.
 */

export type CelNode =
  | { readonly kind: 'time'; readonly op: '<' | '<=' | '>' | '>='; readonly at: number }
  | { readonly kind: 'prefix'; readonly prefix: string }
  | { readonly kind: 'and' | 'or'; readonly left: CelNode; readonly right: CelNode }
  | { readonly kind: 'not'; readonly operand: CelNode };

/** IAM's limit on logical operators in one expression (docs/cloud-mechanics.md §3.3). */
export const MAX_LOGICAL_OPERATORS = 12;

export class CelError extends Error {
  override name = 'CelError';
}

const TOKEN =
  /\s*(?:(&&|\|\||!|\(|\))|request\.time\s*(<=|>=|<|>)\s*timestamp\(\s*"([^"]+)"\s*\)|resource\.name\.startsWith\(\s*"([^"]*)"\s*\))/y;

type Token = { readonly t: 'op'; readonly v: string } | { readonly t: 'leaf'; readonly node: CelNode };

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(expression);
    if (!m)
      throw new CelError(
        `unsupported expression at character ${start + 1}: ${expression.slice(start, start + 30)}`,
      );
    if (m[1]) tokens.push({ t: 'op', v: m[1] });
    else if (m[2] && m[3] !== undefined) {
      if (!RFC3339.test(m[3])) throw new CelError(`timestamp("${m[3]}") is not an RFC 3339 time`);
      tokens.push({ t: 'leaf', node: { kind: 'time', op: m[2] as '<', at: Date.parse(m[3]) } });
    } else tokens.push({ t: 'leaf', node: { kind: 'prefix', prefix: m[4] ?? '' } });
  }
  return tokens;
}

/** Parses `expression`, or throws a CelError saying why IAM would reject it. */
export function parseCondition(expression: string): CelNode {
  const tokens = tokenize(expression);
  const operators = tokens.filter((t) => t.t === 'op' && ['&&', '||', '!'].includes(t.v)).length;
  if (operators > MAX_LOGICAL_OPERATORS) {
    throw new CelError(`${operators} logical operators; at most ${MAX_LOGICAL_OPERATORS} are allowed`);
  }
  let i = 0;
  const peek = () => tokens[i];
  const isOp = (v: string) => {
    const t = peek();
    return t?.t === 'op' && t.v === v;
  };
  const or = (): CelNode => {
    let left = and();
    while (isOp('||')) {
      i += 1;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const and = (): CelNode => {
    let left = unary();
    while (isOp('&&')) {
      i += 1;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const unary = (): CelNode => {
    if (isOp('!')) {
      i += 1;
      return { kind: 'not', operand: unary() };
    }
    if (isOp('(')) {
      i += 1;
      const inner = or();
      if (!isOp(')')) throw new CelError('unbalanced parentheses');
      i += 1;
      return inner;
    }
    const t = peek();
    if (t?.t !== 'leaf') throw new CelError('expected a condition');
    i += 1;
    return t.node;
  };
  if (tokens.length === 0) throw new CelError('empty expression');
  const node = or();
  if (i !== tokens.length) throw new CelError('unexpected trailing tokens');
  return node;
}

/**
 * The condition's value for a request at `now` on `resource` (full resource name). Without a
 * resource, resource-name clauses are false: the fake never assumes a match it cannot check.
 */
export function evaluateCondition(node: CelNode, now: Date, resource?: string): boolean {
  switch (node.kind) {
    case 'time': {
      const t = now.getTime();
      if (node.op === '<') return t < node.at;
      if (node.op === '<=') return t <= node.at;
      if (node.op === '>') return t > node.at;
      return t >= node.at;
    }
    case 'prefix':
      return resource !== undefined && resource.startsWith(node.prefix);
    case 'and':
      return evaluateCondition(node.left, now, resource) && evaluateCondition(node.right, now, resource);
    case 'or':
      return evaluateCondition(node.left, now, resource) || evaluateCondition(node.right, now, resource);
    case 'not':
      return !evaluateCondition(node.operand, now, resource);
  }
}
