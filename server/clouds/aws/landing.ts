/**
 * Landing the denied console tab: a federation sign-in token for the grant's session (assumed
 * again when not in hand), turned into the one-time `Action=login` URL whose `Destination` is the
 * denied page when it is on the console.
 *
 * Two kinds of broker credentials (docs/cloud-mechanics.md §1.1, §1.3). On an IAM user's keys the
 * console session is asked to last what is left of the grant (`SessionDuration`). On role
 * credentials (role chaining) sign-in fails with `SessionDuration` or after an AssumeRole with
 * `DurationSeconds`, so neither is sent: the console session lasts as long as the credentials, an
 * hour from when they were issued. Each landing then signs in with a session fresh enough to
 * give the user close to that hour (or the rest of the grant), and a session that outlives the
 * grant is denied when the grant ends (revoke.ts).
 */
import type { Grant } from '../../domain';
import type { LandingView } from '../../../lib/contract/api';
import { ProvisionError, type CloudIdentities } from '../../provision/types';
import { consoleDestination } from '../../provision/console-destination';
import type { AwsContext, HeldSession } from './context';
import { CHAINED_MAX_SECONDS, MAX_CONSOLE_SECONDS, MIN_SESSION_SECONDS, sessionPolicy } from './policies';
import { assume, sourceIdentity } from './session';

/** How long AWS honours a sign-in token (the login URL is useless after it). */
const SIGNIN_TOKEN_TTL_MS = 15 * 60_000;
/**
 * On role credentials a console session ends with its credentials: credentials with less than
 * this left (and less than the grant has left) are replaced before signing in.
 */
const CHAINED_FRESH_MS = (CHAINED_MAX_SECONDS - 5 * 60) * 1000;

/** The URL's origin, or null when it is not a URL. */
function originOf(text: string): string | null {
  try {
    return new URL(text).origin;
  } catch {
    return null;
  }
}

/** The login `Destination`: the denied page when it is on the console, else the console home. */
function safeDestination(ctx: AwsContext, destination: string | null): string {
  const home = new URL('/console/home', ctx.consoleBase).toString();
  const url = consoleDestination(destination, ctx.consoleBase, { subdomains: true });
  if (!url) {
    const origin = destination ? originOf(destination) : null;
    if (origin !== null) {
      ctx.log(
        `aws: landing destination ${origin} is not on the console (${ctx.consoleBase.origin}): using the console home`,
      );
    }
    return home;
  }
  // Multi-session console hosts (`<account>-<random>.<region>.console…`) belong to the session
  // being replaced: land on the plain regional host instead.
  const host = ctx.consoleBase.hostname;
  const labels = url.hostname.slice(0, -host.length - 1).split('.');
  if (labels.length > 1 && /^\d{12}-[a-z0-9]+$/.test(labels[0]!)) {
    url.hostname = `${labels.slice(1).join('.')}.${host}`;
  }
  return url.toString();
}

/** `durationSeconds` null: no `SessionDuration` (role credentials). */
async function signinToken(
  ctx: AwsContext,
  session: HeldSession,
  durationSeconds: number | null,
): Promise<string> {
  const params = new URLSearchParams({
    Action: 'getSigninToken',
    ...(durationSeconds === null ? {} : { SessionDuration: String(durationSeconds) }),
    Session: JSON.stringify({
      sessionId: session.credentials.accessKeyId,
      sessionKey: session.credentials.secretAccessKey,
      sessionToken: session.credentials.sessionToken,
    }),
  });
  let res: Response;
  try {
    res = await ctx.fetch(`${ctx.signinUrl}?${params.toString()}`, { signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    // The request URL holds credentials: never include it, only the error's kind.
    throw new ProvisionError(`AWS federation sign-in did not answer (${(e as Error).name})`, true);
  }
  // No error-body contract (and it could echo the request): only the status is reported.
  if (!res.ok) {
    await res.body?.cancel();
    throw new ProvisionError(
      `AWS federation sign-in refused the session (HTTP ${res.status})`,
      res.status >= 500 || res.status === 429,
      `HTTP${res.status}`,
    );
  }
  const body = (await res.json().catch(() => null)) as { SigninToken?: unknown } | null;
  if (typeof body?.SigninToken !== 'string') {
    throw new ProvisionError('AWS federation sign-in answered without a SigninToken', true);
  }
  return body.SigninToken;
}

/** `Provisioner.landing`: a one-time federation login URL into the grant's session. */
export async function consoleLanding(
  ctx: AwsContext,
  grant: Grant,
  identities: CloudIdentities,
  destination: string | null,
): Promise<LandingView> {
  if (['revoking', 'revoke-failed', 'revoked', 'ended'].includes(grant.status)) {
    throw new ProvisionError(`grant ${grant.id} is ${grant.status}: no console session for it`, false);
  }
  const identity = sourceIdentity(grant, identities);
  const at = ctx.now();
  const grantLeft = grant.expiresAt.getTime() - at.getTime();
  if (grantLeft <= 0) throw new ProvisionError(`grant ${grant.id} has ended`, false);
  let session = ctx.held.get(grant.id);
  const policy = sessionPolicy(grant.requestId, grant.actions, grant.resource);
  const credsLeft = session ? session.credentials.expiration.getTime() - at.getTime() : 0;
  // Assume again after a restart (nothing in memory), when the grant changed, or when the
  // session ends soon while the grant goes on (on role credentials: when it would not give the
  // console close to its hour, since the console session ends with it).
  const shortOf = ctx.chained ? Math.min(CHAINED_FRESH_MS, grantLeft) : MIN_SESSION_SECONDS * 1000;
  if (!session || session.policy !== policy || (credsLeft < shortOf && credsLeft < grantLeft)) {
    session = await assume(ctx, grant, identity, null);
  }
  const credsEnd = session.credentials.expiration.getTime();
  let duration: number | null = null;
  let consoleEnd: Date;
  if (ctx.chained) {
    // AWS: without SessionDuration the console session lasts as long as the credentials. Counted
    // here as up to an hour from now, whichever reading of that is AWS's, so that a session
    // outliving the grant is denied at its end.
    consoleEnd = new Date(Math.max(credsEnd, at.getTime() + CHAINED_MAX_SECONDS * 1000));
    ctx.log(
      `aws: grant ${grant.id}: role chaining: console session until ${new Date(credsEnd).toISOString()} (its credentials' end), grant until ${grant.expiresAt.toISOString()}${
        credsEnd < grant.expiresAt.getTime()
          ? '; landing again signs in with a fresh session'
          : "; denied at the grant's end"
      }`,
    );
  } else {
    const left = Math.min(grantLeft, credsEnd - at.getTime());
    duration = Math.min(Math.max(Math.floor(left / 1000), MIN_SESSION_SECONDS), MAX_CONSOLE_SECONDS);
    consoleEnd = new Date(at.getTime() + duration * 1000);
  }
  const token = await signinToken(ctx, session, duration);
  if (consoleEnd > session.latestEnd) session.latestEnd = consoleEnd;
  const params = new URLSearchParams({
    Action: 'login',
    ...(ctx.cloud.issuer ? { Issuer: ctx.cloud.issuer } : {}),
    Destination: safeDestination(ctx, destination),
    SigninToken: token,
  });
  return {
    kind: 'url',
    url: `${ctx.signinPublicUrl}?${params.toString()}`,
    expiresAt: new Date(
      Math.min(at.getTime() + SIGNIN_TOKEN_TTL_MS, grant.expiresAt.getTime()),
    ).toISOString(),
  };
}
