/**
 * Sign-ins in progress (`oauth_transactions`): finding the one a form or the IdP's answer names,
 * checking it belongs to this browser and is still open, and completing it with an authorization
 * code. Both ways of signing in (login.ts: password, oidc-login.ts: the IdP) end in `finishSignIn`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { insertOAuthCode } from '../store/oauth-codes';
import {
  claimOAuthTransaction,
  findOAuthTransaction,
  type OAuthTransaction,
} from '../store/oauth-transactions';
import type { OAuthClient } from './clients';
import type { single } from './http';
import { HttpError, cookie, parseCookies, redirect } from './http';
import {
  CODE_TTL_MS,
  clientRedirect,
  loginCookieName,
  loginCookieNameFromHash,
  sameDigest,
  type OAuthContext,
} from './oauth-context';
import { newFamily, newSecret, sha256, type SignIn } from './tokens';

export const RESTART = 'Start again from the application you were signing in to.';

/** Thrown when the sign-in cannot be tied to the browser that started it. */
export function notThisBrowser(): HttpError {
  return new HttpError(
    403,
    `This sign-in could not be verified: it did not start in this browser, or cookies are blocked. ${RESTART}`,
  );
}

/** Throws HttpError when the sign-in was completed already or has run out. */
export function assertOpen(ctx: OAuthContext, row: OAuthTransaction): void {
  if (row.completedAt || row.expiresAt.getTime() <= ctx.deps.now().getTime()) {
    throw new HttpError(400, `This sign-in has expired or was already used. ${RESTART}`);
  }
}

/**
 * The pending sign-in named by a form field or query parameter, checked against the cookie the
 * broker set in the browser that started it. Throws HttpError when it is not usable.
 */
export async function pendingTransaction(
  ctx: OAuthContext,
  req: IncomingMessage,
  field: ReturnType<typeof single>,
): Promise<{ row: OAuthTransaction; transaction: string }> {
  const transaction = typeof field === 'string' ? field : undefined;
  if (transaction === undefined) throw new HttpError(400, `This sign-in form is incomplete. ${RESTART}`);
  const row = await findOAuthTransaction(ctx.deps.db, sha256(transaction));
  if (!row) throw new HttpError(400, `This sign-in has expired or is unknown. ${RESTART}`);
  const binding = parseCookies(req).get(loginCookieName(transaction));
  // No cookie or another one: the form was posted from another site or browser (login CSRF), or
  // the browser refuses cookies.
  if (binding === undefined || !sameDigest(sha256(binding), row.bindingHash)) throw notThisBrowser();
  assertOpen(ctx, row);
  return { row, transaction };
}

export function clientOf(ctx: OAuthContext, row: OAuthTransaction): OAuthClient {
  const client = ctx.clients.get(row.clientId);
  // A client removed from the config between authorize and sign-in.
  if (!client) throw new HttpError(400, 'The application is no longer registered with this broker.');
  return client;
}

/** Marks the transaction done, issues the code, and sends the browser back to the client. */
export async function finishSignIn(
  ctx: OAuthContext,
  res: ServerResponse,
  row: OAuthTransaction,
  userId: string,
  signIn: SignIn,
  /** Cookies of this sign-in besides the login cookie, to clear. */
  otherCookies: string[],
): Promise<void> {
  const now = ctx.deps.now();
  const code = newSecret();
  const issued = await ctx.deps.db.transaction(async (tx) => {
    // The claim: only one request can complete a transaction.
    if (!(await claimOAuthTransaction(tx, row.idHash, now))) return false;
    await insertOAuthCode(tx, {
      hash: sha256(code),
      userId,
      clientId: row.clientId,
      redirectUri: row.redirectUri,
      codeChallenge: row.codeChallenge,
      scope: row.scope,
      signIn,
      family: newFamily(),
      createdAt: now,
      expiresAt: new Date(now.getTime() + CODE_TTL_MS),
    });
    return true;
  });
  if (!issued)
    throw new HttpError(
      400,
      'This sign-in has expired or was already used. Start again from the application.',
    );
  // The login cookie's name comes from sha256(transaction id), which is the row's key.
  const expire = [loginCookieNameFromHash(row.idHash), ...otherCookies].map((name) =>
    cookie(name, '', { maxAgeSeconds: 0, sameSite: 'Lax', secure: ctx.secureCookies }),
  );
  redirect(res, clientRedirect(ctx, row.redirectUri, { code, state: row.state ?? undefined }), {
    'set-cookie': expire,
  });
}
