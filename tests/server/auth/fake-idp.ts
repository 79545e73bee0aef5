/**
 * A real OpenID Connect provider (oidc-provider) on 127.0.0.1 standing in for the organisation's
 * IdP. Its login and consent interactions are answered by `interactionFinished` at once, for the
 * account the test chose (or with an error): the broker's side of the flow is what is under test.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface IdpAccount {
  sub: string;
  claims: Record<string, unknown>;
}

export interface FakeIdp {
  issuer: string;
  /** Who "types their password" at the IdP next; null makes the IdP refuse (access_denied). */
  signInAs(account: IdpAccount | null): void;
  close(): Promise<void>;
}

export const IDP_CLIENT = { id: 'unblock-broker', secret: 'idp-client-secret-for-tests-0123456789' };

export async function startFakeIdp(brokerCallback: string): Promise<FakeIdp> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, IdpAccount>();
  let next: IdpAccount | null = null;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: IDP_CLIENT.id,
        client_secret: IDP_CLIENT.secret,
        redirect_uris: [brokerCallback],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      email: ['email'],
      groups: ['groups'],
    },
    cookies: { keys: ['fake-idp-cookie-key-for-tests'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, id: string) => {
      const account = accounts.get(id);
      return account && { accountId: id, claims: () => ({ ...account.claims, sub: account.sub }) };
    },
  });
  const callback = provider.callback();

  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return callback(req, res);
    void (async () => {
      const interaction = await provider.interactionDetails(req, res);
      if (interaction.prompt.name === 'login') {
        if (!next) {
          await provider.interactionFinished(req, res, {
            error: 'access_denied',
            error_description: 'the user cancelled',
          });
          return;
        }
        accounts.set(next.sub, next);
        await provider.interactionFinished(req, res, { login: { accountId: next.sub } });
        return;
      }
      // Consent: grant what the broker asked for, as a first-party IdP configuration would.
      const grant = new provider.Grant({
        accountId: interaction.session!.accountId,
        clientId: String(interaction.params.client_id),
      });
      const { missingOIDCScope, missingOIDCClaims } = interaction.prompt.details;
      if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
      if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId: await grant.save() } },
        { mergeWithLastSubmission: true },
      );
    })().catch((e: unknown) => {
      console.error('fake IdP interaction failed', e);
      res.writeHead(500).end();
    });
  });

  return {
    issuer,
    signInAs(account) {
      next = account;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * oidc-provider prints development-mode notices (in-memory adapter, dev keys, default TTLs, Node
 * version) on every start; in tests they are expected and would bury real output. Returns the
 * function that puts the console back.
 */
export function quietOidcProviderNotices(): () => void {
  const { info, warn } = console;
  const filter =
    (original: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider ')) return;
      original(...args);
    };
  console.info = filter(info);
  console.warn = filter(warn);
  return () => {
    console.info = info;
    console.warn = warn;
  };
}
