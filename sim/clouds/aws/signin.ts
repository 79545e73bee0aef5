/**
 * The federation sign-in endpoint (docs/cloud-mechanics.md §1): `getSigninToken` trades a role
 * session's credentials for a one-time sign-in token, `login` trades that for a console session
 * cookie and redirects to `Destination`, and `/oauth?Action=logout` ends the console session.
 */
import type http from 'node:http';
import { logRequest, takeFault, type AwsState } from './state';
import { faultStatus, random, readBody } from './wire';

/** The console session cookie the `login` redirect sets (the consoles read it back). */
export const AWS_CONSOLE_COOKIE = 'aws-sim-console-session';

/** A sign-in token is good for 15 minutes, once. */
const SIGNIN_TOKEN_TTL_MS = 15 * 60_000;

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const text = (status: number, body: string): Reply => ({
  status,
  headers: { 'content-type': 'text/plain' },
  body,
});

const isHttpUrl = (value: string | null): value is string => !!value && /^https?:\/\//.test(value);

function getSigninToken(state: AwsState, form: URLSearchParams): Reply {
  const { clock } = state;
  let creds: { sessionId?: unknown; sessionKey?: unknown; sessionToken?: unknown };
  try {
    creds = JSON.parse(form.get('Session') ?? '') as typeof creds;
  } catch {
    return text(400, 'Session is not JSON');
  }
  const session = typeof creds.sessionId === 'string' ? state.sessions.get(creds.sessionId) : undefined;
  if (
    !session ||
    creds.sessionKey !== session.secretAccessKey ||
    creds.sessionToken !== session.sessionToken ||
    clock.now() >= session.expiresAt
  ) {
    return text(400, 'Invalid or expired session credentials');
  }
  // From credentials of role chaining (a broker on role credentials assumed the role), sign-in
  // fails when AssumeRole carried DurationSeconds (AWS's guide requires an IAM user's long-term
  // keys for that) or the request asks for SessionDuration (docs/cloud-mechanics.md §1.3).
  if (session.chained && (session.durationRequested || form.has('SessionDuration'))) {
    return text(400, 'Credentials of a chained role session cannot take DurationSeconds or SessionDuration');
  }
  // The console session lasts SessionDuration (15 min – 12 h), by default what the role session has left.
  const duration = form.has('SessionDuration')
    ? Number(form.get('SessionDuration'))
    : Math.floor((session.expiresAt.getTime() - clock.now().getTime()) / 1000);
  if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) {
    return text(400, 'SessionDuration must be between 900 and 43200 seconds');
  }
  const token = random(64, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
  state.signinTokens.set(token, {
    session,
    issuedAt: clock.now().getTime(),
    durationSeconds: duration,
    used: false,
  });
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ SigninToken: token }),
  };
}

function login(state: AwsState, form: URLSearchParams): Reply {
  const now = state.clock.now();
  const token = state.signinTokens.get(form.get('SigninToken') ?? '');
  const destination = form.get('Destination') ?? '';
  if (!token || token.used || now.getTime() - token.issuedAt > SIGNIN_TOKEN_TTL_MS) {
    return text(400, 'The sign-in token is invalid, expired or already used');
  }
  if (!isHttpUrl(destination)) return text(400, 'Destination is required');
  token.used = true;
  const cookie = random(48, 'abcdefghijklmnopqrstuvwxyz0123456789');
  state.consoles.set(cookie, {
    // The console signs its own requests: its access key id is not the role session's.
    accessKeyId: `ASIA${random(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
    session: token.session,
    expiresAt: new Date(now.getTime() + token.durationSeconds * 1000),
    loggedOut: false,
  });
  return {
    status: 302,
    headers: {
      location: destination,
      'set-cookie': `${AWS_CONSOLE_COOKIE}=${cookie}; Path=/; Secure; HttpOnly; SameSite=Lax`,
    },
    body: '',
  };
}

function logout(state: AwsState, req: http.IncomingMessage, form: URLSearchParams): Reply {
  const cookie = /(?:^|;\s*)aws-sim-console-session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  const record = cookie ? state.consoles.get(cookie) : undefined;
  if (record) record.loggedOut = true;
  const redirect = form.get('redirect_uri');
  return {
    status: isHttpUrl(redirect) ? 302 : 200,
    headers: {
      ...(isHttpUrl(redirect) ? { location: redirect } : {}),
      'set-cookie': `${AWS_CONSOLE_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax`,
    },
    body: '',
  };
}

async function signinReply(state: AwsState, req: http.IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://signin');
  const form = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
  const action = form.get('Action') ?? '';
  // The credentials and the token are not kept in the log.
  logRequest(
    state,
    'signin',
    action,
    Object.fromEntries([...form].filter(([k]) => k !== 'Session' && k !== 'SigninToken')),
    null,
  );
  const fault = takeFault(state, 'signin', action);
  if (fault) return text(faultStatus(fault.code), fault.code);
  if (url.pathname === '/federation' && action === 'getSigninToken') return getSigninToken(state, form);
  if (url.pathname === '/federation' && action === 'login') return login(state, form);
  if (url.pathname === '/oauth' && action === 'logout') return logout(state, req, form);
  return text(404, 'Not found');
}

/** The sign-in listener (`/federation` and `/oauth`). */
export function signinListener(state: AwsState): http.RequestListener {
  return (req, res) => {
    void (async () => {
      let reply: Reply;
      try {
        reply = await signinReply(state, req);
      } catch (e) {
        reply = text(500, (e as Error).message);
      }
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body === '' ? undefined : reply.body);
    })();
  };
}
