/**
 * Who is calling: resolved from the bearer token on every API request, never from the body. The
 * HTTP layer hands a `Principal` to the service; everything the service decides about "may this
 * caller…" starts here.
 */
export interface Principal {
  /** The broker user name (lower-case; the local account name or the IdP's username claim). */
  readonly user: string;
  /** Groups from config and, for IdP users, the IdP's groups claim (deduplicated, sorted). */
  readonly groups: readonly string[];
  /** `oauth`: an access token from the authorization server; `api`: `unblock-server token create`. */
  readonly tokenKind: 'oauth' | 'api';
  /** The OAuth client the token was issued to (null for API tokens). */
  readonly clientId: string | null;
}

/** Why a bearer token was not accepted; the HTTP layer answers 401 with this code's message. */
export type AuthFailure = 'missing' | 'malformed' | 'unknown' | 'expired' | 'revoked' | 'disabled';

export type AuthResult =
  { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: AuthFailure };

export const AUTH_FAILURE_MESSAGE: Readonly<Record<AuthFailure, string>> = {
  missing: 'Authorization: Bearer <token> is required',
  malformed: 'the Authorization header is not a bearer token',
  unknown: 'the token is not valid (forged, mistyped, or from another broker)',
  expired: 'the token has expired; refresh it or sign in again',
  revoked: 'the token has been revoked; sign in again',
  disabled: 'the account is disabled',
};
