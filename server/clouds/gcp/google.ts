/**
 * The broker's HTTP client for Google APIs: the service-account OAuth token (a self-signed RS256
 * JWT exchanged at the token endpoint, RFC 7523; no google-auth-library), Google's JSON error
 * shape turned into ProvisionErrors, and retries of what Google asks callers to retry.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { ProvisionError } from '../../provision/types';

/** The one OAuth scope Google recommends for server-side callers; IAM decides what the account may do. */
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** Google issues 1-hour tokens; renew a few minutes early so a call never carries one that just expired. */
const TOKEN_MARGIN_MS = 5 * 60_000;
/** Google refuses assertions valid for more than an hour. */
const ASSERTION_LIFETIME_S = 3600;
const TIMEOUT_MS = 15_000;

export class GcpConfigError extends Error {
  override name = 'GcpConfigError';
}

/**
 * The service account's private key: the PEM itself, or `env:NAME`. A key copied out of the
 * JSON key file into an environment variable often keeps its `\n` escapes; those are undone.
 * Throws naming the config field, at start rather than at the first grant.
 */
export function loadPrivateKey(value: string, env: NodeJS.ProcessEnv = process.env): KeyObject {
  const field = 'clouds.gcp.serviceAccount.privateKey';
  let pem = value;
  if (value.startsWith('env:')) {
    const name = value.slice('env:'.length);
    const resolved = env[name];
    if (!resolved)
      throw new GcpConfigError(`${field} names the environment variable ${name}, which is not set`);
    pem = resolved;
  }
  pem = pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem;
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(pem)) {
    throw new GcpConfigError(`${field} is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----")`);
  }
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`a ${key.asymmetricKeyType ?? 'non-RSA'} key`);
    return key;
  } catch (e) {
    throw new GcpConfigError(`${field} is not a usable RSA private key: ${(e as Error).message}`);
  }
}

/** Google's error body: `{"error":{"code","message","status","details":[{"@type",reason,metadata}]}}`. */
export interface GoogleError {
  readonly code?: number;
  readonly message?: string;
  readonly status?: string;
  readonly details?: readonly {
    readonly '@type'?: string;
    readonly reason?: string;
    readonly metadata?: Readonly<Record<string, string>>;
  }[];
}

export interface GoogleCall {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: unknown;
  /** What the call does, for messages ("read the IAM policy of projects/p"). */
  readonly what: string;
  /** The permission the broker's service account needs for it, named when Google says no. */
  readonly permission: string;
  /** Tries on 429/5xx/network errors, and the first backoff (doubling, with jitter). */
  readonly attempts?: number;
  readonly backoffMs?: number;
}

export interface GoogleClientOptions {
  readonly clientEmail: string;
  readonly key: KeyObject;
  readonly tokenUrl: string;
  readonly now: () => Date;
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: (line: string) => void;
}

export interface GoogleClient {
  call<T>(call: GoogleCall): Promise<T>;
  /** A valid access token (cached; exposed for tests and diagnostics). */
  accessToken(): Promise<string>;
}

/** Exponential backoff with jitter, as Google's retry guidance asks (`base × 2ⁿ` plus up to 25 %). */
export function backoff(baseMs: number, attempt: number): number {
  const delay = baseMs * 2 ** attempt;
  return Math.round(delay + Math.random() * delay * 0.25);
}

