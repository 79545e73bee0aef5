/**
 * GET /oauth/authorize: checks the client's request (registered client and redirect URI first, so
 * no error is ever sent to an address nobody registered; then PKCE S256, scope, prompt), parks it
 * as a sign-in in progress, and shows the sign-in page bound to this browser by a cookie.
 */
import type { ServerResponse } from 'node:http';
import { deleteOAuthCodesExpiredBefore } from '../store/oauth-codes';
import { deleteExpiredOAuthTransactions, insertOAuthTransaction } from '../store/oauth-transactions';
import { redirectUriAllowed } from './clients';
import { cookie, redirect, sendHtml, single } from './http';
import {
  CODE_RETENTION_MS,
  SCOPES,
  TRANSACTION_TTL_MS,
  clientRedirect,
  loginCookieName,
  loginHtml,
  parseScope,
  type OAuthContext,
} from './oauth-context';
import { errorPage } from './pages';
import { newSecret, sha256 } from './tokens';

const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const MAX_STATE = 2048;

export async function authorize(ctx: OAuthContext, res: ServerResponse, url: URL): Promise<void> {
  const q = url.searchParams;
  const clientId = single(q, 'client_id');
  const client = typeof clientId === 'string' ? ctx.clients.get(clientId) : undefined;
  if (!client) {
    sendHtml(
      res,
      400,
      errorPage(
        'Unknown application',
        'The application asking you to sign in is not registered with this broker.',
      ),
    );
    return;
  }
  const redirectUri = single(q, 'redirect_uri');
  // Never redirect to a URI that is not registered: that would hand the user (and errors) to
  // whoever wrote the link.
  if (typeof redirectUri !== 'string' || !redirectUriAllowed(client, redirectUri)) {
    sendHtml(
      res,
      400,
      errorPage('Invalid sign-in link', `The return address is not registered for ${client.name}.`),
    );
    return;
  }
  const stateParam = single(q, 'state');
  const state = typeof stateParam === 'string' ? stateParam : undefined;
  const fail = (error: string, description: string) =>
    redirect(res, clientRedirect(ctx, redirectUri, { error, error_description: description, state }));

  if (typeof stateParam === 'object') return fail('invalid_request', 'state is repeated');
  if (state !== undefined && state.length > MAX_STATE) return fail('invalid_request', 'state is too long');
  const repeated = ['response_type', 'code_challenge', 'code_challenge_method', 'scope', 'prompt'].find(
    (name) => q.getAll(name).length > 1,
  );
  if (repeated) return fail('invalid_request', `${repeated} is repeated`);
  const responseType = q.get('response_type');
  if (!responseType) return fail('invalid_request', 'response_type is required');
  if (responseType !== 'code')
    return fail('unsupported_response_type', 'only response_type=code is supported');
  const method = q.get('code_challenge_method');
  const challenge = q.get('code_challenge');
  if (!challenge) return fail('invalid_request', 'code_challenge is required (PKCE with S256)');
  // An absent method means "plain" (RFC 7636 §4.3), which protects nothing if the request leaks.
  if (method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256');
  if (!CODE_CHALLENGE.test(challenge))
    return fail('invalid_request', 'code_challenge is not a base64url SHA-256');
  const scope = parseScope(q.get('scope'));
  if (scope === null) return fail('invalid_scope', `supported scopes: ${SCOPES.join(' ')}`);
  // The broker keeps no sign-in session, so it can never answer without showing a page.
  if (q.get('prompt') === 'none') return fail('login_required', 'the user must sign in');

  const now = ctx.deps.now();
  const transaction = newSecret();
  const binding = newSecret();
  await insertOAuthTransaction(ctx.deps.db, {
    idHash: sha256(transaction),
    bindingHash: sha256(binding),
    clientId: client.id,
    redirectUri,
    state: state ?? null,
    scope,
    codeChallenge: challenge,
    createdAt: now,
    expiresAt: new Date(now.getTime() + TRANSACTION_TTL_MS),
  });
  await prune(ctx, now);
  sendHtml(res, 200, loginHtml(ctx, client, transaction), {
    formTargets: [new URL(redirectUri).origin],
    headers: {
      'set-cookie': cookie(loginCookieName(transaction), binding, {
        maxAgeSeconds: TRANSACTION_TTL_MS / 1000,
        // Strict: the login form is only ever posted from the broker's own page.
        sameSite: 'Strict',
        secure: ctx.secureCookies,
      }),
    },
  });
}

/** Drops finished sign-ins and long-dead codes; indexed, so cheap enough to do on every authorize. */
async function prune(ctx: OAuthContext, now: Date): Promise<void> {
  await deleteExpiredOAuthTransactions(ctx.deps.db, now);
  await deleteOAuthCodesExpiredBefore(ctx.deps.db, new Date(now.getTime() - CODE_RETENTION_MS));
}
