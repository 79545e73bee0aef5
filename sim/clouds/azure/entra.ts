/**
 * Entra ID, the part the broker meets: the v2.0 token endpoint's client-credentials grant (with
 * Entra's `AADSTS…` errors), the bearer check ARM makes of those tokens, and the directory's
 * principals (a role assignment must name one that exists).
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { AzureState } from './state';
import { ArmFailure, b64url, str, type Reply } from './wire';

/** An Entra error body: `error`, the `AADSTS` code and sentence, trace and correlation ids. */
function entraError(state: AzureState, status: number, error: string, aadsts: string, text: string): Reply {
  const now = state.clock.now();
  return {
    status,
    body: {
      error,
      error_description: `${aadsts}: ${text}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${now.toISOString().replace('T', ' ').slice(0, 19)}Z`,
      error_codes: [Number(aadsts.slice(6))],
      timestamp: now.toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    },
  };
}

/** Why Entra refuses this client-credentials request, or null when it is good. */
function refusal(state: AzureState, tenant: string, form: URLSearchParams): Reply | null {
  const { tenantId, brokerClientId } = state;
  if (tenant.toLowerCase() !== tenantId.toLowerCase()) {
    return entraError(
      state,
      400,
      'invalid_request',
      'AADSTS90002',
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  }
  if (form.get('grant_type') !== 'client_credentials') {
    return entraError(
      state,
      400,
      'unsupported_grant_type',
      'AADSTS70003',
      'The app requested an unsupported grant type.',
    );
  }
  if (form.get('client_id') !== brokerClientId) {
    return entraError(
      state,
      400,
      'unauthorized_client',
      'AADSTS700016',
      `Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory '${tenantId}'.`,
    );
  }
  if (form.get('client_secret') !== state.brokerClientSecret) {
    return entraError(
      state,
      401,
      'invalid_client',
      'AADSTS7000215',
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${brokerClientId}'.`,
    );
  }
  // Client credentials ask for `{resource}/.default`; here the only resource is ARM.
  const scope = form.get('scope') ?? '';
  if (scope.replace(/\/+\.default$/, '') !== state.base) {
    return entraError(
      state,
      400,
      'invalid_scope',
      'AADSTS70011',
      `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    );
  }
  return null;
}

/** `POST /{tenant}/oauth2/v2.0/token`: an app-only access token for ARM (an unsigned JWT). */
export function token(state: AzureState, tenant: string, form: URLSearchParams): Reply {
  const refused = refusal(state, tenant, form);
  if (refused) return refused;
  const now = Math.floor(state.clock.now().getTime() / 1000);
  const payload = {
    aud: `${state.base}/`,
    iss: `https://sts.windows.net/${state.tenantId}/`,
    iat: now,
    nbf: now,
    exp: now + state.tokenLifetimeSeconds,
    appid: state.brokerClientId,
    oid: state.brokerObjectId,
    sub: state.brokerObjectId,
    tid: state.tenantId,
    idtyp: 'app',
  };
  const jwt = `${b64url({ typ: 'JWT', alg: 'none' })}.${b64url(payload)}.`;
  state.issued.add(jwt);
  state.tokensIssued += 1;
  return {
    status: 200,
    body: {
      token_type: 'Bearer',
      expires_in: state.tokenLifetimeSeconds,
      ext_expires_in: state.tokenLifetimeSeconds,
      access_token: jwt,
    },
  };
}

/** ARM's bearer check: a token this fake issued, for ARM's audience, not expired. */
export function authenticate(state: AzureState, req: http.IncomingMessage): void {
  const { base } = state;
  const header = req.headers.authorization;
  const challenge = {
    'www-authenticate': `Bearer authorization_uri="${base}/${state.tenantId}", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`,
  };
  if (!header) {
    throw new ArmFailure(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
      challenge,
    );
  }
  const m = /^Bearer (\S+)$/.exec(header);
  if (!m || !state.issued.has(m[1]!)) {
    throw new ArmFailure(401, 'InvalidAuthenticationToken', 'The access token is invalid.', challenge);
  }
  const payload = JSON.parse(Buffer.from(m[1]!.split('.')[1]!, 'base64url').toString('utf8')) as {
    exp: number;
    aud: string;
  };
  if (payload.aud !== `${base}/`) {
    throw new ArmFailure(
      401,
      'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${payload.aud}'. It should exactly match with one of the allowed audiences '${base}/'.`,
    );
  }
  const now = state.clock.now();
  if (payload.exp * 1000 <= now.getTime()) {
    throw new ArmFailure(
      401,
      'ExpiredAuthenticationToken',
      `The access token expiry UTC time '${new Date(payload.exp * 1000).toUTCString()}' is earlier than current UTC time '${now.toUTCString()}'.`,
    );
  }
}

/** The directory object id a request names, as stored; ARM refuses principals the tenant lacks. */
export function principalOf(state: AzureState, id: unknown): string {
  const text = str(id) ?? '';
  const principal = state.principals.get(text.toLowerCase());
  if (!principal) {
    throw new ArmFailure(
      400,
      'PrincipalNotFound',
      `Principal ${text.replace(/-/g, '')} does not exist in the directory ${state.tenantId}. Check that you have the correct principal ID.`,
    );
  }
  return principal.objectId;
}
