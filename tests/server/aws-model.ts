/**
 * Reading the vendored AWS service model excerpts (tests/fixtures/conformance/aws/, Smithy JSON)
 * and the fake's raw answers, for conformance-aws.test.ts (not a test file itself): members and
 * their constraints, an operation's errors, a Smithy pattern as a JavaScript RegExp, and a small
 * XML reader for the Query protocol's answers.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Traits {
  readonly 'smithy.api#required'?: object;
  readonly 'smithy.api#length'?: { readonly min?: number; readonly max?: number };
  readonly 'smithy.api#range'?: { readonly min?: number; readonly max?: number };
  readonly 'smithy.api#pattern'?: string;
  readonly 'smithy.api#error'?: 'client' | 'server';
  readonly 'smithy.api#httpError'?: number;
  readonly 'aws.protocols#awsQueryError'?: { readonly code: string; readonly httpResponseCode: number };
  readonly 'smithy.api#enumValue'?: string;
  readonly 'smithy.api#examples'?: readonly {
    input: Record<string, unknown>;
    output: Record<string, unknown>;
  }[];
}

interface Shape {
  readonly type: string;
  readonly members?: Readonly<Record<string, { readonly target: string; readonly traits?: Traits }>>;
  readonly member?: { readonly target: string };
  readonly input?: { readonly target: string };
  readonly output?: { readonly target: string };
  readonly errors?: readonly { readonly target: string }[];
  readonly traits?: Traits;
}

export interface Model {
  readonly namespace: string;
  readonly shapes: Readonly<Record<string, Shape>>;
}

export interface Constraint {
  readonly min?: number;
  readonly max?: number;
  /** The pattern as a JavaScript RegExp; null when the model has none (or JavaScript cannot say it). */
  readonly pattern: RegExp | null;
  readonly enumValues?: readonly string[];
}

export interface ModelError {
  /** The error shape's name (a JSON protocol's `__type`). */
  readonly shape: string;
  /** The Query protocol's `<Code>`. */
  readonly code: string;
  readonly status: number;
  readonly fault: 'client' | 'server';
  /** The member that carries the text (`message`, or `Message` in CloudTrail). */
  readonly messageMember: string | undefined;
}

export function loadModel(file: string): Model {
  const path = fileURLToPath(new URL(`../fixtures/conformance/aws/${file}`, import.meta.url));
  const json = JSON.parse(readFileSync(path, 'utf8')) as { shapes: Record<string, Shape> };
  const namespace = Object.keys(json.shapes)[0]!.split('#')[0]!;
  return { namespace, shapes: json.shapes };
}

export function shapeOf(model: Model, name: string): Shape {
  const shape = model.shapes[name.includes('#') ? name : `${model.namespace}#${name}`];
  if (!shape) throw new Error(`no shape ${name} in ${model.namespace}`);
  return shape;
}

/** A structure's members: name → target shape and whether it is required. */
export function membersOf(
  model: Model,
  structure: string,
): Record<string, { target: string; required: boolean }> {
  return Object.fromEntries(
    Object.entries(shapeOf(model, structure).members ?? {}).map(([name, m]) => [
      name,
      { target: m.target, required: m.traits?.['smithy.api#required'] !== undefined },
    ]),
  );
}

/** An operation's input or output structure name. */
export const ioOf = (model: Model, operation: string, io: 'input' | 'output'): string =>
  shapeOf(model, operation)[io]!.target;

/**
 * A Smithy (Java) pattern as a RegExp with the `u` flag, or null when it uses what JavaScript
 * cannot say (`\u10000`: a five-digit escape, in STS's `arnType`).
 */
export function toRegExp(pattern: string | undefined): RegExp | null {
  if (pattern === undefined || /\\u[0-9A-Fa-f]{5}/.test(pattern)) return null;
  return new RegExp(pattern, 'u');
}

/** The length, range, pattern and enum values of a simple shape (or a list's length). */
export function constraintOf(model: Model, target: string): Constraint {
  const shape = shapeOf(model, target);
  const t = shape.traits ?? {};
  const bounds = t['smithy.api#length'] ?? t['smithy.api#range'] ?? {};
  return {
    ...(bounds.min !== undefined ? { min: bounds.min } : {}),
    ...(bounds.max !== undefined ? { max: bounds.max } : {}),
    pattern: toRegExp(t['smithy.api#pattern']),
    ...(shape.type === 'enum'
      ? { enumValues: Object.values(shape.members ?? {}).map((m) => m.traits!['smithy.api#enumValue']!) }
      : {}),
  };
}

/** The errors an operation declares, with their codes, statuses and message member. */
export function errorsOf(model: Model, operation: string): ModelError[] {
  return (shapeOf(model, operation).errors ?? []).map(({ target }) => {
    const shape = shapeOf(model, target);
    const t = shape.traits!;
    return {
      shape: target.split('#')[1]!,
      code: t['aws.protocols#awsQueryError']!.code,
      status: t['smithy.api#httpError']!,
      fault: t['smithy.api#error']!,
      messageMember: Object.keys(shape.members ?? {})[0],
    };
  });
}

/** An operation's documented examples. */
export const examplesOf = (model: Model, operation: string) =>
  shapeOf(model, operation).traits?.['smithy.api#examples'] ?? [];

/** An XML element: its name, its children, and its text when it has no children. */
export interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  text: string;
}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

/** XML text with its entities and character references resolved. */
const unescapeXml = (text: string) =>
  text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, ref: string) =>
    ref.startsWith('#x')
      ? String.fromCodePoint(parseInt(ref.slice(2), 16))
      : ref.startsWith('#')
        ? String.fromCodePoint(Number(ref.slice(1)))
        : (ENTITIES[ref] ?? whole),
  );

/** Reads the Query protocol's simple XML (elements, text, an `xmlns` attribute, no comments). */
export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#root', children: [], text: '' };
  const stack: XmlElement[] = [root];
  for (const m of xml.matchAll(/<(\/?)([A-Za-z][\w.-]*)[^>]*?(\/?)>|([^<]+)/g)) {
    const top = stack.at(-1)!;
    if (m[4] !== undefined) {
      top.text += unescapeXml(m[4]);
    } else if (m[1] === '/') {
      stack.pop();
    } else {
      const element: XmlElement = { name: m[2]!, children: [], text: '' };
      top.children.push(element);
      if (m[3] !== '/') stack.push(element);
    }
  }
  return root.children[0]!;
}

/** The child element named `name`. */
export const child = (e: XmlElement, name: string): XmlElement => {
  const found = e.children.find((c) => c.name === name);
  if (!found) throw new Error(`<${e.name}> has no <${name}>`);
  return found;
};
