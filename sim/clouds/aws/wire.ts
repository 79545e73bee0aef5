/**
 * The HTTP plumbing every AWS API of the fake shares, with no state of its own: AWS's error type
 * and status codes, the SigV4 header check, the Query protocol's XML envelopes, body reading and
 * a loopback listener (each API is its own server, because the SDKs address services by base URL).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** An error as AWS answers it: HTTP status, error code, message, and Sender/Receiver fault type. */
export class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
  }
}

/**
 * The HTTP status AWS answers an error code with, for injected faults: the services' models
 * (`awsQueryError` of each error shape; tests/server/conformance-aws.test.ts holds this table to
 * them) and AWS's common errors. Unlisted codes answer 400.
 */
const STATUS_OF: Readonly<Record<string, number>> = {
  // STS
  RegionDisabledException: 403,
  // IAM
  NoSuchEntity: 404,
  LimitExceeded: 409,
  ServiceFailure: 500,
  // Common to the APIs
  AccessDenied: 403,
  AccessDeniedException: 403,
  InvalidClientTokenId: 403,
  SignatureDoesNotMatch: 403,
  InternalFailure: 500,
  InternalError: 500,
  ServiceUnavailable: 503,
};

/** Status AWS answers a code with, for injected faults. */
export const faultStatus = (code: string): number => STATUS_OF[code] ?? 400;

export const xmlEscape = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

/** ISO-8601 without milliseconds, as AWS writes times in condition keys and events. */
export const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export const random = (n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567') =>
  Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');

export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1024 * 1024) throw new AwsError(413, 'RequestEntityTooLarge', 'Request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface Listening {
  readonly server: http.Server;
  readonly url: string;
}

/** Serves `handler` on 127.0.0.1 at a free port. */
export async function listen(handler: http.RequestListener): Promise<Listening> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

/**
 * The SigV4 `authorization` header's access key id and credential-scope region, once its shape
 * and its service are checked (AWS refuses a mis-scoped signature before anything else). The
 * signature itself is not verified.
 */
export function signatureScope(
  req: http.IncomingMessage,
  service: string,
): { readonly accessKeyId: string; readonly region: string } {
  const auth = req.headers.authorization ?? '';
  const m =
    /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{16,128})\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$/.exec(
      auth,
    );
  if (!m || !req.headers['x-amz-date']) {
    throw new AwsError(
      400,
      'IncompleteSignature',
      `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters and an X-Amz-Date header. Authorization=${auth.split(' ')[0] ?? ''}`,
    );
  }
  if (m[4] !== service) {
    throw new AwsError(
      403,
      'SignatureDoesNotMatch',
      `Credential should be scoped to correct service: '${service}'. `,
    );
  }
  return { accessKeyId: m[1]!, region: m[3]! };
}

/** `signatureScope` for a service that answers in one region only; returns the access key id. */
export function checkSignature(req: http.IncomingMessage, service: string, scopeRegion: string): string {
  const { accessKeyId, region } = signatureScope(req, service);
  if (region !== scopeRegion) {
    throw new AwsError(
      403,
      'SignatureDoesNotMatch',
      `Credential should be scoped to a valid region, not '${region}'. `,
    );
  }
  return accessKeyId;
}

/** The Query protocol's success envelope (`<ActionResponse><ActionResult>…`). */
export const queryResponse = (ns: string, action: string, result: string) =>
  `<${action}Response xmlns="${ns}"><${action}Result>${result}</${action}Result>` +
  `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;

/** The Query protocol's error envelope. */
export const queryError = (ns: string, e: AwsError) =>
  `<ErrorResponse xmlns="${ns}"><Error><Type>${e.type}</Type><Code>${e.code}</Code>` +
  `<Message>${xmlEscape(e.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
