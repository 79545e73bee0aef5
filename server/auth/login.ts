/**
 * POST /oauth/login: the broker's own sign-in form for config accounts. Password checks cost the
 * same for unknown user names, failures are throttled per user name and per address, and a
 * successful sign-in completes the pending transaction with a code (sign-in.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyPassword } from '../identity/password';
import { isUserDisabled, upsertLocalUser } from '../store/users';
import { HttpError, clientAddress, readForm, sendHtml, single } from './http';
import { loginHtml, type OAuthContext } from './oauth-context';
import { errorPage } from './pages';
import { clientOf, finishSignIn, pendingTransaction } from './sign-in';
import { configUser } from './tokens';

const WRONG_CREDENTIALS = 'Wrong user name or password.';

export async function login(ctx: OAuthContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { config, db } = ctx.deps;
  if (!config.auth.local) throw new HttpError(404, 'Local sign-in is disabled on this broker.');
  const form = await readForm(req);
  const { row, transaction: tx } = await pendingTransaction(ctx, req, single(form, 'tx'));
  const client = clientOf(ctx, row);
  const usernameField = single(form, 'username');
  const passwordField = single(form, 'password');
  const username = (typeof usernameField === 'string' ? usernameField : '')
    .trim()
    .toLowerCase()
    .slice(0, 128);
  const password = typeof passwordField === 'string' ? passwordField : '';
  const formTargets = [new URL(row.redirectUri).origin];

  const now = ctx.deps.now().getTime();
  const address = clientAddress(req);
  const wait = Math.max(
    ctx.userThrottle.retryAfterMs(username, now),
    ctx.addressThrottle.retryAfterMs(address, now),
  );
  if (wait > 0) {
    const minutes = Math.ceil(wait / 60_000);
    sendHtml(
      res,
      429,
      loginHtml(ctx, client, tx, {
        username,
        error: `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      }),
      { formTargets, headers: { 'retry-after': String(Math.ceil(wait / 1000)) } },
    );
    return;
  }

  const user = configUser(config, username);
  const stored = user?.passwordHash;
  // Always run scrypt, even for unknown users: the response time must not reveal which names exist.
  const matches = await verifyPassword(password, stored ?? ctx.deps.dummyPasswordHash);
  if (!user || stored === undefined || !matches) {
    ctx.userThrottle.fail(username, now);
    ctx.addressThrottle.fail(address, now);
    sendHtml(res, 200, loginHtml(ctx, client, tx, { username, error: WRONG_CREDENTIALS }), { formTargets });
    return;
  }
  ctx.userThrottle.clear(username);
  if (await isUserDisabled(db, user.name)) {
    sendHtml(res, 403, errorPage('Account disabled', 'This account is disabled. Ask an administrator.'));
    return;
  }
  // The row other parts of the broker read (display name, cloud identities). Groups are left
  // alone: for local sign-ins they come from the config on every request, never from here.
  await upsertLocalUser(db, {
    id: user.name,
    displayName: user.displayName ?? null,
    email: user.email ?? null,
    cloudIdentities: user.identities,
    updatedAt: new Date(now),
  });
  await finishSignIn(ctx, res, row, user.name, 'local', []);
}
