/**
 * Delegated sign-in: the broker as an OpenID Connect relying party of the organisation's IdP
 * (Entra ID, Okta, Google, Keycloak…), with openid-client doing the protocol (discovery, PKCE,
 * state/nonce/iss checks, ID token validation). What comes back is mapped to a broker user name,
 * groups and cloud identities by the claim names in `auth.oidc`.
 */
import * as client from 'openid-client';
import type { OidcConfig } from '../config/schema';

/** The config file's user-name rule (server/config/schema.ts): IdP names must fit it too. */
const USER_NAME = /^[a-z][a-z0-9._-]{0,63}$/;

export interface IdpIdentity {
  username: string;
  displayName: string | null;
  email: string | null;
  groups: string[];
  identities: Partial<Record<'aws' | 'azure' | 'gcp', string>>;
}

export interface UpstreamRequest {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export class OidcConfigError extends Error {
  override name = 'OidcConfigError';
}

/** `env:NAME` → the environment variable (secrets stay out of config files); otherwise the value. */
export function resolveSecret(
  value: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (value === undefined || !value.startsWith('env:')) return value;
  const name = value.slice('env:'.length);
  const resolved = env[name];
  if (!resolved) {
    throw new OidcConfigError(
      `auth.oidc.clientSecret names the environment variable ${name}, which is not set`,
    );
  }
  return resolved;
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

export class OidcSignIn {
  private configuration: Promise<client.Configuration> | null = null;
  private readonly secret: string | undefined;
  private readonly issuer: URL;
  /** Shown on the login page's "Sign in with …" button. */
  readonly displayName: string;

  constructor(
    private readonly cfg: OidcConfig,
    /** The broker's own callback, registered at the IdP. */
    private readonly redirectUri: string,
  ) {
    this.secret = resolveSecret(cfg.clientSecret);
    this.issuer = new URL(cfg.issuer);
    if (this.issuer.protocol !== 'https:' && !isLoopback(this.issuer)) {
      throw new OidcConfigError(`auth.oidc.issuer must be an https URL (got ${cfg.issuer})`);
    }
    this.displayName = this.issuer.host;
  }

  /**
   * Discovery happens on first use, not at start: a broker whose IdP is briefly unreachable should
   * still start (and serve local sign-in and API calls). A failed discovery is retried next time.
   */
  private discover(): Promise<client.Configuration> {
    this.configuration ??= client
      .discovery(
        this.issuer,
        this.cfg.clientId,
        this.secret,
        this.secret === undefined ? client.None() : client.ClientSecretBasic(this.secret),
        // Plain http only ever for a loopback issuer (a test IdP on this machine); refused above otherwise.
        this.issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined,
      )
      .catch((e: unknown) => {
        this.configuration = null;
        throw e;
      });
    return this.configuration;
  }

  async start(): Promise<UpstreamRequest> {
    const config = await this.discover();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: this.cfg.scopes,
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, state, nonce, codeVerifier };
  }

  /**
   * The IdP's redirect back: exchange the code (checking state, nonce, iss and PKCE) and return
   * the ID token's claims merged over the UserInfo response, since many IdPs put groups and
   * profile claims only in one of the two.
   */
  async finish(
    callbackUrl: URL,
    expected: { state: string; nonce: string; codeVerifier: string },
  ): Promise<Record<string, unknown>> {
    const config = await this.discover();
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      expectedState: expected.state,
      expectedNonce: expected.nonce,
      pkceCodeVerifier: expected.codeVerifier,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new Error('the IdP returned no ID token');
    let userinfo: Record<string, unknown> = {};
    if (config.serverMetadata().userinfo_endpoint) {
      userinfo = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
    }
    return { ...userinfo, ...idClaims };
  }

  /** The broker identity the claims describe, or why they cannot be one. */
  identity(
    claims: Record<string, unknown>,
  ): { ok: true; identity: IdpIdentity } | { ok: false; message: string } {
    const raw = claims[this.cfg.usernameClaim];
    if (typeof raw !== 'string' || raw === '') {
      return {
        ok: false,
        message: `The identity provider did not send the "${this.cfg.usernameClaim}" claim, which the broker uses as your user name. Ask an administrator to check auth.oidc.usernameClaim.`,
      };
    }
    const username = raw.toLowerCase();
    if (!USER_NAME.test(username)) {
      return {
        ok: false,
        message: `Your identity provider user name "${raw}" cannot be a broker user name (lower-case letters, digits, . _ - starting with a letter, at most 64 characters). Ask an administrator to map a suitable claim with auth.oidc.usernameClaim.`,
      };
    }
    const groupsClaim = claims[this.cfg.groupsClaim];
    const groups = Array.isArray(groupsClaim)
      ? [
          ...new Set(
            groupsClaim.filter((g): g is string => typeof g === 'string' && g.length > 0 && g.length <= 256),
          ),
        ]
      : [];
    const identities: IdpIdentity['identities'] = {};
    for (const cloud of ['aws', 'azure', 'gcp'] as const) {
      const name = this.cfg.identityClaims[cloud];
      const value = name === undefined ? undefined : claims[name];
      if (typeof value === 'string' && value !== '') identities[cloud] = value;
    }
    const str = (name: string) => {
      const value = claims[name];
      return typeof value === 'string' ? value : null;
    };
    return {
      ok: true,
      identity: {
        username,
        displayName: str('name'),
        email: str('email'),
        groups: groups.slice(0, 1000),
        identities,
      },
    };
  }
}
