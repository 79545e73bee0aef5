/**
 * Loading a Cedar policy set for the policy engine (engine.ts): reading the policy directory,
 * splitting every file into single policies, checking the conventions below, and validating the
 * set against `schema.cedarschema`, so a typo stops the broker at start instead of silently
 * never matching in production. Every problem is reported with its file, policy id and position
 * (`PolicyLoadError`); nothing is half-loaded.
 *
 * Conventions the loader enforces on every policy:
 * - `@id("…")`: unique across all files; it is the policy id Cedar reports (not `policy0`), so
 *   stored decisions keep meaning something after files are reordered.
 * - `@advice("…")`: one or two sentences for humans.
 * - `@quorum("1"|"2")` (optional): on permits for the `quorum` action, how many distinct
 *   approvers a matching request needs.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';

/** The directory holding the default schema and policies (next to this file). */
export const DEFAULT_POLICY_DIR = fileURLToPath(new URL('.', import.meta.url));
export const SCHEMA_FILE = 'schema.cedarschema';

/** One source file: `name` is what error messages call it (a file name or a config key). */
export interface PolicySource {
  name: string;
  text: string;
}

export interface PolicySources {
  schema: PolicySource;
  policies: PolicySource[];
}

export interface PolicyProblem {
  /** The file (or config key) the problem is in. */
  file: string;
  /** The policy's `@id`, when the problem is in one policy. */
  policyId?: string;
  /** 1-based position in the file, when Cedar reported one. */
  line?: number;
  column?: number;
  message: string;
}

/** Thrown by `createPolicyEngine` (through `checkPolicySet`) when the schema or a policy is unusable; names every problem. */
export class PolicyLoadError extends Error {
  readonly problems: readonly PolicyProblem[];
  constructor(problems: readonly PolicyProblem[]) {
    super(
      `Invalid Cedar policy set (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${formatProblem(p)}`).join('\n'),
    );
    this.name = 'PolicyLoadError';
    this.problems = problems;
  }
}

export function formatProblem(p: PolicyProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
  const policy = p.policyId === undefined ? '' : ` policy "${p.policyId}":`;
  return `${where}:${policy} ${p.message}`;
}

/** Reads `schema.cedarschema` and every `*.cedar` file (sorted by name) from `dir`. */
export function loadPolicyDir(dir: string = DEFAULT_POLICY_DIR): PolicySources {
  const read = (name: string): PolicySource => ({ name, text: readFileSync(join(dir, name), 'utf8') });
  const names = readdirSync(dir)
    .filter((n) => n.endsWith('.cedar'))
    .sort();
  return { schema: read(SCHEMA_FILE), policies: names.map(read) };
}

