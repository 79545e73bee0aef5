/**
 * GET /oauth/oidc/start and GET /oauth/oidc/callback: signing in at the organisation's IdP (the
 * OpenID Connect client itself is oidc.ts). The start attaches an IdP leg to the pending sign-in
 * and binds it to this browser with a second cookie; the callback finds the sign-in by the IdP's
 * state, checks that cookie, and completes the sign-in with the identity the IdP vouched for.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  endOAuthTransaction,
  findOAuthTransactionByIdpState,
  startIdpLeg,
} from '../store/oauth-transactions';
import { isUserDisabled, upsertIdpUser } from '../store/users';
import { HttpError, cookie, parseCookies, redirect, sendHtml, single } from './http';
import {
  TRANSACTION_TTL_MS,
  clientRedirect,
  oidcCookieName,
  sameDigest,
  type OAuthContext,
} from './oauth-context';
import type { IdpIdentity, OidcSignIn } from './oidc';
import { errorPage } from './pages';
import { RESTART, assertOpen, finishSignIn, notThisBrowser, pendingTransaction } from './sign-in';
import { configUser, newSecret, sha256 } from './tokens';

function configuredIdp(ctx: OAuthContext): OidcSignIn {
  const oidc = ctx.deps.oidc;
  if (!oidc) throw new HttpError(404, 'Sign-in with an identity provider is not configured on this broker.');
  return oidc;
}

export async function oidcStart(
  ctx: OAuthContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const oidc = configuredIdp(ctx);
  const { row } = await pendingTransaction(ctx, req, single(url.searchParams, 'tx'));
  let upstream;
  try {
    upstream = await oidc.start();
  } catch (e) {
    console.error('auth: OIDC discovery failed:', e);
    throw new HttpError(
      502,
      `The identity provider (${oidc.displayName}) cannot be reached. Try again later.`,
    );
  }
  const binding = newSecret();
  await startIdpLeg(ctx.deps.db, row.idHash, {
    stateHash: sha256(upstream.state),
    bindingHash: sha256(binding),
    nonce: upstream.nonce,
    codeVerifier: upstream.codeVerifier,
  });
  redirect(res, upstream.url.toString(), {
    // Lax, not Strict: the IdP's redirect back is a cross-site navigation, which drops Strict cookies.
    'set-cookie': cookie(oidcCookieName(upstream.state), binding, {
      maxAgeSeconds: TRANSACTION_TTL_MS / 1000,
      sameSite: 'Lax',
      secure: ctx.secureCookies,
    }),
  });
}

export async function oidcCallback(
  ctx: OAuthContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const oidc = configuredIdp(ctx);
  const state = single(url.searchParams, 'state');
  if (typeof state !== 'string')
    throw new HttpError(400, `The identity provider's answer is incomplete. ${RESTART}`);
  const row = await findOAuthTransactionByIdpState(ctx.deps.db, sha256(state));
  if (!row) throw new HttpError(400, `This sign-in has expired or is unknown. ${RESTART}`);
  const binding = parseCookies(req).get(oidcCookieName(state));
  // Binds the IdP's answer to the browser that went there: otherwise an attacker could send a
  // victim a callback link carrying the attacker's own IdP sign-in.
  if (binding === undefined || !row.oidcBindingHash || !sameDigest(sha256(binding), row.oidcBindingHash)) {
    throw notThisBrowser();
  }
  assertOpen(ctx, row);
  const idpError = url.searchParams.get('error');
  if (idpError !== null) {
    await endOAuthTransaction(ctx.deps.db, row.idHash, ctx.deps.now());
    redirect(
      res,
      clientRedirect(ctx, row.redirectUri, {
        error: 'access_denied',
        error_description: `the identity provider did not sign the user in (${idpError.slice(0, 100)})`,
        state: row.state ?? undefined,
      }),
    );
    return;
  }
  let claims: Record<string, unknown>;
  try {
    // The URL the IdP redirected to, rebuilt from the configured public URL (not the Host header).
    const callbackUrl = new URL(`${ctx.deps.issuer}/oauth/oidc/callback${url.search}`);
    claims = await oidc.finish(callbackUrl, {
      state,
      nonce: row.oidcNonce ?? '',
      codeVerifier: row.oidcCodeVerifier ?? '',
    });
  } catch (e) {
    console.error('auth: OIDC sign-in failed:', e);
    throw new HttpError(502, `The sign-in with ${oidc.displayName} could not be completed. ${RESTART}`);
  }
  const mapped = oidc.identity(claims);
  if (!mapped.ok) {
    sendHtml(res, 403, errorPage('Cannot sign you in', mapped.message));
    return;
  }
  const identity = mapped.identity;
  if (await isUserDisabled(ctx.deps.db, identity.username)) {
    sendHtml(res, 403, errorPage('Account disabled', 'This account is disabled. Ask an administrator.'));
    return;
  }
  await saveIdpUser(ctx, identity);
  await finishSignIn(ctx, res, row, identity.username, 'oidc', [oidcCookieName(state)]);
}

/**
 * `users.groups` holds the IdP's groups claim as of the last sign-in (authenticate unions it with
 * the config's groups). Cloud identities: the config's, where it names the user, over the IdP's.
 */
async function saveIdpUser(ctx: OAuthContext, identity: IdpIdentity): Promise<void> {
  const configured = configUser(ctx.deps.config, identity.username);
  await upsertIdpUser(ctx.deps.db, {
    id: identity.username,
    displayName: configured?.displayName ?? identity.displayName,
    email: configured?.email ?? identity.email,
    groups: identity.groups,
    cloudIdentities: { ...identity.identities, ...configured?.identities },
    updatedAt: ctx.deps.now(),
  });
}
