/**
 * The HTTP plumbing the GCP fake's APIs share, with no state of its own: Google's error type
 * (`{ error: { code, message, status, details } }`), the PERMISSION_DENIED and INVALID_ARGUMENT
 * shapes, page tokens, etags and body reading.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';

/** A Google API error: HTTP status, canonical status name, message and `details`. */
export class GoogleHttpError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly status: string,
    message: string,
    readonly details: readonly unknown[] = [],
  ) {
    super(message);
  }
}

export const newEtag = () => randomBytes(8).toString('base64');
export const clone = <T>(value: T): T => structuredClone(value);

/** IAM's refusal: the same answer for a missing permission and a resource that does not exist. */
export function permissionDenied(permission: string, resource: string, domain: string): GoogleHttpError {
  return new GoogleHttpError(
    403,
    'PERMISSION_DENIED',
    `Permission '${permission}' denied on resource '//${domain}/${resource}' (or it may not exist).`,
    [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain: 'iam.googleapis.com',
        metadata: { permission, resource },
      },
    ],
  );
}

export const invalid = (message: string) => new GoogleHttpError(400, 'INVALID_ARGUMENT', message);

export const notFound = (message = 'Requested entity was not found.') =>
  new GoogleHttpError(404, 'NOT_FOUND', message);

/** An opaque page token for the item at `offset`. */
export const pageToken = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');

/** The offset a page token stands for (0 without one); INVALID_ARGUMENT for a foreign token. */
export function readPageToken(token: string | undefined | null): number {
  if (!token) return 0;
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m) throw invalid('Invalid page token.');
  return Number(m[1]);
}

export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1024 * 1024) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