export function createGoogleClient(options: GoogleClientOptions): GoogleClient {
  const { clientEmail, key, tokenUrl, now, sleep, log } = options;
  let cached: { token: string; expiresAt: number } | null = null;
  let pending: Promise<string> | null = null;

  async function fetchToken(): Promise<string> {
    const iat = Math.floor(now().getTime() / 1000);
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(clientEmail)
      .setAudience(tokenUrl)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_LIFETIME_S)
      .sign(key);
    let res: Response;
    try {
      res = await options.fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      throw new ProvisionError(`Google's token endpoint did not answer (${(e as Error).message})`, true);
    }
    const body = (await res.json().catch(() => ({}))) as {
      access_token?: string;
      expires_in?: number;
      error?: string;
      error_description?: string;
    };
    if (!res.ok || typeof body.access_token !== 'string') {
      const reason = body.error
        ? `${body.error}: ${body.error_description ?? ''}`.trim()
        : `HTTP ${res.status}`;
      throw new ProvisionError(
        `Google refused a token for the broker's service account ${clientEmail} (${reason}); ` +
          'check clouds.gcp.serviceAccount (clientEmail, privateKey) and that the key is not disabled',
        res.status >= 500 || res.status === 429,
        body.error ?? null,
      );
    }
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000;
    cached = { token: body.access_token, expiresAt: now().getTime() + lifetimeMs };
    return body.access_token;
  }

  async function accessToken(): Promise<string> {
    if (cached && now().getTime() < cached.expiresAt - TOKEN_MARGIN_MS) return cached.token;
    // One token request at a time: concurrent grants share it.
    pending ??= fetchToken().finally(() => {
      pending = null;
    });
    return pending;
  }

  async function once(call: GoogleCall, token: string): Promise<{ status: number; body: unknown }> {
    const res = await options.fetch(call.url, {
      method: call.method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: call.body === undefined ? null : JSON.stringify(call.body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = { error: { code: res.status, message: text.slice(0, 200) } };
    }
    return { status: res.status, body };
  }

  async function call<T>(call: GoogleCall): Promise<T> {
    const attempts = call.attempts ?? 3;
    const base = call.backoffMs ?? 500;
    let reauthenticated = false;
    for (let attempt = 0; ; attempt += 1) {
      let result: { status: number; body: unknown };
      try {
        result = await once(call, await accessToken());
      } catch (e) {
        if (e instanceof ProvisionError) throw e;
        if (attempt + 1 < attempts) {
          await sleep(backoff(base, attempt));
          continue;
        }
        throw new ProvisionError(
          `Google did not answer when asked to ${call.what} (${(e as Error).message})`,
          true,
        );
      }
      if (result.status >= 200 && result.status < 300) return result.body as T;
      const error: GoogleError = (result.body as { error?: GoogleError } | null)?.error ?? {};
      if (result.status === 401 && !reauthenticated) {
        // The token was revoked or expired early: one fresh token, then believe Google.
        reauthenticated = true;
        cached = null;
        attempt -= 1;
        continue;
      }
      const retryable = result.status === 429 || result.status >= 500;
      if (retryable && attempt + 1 < attempts) {
        const delay = backoff(base, attempt);
        log(`gcp: ${call.what}: ${result.status} ${error.status ?? ''}, retrying in ${delay} ms`);
        await sleep(delay);
        continue;
      }
      throw toProvisionError(result.status, error, call, clientEmail);
    }
  }

  return { call, accessToken };
}

/** Google's answer in words for the requester and the approver, with Google's status as the code. */
export function toProvisionError(
  httpStatus: number,
  error: GoogleError,
  call: Pick<GoogleCall, 'what' | 'permission'>,
  clientEmail: string,
): ProvisionError {
  const status = error.status ?? null;
  const said = error.message ? `: ${error.message}` : '';
  const info = error.details?.find((d) => d['@type']?.endsWith('google.rpc.ErrorInfo'));
  if (httpStatus === 401 || status === 'UNAUTHENTICATED') {
    return new ProvisionError(
      `Google did not accept the broker's credentials (${clientEmail}) to ${call.what}${said}`,
      false,
      status ?? 'UNAUTHENTICATED',
    );
  }
  if (httpStatus === 403 || status === 'PERMISSION_DENIED') {
    const permission = info?.metadata?.permission ?? call.permission;
    return new ProvisionError(
      `the broker's service account ${clientEmail} lacks ${permission}, needed to ${call.what}; ` +
        `grant it to the broker (docs/clouds/gcp.md) — Google said${said || ' PERMISSION_DENIED'}`,
      false,
      status ?? 'PERMISSION_DENIED',
    );
  }
  if (httpStatus === 429 || httpStatus >= 500) {
    return new ProvisionError(
      `Google is busy or failing (${httpStatus} ${status ?? ''}) when asked to ${call.what}${said}; will retry`,
      true,
      status,
    );
  }
  if (status === 'ABORTED') return new ProvisionError(`Google aborted: ${call.what}${said}`, true, status);
  return new ProvisionError(
    `Google rejected the request to ${call.what} (${httpStatus} ${status ?? ''})${said}`,
    false,
    status,
  );
}
