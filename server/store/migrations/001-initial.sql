-- 001: the broker's first schema. Runs unchanged on PGlite (Postgres 18) and PostgreSQL 15, so it
-- sticks to their common subset. Never edit this file once released: migrate.ts refuses to start
-- when an applied migration's checksum changes. Add 002-….sql instead.
--
-- Status columns are plain text without CHECK lists: the lifecycle in server/domain/ owns the
-- legal values and transitions, and a CHECK here would need a migration for every new state.
-- User ids are the broker's user names (local accounts or the IdP subject); there is no foreign
-- key to `users` because OIDC users may act before a row for them exists.
-- The column for "the user a grant or token belongs to" is `user_id`: `user` is reserved in SQL.

CREATE TABLE users (
  id text PRIMARY KEY,
  display_name text,
  email text,
  -- Local accounts only (scrypt, self-describing string); null for users signing in via OIDC.
  password_hash text,
  groups jsonb NOT NULL DEFAULT '[]',
  -- AWS SourceIdentity, Azure object id, GCP member, from config or the IdP.
  cloud_identities jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz
);

CREATE TABLE access_requests (
  id text PRIMARY KEY,
  requester text NOT NULL,
  target_cloud text NOT NULL,
  target_account text NOT NULL,
  target_environment text NOT NULL,
  actions jsonb NOT NULL,
  resource text,
  duration_minutes integer NOT NULL CHECK (duration_minutes > 0),
  justification text NOT NULL,
  ticket text,
  -- The denial the request came from (excerpt, deny kind, encoded message); null from the CLI.
  denial jsonb,
  status text NOT NULL,
  -- The policy decision snapshot: outcome, required approvals, policy ids, advice, approver groups.
  decision jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  -- When a still-pending request expires unanswered.
  pending_expires_at timestamptz NOT NULL,
  -- Extension requests: the grant whose expiry an approval moves (foreign key added below).
  linked_grant_id text,
  -- The grant this approved request produced, merged into or extended; set once.
  grant_id text,
  -- Optimistic concurrency: every write is `… WHERE id = $1 AND version = $2`, then version + 1.
  version integer NOT NULL DEFAULT 1
);

-- Approvers' queues: pending requests for a target, oldest first.
CREATE INDEX access_requests_pending_by_target
  ON access_requests (target_cloud, target_account, created_at)
  WHERE status = 'pending';
-- The expiry job: pending requests whose time to be answered ran out.
CREATE INDEX access_requests_pending_expiry
  ON access_requests (pending_expires_at)
  WHERE status = 'pending';
-- "My requests".
CREATE INDEX access_requests_by_requester ON access_requests (requester, created_at);

-- One row per reviewer and request: a second click by the same approver cannot count twice.
CREATE TABLE approvals (
  request_id text NOT NULL REFERENCES access_requests (id),
  approver text NOT NULL,
  -- 'approve' or 'deny': a reviewer's vote either way.
  decision text NOT NULL DEFAULT 'approve',
  at timestamptz NOT NULL DEFAULT now(),
  comment text,
  UNIQUE (request_id, approver)
);

CREATE TABLE grants (
  id text PRIMARY KEY,
  -- UNIQUE: however approvals race, one request yields at most one grant.
  request_id text NOT NULL UNIQUE REFERENCES access_requests (id),
  user_id text NOT NULL,
  target_cloud text NOT NULL,
  target_account text NOT NULL,
  target_environment text NOT NULL,
  actions jsonb NOT NULL,
  resource text,
  status text NOT NULL,
  starts_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  -- Failed attempts in the current phase (provisioning or revoking), for backoff.
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz,
  -- What the provisioner created (ids, names) so revocation can find and remove exactly that.
  provider_ref jsonb,
  -- Extension and merged request ids that moved expires_at, oldest first.
  extended_by jsonb NOT NULL DEFAULT '[]',
  -- 'expired' or 'revoked': decides whether revocation ends as `ended` or `revoked`.
  revoke_reason text,
  revoked_by text,
  ended_at timestamptz,
  -- The sweeper's claim (see sweeper.ts): who is revoking this grant, and until when; after
  -- lease_until another replica may take over (the holder crashed or hung).
  lease_owner text,
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1
);

ALTER TABLE access_requests
  ADD CONSTRAINT access_requests_linked_grant_fk FOREIGN KEY (linked_grant_id) REFERENCES grants (id);
ALTER TABLE access_requests
  ADD CONSTRAINT access_requests_grant_fk FOREIGN KEY (grant_id) REFERENCES grants (id);

-- The sweeper: active grants past their expiry.
CREATE INDEX grants_due ON grants (expires_at) WHERE status = 'active';
-- Retries: failed provisioning or revocation whose backoff has run out.
CREATE INDEX grants_retry_due
  ON grants (next_attempt_at)
  WHERE status IN ('provision-failed', 'revoke-failed');
-- Crash recovery: claims whose lease ran out.
CREATE INDEX grants_leases ON grants (lease_until) WHERE lease_until IS NOT NULL;
-- Overlap/merge checks and "my grants".
CREATE INDEX grants_by_user_target ON grants (user_id, target_cloud, target_account, status);

-- Append-only and hash-chained (see audit.ts). `seq` is assigned by appendAudit under an advisory
-- lock as last + 1, not by a sequence: sequences skip numbers on rollback, and a gap must mean a
-- deleted row.
CREATE TABLE audit_log (
  seq bigint PRIMARY KEY,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  type text NOT NULL,
  subject text,
  details jsonb NOT NULL DEFAULT '{}',
  -- UNIQUE: two rows chaining onto the same predecessor would be a fork; the database refuses it
  -- even if a caller bypassed appendAudit's lock.
  prev_hash text NOT NULL UNIQUE,
  hash text NOT NULL UNIQUE
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP;
END;
$$;

CREATE TRIGGER audit_log_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Server-Sent Events; `id` is the SSE event id, so Last-Event-ID replays everything after it.
CREATE TABLE events (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  -- Who may see it: user ids and/or approver groups.
  audience jsonb NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL
);
-- Pruning old events.
CREATE INDEX events_at ON events (at);

-- Tokens are stored only as sha256 hashes: a database leak yields no usable token.
CREATE TABLE tokens (
  hash text PRIMARY KEY,
  user_id text NOT NULL,
  client_id text,
  scope text,
  -- The refresh-token family an access token came from (null for CLI-created API tokens), so
  -- revoking a family also cuts its access tokens.
  family text,
  -- Shown in listings ("ci deploy bot"); API tokens only.
  label text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX tokens_by_user ON tokens (user_id);
CREATE INDEX tokens_by_family ON tokens (family) WHERE family IS NOT NULL;

-- Rotating refresh tokens: each use replaces the token; reusing a replaced one revokes the family.
CREATE TABLE refresh_tokens (
  hash text PRIMARY KEY,
  user_id text NOT NULL,
  client_id text,
  scope text,
  family text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family);

CREATE TABLE webhook_deliveries (
  id bigserial PRIMARY KEY,
  url text NOT NULL,
  payload jsonb NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  -- Given up after the last retry; kept for operators to inspect.
  failed_at timestamptz,
  lease_owner text,
  lease_until timestamptz
);
-- Deliveries due for a (re)try.
CREATE INDEX webhook_deliveries_due
  ON webhook_deliveries (next_attempt_at)
  WHERE delivered_at IS NULL AND failed_at IS NULL;
