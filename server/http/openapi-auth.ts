/**
 * The OpenAPI description of the authorization server's endpoints (server/auth). They are not in
 * `ROUTES`: they speak OAuth's own formats (form posts, redirects, HTML pages) rather than the
 * JSON contract, and the auth module serves them. Tests check this list against the endpoints the
 * auth module actually serves, so neither can grow alone.
 */
import type { JsonSchema } from './json-schema';

const form = (properties: Record<string, JsonSchema>, required: string[]): JsonSchema => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties, required } } },
});
const str = (description: string): JsonSchema => ({ type: 'string', description });
const query = (name: string, description: string, required = true): JsonSchema => ({
  name,
  in: 'query',
  required,
  schema: { type: 'string' },
  description,
});
const oauthError = {
  description: 'RFC 6749 §5.2 error',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: { error: { type: 'string' }, error_description: { type: 'string' } },
        required: ['error'],
      },
    },
  },
};
const tokenResponse = {
  description: 'Tokens (RFC 6749 §5.1); `Cache-Control: no-store`',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          access_token: { type: 'string' },
          token_type: { const: 'Bearer' },
          expires_in: { type: 'integer' },
          refresh_token: { type: 'string' },
          scope: { type: 'string' },
        },
        required: ['access_token', 'token_type', 'expires_in', 'refresh_token'],
      },
    },
  },
};
const page = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});
const redirect = (description: string) => ({
  description,
  headers: { Location: { schema: { type: 'string' } } },
});

export const AUTH_PATHS: Record<
  string,
  Record<'get' | 'post', JsonSchema> | Record<'get', JsonSchema> | Record<'post', JsonSchema>
> = {
  '/.well-known/oauth-authorization-server': {
    get: {
      operationId: 'getAuthorizationServerMetadata',
      tags: ['auth'],
      summary: 'OAuth 2.0 authorization server metadata (RFC 8414)',
      responses: {
        200: { description: 'The metadata', content: { 'application/json': { schema: { type: 'object' } } } },
      },
    },
  },
  '/oauth/authorize': {
    get: {
      operationId: 'authorize',
      tags: ['auth'],
      summary: 'Start sign-in: authorization code with PKCE (S256 only) for a registered public client',
      parameters: [
        query('response_type', '`code`'),
        query('client_id', '`unblock-extension`, `unblock-cli` or a configured client'),
        query('redirect_uri', 'One of the client’s registered redirect URIs (loopback: any port)'),
        query('code_challenge', 'BASE64URL(SHA-256(code_verifier))'),
        query('code_challenge_method', '`S256`'),
        query('state', 'Opaque value returned with the code', false),
        query('scope', '`unblock` (the default)', false),
      ],
      responses: {
        200: page('The broker’s sign-in page (local accounts and/or the configured identity provider)'),
        302: redirect('Back to redirect_uri with `error=` (RFC 6749 §4.1.2.1)'),
        400: page('Unknown client or unregistered redirect URI: never redirected'),
      },
    },
  },
  '/oauth/login': {
    post: {
      operationId: 'login',
      tags: ['auth'],
      summary: 'The sign-in page’s form: a local account’s user name and password',
      requestBody: form(
        {
          tx: str('The sign-in transaction from the page'),
          username: str('User name'),
          password: str('Password'),
        },
        ['tx', 'username', 'password'],
      ),
      responses: {
        302: redirect('To redirect_uri with `code`, `state` and `iss`'),
        200: page('The page again, saying the user name or password is wrong'),
        403: page('The form did not come from this browser’s sign-in page (CSRF)'),
        413: page('Body over 64 kB'),
        429: page('Too many failed attempts; wait and try again'),
      },
    },
  },
  '/oauth/oidc/start': {
    get: {
      operationId: 'oidcStart',
      tags: ['auth'],
      summary: 'Continue sign-in at the configured OpenID Connect provider',
      parameters: [query('tx', 'The sign-in transaction from the page')],
      responses: { 302: redirect('To the identity provider'), 400: page('Unknown or expired transaction') },
    },
  },
  '/oauth/oidc/callback': {
    get: {
      operationId: 'oidcCallback',
      tags: ['auth'],
      summary: 'Where the identity provider returns; finishes sign-in',
      parameters: [query('code', 'From the provider', false), query('state', 'From the provider')],
      responses: {
        302: redirect('To the client’s redirect_uri with `code` (or `error`)'),
        403: page('Refused: another browser, or a user name the broker cannot use'),
        502: page('The identity provider could not be reached'),
      },
    },
  },
  '/oauth/token': {
    post: {
      operationId: 'token',
      tags: ['auth'],
      summary: 'Exchange a code (with its PKCE verifier) or rotate a refresh token',
      requestBody: form(
        {
          grant_type: { enum: ['authorization_code', 'refresh_token'] },
          client_id: str('The client the code or token was issued to'),
          code: str('authorization_code: the code from the redirect (single use, 60 s)'),
          redirect_uri: str('authorization_code: the same redirect_uri as in the authorization request'),
          code_verifier: str('authorization_code: the PKCE verifier'),
          refresh_token: str(
            'refresh_token: the current refresh token (a replaced one revokes the whole family)',
          ),
        },
        ['grant_type', 'client_id'],
      ),
      responses: { 200: tokenResponse, 400: oauthError, 413: oauthError },
    },
  },
  '/oauth/revoke': {
    post: {
      operationId: 'revokeToken',
      tags: ['auth'],
      summary:
        'Revoke an access, refresh or API token (RFC 7009); a refresh token revokes its family. An API token needs no client_id',
      requestBody: form(
        {
          token: str('The token'),
          client_id: str('The client (required for access and refresh tokens)'),
          token_type_hint: str('Optional'),
        },
        ['token'],
      ),
      responses: { 200: { description: 'Revoked, or was never valid (RFC 7009 §2.2)' }, 400: oauthError },
    },
  },
};
