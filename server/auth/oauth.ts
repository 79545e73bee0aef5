/**
 * The broker's OAuth 2.0 authorization server for its own public clients (the extension, the CLI):
 * authorization code flow with mandatory PKCE S256 (OAuth 2.1), rotating refresh tokens, RFC 7009
 * revocation and RFC 8414 metadata. The user signs in on the broker's own page (config accounts)
 * or at the organisation's IdP (see oidc.ts).
 *
 * Every step that gives something away — a code, tokens — happens inside one database transaction
 * that first claims the single-use thing it consumes (`FOR UPDATE`, or `UPDATE … WHERE … IS NULL`),
 * so two racing requests cannot both succeed.
 */
import { SYSTEM_ACTOR } from '../domain/result';
import { appendAuditTx } from '../store/audit';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BrokerConfig } from '../config/schema';
import { verifyPassword } from '../identity/password';
import type { Db, Tx } from '../store/db';
import { json } from '../store/db';
import { oauthClients, redirectUriAllowed, type OAuthClient } from './clients';
import {
  HttpError,
  clientAddress,
  cookie,
  parseCookies,
  readForm,
  redirect,
  sendHtml,
  sendJson,
  single,
} from './http';
import type { IdpIdentity, OidcSignIn } from './oidc';
import { errorPage, loginPage } from './pages';
import { FailureThrottle } from './throttle';
import {
  configUser,
  issuePair,
  lifetimes,
  newFamily,
  newSecret,
  revokeFamily,
  revokeToken,
  rotateRefreshToken,
  sha256,
  type SignIn,
  type TokenLifetimes,
} from './tokens';

/** The one scope: act as the signed-in user on the broker's API. */
export const SCOPES = ['unblock'] as const;
const CODE_TTL_MS = 60_000;
/** Time to type a password, or to get through the IdP's pages (MFA included). */
const TRANSACTION_TTL_MS = 10 * 60_000;
/** Codes are kept this long past expiry so a late replay is still recognised (and revokes). */
const CODE_RETENTION_MS = 24 * 3_600_000;
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const MAX_STATE = 2048;

const WRONG_CREDENTIALS = 'Wrong user name or password.';

export interface OAuthDeps {
  db: Db;
  config: BrokerConfig;
  /** The broker's external base URL (the OAuth issuer), without a trailing slash. */
  issuer: string;
  now: () => Date;
  oidc: OidcSignIn | null;
  /** A hash of a random password: unknown user names cost as much to check as known ones. */
  dummyPasswordHash: string;
}

interface TransactionRow {
  id_hash: string;
  binding_hash: string;
  client_id: string;
  redirect_uri: string;
  state: string | null;
  scope: string;
  code_challenge: string;
  oidc_binding_hash: string | null;
  oidc_nonce: string | null;
  oidc_code_verifier: string | null;
  expires_at: Date;
  completed_at: Date | null;
}

interface CodeRow {
  user_id: string;
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  scope: string;
  sign_in: string;
  family: string;
  expires_at: Date;
  used_at: Date | null;
}

type TokenError = { status: number; error: string; description: string };

/** Equal-length hex digests compared in constant time (a mismatch in length is a mismatch). */
function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Cookie names carry a piece of the transaction's hash so parallel sign-ins in two tabs do not collide. */
const loginCookieNameFromHash = (txHash: string) => `ubk_login_${txHash.slice(0, 16)}`;
const loginCookieName = (tx: string) => loginCookieNameFromHash(sha256(tx));
const oidcCookieName = (state: string) => `ubk_oidc_${sha256(state).slice(0, 16)}`;

export class OAuthServer {
  private readonly clients: Map<string, OAuthClient>;
  private readonly ttl: TokenLifetimes;
  private readonly secureCookies: boolean;
  /** 5 failures per user name, 20 per address, per 15 minutes. */
  private readonly userThrottle = new FailureThrottle(5, 15 * 60_000);
  private readonly addressThrottle = new FailureThrottle(20, 15 * 60_000);

