-- 003: the broker's OAuth 2.0 authorization server (server/auth/): pending sign-ins and
-- authorization codes. Like every migration, only SQL that PGlite (Postgres 18) and
-- PostgreSQL 15 both understand. Secrets (transaction ids, browser-binding cookies, codes) are
-- stored only as sha256 hashes, as tokens are in 001.

-- One row per /oauth/authorize that passed validation: the client's request, parked until the user
-- signs in (local password or the IdP). The login form carries the transaction id; the browser
-- that started it carries a cookie whose hash is `binding_hash`, so a form posted from elsewhere
-- (login CSRF) or a transaction id that leaked is not enough.
CREATE TABLE oauth_transactions (
  id_hash text PRIMARY KEY,
  binding_hash text NOT NULL,
  client_id text NOT NULL,
  redirect_uri text NOT NULL,
  state text,
  scope text NOT NULL,
  code_challenge text NOT NULL,
  -- Delegated sign-in (OIDC), set when the user chooses the IdP: the upstream state (hashed, it
  -- finds the row on the callback), a second browser binding (a SameSite=Lax cookie, since the
  -- IdP's redirect back is a cross-site navigation that drops Strict cookies), and the nonce and
  -- PKCE verifier the callback must present to the IdP. Short-lived and single-use.
  oidc_state_hash text UNIQUE,
  oidc_binding_hash text,
  oidc_nonce text,
  oidc_code_verifier text,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  -- Set when the sign-in succeeded and a code was issued: a transaction yields one code at most.
  completed_at timestamptz
);
CREATE INDEX oauth_transactions_expiry ON oauth_transactions (expires_at);

-- Authorization codes: single-use, short-lived, bound to the client, redirect URI and PKCE
-- challenge of the request that produced them.
CREATE TABLE oauth_codes (
  hash text PRIMARY KEY,
  user_id text NOT NULL,
  client_id text NOT NULL,
  redirect_uri text NOT NULL,
  code_challenge text NOT NULL,
  scope text NOT NULL,
  -- How the user signed in ('local' or 'oidc'); the tokens inherit it (see below).
  sign_in text NOT NULL,
  -- The refresh-token family the code's tokens go into: presenting the code a second time
  -- revokes that family (RFC 6749 §4.1.2: the code may have been stolen).
  family text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at);

-- How the token's user signed in: 'local' (config groups only), 'oidc' (the IdP's groups claim
-- stored in users.groups, plus config groups) or 'api' (unblock-server token create: config).
-- Without it a local sign-in would inherit groups from some earlier IdP sign-in.
ALTER TABLE tokens ADD COLUMN sign_in text;
ALTER TABLE refresh_tokens ADD COLUMN sign_in text;
