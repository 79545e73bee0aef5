/**
 * The broker's OAuth endpoints over HTTP (RFC 6749 token, RFC 7009 revocation, RFC 8414
 * metadata) and `GET /api/v1/me` with a fresh access token. No redirects, no cookies, no cache;
 * every error is an `AuthError` (or a `BrokerError` for `/me`) whose message never contains a
 * token.
 */
import * as z from 'zod/mini';
import { normalizeBaseUrl } from './broker-client';
import { BrokerError } from './broker-error';
import { MeView } from '../contract/api';

export const CLIENT_ID = 'unblock-extension';
const TIMEOUT_MS = 15_000;

export const TokenResponse = z.object({
  access_token: z.string().check(z.minLength(1), z.maxLength(4096)),
  token_type: z.string().check(z.regex(/^bearer$/i, 'token_type: must be Bearer')),
  expires_in: z.number().check(z.positive()),
  refresh_token: z.string().check(z.minLength(1), z.maxLength(4096)),
  scope: z.optional(z.string()),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

const OAuthErrorBody = z.object({
  error: z.string(),
  error_description: z.optional(z.string()),
});

const Metadata = z.object({
  issuer: z.string(),
  code_challenge_methods_supported: z.optional(z.array(z.string())),
});

/** OAuth errors keep the RFC 6749 code (`invalid_grant`…); `unreachable` for network trouble. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** The broker will never accept this grant again: sign the user out. */
  get permanent(): boolean {
    return ['invalid_grant', 'invalid_client', 'unauthorized_client'].includes(this.code);
  }
}

export const clip = (s: string, max = 200) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

async function send(
  doFetch: typeof fetch,
  url: string,
  init: RequestInit,
): Promise<{ status: number; ok: boolean; json: unknown }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await doFetch(url, {
      ...init,
      redirect: 'error',
      credentials: 'omit',
      cache: 'no-store',
      signal: controller.signal,
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, ok: response.ok, json };
  } catch (e) {
    const detail = controller.signal.aborted
      ? 'no answer in time'
      : e instanceof Error
        ? e.message
        : String(e);
    throw new AuthError('unreachable', `could not reach the broker (${clip(detail)})`);
  } finally {
    clearTimeout(timer);
  }
}

async function postForm(doFetch: typeof fetch, url: string, form: Record<string, string>) {
  return send(doFetch, url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
}

/** `POST /oauth/token`: the tokens, or the broker's OAuth error as an `AuthError`. */
export async function tokenCall(
  doFetch: typeof fetch,
  brokerUrl: string,
  form: Record<string, string>,
): Promise<TokenResponse> {
  const r = await postForm(doFetch, `${brokerUrl}/oauth/token`, form);
  if (!r.ok) {
    const err = OAuthErrorBody.safeParse(r.json);
    if (err.success) {
      throw new AuthError(err.data.error, clip(err.data.error_description ?? err.data.error));
    }
    throw new AuthError(
      r.status >= 500 ? 'server_error' : 'invalid_response',
      `the broker answered HTTP ${r.status}`,
    );
  }
  const parsed = TokenResponse.safeParse(r.json);
  if (!parsed.success) throw new AuthError('invalid_response', 'the broker sent an unusable token response');
  return parsed.data;
}

/** `POST /oauth/revoke` for a refresh token, best effort. */
export async function revokeRefreshToken(
  doFetch: typeof fetch,
  brokerUrl: string,
  token: string,
): Promise<void> {
  try {
    await postForm(doFetch, `${brokerUrl}/oauth/revoke`, {
      token,
      token_type_hint: 'refresh_token',
      client_id: CLIENT_ID,
    });
  } catch {
    // Best effort: the refresh token expires on its own; storage is cleared either way.
  }
}

/** The broker's RFC 8414 metadata: it must name itself as the URL we were given, and do S256. */
export async function fetchIssuer(doFetch: typeof fetch, brokerUrl: string): Promise<string> {
  const r = await send(doFetch, `${brokerUrl}/.well-known/oauth-authorization-server`, {
    headers: { Accept: 'application/json' },
  });
  const parsed = Metadata.safeParse(r.json);
  if (!r.ok || !parsed.success) {
    throw new AuthError(
      'unsupported',
      'this broker does not offer sign-in (no OAuth metadata); use an API token',
    );
  }
  const issuer = parsed.data.issuer;
  if (normalizeBaseUrl(issuer) !== brokerUrl) {
    throw new AuthError(
      'invalid_issuer',
      `the broker calls itself ${clip(issuer, 300)}: set that as the broker URL, then sign in`,
    );
  }
  const methods = parsed.data.code_challenge_methods_supported;
  if (methods && !methods.includes('S256')) {
    throw new AuthError('unsupported', 'the broker does not support PKCE S256');
  }
  return issuer;
}

/** `GET /api/v1/me` with a bearer token (the options page's "Signed in as"). */
export async function fetchMe(doFetch: typeof fetch, brokerUrl: string, token: string): Promise<MeView> {
  let r: Awaited<ReturnType<typeof send>>;
  try {
    r = await send(doFetch, `${brokerUrl}/api/v1/me`, {
      headers: { Accept: 'application/json', Authorization: `Bearer ${token}` },
    });
  } catch (e) {
    throw new BrokerError('unreachable', e instanceof Error ? e.message : String(e));
  }
  const parsed = MeView.safeParse(r.json);
  if (!r.ok || !parsed.success) {
    throw new BrokerError(
      r.status === 401 ? 'unauthorized' : 'invalid_response',
      `the broker answered HTTP ${r.status}`,
      [],
      [],
      r.status,
    );
  }
  return parsed.data;
}