  constructor(private readonly deps: OAuthDeps) {
    this.clients = oauthClients(deps.config);
    this.ttl = lifetimes(deps.config);
    this.secureCookies = deps.issuer.startsWith('https:');
  }

  metadata(): Record<string, unknown> {
    const base = this.deps.issuer;
    return {
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      revocation_endpoint: `${base}/oauth/revoke`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      scopes_supported: [...SCOPES],
      authorization_response_iss_parameter_supported: true,
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const route = ROUTES.get(url.pathname);
    if (!route) return false;
    const json = route.kind === 'json';
    try {
      if (req.method !== route.method) {
        res.setHeader('allow', route.method);
        if (json) sendJson(res, 405, { error: 'invalid_request', error_description: `use ${route.method}` });
        else sendHtml(res, 405, errorPage('Method not allowed', `Use ${route.method}.`));
        return true;
      }
      await route.run(this, req, res, url);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return true;
      }
      const status = e instanceof HttpError ? e.status : 500;
      // Never a stack or an internal message in the response; the log has the details.
      const message = e instanceof HttpError ? e.message : 'Something went wrong on the broker. Try again.';
      if (!(e instanceof HttpError)) console.error(`auth: ${url.pathname} failed:`, e);
      if (json)
        sendJson(res, status, {
          error: status >= 500 ? 'server_error' : 'invalid_request',
          error_description: message,
        });
      else sendHtml(res, status, errorPage('Sign-in failed', message));
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // GET /oauth/authorize

  async authorize(res: ServerResponse, url: URL): Promise<void> {
    const q = url.searchParams;
    const clientId = single(q, 'client_id');
    const client = typeof clientId === 'string' ? this.clients.get(clientId) : undefined;
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
      redirect(res, this.clientRedirect(redirectUri, { error, error_description: description, state }));

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
    const scope = this.parseScope(q.get('scope'));
    if (scope === null) return fail('invalid_scope', `supported scopes: ${SCOPES.join(' ')}`);
    // The broker keeps no sign-in session, so it can never answer without showing a page.
    if (q.get('prompt') === 'none') return fail('login_required', 'the user must sign in');

    const now = this.deps.now();
    const transaction = newSecret();
    const binding = newSecret();
    await this.deps.db.query(
      `INSERT INTO oauth_transactions
         (id_hash, binding_hash, client_id, redirect_uri, state, scope, code_challenge, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        sha256(transaction),
        sha256(binding),
        client.id,
        redirectUri,
        state ?? null,
        scope,
        challenge,
        now,
        new Date(now.getTime() + TRANSACTION_TTL_MS),
      ],
    );
    await this.prune(now);
    sendHtml(res, 200, this.loginHtml(client, transaction), {
      formTargets: [new URL(redirectUri).origin],
      headers: {
        'set-cookie': cookie(loginCookieName(transaction), binding, {
          maxAgeSeconds: TRANSACTION_TTL_MS / 1000,
          // Strict: the login form is only ever posted from the broker's own page.
          sameSite: 'Strict',
          secure: this.secureCookies,
        }),
      },
    });
  }

  private parseScope(raw: string | null): string | null {
    if (raw === null || raw.trim() === '') return SCOPES.join(' ');
    const wanted = [...new Set(raw.split(' ').filter(Boolean))];
    return wanted.every((s) => (SCOPES as readonly string[]).includes(s)) ? wanted.sort().join(' ') : null;
  }

  private loginHtml(
    client: OAuthClient,
    transaction: string,
    extra: { username?: string; error?: string } = {},
  ) {
    return loginPage({
      brokerName: this.deps.config.name,
      clientName: client.name,
      transaction,
      local: this.deps.config.auth.local,
      idpName: this.deps.oidc?.displayName ?? null,
      ...extra,
    });
  }

  /** The client's redirect URI plus response parameters (and `iss`, RFC 9207, against mix-up). */
  private clientRedirect(redirectUri: string, params: Record<string, string | undefined>): string {
    const target = new URL(redirectUri);
    for (const [name, value] of Object.entries({ ...params, iss: this.deps.issuer })) {
      if (value !== undefined) target.searchParams.append(name, value);
    }
    return target.toString();
  }

  /** Drops finished sign-ins and long-dead codes; indexed, so cheap enough to do on every authorize. */
  private async prune(now: Date): Promise<void> {
    await this.deps.db.query('DELETE FROM oauth_transactions WHERE expires_at < $1', [now]);
    await this.deps.db.query('DELETE FROM oauth_codes WHERE expires_at < $1', [
      new Date(now.getTime() - CODE_RETENTION_MS),
    ]);
  }

  /**
   * The pending sign-in named by a form field or query parameter, checked against the cookie the
   * broker set in the browser that started it. Throws HttpError when it is not usable.
   */
  private async pendingTransaction(
    req: IncomingMessage,
    field: ReturnType<typeof single>,
  ): Promise<{ row: TransactionRow; transaction: string }> {
    const restart = 'Start again from the application you were signing in to.';
    const transaction = typeof field === 'string' ? field : undefined;
    if (transaction === undefined) throw new HttpError(400, `This sign-in form is incomplete. ${restart}`);
    const { rows } = await this.deps.db.query<TransactionRow>(
      'SELECT * FROM oauth_transactions WHERE id_hash = $1',
      [sha256(transaction)],
    );
    const row = rows[0];
    if (!row) throw new HttpError(400, `This sign-in has expired or is unknown. ${restart}`);
    const binding = parseCookies(req).get(loginCookieName(transaction));
    // No cookie or another one: the form was posted from another site or browser (login CSRF), or
    // the browser refuses cookies.
    if (binding === undefined || !sameDigest(sha256(binding), row.binding_hash)) {
      throw new HttpError(
        403,
        `This sign-in could not be verified: it did not start in this browser, or cookies are blocked. ${restart}`,
      );
    }
    if (row.completed_at || row.expires_at.getTime() <= this.deps.now().getTime()) {
      throw new HttpError(400, `This sign-in has expired or was already used. ${restart}`);
    }
    return { row, transaction };
  }

  private clientOf(row: TransactionRow): OAuthClient {
    const client = this.clients.get(row.client_id);
    // A client removed from the config between authorize and sign-in.
    if (!client) throw new HttpError(400, 'The application is no longer registered with this broker.');
    return client;
  }

  // -------------------------------------------------------------------------------------------
  // POST /oauth/login

  async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.deps.config.auth.local) throw new HttpError(404, 'Local sign-in is disabled on this broker.');
    const form = await readForm(req);
    const { row, transaction: tx } = await this.pendingTransaction(req, single(form, 'tx'));
    const client = this.clientOf(row);
    const usernameField = single(form, 'username');
    const passwordField = single(form, 'password');
    const username = (typeof usernameField === 'string' ? usernameField : '')
      .trim()
      .toLowerCase()
      .slice(0, 128);
    const password = typeof passwordField === 'string' ? passwordField : '';
    const formTargets = [new URL(row.redirect_uri).origin];

    const now = this.deps.now().getTime();
    const address = clientAddress(req);
    const wait = Math.max(
      this.userThrottle.retryAfterMs(username, now),
      this.addressThrottle.retryAfterMs(address, now),
    );
    if (wait > 0) {
      const minutes = Math.ceil(wait / 60_000);
      sendHtml(
        res,
        429,
        this.loginHtml(client, tx, {
          username,
          error: `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
        }),
        { formTargets, headers: { 'retry-after': String(Math.ceil(wait / 1000)) } },
      );
      return;
    }