/** One policy of a checked set, with what the engine reads from its annotations. */
export interface LoadedPolicy {
  id: string;
  file: string;
  advice: string;
  quorum?: 1 | 2;
  /** Position in the whole set (files by name, then policies in file order). */
  order: number;
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function problemAt(source: PolicySource, e: cedar.DetailedError, base: number): PolicyProblem {
  const loc = e.sourceLocations?.[0];
  const help = e.help ? ` (${e.help})` : '';
  const label = loc?.label ? `: ${loc.label}` : '';
  return {
    file: source.name,
    ...(loc ? position(source.text, base + loc.start) : {}),
    message: `${e.message}${label}${help}`,
  };
}

/** A policy set that passed every check, ready for the engine to preparse. */
export interface CheckedPolicySet {
  readonly schema: PolicySource;
  /** Each policy's own source text, by `@id`. */
  readonly texts: Readonly<Record<string, string>>;
  readonly byId: ReadonlyMap<string, LoadedPolicy>;
  /** Every group the policies name literally (`Group::"engineers"`), sorted. */
  readonly referencedGroups: readonly string[];
  /** Cedar validator warnings (they do not stop the broker), formatted like load errors. */
  readonly warnings: readonly string[];
}

/** Where each policy starts in its file, so that Cedar's per-policy offsets become positions. */
type Origins = Map<string, { source: PolicySource; offset: number }>;

interface SplitPolicies {
  readonly byId: Map<string, LoadedPolicy>;
  readonly texts: Record<string, string>;
  readonly origin: Origins;
}

/** Splits every file into single policies keyed by @id, checking the annotation conventions. */
function splitPolicies(sources: readonly PolicySource[], problems: PolicyProblem[]): SplitPolicies {
  const byId = new Map<string, LoadedPolicy>();
  const texts: Record<string, string> = {};
  const origin: Origins = new Map();
  let order = 0;
  for (const source of sources) {
    const parsed = cedar.checkParsePolicySet({ staticPolicies: source.text });
    if (parsed.type === 'failure') {
      for (const e of parsed.errors) problems.push(problemAt(source, e, 0));
      continue;
    }
    const parts = cedar.policySetTextToParts(source.text);
    if (parts.type === 'failure') {
      for (const e of parts.errors) problems.push(problemAt(source, e, 0));
      continue;
    }
    let searchFrom = 0;
    parts.policies.forEach((text, index) => {
      // Parts are the policies' own source text, so they are found verbatim in the file.
      const found = source.text.indexOf(text, searchFrom);
      const offset = found >= 0 ? found : 0;
      if (found >= 0) searchFrom = found + text.length;
      const here = (message: string, policyId?: string): PolicyProblem => ({
        file: source.name,
        ...(policyId === undefined ? {} : { policyId }),
        ...position(source.text, offset),
        message,
      });
      const json = cedar.policyToJson(text);
      if (json.type === 'failure') {
        for (const e of json.errors) problems.push(here(e.message));
        return;
      }
      const annotations = json.json.annotations ?? {};
      const id = annotations.id?.trim();
      if (!id) {
        problems.push(here(`policy #${index + 1} has no @id("…") annotation`));
        return;
      }
      const clash = byId.get(id);
      if (clash) {
        problems.push(here(`@id "${id}" is already used in ${clash.file}`, id));
        return;
      }
      const advice = annotations.advice?.trim();
      if (!advice)
        problems.push(here('has no @advice("…") annotation (one or two sentences for humans)', id));
      const quorum = ({ '1': 1, '2': 2 } as const)[annotations.quorum as '1' | '2'] ?? undefined;
      if (annotations.quorum !== undefined && quorum === undefined) {
        problems.push(here(`@quorum must be "1" or "2", not "${annotations.quorum}"`, id));
      }
      byId.set(id, {
        id,
        file: source.name,
        advice: advice ?? '',
        order: order++,
        ...(quorum ? { quorum } : {}),
      });
      texts[id] = text;
      origin.set(id, { source, offset });
    });
  }
  return { byId, texts, origin };
}

/** Validates the set against the schema (strict mode): errors go to `problems`, warnings are returned. */
function validatePolicies(
  schema: PolicySource,
  { texts, origin }: SplitPolicies,
  problems: PolicyProblem[],
): string[] {
  const validation = cedar.validate({
    schema: schema.text,
    policies: { staticPolicies: texts },
    validationSettings: { mode: 'strict' },
  });
  const located = (policyId: string, error: cedar.DetailedError): PolicyProblem => {
    const o = origin.get(policyId);
    return o
      ? { ...problemAt(o.source, error, o.offset), policyId }
      : { file: '?', policyId, message: error.message };
  };
  if (validation.type === 'failure') {
    for (const e of validation.errors) problems.push(problemAt(schema, e, 0));
    return [];
  }
  for (const { policyId, error } of validation.validationErrors) problems.push(located(policyId, error));
  // Warnings (e.g. a policy that can never match) do not stop the broker; `config check` shows them.
  return validation.validationWarnings.map(({ policyId, error }) => formatProblem(located(policyId, error)));
}

/**
 * Parses and validates a policy set. Throws `PolicyLoadError` naming the file, the policy id and
 * the position of every problem.
 */
export function checkPolicySet(sources: PolicySources): CheckedPolicySet {
  const problems: PolicyProblem[] = [];
  const { schema } = sources;

  const schemaCheck = cedar.checkParseSchema(schema.text);
  if (schemaCheck.type === 'failure') {
    for (const e of schemaCheck.errors) problems.push(problemAt(schema, e, 0));
    throw new PolicyLoadError(problems);
  }

  const split = splitPolicies(sources.policies, problems);
  if (problems.length > 0) throw new PolicyLoadError(problems);

  const warnings = validatePolicies(schema, split, problems);
  if (problems.length > 0) throw new PolicyLoadError(problems);

  const referencedGroups = new Set<string>();
  for (const text of Object.values(split.texts)) {
    for (const m of text.matchAll(/\bGroup\s*::\s*"((?:[^"\\]|\\.)*)"/g))
      if (m[1] !== undefined) referencedGroups.add(m[1]);
  }
  return {
    schema,
    texts: split.texts,
    byId: split.byId,
    referencedGroups: [...referencedGroups].sort(),
    warnings,
  };
}
