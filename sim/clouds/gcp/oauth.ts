/**
 * Google's OAuth token endpoint, the JWT-bearer grant a service account uses (an RS256 assertion
 * signed with its key), and the bearer check every other API of the fake makes of the tokens.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { decodeJwt, jwtVerify } from 'jose';
import type { GcpState } from './state';
import { GoogleHttpError } from './wire';

/** Access tokens last an hour (less a second, as Google answers). */
const TOKEN_LIFETIME_S = 3599;

const SHORT_LIVED =
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';

/** An OAuth error: `{ error, error_description }` with status 400. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

/** `POST /token` (form): an access token for the assertion's service account. */
export async function issueToken(state: GcpState, form: URLSearchParams, tokenUrl: string): Promise<unknown> {
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
    throw new OAuthError('unsupported_grant_type', 'Invalid grant_type: ' + (form.get('grant_type') ?? ''));
  }
  const assertion = form.get('assertion') ?? '';
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw new OAuthError('invalid_grant', 'Invalid JWT: malformed assertion.');
  }
  const account = typeof claims.iss === 'string' ? state.accounts.get(claims.iss) : undefined;
  if (!account) throw new OAuthError('invalid_grant', 'Invalid grant: account not found');
  // The assertion is signed by the account's key, addressed to the token URL, and current.
  try {
    await jwtVerify(assertion, account.key, {
      algorithms: ['RS256'],
      audience: tokenUrl,
      currentDate: state.clock.now(),
      clockTolerance: 60,
      requiredClaims: ['iat', 'exp'],
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new OAuthError(
      'invalid_grant',
      code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'Invalid JWT Signature.' : SHORT_LIVED,
    );
  }
  // Google accepts assertions valid for an hour at most.
  if ((claims.exp ?? 0) - (claims.iat ?? 0) > 3600) throw new OAuthError('invalid_grant', SHORT_LIVED);
  if (typeof claims.scope !== 'string' || !claims.scope) {
    throw new OAuthError('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
  }
  const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
  state.tokens.set(accessToken, {
    email: claims.iss!,
    expiresAt: state.clock.now().getTime() + TOKEN_LIFETIME_S * 1000,
  });
  state.tokensIssued += 1;
  return { access_token: accessToken, expires_in: TOKEN_LIFETIME_S, token_type: 'Bearer' };
}

/** The service account behind the request's bearer token; 401 UNAUTHENTICATED without a live one. */
export function authenticate(state: GcpState, req: http.IncomingMessage): { email: string } {
  const header = req.headers.authorization;
  if (!header?.startsWith('Bearer ')) {
    throw new GoogleHttpError(
      401,
      'UNAUTHENTICATED',
      'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    );
  }
  const token = state.tokens.get(header.slice('Bearer '.length));
  if (!token || token.expiresAt <= state.clock.now().getTime()) {
    throw new GoogleHttpError(
      401,
      'UNAUTHENTICATED',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    );
  }
  return { email: token.email };
}