    const user = configUser(this.deps.config, username);
    const stored = user?.passwordHash;
    // Always run scrypt, even for unknown users: the response time must not reveal which names exist.
    const matches = await verifyPassword(password, stored ?? this.deps.dummyPasswordHash);
    if (!user || stored === undefined || !matches) {
      this.userThrottle.fail(username, now);
      this.addressThrottle.fail(address, now);
      sendHtml(res, 200, this.loginHtml(client, tx, { username, error: WRONG_CREDENTIALS }), { formTargets });
      return;
    }
    this.userThrottle.clear(username);
    if (await this.disabled(this.deps.db, user.name)) {
      sendHtml(res, 403, errorPage('Account disabled', 'This account is disabled. Ask an administrator.'));
      return;
    }
    // The row other parts of the broker read (display name, cloud identities). Groups are left
    // alone: for local sign-ins they come from the config on every request, never from here.
    await this.deps.db.query(
      `INSERT INTO users (id, display_name, email, cloud_identities, updated_at)
       VALUES ($1, $2, $3, $4::jsonb, $5)
       ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, email = EXCLUDED.email,
         cloud_identities = EXCLUDED.cloud_identities, updated_at = EXCLUDED.updated_at`,
      [user.name, user.displayName ?? null, user.email ?? null, json(user.identities), new Date(now)],
    );
    await this.finishSignIn(res, row, user.name, 'local', []);
  }

  private async disabled(db: Pick<Tx, 'query'>, userId: string): Promise<boolean> {
    const { rows } = await db.query<{ disabled_at: Date | null }>(
      'SELECT disabled_at FROM users WHERE id = $1',
      [userId],
    );
    return Boolean(rows[0]?.disabled_at);
  }

  /** Marks the transaction done, issues the code, and sends the browser back to the client. */
  private async finishSignIn(
    res: ServerResponse,
    row: TransactionRow,
    userId: string,
    signIn: SignIn,
    /** Cookies of this sign-in besides the login cookie, to clear. */
    otherCookies: string[],
  ): Promise<void> {
    const now = this.deps.now();
    const code = newSecret();
    const issued = await this.deps.db.transaction(async (tx) => {
      // The claim: only one request can complete a transaction.
      const { rows } = await tx.query(
        `UPDATE oauth_transactions SET completed_at = $2
          WHERE id_hash = $1 AND completed_at IS NULL AND expires_at > $2 RETURNING id_hash`,
        [row.id_hash, now],
      );
      if (rows.length === 0) return false;
      await tx.query(
        `INSERT INTO oauth_codes
           (hash, user_id, client_id, redirect_uri, code_challenge, scope, sign_in, family, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          sha256(code),
          userId,
          row.client_id,
          row.redirect_uri,
          row.code_challenge,
          row.scope,
          signIn,
          newFamily(),
          now,
          new Date(now.getTime() + CODE_TTL_MS),
        ],
      );
      return true;
    });
    if (!issued)
      throw new HttpError(
        400,
        'This sign-in has expired or was already used. Start again from the application.',
      );
    // The login cookie's name comes from sha256(transaction id), which is the row's key.
    const expire = [loginCookieNameFromHash(row.id_hash), ...otherCookies].map((name) =>
      cookie(name, '', { maxAgeSeconds: 0, sameSite: 'Lax', secure: this.secureCookies }),
    );
    redirect(res, this.clientRedirect(row.redirect_uri, { code, state: row.state ?? undefined }), {
      'set-cookie': expire,
    });
  }

  // -------------------------------------------------------------------------------------------
  // GET /oauth/oidc/start, GET /oauth/oidc/callback

  async oidcStart(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const oidc = this.deps.oidc;
    if (!oidc)
      throw new HttpError(404, 'Sign-in with an identity provider is not configured on this broker.');
    const { row } = await this.pendingTransaction(req, single(url.searchParams, 'tx'));
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
    await this.deps.db.query(
      `UPDATE oauth_transactions
          SET oidc_state_hash = $2, oidc_binding_hash = $3, oidc_nonce = $4, oidc_code_verifier = $5
        WHERE id_hash = $1`,
      [row.id_hash, sha256(upstream.state), sha256(binding), upstream.nonce, upstream.codeVerifier],
    );
    redirect(res, upstream.url.toString(), {
      // Lax, not Strict: the IdP's redirect back is a cross-site navigation, which drops Strict cookies.
      'set-cookie': cookie(oidcCookieName(upstream.state), binding, {
        maxAgeSeconds: TRANSACTION_TTL_MS / 1000,
        sameSite: 'Lax',
        secure: this.secureCookies,
      }),
    });
  }

  async oidcCallback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const oidc = this.deps.oidc;
    if (!oidc)
      throw new HttpError(404, 'Sign-in with an identity provider is not configured on this broker.');
    const restart = 'Start again from the application you were signing in to.';
    const state = single(url.searchParams, 'state');
    if (typeof state !== 'string')
      throw new HttpError(400, `The identity provider's answer is incomplete. ${restart}`);
    const { rows } = await this.deps.db.query<TransactionRow>(
      'SELECT * FROM oauth_transactions WHERE oidc_state_hash = $1',
      [sha256(state)],
    );
    const row = rows[0];
    if (!row) throw new HttpError(400, `This sign-in has expired or is unknown. ${restart}`);
    const binding = parseCookies(req).get(oidcCookieName(state));
    // Binds the IdP's answer to the browser that went there: otherwise an attacker could send a
    // victim a callback link carrying the attacker's own IdP sign-in.
    if (
      binding === undefined ||
      !row.oidc_binding_hash ||
      !sameDigest(sha256(binding), row.oidc_binding_hash)
    ) {
      throw new HttpError(
        403,
        `This sign-in could not be verified: it did not start in this browser, or cookies are blocked. ${restart}`,
      );
    }
    if (row.completed_at || row.expires_at.getTime() <= this.deps.now().getTime()) {
      throw new HttpError(400, `This sign-in has expired or was already used. ${restart}`);
    }
    const idpError = url.searchParams.get('error');
    if (idpError !== null) {
      await this.deps.db.query('UPDATE oauth_transactions SET completed_at = $2 WHERE id_hash = $1', [
        row.id_hash,
        this.deps.now(),
      ]);
      redirect(
        res,
        this.clientRedirect(row.redirect_uri, {
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
      const callbackUrl = new URL(`${this.deps.issuer}/oauth/oidc/callback${url.search}`);
      claims = await oidc.finish(callbackUrl, {
        state,
        nonce: row.oidc_nonce ?? '',
        codeVerifier: row.oidc_code_verifier ?? '',
      });
    } catch (e) {
      console.error('auth: OIDC sign-in failed:', e);
      throw new HttpError(502, `The sign-in with ${oidc.displayName} could not be completed. ${restart}`);
    }
    const mapped = oidc.identity(claims);
    if (!mapped.ok) {
      sendHtml(res, 403, errorPage('Cannot sign you in', mapped.message));
      return;
    }
    const identity = mapped.identity;
    if (await this.disabled(this.deps.db, identity.username)) {
      sendHtml(res, 403, errorPage('Account disabled', 'This account is disabled. Ask an administrator.'));
      return;
    }
    await this.upsertIdpUser(identity);
    await this.finishSignIn(res, row, identity.username, 'oidc', [oidcCookieName(state)]);
  }

  /**
   * `users.groups` holds the IdP's groups claim as of the last sign-in (authenticate unions it with
   * the config's groups). Cloud identities: the config's, where it names the user, over the IdP's.
   */
  private async upsertIdpUser(identity: IdpIdentity): Promise<void> {
    const configured = configUser(this.deps.config, identity.username);
    const identities = { ...identity.identities, ...configured?.identities };
    await this.deps.db.query(
      `INSERT INTO users (id, display_name, email, groups, cloud_identities, updated_at)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6)
       ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, email = EXCLUDED.email,
         groups = EXCLUDED.groups, cloud_identities = EXCLUDED.cloud_identities, updated_at = EXCLUDED.updated_at`,
      [
        identity.username,
        configured?.displayName ?? identity.displayName,
        configured?.email ?? identity.email,
        json(identity.groups),
        json(identities),
        this.deps.now(),
      ],
    );
  }

  // -------------------------------------------------------------------------------------------
  // POST /oauth/token

  async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const result = await this.tokenResult(form);
    if ('error' in result) {
      sendJson(res, result.status, { error: result.error, error_description: result.description });
      return;
    }
    sendJson(res, 200, {
      access_token: result.accessToken,
      token_type: 'Bearer',
      expires_in: result.expiresIn,
      refresh_token: result.refreshToken,
      scope: result.scope,
    });
  }

  private async tokenResult(form: URLSearchParams) {
    const bad = (error: string, description: string, status = 400): TokenError => ({
      status,
      error,
      description,
    });
    const repeated = [...new Set(form.keys())].find((k) => form.getAll(k).length > 1);
    if (repeated) return bad('invalid_request', `${repeated} is repeated`);
    const clientId = form.get('client_id');
    if (!clientId) return bad('invalid_request', 'client_id is required');
    if (!this.clients.has(clientId)) return bad('invalid_client', 'unknown client_id');
    const grantType = form.get('grant_type');
    const now = this.deps.now();
    if (grantType === 'authorization_code') {
      const code = form.get('code');
      const redirectUri = form.get('redirect_uri');
      const verifier = form.get('code_verifier');
      if (!code || !redirectUri || !verifier) {
        return bad('invalid_request', 'code, redirect_uri and code_verifier are required');
      }
      if (!CODE_VERIFIER.test(verifier)) return bad('invalid_request', 'code_verifier is malformed');
      return this.deps.db.transaction(async (tx) => {
        const { rows } = await tx.query<CodeRow>('SELECT * FROM oauth_codes WHERE hash = $1 FOR UPDATE', [
          sha256(code),
        ]);
        const row = rows[0];
        if (!row) return bad('invalid_grant', 'the code is not valid');
        if (row.used_at) {
          // Replayed: whoever redeemed it first may have been an attacker. Cut everything it produced.
          await revokeFamily(tx, row.family, now);
          await appendAuditTx(tx, {
            actor: SYSTEM_ACTOR,
            type: 'auth.code-reused',
            subject: row.user_id,
            details: { clientId, family: row.family, action: 'revoked the tokens issued for the code' },
            at: now,
          });
          return bad('invalid_grant', 'the code was already used; the tokens issued for it are revoked');
        }
        // Spent on first presentation, whatever follows: no second try with another verifier.
        await tx.query('UPDATE oauth_codes SET used_at = $2 WHERE hash = $1', [sha256(code), now]);
        if (row.expires_at.getTime() <= now.getTime()) return bad('invalid_grant', 'the code has expired');
        if (row.client_id !== clientId) return bad('invalid_grant', 'the code was issued to another client');
        if (row.redirect_uri !== redirectUri)
          return bad('invalid_grant', 'redirect_uri does not match the authorization request');
        if (!sameDigest(s256(verifier), row.code_challenge)) {
          return bad('invalid_grant', 'code_verifier does not match the code_challenge');
        }
        const signIn: SignIn = row.sign_in === 'oidc' ? 'oidc' : 'local';
        if (!(await this.userMayContinue(tx, row.user_id, signIn)))
          return bad('invalid_grant', 'the user is disabled');
        await appendAuditTx(tx, {
          actor: row.user_id,
          type: 'auth.signed-in',
          subject: row.user_id,
          details: { clientId, signIn, family: row.family },
          at: now,
        });
        return issuePair(
          tx,
          { userId: row.user_id, clientId, scope: row.scope, family: row.family, signIn },
          now,
          this.ttl,
        );
      });
    }
    if (grantType === 'refresh_token') {
      const refreshToken = form.get('refresh_token');
      if (!refreshToken) return bad('invalid_request', 'refresh_token is required');
      const scope = form.get('scope');
      if (scope !== null && this.parseScope(scope) === null)
        return bad('invalid_scope', 'the scope was not granted');
      const outcome = await this.deps.db.transaction((tx) =>
        rotateRefreshToken(tx, refreshToken, clientId, now, this.ttl, (user, signIn) =>
          this.userMayContinue(tx, user, signIn),
        ),
      );
      if (outcome.ok) return outcome.pair;
      const why: Record<typeof outcome.reason, string> = {
        unknown: 'the refresh token is not valid',
        'wrong-client': 'the refresh token was issued to another client',
        revoked: 'the refresh token has been revoked',
        expired: 'the refresh token has expired',
        reused: 'the refresh token was already used; its whole family is revoked',
        'user-gone': 'the user is disabled or no longer exists',
      };
      return bad('invalid_grant', why[outcome.reason]);
    }
    if (!grantType) return bad('invalid_request', 'grant_type is required');
    return bad('unsupported_grant_type', 'supported: authorization_code, refresh_token');
  }

  private async userMayContinue(tx: Pick<Tx, 'query'>, userId: string, signIn: SignIn): Promise<boolean> {
    if (await this.disabled(tx, userId)) return false;
    return signIn === 'oidc' || configUser(this.deps.config, userId) !== undefined;
  }

  // -------------------------------------------------------------------------------------------
  // POST /oauth/revoke

  async revoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const token = form.get('token');
    const clientId = form.get('client_id');
    if (!token)
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'token is required' });
    if (!clientId || !this.clients.has(clientId)) {
      return sendJson(res, 400, { error: 'invalid_client', error_description: 'unknown client_id' });
    }
    const now = this.deps.now();
    await this.deps.db.transaction((tx) => revokeToken(tx, token, clientId, now));
    res.writeHead(200, { 'cache-control': 'no-store' });
    res.end();
  }
}

interface Route {
  method: 'GET' | 'POST';
  /** How errors are answered: OAuth JSON for the client endpoints, a page for the browser ones. */
  kind: 'json' | 'html';
  run(server: OAuthServer, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

const ROUTES = new Map<string, Route>(
  Object.entries({
    '/.well-known/oauth-authorization-server': {
      method: 'GET',
      kind: 'json',
      run: (s, _req, res) => {
        sendJson(res, 200, s.metadata(), { 'cache-control': 'public, max-age=3600' });
        return Promise.resolve();
      },
    },
    '/oauth/authorize': { method: 'GET', kind: 'html', run: (s, _req, res, url) => s.authorize(res, url) },
    '/oauth/login': { method: 'POST', kind: 'html', run: (s, req, res) => s.login(req, res) },
    '/oauth/oidc/start': {
      method: 'GET',
      kind: 'html',
      run: (s, req, res, url) => s.oidcStart(req, res, url),
    },
    '/oauth/oidc/callback': {
      method: 'GET',
      kind: 'html',
      run: (s, req, res, url) => s.oidcCallback(req, res, url),
    },
    '/oauth/token': { method: 'POST', kind: 'json', run: (s, req, res) => s.token(req, res) },
    '/oauth/revoke': { method: 'POST', kind: 'json', run: (s, req, res) => s.revoke(req, res) },
  } satisfies Record<string, Route>),
);

/** The authorization server's endpoints (path → method), for the OpenAPI document and its tests. */
export const AUTH_ENDPOINTS: ReadonlyMap<string, 'GET' | 'POST'> = new Map(
  [...ROUTES].map(([path, route]) => [path, route.method]),
);
