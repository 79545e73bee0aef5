/**
 * What a caller sends, read and checked before any handler sees it: the query string (each key
 * once, only what the route declares) and the body (size, media type and charset, UTF-8 bytes,
 * JSON, text the store can keep, then the zod contract). Every refusal is an `HttpError` whose
 * message names what was wrong: the header, the body, or the field. The rules are in docs/api.md.
 */
import type { IncomingMessage } from 'node:http';
import * as z from 'zod/mini';
import { validationError, type ApiError, type ErrorCode } from '../../lib/contract/api';
import { jsonContentTypeProblem } from './media-type';

export const MAX_BODY_BYTES = 64 * 1024;

export class HttpError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly body?: ApiError,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_BODY_BYTES)
    throw new HttpError('payload_too_large', `the body is over ${MAX_BODY_BYTES / 1024} kB`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError('payload_too_large', `the body is over ${MAX_BODY_BYTES / 1024} kB`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Deeper JSON than any contract body needs; refused before anything walks it. */
const MAX_JSON_DEPTH = 32;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text the store could not keep exactly, found before validation so the answer names the field:
 * U+0000 (PostgreSQL text and jsonb cannot hold it) and lone UTF-16 surrogates (jsonb refuses
 * them, text would silently turn them into U+FFFD). Also bounds the nesting depth. Iterative, so
 * a hostile body cannot exhaust the stack.
 */
function findUnstorable(root: unknown): { path: string; message: string } | null {
  const stack: { value: unknown; path: string[] }[] = [{ value: root, path: [] }];
  const badText = (text: string) =>
    text.includes('\u0000')
      ? 'must not contain NUL (\\u0000) characters'
      : LONE_SURROGATE.test(text)
        ? 'must be valid Unicode text (a lone surrogate \\uD800–\\uDFFF is not)'
        : null;
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    const where = path.join('.');
    if (path.length > MAX_JSON_DEPTH) {
      return { path: where, message: `${where}: nested deeper than ${MAX_JSON_DEPTH} levels` };
    }
    if (typeof value === 'string') {
      const problem = badText(value);
      if (problem) return { path: where, message: `${where || 'body'}: ${problem}` };
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: [...path, String(i)] }));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const problem = badText(k);
        const at = [...path, k].join('.');
        if (problem) return { path: at, message: `${at}: the field name ${problem}` };
        stack.push({ value: v, path: [...path, k] });
      }
    }
  }
  return null;
}

/** A 400 about the body as a whole (`fields` names it with the empty path). */
function badBody(message: string): HttpError {
  return new HttpError('invalid_request', message, {
    error: { code: 'invalid_request', message, fields: [{ path: '', message }] },
  });
}

/**
 * Strict UTF-8: a byte sequence UTF-8 does not allow (a Latin-1 byte, a cut-short or overlong
 * sequence, an encoded surrogate) throws rather than becoming U+FFFD. A byte order mark is kept,
 * so JSON.parse refuses it as before.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body's JSON text: declared as application/json in UTF-8, and valid UTF-8. */
function bodyText(req: IncomingMessage, raw: Buffer): string {
  const problem = jsonContentTypeProblem(req.headers['content-type']);
  if (problem !== null) throw new HttpError('unsupported_media_type', problem);
  try {
    return UTF8.decode(raw);
  } catch {
    throw badBody('body: not valid UTF-8 (send the JSON text encoded as UTF-8)');
  }
}

export async function parseBody(req: IncomingMessage, schema: z.ZodMiniType): Promise<unknown> {
  const raw = await readBody(req);
  let value: unknown = {};
  if (raw.length > 0) {
    const text = bodyText(req, raw);
    try {
      value = JSON.parse(text);
    } catch {
      throw badBody('body: not valid JSON');
    }
  }
  const unstorable = findUnstorable(value);
  if (unstorable !== null) {
    const { path, message } = unstorable;
    throw new HttpError('invalid_request', message, {
      error: { code: 'invalid_request', message, fields: [{ path, message }] },
    });
  }
  const parsed = z.safeParse(schema, value);
  if (!parsed.success) {
    const body = validationError(parsed.error);
    throw new HttpError('invalid_request', body.error.message, body);
  }
  return parsed.data;
}

export function parseQuery(url: URL, schema: z.ZodMiniObject | undefined): unknown {
  const entries: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key in entries) {
      const message = `${key}: given more than once`;
      throw new HttpError('invalid_request', message, {
        error: { code: 'invalid_request', message, fields: [{ path: key, message }] },
      });
    }
    entries[key] = value;
  }
  if (!schema) {
    const [first] = Object.keys(entries);
    if (first !== undefined) {
      const message = `${first}: this route takes no query parameters`;
      throw new HttpError('invalid_request', message, {
        error: { code: 'invalid_request', message, fields: [{ path: first, message }] },
      });
    }
    return entries;
  }
  const parsed = z.safeParse(schema, entries);
  if (!parsed.success) {
    const body = validationError(parsed.error);
    throw new HttpError('invalid_request', body.error.message, body);
  }
  return parsed.data;
}
