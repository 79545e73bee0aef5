/**
 * The broker's HTTP client for Azure: an Entra ID client-credentials token (cached until shortly
 * before it expires) and Azure Resource Manager calls that always carry `api-version`, with ARM's
 * error shapes (`{"error":{"code","message"}}`) turned into `ProvisionError`s that say whether
 * retrying can help. No Azure SDK: the calls are few and their wire shapes are in
 * docs/cloud-mechanics.md §2.
 */
import { ProvisionError } from '../../provision/types';

const TIMEOUT_MS = 15_000;
/** Renew the token this long before Entra says it expires, so no call carries one about to lapse. */
const TOKEN_EARLY_MS = 5 * 60_000;

export interface ArmClientOptions {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Entra ID base (`https://login.microsoftonline.com`), no trailing slash. */
  readonly login: string;
  /** ARM base (`https://management.azure.com`), no trailing slash. */
  readonly arm: string;
  readonly now: () => Date;
  readonly fetch: typeof fetch;
  readonly log: (line: string) => void;
}

/** An ARM answer: the status, the parsed body (null if none), and ARM's error code and message. */
export interface ArmResponse {
  readonly status: number;
  readonly body: unknown;
  readonly code: string | null;
  readonly message: string | null;
  readonly retryAfter: string | null;
}

export interface ArmClient {
  /**
   * Call ARM. `path` starts with `/` and may carry a query; `apiVersion` is always appended (ARM
   * refuses calls without it). A `nextLink` (absolute URL, already versioned) is passed as `url`.
   * HTTP errors come back as an `ArmResponse`: the caller decides which codes mean success.
   */
  call(
    method: 'GET' | 'PUT' | 'DELETE' | 'POST',
    target: { path: string; apiVersion: string } | { url: string },
    body?: unknown,
  ): Promise<ArmResponse>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.slice(0, 300);
  }
}

export function createArmClient(options: ArmClientOptions): ArmClient {
  let token: { value: string; renewAt: number } | null = null;
  let pending: Promise<string> | null = null;

  async function fetchToken(): Promise<string> {
    const url = `${options.login}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: options.clientId,
      client_secret: options.clientSecret,
      scope: `${options.arm}/.default`,
    });
    let res: Response;
    try {
      res = await options.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      throw new ProvisionError(`Entra ID (${options.login}) did not answer: ${(e as Error).message}`, true);
    }
    const body = await readBody(res);
    if (!res.ok) {
      const error = isObject(body) && typeof body.error === 'string' ? body.error : `HTTP ${res.status}`;
      const description =
        isObject(body) && typeof body.error_description === 'string'
          ? body.error_description.split('\r\n')[0]!
          : '';
      // invalid_client: wrong clientSecret; unauthorized_client: unknown clientId; invalid_request
      // with AADSTS90002: unknown tenantId. None of these heals by retrying.
      const hint =
        error === 'invalid_client'
          ? ' (check clouds.azure.clientSecret)'
          : error === 'unauthorized_client'
            ? ' (check clouds.azure.clientId)'
            : error === 'invalid_request'
              ? ' (check clouds.azure.tenantId)'
              : '';
      throw new ProvisionError(
        `Entra ID refused the broker's client credentials: ${error}${description ? `: ${description}` : ''}${hint}`,
        res.status >= 500 || res.status === 429,
        error,
      );
    }
    if (!isObject(body) || typeof body.access_token !== 'string') {
      throw new ProvisionError('Entra ID answered the token request without an access_token', true);
    }
    const expiresIn = Number(body.expires_in ?? 3599);
    const lifetimeMs = (Number.isFinite(expiresIn) ? expiresIn : 3599) * 1000;
    // Short-lived tokens (tests, unusual tenants) are renewed at half their life instead.
    const early = Math.min(TOKEN_EARLY_MS, lifetimeMs / 2);
    token = { value: body.access_token, renewAt: options.now().getTime() + lifetimeMs - early };
    return body.access_token;
  }

  async function accessToken(): Promise<string> {
    if (token && options.now().getTime() < token.renewAt) return token.value;
    // Concurrent calls share one token request.
    pending ??= fetchToken().finally(() => {
      pending = null;
    });
    return pending;
  }

  async function send(method: string, url: string, body: unknown): Promise<Response> {
    const bearer = await accessToken();
    try {
      return await options.fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      throw new ProvisionError(
        `Azure Resource Manager (${options.arm}) did not answer: ${(e as Error).message}`,
        true,
      );
    }
  }

  return {
    async call(method, target, body) {
      const url =
        'url' in target
          ? target.url
          : `${options.arm}${target.path}${target.path.includes('?') ? '&' : '?'}api-version=${encodeURIComponent(target.apiVersion)}`;
      if ('url' in target && !target.url.startsWith(`${options.arm}/`)) {
        // A nextLink pointing elsewhere would receive the broker's bearer token.
        throw new ProvisionError(`ARM returned a nextLink outside ${options.arm}: ${target.url}`, false);
      }
      let res = await send(method, url, body);
      if (res.status === 401) {
        // The token may have been revoked or the clock skewed: one fresh token, one more try.
        await res.body?.cancel();
        token = null;
        options.log(`azure: ARM answered 401 to ${method} ${url}; retrying with a new token`);
        res = await send(method, url, body);
      }
      const parsed = await readBody(res);
      const error = isObject(parsed) && isObject(parsed.error) ? parsed.error : null;
      return {
        status: res.status,
        body: parsed,
        code: error && typeof error.code === 'string' ? error.code : null,
        message: error && typeof error.message === 'string' ? error.message : null,
        retryAfter: res.headers.get('retry-after'),
      };
    },
  };
}

