/**
 * Reading Google discovery documents in tests (not a test file itself): the methods a document
 * describes, which of them an HTTP request is (its `httpMethod` and `path` template), and whether
 * a JSON value fits a schema — only declared fields, each of the declared JSON type and format.
 * The discovery format: https://developers.google.com/discovery/v1/reference/apis.
 */
import { readFileSync } from 'node:fs';

/** A property or schema as discovery documents write it (the parts a JSON check needs). */
export interface DiscoverySchema {
  readonly $ref?: string;
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'any';
  readonly format?: string;
  readonly enum?: readonly string[];
  readonly items?: DiscoverySchema;
  readonly properties?: Readonly<Record<string, DiscoverySchema>>;
  readonly additionalProperties?: DiscoverySchema;
}

interface DiscoveryParameter {
  readonly location: 'path' | 'query';
  readonly pattern?: string;
}

export interface DiscoveryMethod {
  readonly id: string;
  readonly httpMethod: string;
  readonly path: string;
  readonly parameters?: Readonly<Record<string, DiscoveryParameter>>;
  readonly request?: { readonly $ref: string };
  readonly response?: { readonly $ref: string };
}

interface DiscoveryResource {
  readonly methods?: Readonly<Record<string, DiscoveryMethod>>;
  readonly resources?: Readonly<Record<string, DiscoveryResource>>;
}

export interface DiscoveryDocument extends DiscoveryResource {
  readonly rootUrl: string;
  readonly schemas: Readonly<Record<string, DiscoverySchema>>;
}

export function loadDiscovery(path: string): DiscoveryDocument {
  return JSON.parse(readFileSync(path, 'utf8')) as DiscoveryDocument;
}

/** Every method of the document, nested resources included. */
export function methodsOf(resource: DiscoveryResource): DiscoveryMethod[] {
  return [
    ...Object.values(resource.methods ?? {}),
    ...Object.values(resource.resources ?? {}).flatMap(methodsOf),
  ];
}

/**
 * The path template as a pattern over a request path (`/v1/projects/acme-dev:getIamPolicy`):
 * `{name}` is one segment, `{+name}` the parameter's own pattern (or any run of characters).
 */
export function pathPattern(method: DiscoveryMethod): RegExp {
  const source = method.path
    .replace(/[.*?^$()|[\]\\:]/g, '\\$&')
    .replace(/\{(\+?)([^}]+)\}/g, (_all, plus: string, name: string) => {
      if (!plus) return '[^/]+';
      const pattern = method.parameters?.[name]?.pattern;
      return pattern ? `(?:${pattern.replace(/^\^/, '').replace(/\$$/, '')})` : '.+';
    });
  return new RegExp(`^/${source}$`);
}

/** The document's method an HTTP request is, if any. */
export function methodFor(
  doc: DiscoveryDocument,
  httpMethod: string,
  path: string,
): DiscoveryMethod | undefined {
  return methodsOf(doc).find((m) => m.httpMethod === httpMethod && pathPattern(m).test(path));
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$|^[A-Za-z0-9_-]*$/;
const INT64 = /^-?\d+$/;

function checkString(value: string, schema: DiscoverySchema, at: string, problems: string[]): void {
  if (schema.enum && !schema.enum.includes(value))
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  if (schema.format === 'byte' && !BASE64.test(value)) problems.push(`${at}: not base64`);
  if (schema.format === 'google-datetime' && !RFC3339.test(value))
    problems.push(`${at}: not an RFC 3339 time`);
  if ((schema.format === 'int64' || schema.format === 'uint64') && !INT64.test(value)) {
    problems.push(`${at}: a 64-bit integer is a string of digits`);
  }
}

function checkObject(
  value: Record<string, unknown>,
  schema: DiscoverySchema,
  doc: DiscoveryDocument,
  at: string,
  problems: string[],
): void {
  for (const [key, field] of Object.entries(value)) {
    const declared = schema.properties?.[key] ?? schema.additionalProperties;
    if (!declared) problems.push(`${at}.${key}: not a field of the schema`);
    else checkValue(field, declared, doc, `${at}.${key}`, problems);
  }
}

/** Appends to `problems` every way `value` departs from `schema` (a `$ref`, or an inline schema). */
export function checkValue(
  value: unknown,
  schema: DiscoverySchema,
  doc: DiscoveryDocument,
  at: string,
  problems: string[],
): void {
  if (schema.$ref !== undefined) {
    const target = doc.schemas[schema.$ref];
    if (!target) problems.push(`${at}: needs schema ${schema.$ref}, which is not vendored`);
    else checkValue(value, target, doc, at, problems);
    return;
  }
  const type = schema.type ?? 'any';
  const actual = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  switch (type) {
    case 'any':
      return;
    case 'object':
      if (actual !== 'object') problems.push(`${at}: ${actual}, not an object`);
      else checkObject(value as Record<string, unknown>, schema, doc, at, problems);
      return;
    case 'array':
      if (actual !== 'array') problems.push(`${at}: ${actual}, not an array`);
      else
        (value as unknown[]).forEach((item, i) =>
          checkValue(item, schema.items ?? {}, doc, `${at}[${i}]`, problems),
        );
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value))
        problems.push(`${at}: ${actual}, not an integer`);
      else if (schema.format === 'int32' && Math.abs(value) > 2 ** 31) problems.push(`${at}: beyond int32`);
      return;
    case 'number':
      if (actual !== 'number') problems.push(`${at}: ${actual}, not a number`);
      return;
    case 'boolean':
      if (actual !== 'boolean') problems.push(`${at}: ${actual}, not a boolean`);
      return;
    case 'string':
      if (actual !== 'string') problems.push(`${at}: ${actual}, not a string`);
      else checkString(value as string, schema, at, problems);
      return;
  }
}

/** The problems of `value` against the schema named `ref`. */
export function problemsOf(value: unknown, ref: string, doc: DiscoveryDocument): string[] {
  const problems: string[] = [];
  checkValue(value, { $ref: ref }, doc, ref, problems);
  return problems;
}