/** Retry-After as words: seconds (`"30"`) or an HTTP date. */
function retryAfterWords(value: string | null, now: Date): string | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return `retry after ${Math.max(0, Math.round(seconds))} s`;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return `retry after ${Math.max(0, Math.round((at - now.getTime()) / 1000))} s`;
}

/**
 * The `ProvisionError` for an ARM failure. `what` says what the broker was doing ("create the PIM
 * assignment"). Throttling and server errors are retryable (the worker backs off); the broker
 * lacking rights, a policy refusal or a malformed request are not, and the message says what to fix.
 */
export function armError(res: ArmResponse, what: string, now: Date): ProvisionError {
  const code = res.code ?? `HTTP${res.status}`;
  const azureSaid = res.message ?? (typeof res.body === 'string' ? res.body : '');
  if (res.status === 429 || code === 'TooManyRequests' || res.status >= 500) {
    const wait = retryAfterWords(res.retryAfter, now);
    return new ProvisionError(
      `Azure is ${res.status === 429 || code === 'TooManyRequests' ? 'throttling the broker' : `failing (HTTP ${res.status})`} while trying to ${what}${wait ? `; ${wait}` : ''}${azureSaid ? `: ${azureSaid}` : ''}`,
      true,
      code,
    );
  }
  if (code === 'AuthorizationFailed') {
    const action = /perform action '([^']+)'/.exec(azureSaid)?.[1];
    const scope = /over scope '([^']+)'/.exec(azureSaid)?.[1];
    return new ProvisionError(
      `the broker's Azure identity may not ${what}: it needs ${action ?? 'a permission it lacks'}${scope ? ` at ${scope}` : ''} (see docs/clouds/azure.md for the broker's role). Azure said: ${azureSaid}`,
      false,
      code,
    );
  }
  if (res.status === 401) {
    return new ProvisionError(
      `Azure did not accept the broker's token while trying to ${what} (${code}; check clouds.azure.tenantId and endpoints.arm): ${azureSaid}`,
      false,
      code,
    );
  }
  return new ProvisionError(
    `Azure refused to ${what} (${code})${azureSaid ? `: ${azureSaid}` : ''}`,
    false,
    code,
  );
}
